"""Benchmarks of the durable runtime on SQLite (not a timed test). Results go to docs/performance.md ("Runtime").

    .venv/bin/python bench/bench_runtime.py            # everything (about a minute)
    .venv/bin/python bench/bench_runtime.py steps flat # some of: steps flat resume concurrent sleeping

* steps: one workflow of 1,000 trivial sequential steps (steps/s), and in the same run the raw sqlite3 rate of one
  INSERT+UPDATE transaction on the same disk with the same settings (WAL, synchronous=NORMAL); the ratio.
* flat: cost per step of step 10 vs step 10,000 of one 10,000-step workflow.
* resume: a workflow killed (SIGKILL) at step 5,000 of 10,000; time from "runtime up" to its next step.
* concurrent: 100 workflows x 10 steps started at once, one worker (workflows/s).
* sleeping: worker memory with 1,000 and with 10,000 sleeping workflows.
"""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_flows as flows  # noqa: E402

import wfc  # noqa: E402


def fresh(directory: Path, name: str) -> Path:
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        p = Path(f"{path}{suffix}")
        if p.exists():
            p.unlink()
    return path


def raw_rate(directory: Path, n: int = 5000) -> float:
    """Transactions per second of one INSERT + one UPDATE, WAL, synchronous=NORMAL, same directory."""
    import sqlite3

    path = fresh(directory, "raw.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, n INTEGER)")
    conn.execute("INSERT INTO b VALUES (1, 0)")
    t = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO a (v) VALUES (?)", ("x" * 100,))
        conn.execute("UPDATE b SET n = n + 1 WHERE id = 1")
        conn.execute("COMMIT")
    rate = n / (time.perf_counter() - t)
    conn.close()
    return rate


def steps_rate(directory: Path, n: int = 1000) -> float:
    path = fresh(directory, "steps.db")
    with wfc.Runtime(f"sqlite:///{path}") as rt:
        rt.run_until_complete(rt.start(flows.chain, 20))  # warm up: compile, link, prepare statements
        wid = rt.start(flows.chain, n)
        t = time.perf_counter()
        assert rt.run_until_complete(wid) == n
        return n / (time.perf_counter() - t)


def bench_steps(directory: Path, rounds: int = 5) -> dict[str, float]:
    raws, ours = [], []
    for _ in range(rounds):  # interleaved, so both see the same machine load
        raws.append(raw_rate(directory))
        ours.append(steps_rate(directory))
    raw, rate = statistics.median(raws), statistics.median(ours)
    print(f"steps: {rate:,.0f} steps/s; raw sqlite3 INSERT+UPDATE {raw:,.0f} tx/s; ratio {rate / raw:.0%}")
    return {"steps_per_s": rate, "raw_tx_per_s": raw, "ratio": rate / raw}


def bench_flat(directory: Path, n: int = 10_000) -> dict[str, float]:
    path = fresh(directory, "flat.db")
    flows.TIMES.clear()
    with wfc.Runtime(f"sqlite:///{path}") as rt:
        rt.run_until_complete(rt.start(flows.chain, 20))
        flows.TIMES.clear()
        rt.run_until_complete(rt.start(flows.timed_chain, n))
    times = flows.TIMES
    gaps = [b - a for a, b in itertools.pairwise(times)]
    early = statistics.median(gaps[5:105])  # around step 10 (a window, to smooth noise)
    late = statistics.median(gaps[-100:])  # around step 10,000
    print(f"flat: step ~10 {early * 1e6:.1f} us, step ~10,000 {late * 1e6:.1f} us; ratio {late / early:.2f}")
    return {"early_us": early * 1e6, "late_us": late * 1e6, "ratio": late / early}


def bench_resume(directory: Path) -> dict[str, float]:
    path = fresh(directory, "resume.db")
    marks = directory / "resume.marks"
    if marks.exists():
        marks.unlink()
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    first = subprocess.run(
        [sys.executable, str(HERE / "bench_flows.py"), "resume-run", str(path), str(marks)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert first.returncode == -9, f"the first run should die by SIGKILL: {first.returncode} {first.stderr}"
    second = subprocess.run(
        [sys.executable, str(HERE / "bench_flows.py"), "resume-recover", str(path), str(marks)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    opening, up, next_step = (float(x) for x in second.stdout.split())
    delay, total = next_step - up, next_step - opening
    print(
        f"resume: next step {delay * 1e3:.1f} ms after the runtime is up ({total * 1e3:.1f} ms including "
        "opening the database and releasing the dead worker's leases; killed at step 5,000 of 10,000)"
    )
    return {"resume_ms": delay * 1e3, "resume_with_open_ms": total * 1e3}


def bench_concurrent(directory: Path, workflows: int = 100, steps: int = 10) -> dict[str, float]:
    path = fresh(directory, "concurrent.db")
    with wfc.Runtime(f"sqlite:///{path}", poll_interval=0.01) as rt:
        rt.run_until_complete(rt.start(flows.chain, 5))
        worker = rt.worker(concurrency=16)
        thread = worker.run_in_thread()
        t = time.perf_counter()
        ids = [rt.start(flows.chain, steps) for _ in range(workflows)]
        while rt.list(state="completed", limit=workflows + 1).items.__len__() < workflows + 1:
            time.sleep(0.005)
        elapsed = time.perf_counter() - t
        worker.stop()
        thread.join()
        assert all(rt.result(i) == steps for i in ids)
    rate = workflows / elapsed
    print(
        f"concurrent: {workflows} workflows x {steps} steps in {elapsed:.2f} s: {rate:,.0f} workflows/s "
        f"({rate * steps:,.0f} steps/s)"
    )
    return {"workflows_per_s": rate}


def bench_sleeping(directory: Path) -> dict[str, float]:
    """A worker process puts workflows to sleep; this process starts them and reads the worker's memory."""
    path = fresh(directory, "sleeping.db")
    report = directory / "rss"
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    rt = wfc.Runtime(f"sqlite:///{path}")
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "bench_flows.py"), "worker", str(path), str(report)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    out = []
    started = 0
    for target in (1_000, 10_000):
        while started < target:
            rt.start(flows.sleeper, 3600.0)
            started += 1
        while (
            rt.store.conn.execute("SELECT count(*) FROM instances WHERE state='sleeping'").fetchone()[0]
            < target
        ):
            time.sleep(0.05)
        time.sleep(1.2)  # two fresh reports
        out.append(float(report.read_text()))
    proc.terminate()
    proc.wait(30)
    rt.close()
    small, large = out
    print(f"sleeping: worker RSS {small:.1f} MiB with 1,000 sleeping workflows, {large:.1f} MiB with 10,000")
    return {"rss_1k_mib": small, "rss_10k_mib": large}


BENCHES = {
    "steps": bench_steps,
    "flat": bench_flat,
    "resume": bench_resume,
    "concurrent": bench_concurrent,
    "sleeping": bench_sleeping,
}


def main(argv: list[str]) -> None:
    names = argv or list(BENCHES)
    print(
        f"python {sys.version.split()[0]}, sqlite {__import__('sqlite3').sqlite_version}, {os.cpu_count()} cpus"
    )
    with tempfile.TemporaryDirectory(dir=os.environ.get("WFC_BENCH_DIR")) as tmp:
        for name in names:
            BENCHES[name](Path(tmp))


if __name__ == "__main__":
    main(sys.argv[1:])
