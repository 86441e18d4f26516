"""A parent's graceful cancel asks the children it waits on, and those it started, to cancel gracefully (Temporal's
semantics); its yield raises wfc.Canceled once the children it waits on have ended, their cleanup run; force=True
ends them at once. On both stores, across a new Runtime between the request and the cleanup. The in-memory twin's
agreement is tests/twin/test_cancel.py."""

from __future__ import annotations

import pytest

import wfc
from wfc.testing import FakeClock

from .. import pg
from . import flows

url = pg.store_urls("childcancel")


def test_children_run_their_cleanup_before_the_parents_yield_raises(url: str) -> None:
    flows.CLEANED.clear()
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.careful_parent, 1, id="cp")
        rt.run_until_idle()
        assert rt.cancel(wid) == "requested"
        status = rt.status(wid)
        assert not status.finished and [o.kind for o in status.outstanding] == ["cancel"]  # waits for its children
    with wfc.Runtime(url, clock=FakeClock()) as rt:  # another process runs the cleanups
        rt.run_until_idle()
        assert flows.CLEANED[-1] == "parent" and sorted(flows.CLEANED[:-1]) == ["kid 1", "kid 2"]
        assert {i: rt.status(i).state for i in (wid, "cp/1", "cp/2")} == dict.fromkeys(
            (wid, "cp/1", "cp/2"), wfc.WorkflowState.CANCELED
        )
        with pytest.raises(wfc.Canceled):
            rt.result(wid)


def test_force_ends_the_children_at_once(url: str) -> None:
    flows.CLEANED.clear()
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.careful_parent, 1, id="cf")
        rt.run_until_idle()
        assert rt.cancel(wid, force=True) == "canceled"
        rt.run_until_idle()
        assert flows.CLEANED == []
        assert rt.status("cf/1").state is wfc.WorkflowState.CANCELED
        assert rt.status("cf/2").state is wfc.WorkflowState.CANCELED


def test_force_while_the_parent_waits_for_the_cleanup_ends_everything(url: str) -> None:
    flows.CLEANED.clear()
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.careful_parent, 1, id="cw")
        rt.run_until_idle()
        rt.cancel(wid)  # requested: nothing has run the children's cleanup yet
        assert rt.cancel(wid, force=True) == "canceled"
        rt.run_until_idle()
        assert flows.CLEANED == []
        assert [rt.status(i).state for i in (wid, "cw/1", "cw/2")] == [wfc.WorkflowState.CANCELED] * 3
