"""Django's command line for the example, run from the repository's root:
``WFC_DB=sqlite:///shop.db python -m examples.django_app.manage wfc_worker``."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_app.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
