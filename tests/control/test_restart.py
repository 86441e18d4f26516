"""rt.restart() and rt.fork(): from a step number or name, for finished and running instances, in O(1)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

import wfc
from wfc.runtime.errors import DuplicateId, RestartError
from wfc.testing import FakeClock

from . import flows


def seqs(records: list[wfc.HistoryRecord]) -> list[int]:
    return [r.seq for r in records]


def test_restart_a_completed_workflow_from_a_step_number(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.chain, 5)
    assert rt.run_until_complete(wid) == 5
    assert seqs(rt.history(wid)) == [1, 2, 3, 4, 5]
    flows.CALLS.clear()
    assert rt.restart(wid, from_step=3) == wid
    assert rt.status(wid).state is wfc.WorkflowState.RUNNING
    assert rt.run_until_complete(wid) == 5
    assert flows.CALLS == [("add", (2, 1)), ("add", (3, 1)), ("add", (4, 1))]  # from the cursor before step 3
    live = rt.history(wid)
    assert seqs(live) == [1, 2, 6, 7, 8] and [r.result for r in live] == [1, 2, 3, 4, 5]
    archived = rt.history(wid, archived=True)
    assert seqs(archived) == [3, 4, 5] and all(r.status == "completed" for r in archived)


def test_restart_by_step_name_takes_its_last_occurrence(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.named_steps, 4)
    assert rt.run_until_complete(wid) == 50
    rt.restart(wid, from_step="echo")
    assert rt.run_until_complete(wid) == 50
    with rt.db() as db:
        (count,) = db.execute("SELECT count(*) FROM ledger WHERE key='named-4'").fetchone()
    assert count == 2  # the transactional step after it ran again, once
    assert [r.name for r in rt.history(wid)] == ["add", "echo", "book"]
    with pytest.raises(RestartError, match="no step named 'nope'") as info:
        rt.restart(wid, from_step="nope")
    assert info.value.code == "WFC434"
    with pytest.raises(RestartError, match="step 99 is not in the history"):
        rt.restart(wid, from_step=99)


def test_restart_a_failed_workflow_after_the_outage(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.retries, "outage")
    with pytest.raises(ConnectionError):
        rt.run_until_complete(wid)  # 3 attempts, all failed
    assert rt.status(wid).state is wfc.WorkflowState.FAILED
    rt.restart(wid, from_step=1)
    assert rt.status(wid).error is None
    assert rt.run_until_complete(wid) == "ok after 6"
    assert rt.history(wid)[0].attempts == 3 and rt.history(wid, archived=True)[0].status == "failed"


def test_restart_a_canceled_workflow_and_from_the_start(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.steps_then_wait)
    rt.run_until_idle()
    rt.cancel(wid)
    rt.restart(wid, from_step=3)  # the event wait
    rt.run_until_idle()
    assert rt.status(wid).state is wfc.WorkflowState.WAITING
    rt.send_event(wid, "go", "again")
    assert rt.run_until_complete(wid) == ["one", "two", "again", "four"]
    flows.CALLS.clear()
    rt.restart(wid, from_step=0)
    rt.run_until_idle()
    assert flows.CALLS == [("echo", "one"), ("echo", "two")]
    assert rt.history(wid)[-1].kind == "event"  # the event it took before is not given again
    rt.send_event(wid, "go", "third")
    assert rt.run_until_complete(wid) == ["one", "two", "third", "four"]


def test_restart_a_running_fan_out_of_children(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.parent_of_two)
    rt.run_until_idle()
    old = sorted(rt.status(wid).children)
    rt.restart(wid, from_step=1)
    rt.run_until_idle()
    for child in old:
        assert rt.status(child).state is wfc.WorkflowState.CANCELED
    new = sorted(rt.status(wid).children)
    assert len(new) == 2 and not set(new) & set(old)
    for child in new:
        rt.send_event(child, "child-go", 7)
    assert rt.run_until_complete(wid) == ("a:7", "b:7")  # all_of of separate commands: a tuple


def test_fork_leaves_the_original_untouched(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.chain, 4)
    rt.run_until_complete(wid)
    before = (rt.status(wid), rt.history(wid))
    flows.CALLS.clear()
    copy = rt.fork(wid, from_step=3, new_id="copy")
    assert copy == "copy"
    assert rt.run_until_complete(copy) == 4
    assert flows.CALLS == [("add", (2, 1)), ("add", (3, 1))]
    assert (rt.status(wid), rt.history(wid)) == before
    assert seqs(rt.history(copy)) == [1, 2, 3, 4]  # the original's steps 1-2, then its own from 3
    assert rt.history(copy)[:2] == rt.history(wid)[:2]
    with pytest.raises(DuplicateId):
        rt.fork(wid, from_step=2, new_id="copy")
    second = rt.fork(copy, from_step=4)  # a fork of a fork
    assert rt.run_until_complete(second) == 4 and seqs(rt.history(second)) == [1, 2, 3, 4]


def test_fork_a_running_instance_keeps_both_running(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.steps_then_wait, on_complete=flows.on_done, context="c")
    rt.run_until_idle()
    copy = rt.fork(wid, from_step="echo")
    rt.run_until_idle()
    rt.send_event(wid, "go", 1)
    rt.send_event(copy, "go", 2)
    assert rt.run_until_complete(wid) == ["one", "two", 1, "four"]
    assert rt.run_until_complete(copy) == ["one", "two", 2, "four"]
    rt.run_until_idle()
    assert sorted((d[0], d[2]) for d in flows.DONE) == sorted([(wid, "c"), (copy, "c")])


def test_restart_while_a_worker_holds_a_lease_on_the_old_run(tmp_path: Path) -> None:
    """Another process (here: another runtime on the same file) runs step 1 when the instance is restarted from
    it: that attempt finishes, its outcome is refused, and the new run's step runs and decides."""
    flows.reset()
    url = f"sqlite:///{tmp_path}/lease.db"
    with wfc.Runtime(url) as worker_rt, wfc.Runtime(url) as admin:
        wid = admin.start(flows.slow, "x")
        worker = worker_rt.worker(concurrency=2)
        worker.run_in_thread()
        try:
            for _ in range(1000):
                if flows.CALLS:
                    break
                threading.Event().wait(0.005)
            assert flows.CALLS == [("gated", "x")]
            admin.restart(wid, from_step=1)  # while worker_rt holds the lease on the running attempt
            flows.GATE.set()
            for _ in range(2000):
                if admin.status(wid).finished:
                    break
                threading.Event().wait(0.005)
        finally:
            worker.stop()
            worker.join(10)
        assert admin.result(wid) == "x"
        (old,) = admin.history(wid, archived=True)
        assert old.status == "canceled" and old.attempts == 1  # it ran; its outcome was not delivered
        (new,) = admin.history(wid)
        assert new.status == "completed" and new.seq == 2
        assert flows.CALLS == [("gated", "x"), ("gated", "x")]


