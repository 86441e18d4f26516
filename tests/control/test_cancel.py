"""rt.cancel(force=True): steps, timers, event waits and children canceled at once; on_complete told; races (the
graceful cancel, wfc.Canceled at the yield, is test_graceful_cancel.py and tests/twin/test_cancel.py)."""

from __future__ import annotations

import threading

import pytest

import wfc
from wfc.runtime.errors import AlreadyFinished, UnknownInstance, WorkflowFinished
from wfc.testing import FakeClock

from . import flows


def ledger(rt: wfc.Runtime) -> list[tuple[str, int]]:
    with rt.db() as db:
        return [tuple(r) for r in db.execute("SELECT key, value FROM ledger ORDER BY rowid")]


def test_cancel_a_waiting_workflow(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.steps_then_wait, on_complete=flows.on_done, context="ctx")
    rt.run_until_idle()
    assert rt.status(wid).state is wfc.WorkflowState.WAITING
    rt.cancel(wid, force=True)
    status = rt.status(wid)
    assert status.state is wfc.WorkflowState.CANCELED and status.outstanding == ()
    assert status.error is not None and "canceled" in status.error
    with pytest.raises(wfc.Canceled):
        rt.result(wid)
    assert [r.status for r in rt.history(wid)] == ["completed", "completed", "canceled", "pending"]
    rt.run_until_idle()
    ((done_id, completion, context),) = flows.DONE
    assert (done_id, completion.state, context) == (wid, "canceled", "ctx") and not completion.ok
    assert rt.history(wid)[-1].kind == "on_complete" and rt.history(wid)[-1].status == "completed"
    with pytest.raises(WorkflowFinished):
        rt.send_event(wid, "go", 1)


def test_cancel_a_sleeping_workflow_cancels_its_timer(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.waits_a_day)
    rt.run_until_idle()
    assert rt.status(wid).state is wfc.WorkflowState.SLEEPING
    rt.cancel(wid, force=True)
    clock.advance(2 * 24 * 3600)
    assert rt.run_until_idle() == 0
    assert [(r.kind, r.status) for r in rt.history(wid)] == [("step", "completed"), ("sleep", "canceled")]
    assert rt.store.next_due(clock.now() - 10 * 24 * 3600) is None  # nothing left in the work queue


def test_cancel_before_the_first_transition(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.chain, 3)
    rt.cancel(wid, force=True)
    assert rt.run_until_idle() == 0
    assert rt.status(wid).state is wfc.WorkflowState.CANCELED and rt.history(wid) == []
    assert flows.CALLS == []


def test_cancel_of_a_finished_workflow_is_an_error(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.chain, 1)
    rt.run_until_complete(wid)
    with pytest.raises(AlreadyFinished, match="it has completed") as info:
        rt.cancel(wid, force=True)
    assert info.value.code == "WFC433"
    assert rt.status(wid).state is wfc.WorkflowState.COMPLETED
    rt.cancel(other := rt.start(flows.steps_then_wait))
    with pytest.raises(AlreadyFinished, match="it was canceled"):
        rt.cancel(other)
    with pytest.raises(UnknownInstance):
        rt.cancel("ghost")


def test_a_running_step_finishes_but_its_result_is_discarded(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.slow, "x")
    worker = rt.worker(concurrency=2)
    worker.run_in_thread()
    try:
        for _ in range(500):
            if flows.CALLS:
                break
            threading.Event().wait(0.01)
        assert flows.CALLS == [("gated", "x")]  # the step is running
        rt.cancel(wid, force=True)
        flows.GATE.set()  # it finishes after the cancel
        for _ in range(500):
            if rt.history(wid)[0].finished_at is not None:
                break
            threading.Event().wait(0.01)
    finally:
        worker.stop()
        worker.join(10)
    (record,) = rt.history(wid)
    assert record.status == "canceled" and record.attempts == 1  # it ran, and says so; nothing followed
    assert rt.status(wid).state is wfc.WorkflowState.CANCELED


def test_cancel_during_a_retry_backoff(clock: FakeClock) -> None:
    flows.reset()
    clock.auto_advance = False
    with wfc.Runtime(clock=clock) as rt:
        wid = rt.start(flows.retries, "k")
        rt.run_until_idle()  # attempt 1 fails; attempt 2 is due in 60 s
        (waiting,) = rt.status(wid).outstanding
        assert waiting.attempts == 1 and waiting.last_error is not None
        rt.cancel(wid, force=True)
        clock.advance(3600)
        assert rt.run_until_idle() == 0
        assert flows.CALLS == [("flaky", "k")]  # no second attempt
        (record,) = rt.history(wid)
        assert record.status == "canceled" and record.attempts == 1


def test_canceling_a_parent_cancels_its_children(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.parent_of_two)
    rt.run_until_idle()
    status = rt.status(wid)
    assert sorted(status.children) == [f"{wid}/1.0", f"{wid}/1.1"]
    assert {c.id for c in rt.list(parent=wid)} == set(status.children)
    rt.cancel(wid, force=True)
    for child in rt.list(parent=wid):
        assert child.state is wfc.WorkflowState.CANCELED
    assert rt.run_until_idle() == 0


def test_canceling_a_child_raises_in_its_parent(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.parent_catches_cancel)
    rt.run_until_idle()
    (child,) = rt.status(wid).children
    rt.cancel(child)
    assert rt.run_until_complete(wid) == "child canceled: Canceled"


def test_an_event_arriving_while_the_workflow_is_canceled(tmp_path: object) -> None:
    """Events sent from two threads while a worker runs and the main thread cancels: each send lands before the
    cancel or is refused (WFC421) after the instance ended; the instance ends either completed (the event won
    and the workflow finished before the cancel, which then raises WFC433) or canceled with nothing left open —
    never a transition after the cancel."""
    flows.reset()
    ended = {"completed": 0, "canceled": 0}
    with wfc.Runtime(f"sqlite:///{tmp_path}/race.db") as rt:
        worker = rt.worker(concurrency=2)
        worker.run_in_thread()
        try:
            for _ in range(8):
                wid = rt.start(flows.steps_then_wait)
                while rt.status(wid).state is not wfc.WorkflowState.WAITING:
                    threading.Event().wait(0.002)
                outcomes: list[str] = []
                start = threading.Barrier(3)

                def send(
                    wid: str = wid, outcomes: list[str] = outcomes, start: threading.Barrier = start
                ) -> None:
                    start.wait()
                    for i in range(10):
                        try:
                            rt.send_event(wid, "go", i)
                            outcomes.append("sent")
                        except WorkflowFinished:
                            outcomes.append("refused")

                threads = [threading.Thread(target=send) for _ in range(2)]
                for t in threads:
                    t.start()
                start.wait()
                try:
                    rt.cancel(wid, force=True)
                except AlreadyFinished:
                    assert rt.result(wid)[2] in range(10)  # the event won the race and the workflow ended
                for t in threads:
                    t.join()
                history = rt.history(wid)
                state = rt.status(wid).state
                ended[state.value] += 1
                if state is wfc.WorkflowState.CANCELED:
                    assert rt.status(wid).outstanding == ()
                    assert history[-1].status == "canceled", history
                    assert all(r.status != "pending" for r in history)
                else:
                    assert state is wfc.WorkflowState.COMPLETED
                    assert [r.status for r in history] == ["completed"] * 4
                assert outcomes.count("sent") >= 1 or state is wfc.WorkflowState.CANCELED
        finally:
            worker.stop()
            worker.join(10)
    assert ended["canceled"] >= 1, ended
