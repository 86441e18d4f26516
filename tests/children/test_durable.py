"""Started, named and windowed children on both stores, across a worker that stops mid-run (a new Runtime on
the same database: nothing in memory), and as status, history and the graph show them."""

from __future__ import annotations

import datetime as dt

import pytest

import wfc
from wfc.runtime.clock import EPOCH
from wfc.testing import FakeClock

from .. import pg
from . import flows

url = pg.store_urls("children")


def _clock(seconds: float = 0.0) -> FakeClock:
    return FakeClock(EPOCH + dt.timedelta(seconds=seconds), auto_advance=False)


def test_a_started_child_and_its_join_survive_a_restart(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        wid = rt.start(flows.join_with_a_timeout, 2, id="p")
        rt.run_until_idle()  # started the child; the join races a 5 s timer
        assert rt.status("p/1").state is wfc.WorkflowState.SLEEPING
        assert [o.kind for o in rt.status(wid).outstanding] == ["join", "sleep"]
    with wfc.Runtime(url, clock=_clock(6)) as rt:  # the timer won: the child runs on
        rt.run_until_idle()
        assert rt.status("p/1").state is wfc.WorkflowState.SLEEPING
        assert [(o.kind, o.child_id) for o in rt.status(wid).outstanding] == [("join", "p/1")]
    with wfc.Runtime(url, clock=_clock(31)) as rt:
        rt.run_until_idle()
        assert rt.result(wid) == [1, 4]
        kinds = [(h.kind, h.status, h.child_id) for h in rt.history(wid)]
        assert kinds[0] == ("start_child", "completed", "p/1")
        assert ("join", "canceled", "p/1") in kinds and kinds[-1] == ("join", "completed", "p/1")


def test_a_parent_ending_cancels_its_started_children_but_not_detached_ones(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        wid = rt.start(flows.leaves_children, 1, id="q")
        rt.run_until_idle()
        assert rt.result(wid) == "q/1 q/2"
        assert rt.status("q/1").state is wfc.WorkflowState.CANCELED
        assert rt.status("q/2").state is wfc.WorkflowState.SLEEPING
    with wfc.Runtime(url, clock=_clock(61)) as rt:
        rt.run_until_idle()
        assert rt.result("q/2") == 4
        assert {i.id for i in rt.list(parent=wid).items} == {"q/1", "q/2"}


def test_canceling_a_parent_cancels_the_children_it_started(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        wid = rt.start(flows.start_then_join, 1)
        rt.run_until_idle()
        rt.cancel(wid)  # wfc.Canceled at its join: the parent ends, and the child it started with it
        rt.run_until_idle()
        assert rt.status(wid).state is wfc.WorkflowState.CANCELED
        assert rt.status(f"{wid}/1").state is wfc.WorkflowState.CANCELED
        other = rt.start(flows.start_then_join, 2)
        rt.run_until_idle()
        rt.cancel(other, force=True)  # at once, the child too
        assert rt.status(f"{other}/1").state is wfc.WorkflowState.CANCELED


def test_chosen_ids_and_a_taken_one(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        wid = rt.start(flows.named, 5)
        for t in range(1, 5):
            rt.run_until_idle()
            rt.clock.set(EPOCH + dt.timedelta(seconds=t))  # type: ignore[attr-defined]
        rt.run_until_idle()
        assert rt.result(wid) == ["started-5", 12, 14, 10, "WFC414", "WFC414"]
        assert rt.status("called-5").state is wfc.WorkflowState.COMPLETED
        # an id taken by an instance the workflow did not start is refused too
        other = rt.start(flows.named, 5)
        rt.run_until_idle()
        with pytest.raises(wfc.WfcError) as info:
            rt.result(other)
        assert info.value.code == "WFC414"


def test_a_window_of_children_holds_across_a_restart(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        wid = rt.start(flows.windowed, [2, 2, 2, 2], id="w")
        rt.run_until_idle()
        assert [rt.status(f"w/1.{i}").state.value for i in range(2)] == ["sleeping", "sleeping"]
        with pytest.raises(wfc.WfcError):
            rt.status("w/1.2")  # held: not started yet
    for t in (2, 4):
        with wfc.Runtime(url, clock=_clock(t)) as rt:
            rt.run_until_idle()
    with wfc.Runtime(url, clock=_clock(4)) as rt:
        assert rt.result(wid) == [4, 4, 4, 4]
        spans = [(h.started_at, h.finished_at) for h in rt.history(wid) if h.kind == "child"]
        t0 = EPOCH
        assert [(s - t0).total_seconds() for s, _ in spans] == [0, 0, 2, 2]  # type: ignore[operator]


def test_the_graph_shows_start_child_and_join_states() -> None:
    from wfc.compiler import graph

    g = graph.build_graph(wfc.compile(flows.start_then_join))
    kinds = [n.kind for n in g.nodes]
    assert "start_child" in kinds and "join" in kinds
