"""wfc.runtime."""
