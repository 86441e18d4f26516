"""A worker process for the multi-process tests: ``python -m tests.store.worker_proc URL LEASE [CONCURRENCY [POLL]]``.

Prints ``ready <pid>`` once it serves, then runs until SIGTERM (or SIGKILL)."""

from __future__ import annotations

import sys

import wfc
from tests.store import flows  # noqa: F401 - registers the workflows and steps


def main(url: str, lease: str, concurrency: str = "8", poll: str = "0.05") -> None:
    import logging
    import os

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with wfc.Runtime(url, lease=float(lease), poll_interval=float(poll)) as rt:
        w = rt.worker(concurrency=int(concurrency))
        print(f"ready {os.getpid()}", flush=True)
        w.run()


if __name__ == "__main__":
    main(*sys.argv[1:])
