"""Timers across processes, on both stores: a timer set by one process (here a sleep) wakes an idle worker in
another process when it becomes due, without that worker polling the table. The idle worker reads the next due
time (and the next end of another worker's lease) from the store in one indexed statement after each change, and
sleeps until then or until a wake-up (PostgreSQL: LISTEN/NOTIFY; SQLite: a datagram) says the table changed."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import wfc

from . import flows
from .test_multiprocess import spawn, stop

CLAIM = "FROM history h JOIN"  # the claim statement (both dialects; PostgreSQL prefixes the schema)


def _statements(trace: Path, start: float, end: float) -> list[str]:
    out = []
    for line in trace.read_text().splitlines():
        at, _, sql = line.partition(" ")
        if start <= float(at) < end:
            out.append(sql)
    return out


def _claims(statements: list[str]) -> int:
    return sum(1 for s in statements if CLAIM in s.replace('"', "").split(".", 1)[-1] or "history h JOIN" in s)


def test_a_timer_set_by_another_process_wakes_an_idle_worker_when_due(url: str, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    with wfc.Runtime(url) as rt:
        worker = spawn(url, lease=30.0, poll=0.05, trace=str(trace))
        try:
            warm = rt.start(flows.napper, 0.0)  # the worker compiles the workflow once, on its first transition
            deadline = time.monotonic() + 20
            while not rt.status(warm).finished:
                assert time.monotonic() < deadline, "the worker did not take up a new workflow"
                time.sleep(0.01)
            time.sleep(1.0)  # idle, past its last look at the table
            idle_from = time.time()
            time.sleep(2.0)
            idle = _statements(trace, idle_from, time.time())
            # A poll every 0.05 s would be ~40 claims here; the idle worker makes at most its safety look.
            assert _claims(idle) <= 1 and len(idle) <= 10, idle

            worker.send_signal(signal.SIGSTOP)  # so that this process, not the worker, runs the first step
            try:
                wid = rt.start(flows.napper, 0.3)
                rt.run_until_idle()  # the first step, then the timer: set by this process, its wake-up queued
            finally:
                worker.send_signal(signal.SIGCONT)
            resumed = time.time()
            inst = rt.store.get_instance(wid)
            assert inst is not None
            (sleep,) = [r for r in rt.store.history(inst.n) if r.kind == "sleep"]
            assert sleep.ready_at is not None and sleep.lease_owner is None
            deadline = time.monotonic() + 20
            while not rt.status(wid).finished:
                assert time.monotonic() < deadline, "the timer never woke the worker"
                time.sleep(0.01)
            before, after = rt.result(wid)
            delay = after - sleep.ready_at
            print(f"timer due at +{sleep.ready_at - before:.3f}s after the first step; next step started "
                  f"{delay * 1000:.1f} ms after due")  # fmt: skip
            # Well inside the worker's safety look (5 s): the due time woke it, not a poll.
            assert 0 <= delay < 1.0, delay
            waiting = _statements(trace, resumed + 0.15, sleep.ready_at - 0.02)
            assert _claims(waiting) <= 1, waiting  # no polling while the timer runs
        finally:
            stop([worker])


def test_next_due_is_one_statement_for_due_times_and_lease_ends(rt: wfc.Runtime, clock: object) -> None:
    """What the idle worker asks: the earliest of the next due time and the next end of a lease on due work."""
    statements: list[str] = []
    wid = rt.start(flows.chain, 1)
    (task,) = rt.engine.cycle([], claim=10, capacity=10)
    now = rt.clock.now()
    rt.store.trace(statements.append)
    assert rt.store.next_due(now, leases=True) == task.leaf.lease_until
    rt.store.trace(None)
    assert [s for s in statements if s.lstrip().upper().startswith("SELECT")].__len__() == 1, statements
    assert rt.store.next_due(now) is None  # nothing scheduled: only the lease
    assert rt.status(wid).state.value == "running"
