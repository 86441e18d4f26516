"""Restarting and forking from a suspension that started a child (``wfc.start_child``) or joined one
(``wfc.join``), on both stores. Each once left the instance waiting forever without a word: the re-issued
``start_child`` row was never done and the re-issued ``join`` was pointed at no child. Now a restarted
``start_child`` starts a new child (its own id; the earlier run's child belongs to the earlier run) and is done at
once with the new handle; a re-issued ``join`` waits for the handle's child again, or takes its outcome if it has
ended; a fork that joins a child of the instance it was forked from takes its outcome if it ended and otherwise
raises WFC415 at the ``yield``; a restart that would reuse a chosen child id is refused (WFC434), nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

import wfc

from .. import pg
from . import restart_children_flows as flows

url = pg.store_urls("rchild")


def _seq(rt: wfc.Runtime, wid: str, kind: str) -> int:
    return next(r.seq for r in rt.history(wid) if r.kind == kind)


def test_a_restart_from_a_start_child_starts_a_new_child(url: str) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.parent, 3, id="rc-start")
        assert rt.run_until_complete(wid, timeout=30) == [10, 30, "rc-start/1"]
        rt.restart(wid, _seq(rt, wid, "start_child"))
        first, got, child = rt.run_until_complete(wid, timeout=30)
        assert (first, got) == (10, 30) and child != "rc-start/1" and child.startswith("rc-start/")
        assert rt.status(child).state is wfc.WorkflowState.COMPLETED
        assert rt.status("rc-start/1").state is wfc.WorkflowState.COMPLETED  # the earlier run's child is kept
        starts = [r for r in rt.history(wid) if r.kind == "start_child"]
        assert [r.child_id for r in starts] == [child] and starts[-1].status == "completed"  # the new run's


@pytest.mark.parametrize("ended", [True, False], ids=["child ended", "child running"])
def test_a_restart_from_a_join_waits_for_the_same_child(url: str, ended: bool) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.waits_for_slow, 5, id=f"rc-join-{ended}")
        rt.run_until_idle()
        child = f"{wid}/1"
        if ended:
            rt.send_event(child, "go", 2)
            assert rt.run_until_complete(wid, timeout=30) == [7, child]
        rt.restart(wid, _seq(rt, wid, "join"))
        if not ended:
            rt.run_until_idle()
            assert rt.status(wid).state is wfc.WorkflowState.WAITING  # joined again, the child still waits
            rt.send_event(child, "go", 4)
        assert rt.run_until_complete(wid, timeout=30) == [9 if not ended else 7, child]
        joins = [r for r in rt.history(wid) if r.kind == "join"]
        assert joins[-1].status == "completed" and joins[-1].child_id == child


def test_a_fork_from_a_start_child_starts_a_child_of_its_own(url: str) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.parent, 4, id="rc-fork")
        rt.run_until_complete(wid, timeout=30)
        fork = rt.fork(wid, _seq(rt, wid, "start_child"), new_id="rc-fork-2")
        first, got, child = rt.run_until_complete(fork, timeout=30)
        assert (first, got) == (10, 40) and child.startswith("rc-fork-2/")
        assert rt.status(child).parent_id == "rc-fork-2"


def test_a_fork_joining_its_origins_running_child_is_told_so(url: str) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.joins_or_says, 1, id="rc-other")
        rt.run_until_idle()  # waits in the join; its child waits for "go"
        fork = rt.fork(wid, _seq(rt, wid, "join"), new_id="rc-other-2")
        assert rt.run_until_complete(fork, timeout=30) == ["join refused", "WFC415"]
        rt.send_event(f"{wid}/1", "go", 1)
        assert rt.run_until_complete(wid, timeout=30) == 2  # the origin joins its own child as before
        # a fork from the join once that child ended takes its outcome
        again = rt.fork(wid, _seq(rt, wid, "join"), new_id="rc-other-3")
        assert rt.run_until_complete(again, timeout=30) == 2


def test_a_restart_that_would_reuse_a_chosen_child_id_is_refused(url: str) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.named_child, 6, id="rc-named")
        assert rt.run_until_complete(wid, timeout=30) == 60
        before: list[Any] = [(r.seq, r.kind, r.status) for r in rt.history(wid)]
        with pytest.raises(wfc.WfcError, match="chosen-6") as info:
            rt.restart(wid, _seq(rt, wid, "start_child"))
        assert info.value.code == "WFC434" and "id" in (info.value.hint or "")
        assert [(r.seq, r.kind, r.status) for r in rt.history(wid)] == before  # nothing written
        assert rt.status(wid).state is wfc.WorkflowState.COMPLETED
        # after the step, it restarts (the join waits for the chosen child, which has ended)
        rt.restart(wid, _seq(rt, wid, "join"))
        assert rt.run_until_complete(wid, timeout=30) == 60


def test_a_restarted_detached_child_stays_detached(url: str) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.detached_parent, 2, id="rc-detached")
        first = rt.run_until_complete(wid, timeout=30)
        rt.restart(wid, _seq(rt, wid, "start_child"))
        second = rt.run_until_complete(wid, timeout=30)
        assert first != second
        rt.run_until_idle()
        for child in (first, second):  # the parent ended; detached children run on
            assert rt.status(child).state is wfc.WorkflowState.WAITING, child
