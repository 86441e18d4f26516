"""SQLite across processes (not a timed test). Results go to docs/performance.md ("SQLite across processes").

    .venv/bin/python bench/bench_sqlite_procs.py            # both
    .venv/bin/python bench/bench_sqlite_procs.py latency    # or: takeup

* takeup: 10,000 workflows that begin with a sleep, started before a worker runs; a worker in another process takes
  them up (start transition: the sleep's timer row written): starts taken up per second, from the worker's "ready"
  to the last one asleep (target >= 5,000/s).
* latency: an idle worker in another process; from ``start()`` returning to the first step starting, p50/p90 of
  200 starts (target p50 < 10 ms), and the worker's CPU time while idle between starts (no busy poll). Wake-ups:
  ``wfc.runtime.store.sqlite.wake`` (a datagram after each commit that makes work claimable).
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_flows  # noqa: E402
from bench_postgres import start_worker  # noqa: E402

import wfc  # noqa: E402


def _count(path: Path, state: str) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM instances WHERE state=?", (state,)).fetchone()[0])
    finally:
        conn.close()


def bench_takeup(directory: Path, n: int = 10_000) -> dict[str, float]:
    path = directory / "takeup.db"
    url = f"sqlite:///{path}"
    with wfc.Runtime(url) as rt:
        for _ in range(n):
            rt.start(scale_flows.sleeper, 3600.0)
    worker = start_worker(url, concurrency=25)
    assert worker.stdout is not None and worker.stdout.readline().startswith("ready")
    t, cpu = time.perf_counter(), _cpu(worker.pid)
    while _count(path, "sleeping") < n:
        time.sleep(0.01)
    elapsed, cpu = time.perf_counter() - t, _cpu(worker.pid) - cpu
    worker.terminate()
    worker.wait(30)
    rate = n / elapsed
    print(f"takeup: {n:,} starts taken up by a worker in another process in {elapsed:.2f} s: {rate:,.0f}/s; "
          f"worker CPU {cpu / n * 1e6:.0f} us per start (at most {n / cpu:,.0f}/s on a core of its own)")  # fmt: skip
    return {"starts_per_s": rate, "seconds": elapsed, "cpu_us_per_start": cpu / n * 1e6}


def bench_latency(directory: Path, n: int = 200) -> dict[str, float]:
    path = directory / "latency.db"
    url = f"sqlite:///{path}"
    with wfc.Runtime(url) as rt:
        rt.run_until_complete(rt.start(scale_flows.stamped))
        worker = start_worker(url)
        assert worker.stdout is not None and worker.stdout.readline().startswith("ready")
        time.sleep(0.5)
        cpu0 = _cpu(worker.pid)
        idle0 = time.perf_counter()
        time.sleep(2.0)  # idle: what does the worker burn while nothing happens?
        idle_cpu = (_cpu(worker.pid) - cpu0) / (time.perf_counter() - idle0)
        delays = []
        for _ in range(n):
            wid = rt.start(scale_flows.stamped)
            started = time.time()
            while not rt.status(wid).finished:
                time.sleep(0.001)
            delays.append(rt.result(wid) - started)
            time.sleep(0.01)
        worker.terminate()
        worker.wait(30)
    delays.sort()
    p50, p90 = statistics.median(delays), delays[int(len(delays) * 0.9)]
    print(f"latency: start -> first step in another process: p50 {p50 * 1e3:.1f} ms, p90 {p90 * 1e3:.1f} ms; "
          f"idle worker CPU {idle_cpu:.1%} of a core")  # fmt: skip
    return {"p50_ms": p50 * 1e3, "p90_ms": p90 * 1e3, "idle_cpu": idle_cpu}


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


BENCHES = {"takeup": bench_takeup, "latency": bench_latency}


def main(argv: list[str]) -> None:
    names = argv or list(BENCHES)
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cpus, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            results[name] = BENCHES[name](Path(tmp))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
