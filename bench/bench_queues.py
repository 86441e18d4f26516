"""Named queues: what admission costs (not a timed test). Results go to docs/performance.md ("Named queues").

    .venv/bin/python bench/bench_queues.py                 # SQLite, and PostgreSQL when WFC_BENCH_PG is set
    WFC_BENCH_PG=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_queues.py
    .venv/bin/python bench/bench_queues.py --n 2000 --pg-n 500 --rounds 2

* throughput: ``--n`` (5,000; on PostgreSQL ``--pg-n``, 1,000) instances of a one-step workflow (``scale_flows.stamped``), all started before the
  worker runs, taken up by one worker in another process (50 step slots): instances completed per second from
  the worker's "ready" to the last one completed — on a queue with ``concurrency=50`` and, side by side in the
  same run (alternating rounds, so both see the same machine load), without a queue. The ratio is the queue's
  cost: each start is weighed under the queue's lock, the instances beyond the 50 are parked, and each end makes
  the next one due.
* admission latency: 250 instances on a queue with ``concurrency=1``, started before the worker runs; for each
  one after the first 50 (by then every start row is parked: the steady state), the time from the previous
  instance's end (its row's ``finished_at``) to its own first step (the step returns ``time.time()``; the same
  machine and the same worker process write both). Beside it, in the same run, the start latency without a queue
  (``start()`` returning to the first step, an idle worker), as ``bench_sqlite_procs.py latency`` measures it.
* view: what the dashboard's queue pages read (``wfc.ui.queue_view``) on a queue that has held 100,000 instances
  (written straight into the table), best of 10.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_flows  # noqa: E402
from bench_postgres import start_worker  # noqa: E402
from bench_sqlite_procs import _cpu  # noqa: E402

import wfc  # noqa: E402
from wfc.runtime.store.protocol import Filter  # noqa: E402

WIDE = wfc.Queue("bench-wide", concurrency=50)
SINGLE = wfc.Queue("bench-single", concurrency=1)
SLOTS = 50


def _completed(rt: wfc.Runtime) -> int:
    return rt.store.count_states(Filter()).get("completed", 0)


@contextmanager
def _worker(url: str) -> Iterator[int]:
    """A worker process on ``url`` (50 step slots), ready; its pid."""
    worker = start_worker(url, concurrency=SLOTS)
    try:
        assert worker.stdout is not None and worker.stdout.readline().startswith("ready")
        yield worker.pid
    finally:
        worker.terminate()
        worker.wait(30)


def _throughput(make_url: Callable[[str], str], n: int, queue: wfc.Queue | None) -> dict[str, float]:
    url = make_url("tp")
    with wfc.Runtime(url) as rt:
        rt.run_until_complete(rt.start(scale_flows.stamped))  # the schema and the compiled table
        t = time.perf_counter()
        for _ in range(n):
            if queue is None:
                rt.start(scale_flows.stamped)
            else:
                rt.start(scale_flows.stamped, queue=queue)
        starting = time.perf_counter() - t
        with _worker(url) as pid:
            t, cpu = time.perf_counter(), _cpu(pid)
            while _completed(rt) < n + 1:
                time.sleep(0.02)
            elapsed, cpu = time.perf_counter() - t, _cpu(pid) - cpu
    return {"per_s": n / elapsed, "seconds": elapsed, "cpu_us": cpu / n * 1e6, "start_ms": starting / n * 1e3}


def bench_throughput(make_url: Callable[[str], str], n: int, rounds: int) -> dict[str, object]:
    plain: list[dict[str, float]] = []
    queued: list[dict[str, float]] = []
    for _ in range(rounds):  # alternating: both see the same machine
        plain.append(_throughput(make_url, n, None))
        queued.append(_throughput(make_url, n, WIDE))
    p = statistics.median(r["per_s"] for r in plain)
    q = statistics.median(r["per_s"] for r in queued)
    pc = statistics.median(r["cpu_us"] for r in plain)
    qc = statistics.median(r["cpu_us"] for r in queued)
    ps = statistics.median(r["start_ms"] for r in plain)
    qs = statistics.median(r["start_ms"] for r in queued)
    print(f"  throughput, {n:,} one-step instances, one worker: without a queue {p:,.0f}/s ({pc:.0f} us CPU each), "
          f"on a queue of concurrency 50 {q:,.0f}/s ({qc:.0f} us CPU each): ratio {q / p:.2f}; "
          f"start() {ps:.2f} ms vs {qs:.2f} ms")  # fmt: skip
    return {"plain_per_s": p, "queued_per_s": q, "ratio": q / p, "plain_cpu_us": pc, "queued_cpu_us": qc,
            "plain_start_ms": ps, "queued_start_ms": qs, "rounds": [plain, queued]}  # fmt: skip


def _p(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(int(len(sorted_ms) * q), len(sorted_ms) - 1)]


def bench_latency(make_url: Callable[[str], str], n: int = 250, skip: int = 50) -> dict[str, float]:
    url = make_url("lat")
    with wfc.Runtime(url) as rt:
        rt.run_until_complete(rt.start(scale_flows.stamped))
        ids = [rt.start(scale_flows.stamped, queue=SINGLE) for _ in range(n)]
        with _worker(url):
            while _completed(rt) < n + 1:
                time.sleep(0.02)
            gaps = []
            for before, after in zip(ids[skip - 1 :], ids[skip:], strict=False):
                ended = rt.store.get_instance(before)
                assert ended is not None and ended.finished_at is not None
                gaps.append((rt.result(after) - ended.finished_at) * 1e3)
            # beside it: the start latency of the same workflow without a queue, on the same (now idle) worker
            starts = []
            for _ in range(100):
                wid = rt.start(scale_flows.stamped)
                started = time.time()
                while not rt.status(wid).finished:
                    time.sleep(0.001)
                starts.append((rt.result(wid) - started) * 1e3)
                time.sleep(0.01)
    gaps.sort()
    starts.sort()
    out = {"admission_p50_ms": _p(gaps, 0.5), "admission_p90_ms": _p(gaps, 0.9),
           "start_p50_ms": _p(starts, 0.5), "start_p90_ms": _p(starts, 0.9)}  # fmt: skip
    print(f"  admission latency (an instance's end -> the next one's first step, {len(gaps)} of {n}): "
          f"p50 {out['admission_p50_ms']:.1f} ms, p90 {out['admission_p90_ms']:.1f} ms; without a queue, "
          f"start() -> first step: p50 {out['start_p50_ms']:.1f} ms, p90 {out['start_p90_ms']:.1f} ms")  # fmt: skip
    return out


VIEWED = wfc.Queue("bench-viewed", concurrency=50, priority=True, partitioned=True)
_FILL = {
    "sqlite": "WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM k WHERE x < {n}) "
    "INSERT INTO instances (n, id, workflow, name, table_hash, state, created_at, updated_at, queue, queue_priority, "
    "queue_partition, admitted_at) SELECT x, 'v-' || x, 'm:wf', 'wf', 'h', CASE WHEN x <= {ended} THEN 'completed' "
    "WHEN x <= {active} THEN 'running' ELSE 'enqueued' END, 1e9 + x, 1e9 + x, 'bench-viewed', x % 7, 'p' || (x % 20), "
    "CASE WHEN x <= {active} THEN 1e9 + x END FROM k",
    "postgresql": "INSERT INTO {schema}instances (n, id, workflow, name, table_hash, state, created_at, updated_at, "
    "queue, queue_priority, queue_partition, admitted_at) SELECT x, 'v-' || x, 'm:wf', 'wf', 'h', CASE WHEN x <= {ended} "
    "THEN 'completed' WHEN x <= {active} THEN 'running' ELSE 'enqueued' END, 1e9 + x, 1e9 + x, 'bench-viewed', "
    "mod(x, 7), 'p' || mod(x, 20), CASE WHEN x <= {active} THEN 1e9 + x END FROM generate_series(1, {n}) AS x",
}


def bench_view(kind: str, make_url: Callable[[str], str], n: int = 100_000) -> dict[str, float]:
    """What the dashboard's queue pages read, on one queue that has held ``n`` instances (90% ended, 0.5% running,
    the rest in line over 20 partitions), written straight into the table: the best of 10 runs, in ms."""
    from wfc.ui import queue_view
    from wfc.ui.service import Service

    url = make_url("view")
    ended, active = int(n * 0.9), int(n * 0.905)
    schema = "" if kind == "sqlite" else f'"{url.rsplit("schema=", 1)[1]}".'
    # (a runtime records the queues its process declares: VIEWED among them)
    with wfc.Runtime(url) as rt, rt.db() as db:
        db.execute(_FILL[kind].format(n=n, ended=ended, active=active, schema=schema))
        if kind == "postgresql":
            db.execute(f"ANALYZE {schema}instances")
    out: dict[str, float] = {}
    with wfc.Runtime(url) as rt:
        service = Service(rt)
        reads: dict[str, Callable[[], object]] = {
            "queues (the list)": lambda: queue_view.queues(service),
            "a queue (its partitions, the first 100 of its line)": lambda: queue_view.queue(service, VIEWED.name),
            "a queue's partition": lambda: queue_view.queue(service, VIEWED.name, "p3"),
            "instances of the queue (a page of 50)": lambda: rt.store.browse_instances(Filter(queue=VIEWED.name), 51),
            "their counts by state": lambda: rt.store.count_states(Filter(queue=VIEWED.name)),
        }
        for label, read in reads.items():
            times = []
            for _ in range(10):
                t = time.perf_counter()
                read()
                times.append(time.perf_counter() - t)
            out[label] = min(times) * 1e3
            print(f"  view, a queue that held {n:,} instances: {label}: {out[label]:.1f} ms")
    return out


def run(kind: str, make_url: Callable[[str], str], n: int, rounds: int) -> dict[str, object]:
    print(f"{kind}:")
    t = time.perf_counter()
    out: dict[str, object] = {"throughput": bench_throughput(make_url, n, rounds), "latency": bench_latency(make_url),
                              "view": bench_view(kind, make_url)}  # fmt: skip
    print(f"  ({time.perf_counter() - t:.0f} s)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="instances per throughput run on SQLite (default 5,000)")
    parser.add_argument("--pg-n", type=int, default=1000,
                        help="instances per throughput run on PostgreSQL (default 1,000: the run stays under 2 minutes)")
    parser.add_argument("--rounds", type=int, default=1, help="throughput rounds per store (default 1)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cpus, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as d:
        counter = iter(range(1_000_000))
        results["sqlite"] = run("sqlite", lambda tag: f"sqlite:///{d}/{tag}{next(counter)}.db", args.n, args.rounds)
    pg = os.environ.get("WFC_BENCH_PG")
    if pg:
        import psycopg

        schemas: list[str] = []

        def pg_url(tag: str) -> str:
            schemas.append(f"bench_q{tag}_{uuid.uuid4().hex[:8]}")
            return f"{pg}{'&' if '?' in pg else '?'}schema={schemas[-1]}"

        try:
            results["postgresql"] = run("postgresql", pg_url, args.pg_n, args.rounds)
        finally:
            with psycopg.connect(pg, autocommit=True) as conn:
                for schema in schemas:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
