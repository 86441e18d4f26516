"""History and status fields: started_at of children and transactional steps, the child a record started,
updated_at moving when an event advances an instance."""

from __future__ import annotations

import datetime as dt

import wfc
from wfc.testing import FakeClock

from . import flows


def test_history_of_children_and_transactions(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.parent_of, 3)
    rt.run_until_idle()
    records = rt.history(wid)
    assert [r.kind for r in records[:4]] == ["tx", "child", "child", "child"]
    for r in records[:4]:
        assert r.status == "completed"
        assert r.started_at is not None and r.scheduled_at is not None and r.finished_at is not None
        assert r.scheduled_at <= r.started_at <= r.finished_at
    tx, child, first, second = records[:4]
    assert tx.child_id is None
    assert child.child_id == f"{wid}/2" and rt.status(child.child_id).parent_id == wid
    assert first.child_id == f"{wid}/3.0" and second.child_id == f"{wid}/3.1"
    assert rt.result(second.child_id) == 4
    assert all(r.child_id is None for r in records if r.kind != "child")


def test_updated_at_moves_when_an_event_advances_an_instance(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.parent_of, 3)
    rt.run_until_idle()
    before = rt.status(wid)
    assert before.state == "waiting"
    clock.advance(100)
    rt.send_event(wid, "go", 1)
    arrived = rt.status(wid).updated_at
    assert arrived > before.updated_at, "the event arrived for it"
    clock.advance(100)
    rt.run_until_idle()
    after = rt.status(wid)
    assert after.state == "waiting", "it waits for the second event: its state did not change"
    # the transition runs when the worker handled the event (100 s after it arrived): it moved then
    assert after.updated_at == arrived + dt.timedelta(seconds=100)
    assert len(rt.history(wid)) == 6, "the second wait is pending"
    clock.advance(100)
    rt.send_event(wid, "go", 2)
    assert rt.run_until_complete(wid) == [3, 6, 2, 4, 1, 2]
    assert rt.status(wid).updated_at == rt.status(wid).finished_at
