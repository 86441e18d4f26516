"""wfc.compiler."""
