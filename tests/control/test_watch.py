"""rt.watch() (every status change and step record, live), rt.list() (paginated, filtered) and rt.cleanup()."""

from __future__ import annotations

import threading
import time

import pytest

import wfc
from wfc.runtime.errors import UnknownInstance
from wfc.runtime.watch import Change
from wfc.testing import FakeClock

from . import flows


def collect(rt: wfc.Runtime, wid: str, out: list[Change], timeout: float = 20.0) -> threading.Thread:
    changes = rt.watch(wid, poll=0.005, timeout=timeout)
    thread = threading.Thread(target=lambda: out.extend(changes), daemon=True)
    thread.start()
    return thread


def test_watch_follows_an_instance_to_its_end(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.steps_then_wait, on_complete=flows.on_done)
    seen: list[Change] = []
    thread = collect(rt, wid, seen)
    time.sleep(0.05)
    rt.run_until_idle()
    time.sleep(0.05)
    rt.send_event(wid, "go", "now")
    rt.run_until_complete(wid)
    rt.run_until_idle()  # the on_complete call
    thread.join(10)
    assert not thread.is_alive()  # it ended by itself: finished, on_complete done
    states = [c.status.state.value for c in seen if c.status is not None]
    assert states[0] == "running" and states[-1] == "completed" and "waiting" in states
    records = [(c.record.seq, c.record.kind, c.record.status) for c in seen if c.record is not None]
    assert (3, "event", "pending") in records and (3, "event", "completed") in records
    assert records[-1][1:] == ("on_complete", "completed")
    assert {r[0] for r in records} == {1, 2, 3, 4, 5}
    order = [r for r in records if r[0] == 3]
    assert order.index((3, "event", "pending")) < order.index((3, "event", "completed"))


def test_watch_sees_changes_made_by_another_process(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/watch.db"
    with wfc.Runtime(url) as one, wfc.Runtime(url) as other:
        wid = one.start(flows.steps_then_wait)
        seen: list[Change] = []
        thread = collect(one, wid, seen)
        other.run_until_idle()
        other.send_event(wid, "go", 1)
        other.run_until_complete(wid)
        thread.join(10)
        assert seen[-1].kind in ("status", "step") and not thread.is_alive()
        assert [c.status.state.value for c in seen if c.status][-1] == "completed"


def test_watch_stops_at_its_timeout_and_refuses_unknown_ids(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.steps_then_wait)
    rt.run_until_idle()
    started = time.monotonic()
    changes = list(rt.watch(wid, poll=0.01, timeout=0.1))
    assert 0.1 <= time.monotonic() - started < 2
    assert changes[0].kind == "status" and changes[0].status is not None
    assert changes[0].status.state is wfc.WorkflowState.WAITING
    assert [c.record.status for c in changes if c.record] == ["completed", "completed", "pending"]
    with pytest.raises(UnknownInstance):
        rt.watch("ghost")


def test_watch_after_a_restart_shows_the_new_run(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.chain, 3)
    rt.run_until_complete(wid)
    rt.restart(wid, from_step=2)
    seen: list[Change] = []
    thread = collect(rt, wid, seen)
    time.sleep(0.05)
    rt.run_until_complete(wid)
    thread.join(10)
    seqs = sorted({c.record.seq for c in seen if c.record})
    assert seqs == [1, 4, 5]  # the live history: step 1, then the restarted run


def test_list_pages_and_filters(rt: wfc.Runtime) -> None:
    ids = [rt.start(flows.chain, 1) for _ in range(5)]
    waiting = rt.start(flows.steps_then_wait)
    parent = rt.start(flows.parent_of_two)
    rt.run_until_idle()
    first = rt.list(workflow=flows.chain, limit=2)
    second = rt.list(workflow=flows.chain, limit=2, cursor=first.cursor)
    third = rt.list(workflow=flows.chain, limit=2, cursor=second.cursor)
    assert [s.id for s in (*first, *second, *third)] == ids[::-1] and third.cursor is None
    assert [s.id for s in rt.list(state="waiting", workflow=flows.steps_then_wait)] == [waiting]
    assert {s.id for s in rt.list(parent=parent)} == {f"{parent}/1.0", f"{parent}/1.1"}
    assert {s.id for s in rt.list(parent=parent, state="waiting")} == {f"{parent}/1.0", f"{parent}/1.1"}


def test_cleanup_purges_finished_instances_and_their_history(rt: wfc.Runtime, clock: FakeClock) -> None:
    old = rt.start(flows.chain, 2)
    rt.run_until_complete(old)
    parent = rt.start(flows.parent_of_two)
    rt.run_until_idle()
    rt.cancel(parent)
    running = rt.start(flows.steps_then_wait)
    rt.run_until_idle()
    clock.advance(3600)
    fresh = rt.start(flows.chain, 1)
    rt.run_until_complete(fresh)
    assert rt.cleanup(older_than=1800) == 4  # old, parent and its two children
    for gone in (old, parent, f"{parent}/1.0"):
        with pytest.raises(UnknownInstance):
            rt.status(gone)
    assert rt.result(fresh) == 1 and rt.status(running).state is wfc.WorkflowState.WAITING
    with rt.db() as db:
        (orphans,) = db.execute(
            "SELECT count(*) FROM history WHERE instance NOT IN (SELECT n FROM instances)"
        ).fetchone()
    assert orphans == 0
    clock.advance(1)
    assert rt.cleanup(older_than=0) == 1  # fresh; the waiting one stays
    assert [s.id for s in rt.list()] == [running]
    with pytest.raises(wfc.WfcError, match="older_than"):
        rt.cleanup(older_than=-1)
