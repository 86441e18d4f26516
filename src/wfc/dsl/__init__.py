"""wfc.dsl."""
