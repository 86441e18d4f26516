"""wfc.stdlib.wait_for_approval in both runners on both stores: the request, reminders every N seconds counted
from the start, a decision by event (to the approval's own instance), a timeout; and across a worker restart."""

from __future__ import annotations

from pathlib import Path

import pytest

import wfc
from examples import stdlib_approval
from wfc.testing import Event, FakeClock

from . import flows
from .harness import agree, both, in_memory, observe

DAY = 24 * 3600
CHILD = "test/1"  # the approval: the expense's first yield


def clear() -> None:
    stdlib_approval.OUTBOX.clear()


def test_approved_after_two_reminders(url: str) -> None:
    events = [Event("approval", {"approved": True, "by": "ann"}, at=2.5 * DAY, to=CHILD)]
    seen = both(url, stdlib_approval.expense, "E-1", events=events, before=clear)
    assert seen.outcome == ("ok", {"paid": "paid E-1", "by": {"approved": True, "by": "ann"}, "reminders": 2})
    assert [f"{kind} for E-1: answer {CHILD}" for kind in
                                      ("request 0", "reminder 1", "reminder 2")] == stdlib_approval.OUTBOX  # fmt: skip
    approval = seen.instances[1][2]
    assert [r[3] for r in approval] == ["ask_manager", "approval", "ask_manager", "approval", "ask_manager",
                                        "approval"]  # fmt: skip


def test_rejected_and_timed_out(url: str) -> None:
    no = [Event("approval", False, at=10, to=CHILD)]
    assert both(url, stdlib_approval.expense, "E-2", events=no, before=clear).outcome == (
        "ok", {"paid": None, "timed_out": False, "reminders": 0})  # fmt: skip
    late = both(url, stdlib_approval.expense, "E-3", before=clear, wid="t2")
    assert late.outcome == ("ok", {"paid": None, "timed_out": True, "reminders": 2})
    assert late.instances[1][2][-1][12] == wfc.testing.EPOCH + __import__("datetime").timedelta(days=3)


def test_no_reminders(url: str) -> None:
    seen = both(url, flows.approve_plainly, events=[Event("ok", True, at=5, to=CHILD)])
    assert seen.outcome[1] == (True, False, 0)


@pytest.mark.parametrize("what", ["timeout", "remind_every", "notify", "event", "reminders without notify"])
def test_bad_arguments_fail_at_the_call(url: str, what: str) -> None:
    seen = both(url, flows.bad_approval, what)
    assert seen.outcome[:2] == ("error", "WfcError") and "wait_for_approval()" in seen.outcome[2]
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(flows.bad_approval, what)
    assert info.value.code == "WFC482" and info.value.hint


def test_a_worker_restart_while_waiting(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/approval.db"
    events = [Event("approval", True, at=1.5 * DAY, to=CHILD)]
    clear()
    want = in_memory(stdlib_approval.expense, "E-4", events=events)
    clear()
    clock = FakeClock()
    rt = wfc.Runtime(db, clock=clock, max_parallelism=1)
    wid = rt.start(stdlib_approval.expense, "E-4", id="test")
    rt.run_until_idle()
    clock.advance(DAY)
    rt.run_until_idle()  # the first reminder
    rt.close()
    clock.advance(0.5 * DAY)
    with wfc.Runtime(db, clock=clock, max_parallelism=1) as again:
        again.send_event(CHILD, "approval", True)
        assert again.run_until_complete(wid, timeout=30)["reminders"] == 1
        got = observe(again, wid)
    agree(got, want)
    assert len(stdlib_approval.OUTBOX) == 2
