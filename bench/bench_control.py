"""Benchmarks of workflow control (not a timed test). Results go to docs/performance.md ("Workflow control").

    .venv/bin/python bench/bench_control.py            # everything (about half a minute)
    .venv/bin/python bench/bench_control.py fanout     # some of: fanout restart

* fanout: one workflow fans out 1,000 steps of 10 ms (``time.sleep``) under ``max_parallelism=25``, one worker on
  a SQLite file. Wall time from ``start`` to the instance's end (its own timestamps), against the ideal
  1,000 / 25 x 10 ms = 400 ms; and the most steps seen running at once (from the steps' start and end records).
* restart: a 10,000-step workflow that has completed is restarted from step 5,000 (and, for comparison, from step
  10) while an idle worker waits; time from the ``restart`` call to the moment the restarted step runs, and the
  time of the call itself.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import wfc

TIMES: list[float] = []


@wfc.step
def nap(i: int, seconds: float) -> int:
    time.sleep(seconds)
    return i


@wfc.step
def tick(total: int) -> int:
    TIMES.append(time.perf_counter())
    return total + 1


@wfc.workflow
def fan(n: int, seconds: float) -> int:
    values = yield wfc.all_of([nap(i, seconds) for i in range(n)])
    return len(values)


@wfc.workflow
def ticks(n: int) -> int:
    total = 0
    for _ in range(n):
        total = yield tick(total)
    return total


def fresh(directory: Path, name: str) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{directory / name}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{directory / name}"


def wait_finished(rt: wfc.Runtime, wid: str, poll: float = 0.05) -> wfc.Status:
    while True:
        status = rt.status(wid)
        if status.finished:
            return status
        time.sleep(poll)  # slow polling: it shares the database lock with the worker


def peak(records: list[wfc.HistoryRecord]) -> int:
    marks = []
    for r in records:
        if r.started_at is not None and r.finished_at is not None:
            marks += [(r.started_at, 1), (r.finished_at, -1)]
    running = top = 0
    for _when, delta in sorted(marks):
        running += delta
        top = max(top, running)
    return top


def bench_fanout(
    directory: Path, n: int = 1000, seconds: float = 0.01, parallel: int = 25, rounds: int = 5
) -> None:
    ideal = n / parallel * seconds
    walls: list[float] = []
    peaks: list[int] = []
    with wfc.Runtime(fresh(directory, "fanout.db"), max_parallelism=parallel) as rt:
        worker = rt.worker()
        worker.run_in_thread()
        try:
            wait_finished(rt, rt.start(fan, 100, 0.001))  # warm up: compile, link, prepare statements
            for _ in range(rounds):
                wid = rt.start(fan, n, seconds)
                status = wait_finished(rt, wid)
                assert status.state is wfc.WorkflowState.COMPLETED and status.finished_at is not None
                walls.append((status.finished_at - status.created_at).total_seconds())
                peaks.append(peak(rt.history(wid)))
        finally:
            worker.stop()
            worker.join(10)
    best, median = min(walls), statistics.median(walls)
    print(
        f"fanout: {n} x {seconds * 1000:g} ms steps, max_parallelism {parallel}: median {median * 1000:.0f} ms, "
        f"best {best * 1000:.0f} ms; ideal {ideal * 1000:.0f} ms; ratio {median / ideal:.2f} (best "
        f"{best / ideal:.2f}); most running at once {max(peaks)}"
    )


def _time_to_next_step(rt: wfc.Runtime, wid: str, step: int) -> tuple[float, float]:
    TIMES.clear()
    t0 = time.perf_counter()
    rt.restart(wid, from_step=step)
    call = time.perf_counter() - t0
    while not TIMES:
        time.sleep(0.0005)
    return TIMES[0] - t0, call


def bench_restart(directory: Path, n: int = 10_000, rounds: int = 7) -> None:
    with wfc.Runtime(fresh(directory, "restart.db")) as rt:
        wid = rt.start(ticks, n)
        started = time.perf_counter()
        assert rt.run_until_complete(wid) == n
        built = time.perf_counter() - started
        worker = rt.worker()
        worker.run_in_thread()
        try:
            out: dict[int, list[tuple[float, float]]] = {10: [], 5000: []}
            for _ in range(rounds):
                for step in (5000, 10):
                    # the live history's numbers move on with every restart: find the step by its place
                    seq = rt.history(wid)[step - 1].seq
                    out[step].append(_time_to_next_step(rt, wid, seq))
                    wait_finished(rt, wid, poll=0.01)
        finally:
            worker.stop()
            worker.join(10)
    for step in (5000, 10):
        nexts = [a for a, _ in out[step]]
        calls = [b for _, b in out[step]]
        print(
            f"restart from step {step:,} of {n:,} (history built in {built:.1f} s): next step after "
            f"{statistics.median(nexts) * 1000:.1f} ms (median of {rounds}; max {max(nexts) * 1000:.1f} ms); "
            f"the restart call itself {statistics.median(calls) * 1000:.2f} ms"
        )


def main() -> None:
    which = set(sys.argv[1:]) or {"fanout", "restart"}
    with tempfile.TemporaryDirectory(dir=Path.cwd() if Path.cwd().is_dir() else None) as tmp:
        directory = Path(tmp)
        if "fanout" in which:
            bench_fanout(directory)
        if "restart" in which:
            bench_restart(directory)


if __name__ == "__main__":
    main()
