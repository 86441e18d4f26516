"""Workflows and a worker entry point for the crash and multi-process tests.

``python -m tests.runtime.procs DB LOG [CONCURRENCY]``: a worker process on database DB that records every step
execution in LOG (one line per execution: ``pid key i``), prints ``ready`` once its runtime is up and ``done``
when every ``procs`` workflow in the database has ended.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import wfc

STEPS_PER_FLOW = 50
EVENT_AT = 25
EVENT_VALUE = 1000
LOG: Path | None = None


def _log(key: str, i: int) -> None:
    if LOG is not None:
        with LOG.open("a") as f:
            f.write(f"{os.getpid()} {key} {i}\n")


@wfc.step
def work(key: str, i: int) -> int:
    _log(key, i)
    time.sleep(0.004)
    return i


@wfc.transaction
def book(db: Any, key: str, i: int) -> int:
    db.execute("INSERT INTO ledger (key, i) VALUES (?, ?)", (key, i))
    return i


@wfc.workflow
def crash_flow(key: str, n: int) -> int:
    total = 0
    for i in range(n):
        if i == EVENT_AT:
            total += yield wfc.wait_event("poke")
        elif i % 10 == 5:
            total += yield book(key, i)
        else:
            total += yield work(key, i)
    return total


def expected_total(n: int) -> int:
    return sum(i for i in range(n) if i != EVENT_AT) + EVENT_VALUE


def prepare(url: str) -> wfc.Runtime:
    rt = wfc.Runtime(url)
    with rt.db() as db:
        db.execute("CREATE TABLE IF NOT EXISTS ledger (key TEXT, i INTEGER)")
    return rt


@wfc.step
def slow(marker: str, seconds: float) -> str:
    Path(marker).write_text("started")
    time.sleep(seconds)
    with Path(marker).open("a") as f:
        f.write(" finished")
    return "slow done"


@wfc.workflow
def slow_flow(marker: str, seconds: float) -> str:
    value = yield slow(marker, seconds)
    again = yield work("slow", 1)
    return f"{value} {again}"


def serve(url: str) -> None:
    """A worker in the main thread, stopped by SIGTERM/SIGINT."""
    rt = wfc.Runtime(url)
    print("ready", flush=True)
    rt.worker(concurrency=2, grace=10).run()
    rt.close()
    print("stopped", flush=True)


def main(argv: list[str]) -> None:
    global LOG
    if argv[0] == "serve":
        serve(f"sqlite:///{argv[1]}")
        return
    url, LOG = f"sqlite:///{argv[0]}", Path(argv[1])
    concurrency = int(argv[2]) if len(argv) > 2 else 4
    rt = wfc.Runtime(url)
    worker = rt.worker(concurrency=concurrency)
    thread = worker.run_in_thread()
    print("ready", flush=True)
    while True:
        rows = rt.list(workflow=crash_flow, limit=1000)
        if rows.items and all(s.finished for s in rows):
            break
        time.sleep(0.02)
    worker.stop()
    thread.join()
    rt.close()
    print("done", flush=True)


if __name__ == "__main__":
    from tests.runtime import procs  # the workflows under their importable names, as the test registers them

    procs.main(sys.argv[1:])
