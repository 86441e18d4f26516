"""wfc.runtime.store."""
