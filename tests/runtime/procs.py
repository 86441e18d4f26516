"""Workflows and a worker entry point for the crash and multi-process tests.

``python -m tests.runtime.procs DB LOG [CONCURRENCY [WORKFLOW]]``: a worker process on database DB that records
every step execution in LOG (one line per execution: ``pid key i``), prints ``ready`` once its runtime is up and
``done`` when every instance of WORKFLOW (``crash_flow``, or ``signal_flow``) in the database has ended.
``... send DB ID PREFIX N``: send N events to instance ID once a line arrives on stdin.
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


@wfc.workflow
def signal_flow(count: int) -> list[Any]:
    """A signal-style loop with two kinds of signal (``a`` and ``b``, like two signal handlers): take whichever
    comes first until ``count`` arrived. Every event must be taken once, in the order sent."""
    got: list[Any] = []
    while len(got) < count:
        _which, value = yield wfc.any_of(wfc.wait_event("a"), wfc.wait_event("b"))
        got.append(value)
        yield work("signal", len(got))
    return got


def signal_name(i: int) -> str:
    return "ab"[i % 2]


def send_many(url: str, instance: str, prefix: str, count: int) -> None:
    """``send`` mode: send ``count`` events (``a``, ``b``, ``a``, ...) of value ``prefix-i`` to one instance, as fast
    as possible."""
    rt = wfc.Runtime(url)
    print("ready", flush=True)
    sys.stdin.readline()  # every sender starts at once
    for i in range(count):
        rt.send_event(instance, signal_name(i), f"{prefix}-{i}")
    rt.close()
    print("sent", flush=True)


@wfc.step
def exclusive(log: str, seconds: float) -> str:
    """Records each execution's start and end (``start|end PID-NAMESPACE PID TIME``) in ``log``."""
    namespace = os.readlink("/proc/self/ns/pid") if os.path.exists("/proc/self/ns/pid") else "?"
    with Path(log).open("a") as f:
        f.write(f"start {namespace} {os.getpid()} {time.time()}\n")
    time.sleep(seconds)
    with Path(log).open("a") as f:
        f.write(f"end {namespace} {os.getpid()} {time.time()}\n")
    return "ran"


@wfc.workflow
def exclusive_flow(log: str, seconds: float) -> str:
    return (yield exclusive(log, seconds))


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
    if argv[0] == "send":
        send_many(f"sqlite:///{argv[1]}", argv[2], argv[3], int(argv[4]))
        return
    url, LOG = f"sqlite:///{argv[0]}", Path(argv[1])
    concurrency = int(argv[2]) if len(argv) > 2 else 4
    awaited = signal_flow if len(argv) > 3 and argv[3] == "signal_flow" else crash_flow
    rt = wfc.Runtime(url)
    worker = rt.worker(concurrency=concurrency)
    thread = worker.run_in_thread()
    print("ready", flush=True)
    while True:
        rows = rt.list(workflow=awaited, limit=1000)
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
