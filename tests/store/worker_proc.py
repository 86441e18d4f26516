"""A worker process for the multi-process tests:
``python -m tests.store.worker_proc URL LEASE [CONCURRENCY [POLL [TRACE]]]``.

Prints ``ready <pid>`` once it serves, then runs until SIGTERM (or SIGKILL). With ``TRACE`` (a file), it appends
``<time.time()> <statement>`` for every statement its store runs (the tests count an idle worker's statements)."""

from __future__ import annotations

import sys
import time

import wfc
from tests.store import flows  # noqa: F401 - registers the workflows and steps


def main(url: str, lease: str, concurrency: str = "8", poll: str = "0.05", trace: str = "") -> None:
    import logging
    import os

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with wfc.Runtime(url, lease=float(lease), poll_interval=float(poll)) as rt:
        if trace:
            out = open(trace, "a", buffering=1)  # noqa: SIM115 - open for the process's life
            rt.store.trace(lambda sql: out.write(f"{time.time():.6f} {' '.join(sql.split())}\n"))
        w = rt.worker(concurrency=int(concurrency))
        print(f"ready {os.getpid()}", flush=True)
        w.run()


if __name__ == "__main__":
    main(*sys.argv[1:])
