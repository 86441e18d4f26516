"""on_complete: called exactly once per ending (completed, failed, canceled) as a transactional step; a handler
that raises is recorded, retried per its policy, and never undoes the completion."""

from __future__ import annotations

import pytest

import wfc
from wfc.testing import FakeClock

from . import flows


def ledger(rt: wfc.Runtime, like: str) -> list[str]:
    with rt.db() as db:
        return [r[0] for r in db.execute("SELECT key FROM ledger WHERE key LIKE ? ORDER BY rowid", (like,))]


def test_exactly_once_for_each_way_of_ending(rt: wfc.Runtime) -> None:
    done = rt.start(flows.chain, 2, on_complete=flows.on_done_tx)
    failed = rt.start(flows.retries, "never", on_complete=flows.on_done_tx)
    canceled = rt.start(flows.steps_then_wait, on_complete=flows.on_done_tx)
    rt.run_until_complete(done)
    with pytest.raises(ConnectionError):
        rt.run_until_complete(failed)
    rt.run_until_idle()
    rt.cancel(canceled)
    for _ in range(3):
        rt.run_until_idle()
    assert sorted(ledger(rt, "done:%")) == sorted(
        [f"done:{done}:completed", f"done:{failed}:failed", f"done:{canceled}:canceled"]
    )
    for wid in (done, failed, canceled):
        record = rt.history(wid)[-1]
        assert (record.kind, record.status, record.attempts) == ("on_complete", "completed", 1)


def test_context_and_completion_reach_the_handler(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.chain, 3, on_complete=flows.on_done, context={"user": "ann"})
    rt.run_until_complete(wid)
    rt.run_until_idle()
    ((done_id, completion, context),) = flows.DONE
    assert done_id == wid and completion.state == "completed" and completion.value == 3
    assert context == {"user": "ann"}


def test_a_handler_that_raises_is_retried_and_never_rolls_back_the_completion(
    rt: wfc.Runtime, clock: FakeClock
) -> None:
    flows.HANDLER_FAILURES.clear()
    wid = rt.start(flows.chain, 1, on_complete=flows.on_done_raises, context=1)  # fails once, then succeeds
    assert rt.run_until_complete(wid) == 1
    rt.run_until_idle()
    record = rt.history(wid)[-1]
    assert record.kind == "on_complete" and record.status == "pending" and record.attempts == 1
    assert record.error is not None and "handler failure 1" in record.error  # recorded and visible
    assert rt.status(wid).state is wfc.WorkflowState.COMPLETED and rt.result(wid) == 1
    assert ledger(rt, "handler:%") == []  # the failed attempt's write was rolled back
    clock.advance(1.0)  # its policy's backoff
    rt.run_until_idle()
    record = rt.history(wid)[-1]
    assert (record.status, record.attempts) == ("completed", 2)
    assert ledger(rt, "handler:%") == [f"handler:{wid}"]  # exactly once


def test_a_handler_that_keeps_failing_is_failed_visibly(rt: wfc.Runtime, clock: FakeClock) -> None:
    flows.HANDLER_FAILURES.clear()
    wid = rt.start(flows.chain, 1, on_complete=flows.on_done_raises, context=10)
    rt.run_until_complete(wid)
    for _ in range(10):
        rt.run_until_idle()
        record = rt.history(wid)[-1]
        if record.status != "pending":
            break
        clock.advance(10)
    assert (record.status, record.attempts) == ("failed", 3)  # its policy: 3 attempts
    assert record.error is not None and "handler failure 3" in record.error
    assert rt.status(wid).state is wfc.WorkflowState.COMPLETED and rt.result(wid) == 1
    assert ledger(rt, "handler:%") == []
