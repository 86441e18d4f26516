"""wfc.compiler.python."""
