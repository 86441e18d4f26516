"""The example's one Django app: its workflows, the views in front of them, and the ``wfc_worker`` command."""
