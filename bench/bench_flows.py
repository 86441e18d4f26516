"""Workflows for bench_runtime.py, and its subprocess modes (``python bench_flows.py MODE ...``)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import wfc

TIMES: list[float] = []
MARKS: Path | None = None


@wfc.step
def inc(x: int) -> int:
    return x + 1


@wfc.step
def timed_inc(x: int) -> int:
    TIMES.append(time.perf_counter())
    return x + 1


@wfc.step
def fragile_inc(x: int) -> int:
    """Kills its own process at step 5,000 the first time; records when the step after the crash runs."""
    assert MARKS is not None
    if x == 5000 and not MARKS.exists():
        MARKS.write_text("killed\n")
        os.kill(os.getpid(), signal.SIGKILL)
    if MARKS.exists() and MARKS.read_text() == "killed\n":
        MARKS.write_text(f"{time.time()}\n")
    return x + 1


@wfc.workflow
def chain(n: int) -> int:
    total = 0
    for _ in range(n):
        total = yield inc(total)
    return total


@wfc.workflow
def timed_chain(n: int) -> int:
    total = 0
    for _ in range(n):
        total = yield timed_inc(total)
    return total


@wfc.workflow
def fragile_chain(n: int) -> int:
    total = 0
    for _ in range(n):
        total = yield fragile_inc(total)
    return total


@wfc.workflow
def sleeper(seconds: float) -> str:
    yield wfc.sleep(seconds)
    return "woke"


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str]) -> None:
    global MARKS
    mode = argv[0]
    if mode == "resume-run":
        MARKS = Path(argv[2])
        rt = wfc.Runtime(f"sqlite:///{argv[1]}")
        rt.run_until_complete(rt.start(fragile_chain, 10_000, id="resume"))
        raise SystemExit("not killed")
    if mode == "resume-recover":
        MARKS = Path(argv[2])
        opening = time.time()
        rt = wfc.Runtime(f"sqlite:///{argv[1]}")  # opens the database, releases the dead worker's leases
        up = time.time()
        assert rt.run_until_complete("resume") == 10_000
        print(opening, up, float(MARKS.read_text()))
        return
    if mode == "worker":  # a worker that reports its memory (RSS, MiB) to a file twice a second
        rt = wfc.Runtime(f"sqlite:///{argv[1]}")
        report = Path(argv[2])
        worker = rt.worker(concurrency=8)
        thread = worker.run_in_thread()
        print("ready", flush=True)
        while thread.is_alive():
            report.write_text(f"{_rss_mib()}\n")
            time.sleep(0.5)
        return
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    import bench_flows  # the workflows under their importable names, as the benchmark process registers them

    bench_flows.main(sys.argv[1:])
