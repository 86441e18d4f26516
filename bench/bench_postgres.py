"""Benchmarks of the PostgreSQL store (not timed tests). Results go to docs/performance.md ("PostgreSQL").

    .venv/bin/python bench/bench_postgres.py                 # everything (a few minutes)
    .venv/bin/python bench/bench_postgres.py steps latency   # some of: steps scale latency

The server: ``WFC_BENCH_PG`` (default ``postgresql://postgres@127.0.0.1:5432/test``); every run uses schemas of
its own (``bench_*``), dropped afterwards.

* steps: one workflow of 1,000 sequential steps, and in the same run (interleaved rounds) the raw psycopg rate of
  the same minimal durable work: one transaction with one INSERT and one UPDATE; the ratio (target >= 0.40).
* scale: 1,000 workflows x 10 steps taken up by 1, 2 and 4 worker processes (``wfc worker``-like, in
  subprocesses): workflows/s, transitions per commit (group commit: the 11,000 transitions over the commits that
  wrote, counted by each worker from its store's statement trace), the scaling from 1 to 2 processes.
* latency: an idle worker in another process; the time from ``start()`` returning to the first step starting
  (``LISTEN/NOTIFY``, no table polling), p50 and p90 of 200 starts (target p50 < 20 ms).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_flows as flows  # noqa: E402
import scale_flows  # noqa: E402

import wfc  # noqa: E402

SERVER = os.environ.get("WFC_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def schema_url(tag: str) -> tuple[str, str]:
    schema = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
    return f"{SERVER}?schema={schema}", schema


def drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def raw_rate(n: int = 2000) -> float:
    """Transactions per second of one INSERT + one UPDATE with psycopg, same server, same settings."""
    import psycopg

    schema = f"bench_raw_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".a (id BIGSERIAL PRIMARY KEY, v TEXT)')
        conn.execute(f'CREATE TABLE "{schema}".b (id INTEGER PRIMARY KEY, n INTEGER)')
        conn.execute(f'INSERT INTO "{schema}".b VALUES (1, 0)')
        insert = f'INSERT INTO "{schema}".a (v) VALUES (%s)'
        update = f'UPDATE "{schema}".b SET n = n + 1 WHERE id = 1'
        t = time.perf_counter()
        for _ in range(n):
            conn.execute("BEGIN")
            conn.execute(insert, ("x" * 100,))
            conn.execute(update)
            conn.execute("COMMIT")
        rate = n / (time.perf_counter() - t)
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return rate


def steps_rate(n: int = 1000) -> float:
    url, schema = schema_url("steps")
    try:
        with wfc.Runtime(url) as rt:
            rt.run_until_complete(rt.start(flows.chain, 20))  # warm up: compile, link, prepare statements
            wid = rt.start(flows.chain, n)
            t = time.perf_counter()
            assert rt.run_until_complete(wid) == n
            return n / (time.perf_counter() - t)
    finally:
        drop(schema)


def bench_steps(rounds: int = 5) -> dict[str, float]:
    raws, ours = [], []
    for _ in range(rounds):  # interleaved, so both see the same machine load
        raws.append(raw_rate())
        ours.append(steps_rate())
    raw, rate = statistics.median(raws), statistics.median(ours)
    print(f"steps: {rate:,.0f} steps/s; raw psycopg INSERT+UPDATE {raw:,.0f} tx/s; ratio {rate / raw:.2f}")
    return {"steps_per_s": rate, "raw_tx_per_s": raw, "ratio": rate / raw}


def start_worker(url: str, concurrency: int = 25) -> subprocess.Popen[str]:
    """A worker process (``Runtime(url).worker().run()``) serving :mod:`scale_flows`; SIGTERM stops it."""
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT / 'src'}"}
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "worker", url, str(concurrency)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


class WriteCounter:
    """Counts the transactions of this process that wrote (the commits the server flushes), from the store's
    statement trace: a transaction begins with ``BEGIN``; it wrote if any of its statements inserts, updates,
    deletes or locks rows (a row lock is written to the row too). Read-only statements and transactions are not
    counted — ``pg_stat_database.xact_commit`` counts them, and counts every other client of the server."""

    _WRITES = ("INSERT", "UPDATE", "DELETE")

    def __init__(self) -> None:
        self.commits = 0
        self._local = threading.local()

    def __call__(self, sql: str) -> None:
        local = self._local
        head = sql.lstrip()[:6].upper()
        if head == "BEGIN":
            self.commits += getattr(local, "wrote", False)
            local.wrote = False
        elif not getattr(local, "wrote", False) and (
            head in self._WRITES or "FOR UPDATE" in sql or (head == "WITH L" and "UPDATE" in sql)
        ):
            local.wrote = True

    def total(self) -> int:
        """Commits so far (the current transaction of this thread counted once it wrote)."""
        return self.commits + getattr(self._local, "wrote", False)


def run_worker(url: str, concurrency: str) -> None:
    """A worker process. Prints ``ready <commits>`` when it serves, and ``commits <n>`` when it stops (SIGTERM)."""
    with wfc.Runtime(url) as rt:
        counter = WriteCounter()
        rt.store.trace(counter)
        w = rt.worker(concurrency=int(concurrency))
        print("ready", counter.total(), flush=True)
        w.run()
        print("commits", counter.total(), flush=True)


def _completed(url: str, schema: str) -> int:
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        row = conn.execute(f"SELECT count(*) FROM \"{schema}\".instances WHERE state='completed'").fetchone()
    return int(row[0]) if row else 0


def scale_run(processes: int, workflows: int = 1000, steps: int = 10) -> dict[str, float]:
    url, schema = schema_url(f"scale{processes}")
    try:
        with wfc.Runtime(url) as rt:
            for _ in range(workflows):
                rt.start(scale_flows.chain, steps)
        app = f"wfc_bench_{schema}"
        workers = [start_worker(f"{url}&application_name={app}") for _ in range(processes)]
        before = 0
        for w in workers:
            assert w.stdout is not None
            word, n = w.stdout.readline().split()
            assert word == "ready"
            before += int(n)
        cpu0 = [_cpu(w.pid) for w in workers]
        server0, busy0 = _backends(app), _machine()
        t = time.perf_counter()
        while _completed(url, schema) < workflows:
            time.sleep(0.02)
        elapsed = time.perf_counter() - t
        worker_cpu = sum(_cpu(w.pid) - c for w, c in zip(workers, cpu0, strict=True))
        server_cpu = sum(c - server0.get(pid, 0.0) for pid, c in _backends(app).items())
        busy1 = _machine()
        after = 0
        for w in workers:
            w.terminate()
        for w in workers:
            out, _ = w.communicate(timeout=60)
            word, n = out.split()[-2:]
            assert word == "commits", out
            after += int(n)
        transitions = workflows * (steps + 1)  # the start, and one per step (the last one ends the workflow)
        return {
            "workflows_per_s": workflows / elapsed,
            "seconds": elapsed,
            "commits": after - before,
            "transitions_per_commit": transitions / max(1, after - before),
            "worker_cpu_us_per_transition": worker_cpu / transitions * 1e6,
            "server_cpu_us_per_transition": server_cpu / transitions * 1e6,
            "machine_busy": (busy1[0] - busy0[0]) / max(1e-9, busy1[1] - busy0[1]),
        }
    finally:
        drop(schema)


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backends(app: str) -> dict[int, float]:
    """CPU seconds of each server process serving connections named ``app`` (the workers' ``application_name``)."""
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (app,))]
    return {pid: _cpu(pid) for pid in pids}


