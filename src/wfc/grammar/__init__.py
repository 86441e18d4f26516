"""wfc.grammar."""
