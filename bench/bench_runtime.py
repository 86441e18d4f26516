"""Benchmarks of the durable runtime on SQLite (not a timed test). Results go to docs/performance.md ("Runtime").

    .venv/bin/python bench/bench_runtime.py            # everything (about a minute)
    .venv/bin/python bench/bench_runtime.py steps flat # some of: steps wal flat resume concurrent sleeping

* steps: one workflow of 1,000 trivial sequential steps (steps/s), and in the same run the raw sqlite3 rate of one
  INSERT+UPDATE transaction on the same disk with the same settings (WAL, synchronous=NORMAL); the ratio. Also the
  CPU time per step and per raw transaction (less sensitive to other processes on the machine than wall time),
  and the WAL frames (pages) each writes, counted in one more run of each with checkpoints off.
* wal: the WAL frames one step writes, by b-tree (table or index).
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


def _frames(wal: Path, before: int, page_size: int) -> float:
    """WAL frames written since the WAL was ``before`` bytes long (a frame: a 24-byte header and one page)."""
    return (wal.stat().st_size - before) / (page_size + 24)


def raw_rate(directory: Path, n: int = 5000, *, count_frames: bool = False) -> tuple[float, float, float]:
    """One INSERT + one UPDATE per transaction, WAL, synchronous=NORMAL, same directory: (transactions per second,
    CPU seconds per transaction, WAL frames per transaction — with ``count_frames`` only: checkpoints are off
    then, so the WAL keeps every frame)."""
    import sqlite3

    path = fresh(directory, "raw.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    if count_frames:
        conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, n INTEGER)")
    conn.execute("INSERT INTO b VALUES (1, 0)")
    wal, page = Path(f"{path}-wal"), conn.execute("PRAGMA page_size").fetchone()[0]
    size0 = wal.stat().st_size
    t, cpu = time.perf_counter(), time.thread_time()
    for _ in range(n):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO a (v) VALUES (?)", ("x" * 100,))
        conn.execute("UPDATE b SET n = n + 1 WHERE id = 1")
        conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - t, time.thread_time() - cpu
    frames = _frames(wal, size0, page) / n if count_frames else float("nan")
    conn.close()
    return n / elapsed, cpu / n, frames


def steps_rate(directory: Path, n: int = 1000, *, count_frames: bool = False) -> tuple[float, float, float]:
    """One workflow of ``n`` steps: (steps per second, CPU seconds per step, WAL frames per step — with
    ``count_frames`` only)."""
    path = fresh(directory, "steps.db")
    with wfc.Runtime(f"sqlite:///{path}") as rt:
        if count_frames:
            with rt.db() as db:
                db.execute("PRAGMA wal_autocheckpoint=0")
        rt.run_until_complete(rt.start(flows.chain, 20))  # warm up: compile, link, prepare statements
        wid = rt.start(flows.chain, n)
        wal = Path(f"{path}-wal")
        size0 = wal.stat().st_size
        t, cpu = time.perf_counter(), time.thread_time()  # run_until_complete runs a lone step in this thread
        assert rt.run_until_complete(wid) == n
        elapsed, cpu = time.perf_counter() - t, time.thread_time() - cpu
        frames = _frames(wal, size0, 4096) / n if count_frames else float("nan")
        return n / elapsed, cpu / n, frames


def bench_steps(directory: Path, rounds: int = 5) -> dict[str, float]:
    raws, ours = [], []
    for _ in range(rounds):  # interleaved, so both see the same machine load
        raws.append(raw_rate(directory))
        ours.append(steps_rate(directory))
    raw, rate = statistics.median(r[0] for r in raws), statistics.median(r[0] for r in ours)
    raw_cpu, cpu = statistics.median(r[1] for r in raws), statistics.median(r[1] for r in ours)
    raw_frames, frames = raw_rate(directory, count_frames=True)[2], steps_rate(directory, count_frames=True)[2]
    print(f"steps: {rate:,.0f} steps/s; raw sqlite3 INSERT+UPDATE {raw:,.0f} tx/s; ratio {rate / raw:.0%}")
    print(f"steps: CPU per step {cpu * 1e6:.1f} us, raw {raw_cpu * 1e6:.1f} us per transaction: ratio "
          f"{raw_cpu / cpu:.0%}; WAL frames per step {frames:.2f}, raw {raw_frames:.2f}")  # fmt: skip
    return {
        "steps_per_s": rate,
        "raw_tx_per_s": raw,
        "ratio": rate / raw,
        "cpu_us": cpu * 1e6,
        "raw_cpu_us": raw_cpu * 1e6,
        "cpu_ratio": raw_cpu / cpu,
        "wal_frames_per_step": frames,
        "raw_wal_frames": raw_frames,
    }


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


def bench_wal(directory: Path, n: int = 1000) -> dict[str, float]:
    """Which b-trees the WAL frames of one step belong to: one workflow of ``n`` steps with checkpoints off, each
    frame's page looked up in ``dbstat`` afterwards (a page is counted under the b-tree that holds it at the end)."""
    import sqlite3
    import struct
    from collections import Counter

    path = fresh(directory, "wal.db")
    with wfc.Runtime(f"sqlite:///{path}") as rt:
        with rt.db() as db:
            db.execute("PRAGMA wal_autocheckpoint=0")
        rt.run_until_complete(rt.start(flows.chain, 20))
        wid = rt.start(flows.chain, n)
        wal = Path(f"{path}-wal")
        start = wal.stat().st_size
        assert rt.run_until_complete(wid) == n
        data = wal.read_bytes()[start:]
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            owner = dict(conn.execute("SELECT pageno, name FROM dbstat").fetchall())
        finally:
            conn.close()
    frame = page_size + 24
    pages = [struct.unpack(">I", data[i : i + 4])[0] for i in range(0, len(data) - frame + 1, frame)]
    per_tree = Counter(owner.get(p, "?") for p in pages)
    out = {name: count / n for name, count in per_tree.most_common()}
    print(f"wal: {len(pages) / n:.2f} frames per step: " + ", ".join(f"{k} {v:.2f}" for k, v in out.items()))
    return out


BENCHES = {
    "steps": bench_steps,
    "wal": bench_wal,
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
