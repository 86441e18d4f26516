"""``manage.py wfc_worker``: a wfc worker for the shop's workflows, a process of its own beside the web processes
(docs/integration.md embeds this file). On SIGTERM or Ctrl-C it stops claiming, lets running steps finish (up to
``--grace`` seconds) and commits their outcomes; instances in flight continue at its next start, or on any other
worker of the database."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

import wfc

from ... import workflows


class Command(BaseCommand):
    help = "Run a wfc worker for the shop's workflows until SIGTERM or Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=8, help="steps run at once (default 8)")
        parser.add_argument("--grace", type=float, default=30.0, help="seconds running steps get on SIGTERM")

    def handle(self, *args: Any, **options: Any) -> None:
        with wfc.Runtime(settings.WFC_DB, workflows=[workflows.welcome]) as runtime:
            self.stdout.write(f"wfc worker on {runtime!r}", ending="\n")
            self.stdout.flush()
            runtime.worker(concurrency=options["concurrency"], grace=options["grace"]).run()
        self.stdout.write("wfc worker stopped")