def _machine() -> tuple[float, float]:
    """(busy, total) CPU time of the machine so far, all cores (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return float(sum(values) - idle), float(sum(values))


def bench_scale() -> dict[str, object]:
    out: dict[str, object] = {}
    for processes in (1, 2, 4):
        r = scale_run(processes)
        out[str(processes)] = r
        print(f"scale: {processes} worker process(es): {r['workflows_per_s']:,.0f} workflows/s "
              f"({r['seconds']:.1f} s), {r['commits']:,.0f} commits that wrote, "
              f"{r['transitions_per_commit']:.1f} transitions per commit; CPU per transition: workers "
              f"{r['worker_cpu_us_per_transition']:,.0f} us, their PostgreSQL backends "
              f"{r['server_cpu_us_per_transition']:,.0f} us; machine {r['machine_busy']:.0%} busy")  # fmt: skip
    one, two = out["1"], out["2"]
    assert isinstance(one, dict) and isinstance(two, dict)
    out["scaling_1_to_2"] = two["workflows_per_s"] / one["workflows_per_s"]
    print(f"scale: 1 -> 2 processes x{out['scaling_1_to_2']:.2f}")
    return out


def bench_latency(n: int = 200) -> dict[str, float]:
    url, schema = schema_url("latency")
    try:
        with wfc.Runtime(url) as rt:
            rt.run_until_complete(rt.start(scale_flows.stamped))  # the schema, compiled tables
            worker = start_worker(url)
            assert worker.stdout is not None and worker.stdout.readline().startswith("ready")
            time.sleep(0.5)
            delays = []
            for _ in range(n):
                wid = rt.start(scale_flows.stamped)
                started = time.time()
                while True:
                    st = rt.status(wid)
                    if st.finished:
                        break
                    time.sleep(0.002)
                delays.append(rt.result(wid) - started)
                time.sleep(0.01)  # the worker idles again between starts
            worker.terminate()
            worker.wait(30)
        delays.sort()
        p50, p90 = statistics.median(delays), delays[int(len(delays) * 0.9)]
        print(f"latency: start -> first step in another process: p50 {p50 * 1e3:.1f} ms, p90 {p90 * 1e3:.1f} ms")
        return {"p50_ms": p50 * 1e3, "p90_ms": p90 * 1e3}
    finally:
        drop(schema)


BENCHES = {"steps": bench_steps, "scale": bench_scale, "latency": bench_latency}


def main(argv: list[str]) -> None:
    if argv[:1] == ["worker"]:
        run_worker(argv[1], argv[2])
        return
    names = argv or list(BENCHES)
    import psycopg

    with psycopg.connect(SERVER) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        sync = conn.execute("SHOW synchronous_commit").fetchone()
    print(f"python {sys.version.split()[0]}, PostgreSQL {version[0] if version else '?'} "
          f"(synchronous_commit={sync[0] if sync else '?'}), psycopg {psycopg.__version__}, {os.cpu_count()} cpus")  # fmt: skip
    results = {}
    for name in names:
        results[name] = BENCHES[name]()
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
