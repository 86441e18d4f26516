"""wfc.stdlib."""