def _statements(rt: wfc.Runtime, action: object) -> list[str]:
    """The SQL statements ``action`` runs, with literal values blanked (the trace shows them bound)."""
    out: list[str] = []
    rt.store.conn.set_trace_callback(out.append)
    try:
        action()  # type: ignore[operator]
    finally:
        rt.store.conn.set_trace_callback(None)
    return [re.sub(r"'[^']*'|-?\d+(\.\d+)?(e[-+]?\d+)?", "?", s) for s in out]


def test_restart_and_fork_cost_the_same_at_step_10_and_step_400(clock: FakeClock) -> None:
    with wfc.Runtime(clock=clock) as rt:
        early, late = rt.start(flows.chain, 400), rt.start(flows.chain, 400)
        rt.run_until_complete(early)
        rt.run_until_complete(late)
        at_10 = _statements(rt, lambda: rt.restart(early, from_step=10))
        at_400 = _statements(rt, lambda: rt.restart(late, from_step=400))
        assert at_10 == at_400  # the same statements: none reads or moves the history
        fork_10 = _statements(rt, lambda: rt.fork(early, from_step=5, new_id="f10"))
        fork_400 = _statements(rt, lambda: rt.fork(late, from_step=399, new_id="f400"))
        assert fork_10 == fork_400
        assert rt.run_until_complete(late) == 400 and rt.run_until_complete("f400") == 400


def test_a_restarted_fan_out_keeps_its_workflow_window(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.windowed, 6, 0.0)
    assert rt.run_until_complete(wid) == sum(range(6))
    rt.restart(wid, from_step=1)
    outstanding = rt.status(wid).outstanding
    assert len(outstanding) == 6 and sum(o.due is not None for o in outstanding) == 3  # 3 due, 3 held
    assert rt.run_until_complete(wid) == sum(range(6))
