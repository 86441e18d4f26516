"""wfc: durable workflows for Python, compiled to state machines instead of replayed."""
