"""wfc.cli."""
