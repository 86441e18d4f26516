"""wfc.stdlib.Saga in both runners on both stores: compensations run newest first, each a step; a failing one
does not stop the others; a worker restart in the middle of unwinding runs each compensation once."""

from __future__ import annotations

from pathlib import Path

import pytest

import wfc
from examples import stdlib_saga
from wfc.stdlib import Saga
from wfc.testing import FakeClock

from . import flows
from .harness import agree, both, in_memory, observe


def test_the_example_unwinds_newest_first(url: str) -> None:
    seen = both(url, stdlib_saga.book_trip, "rome", ["car"])
    assert seen.outcome == ("ok", {"booked": [], "failed": "no car left for rome",
                                   "undone": ["cancelled hotel-rome", "cancelled flight-rome"]})  # fmt: skip
    unwind = seen.instances[1]  # the child workflow that unwound
    assert [r[3] for r in unwind[2]] == ["cancel", "cancel"]
    assert both(url, stdlib_saga.book_trip, "oslo", [], wid="t2").outcome == (
        "ok", {"booked": ["flight-oslo", "hotel-oslo", "car-oslo"]}
    )  # fmt: skip


def test_a_failed_compensation_does_not_stop_the_others(url: str) -> None:
    seen = both(url, flows.unwind_all, ["a", "b", "c"], ["b"])
    kind, message, failures, size = seen.outcome[1]
    assert (kind, size) == ("failed", 4)
    assert message == "1 of 4 compensation(s) failed: undo_badly"
    assert failures == [("undo_badly", "ValueError: cannot undo b")]
    ok = both(url, flows.unwind_all, ["a", "b"], [], wid="t2")
    assert ok.outcome == ("ok", ("ok", ["undid child last", "undid b", "undid a"], 3))


def test_pushing_something_else_is_a_clear_error(url: str) -> None:
    seen = both(url, flows.push_a_result)
    assert seen.outcome[:2] == ("error", "WfcError") and "Saga.push()" in seen.outcome[2]
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(flows.push_a_result)
    assert info.value.code == "WFC481" and "without `yield from`" in str(info.value)


def test_a_saga_is_data() -> None:
    assert len(Saga()) == 0 and Saga() == Saga()
    assert wfc.convert.decode(wfc.convert.encode(Saga())) == Saga()


def test_a_restart_while_unwinding(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/saga.db"
    want = in_memory(flows.unwind_slowly)
    clock = FakeClock()
    rt = wfc.Runtime(db, clock=clock, max_parallelism=1)
    wid = rt.start(flows.unwind_slowly, id="test")
    rt.run_until_idle()  # undo("c") done; undo_later("b") failed once and waits 5 s for its retry
    child = rt.list(parent=wid).items[0].id
    assert [(r.name, r.status) for r in rt.history(child)] == [("undo", "completed"), ("undo_later", "pending")]
    rt.close()  # the worker dies
    with wfc.Runtime(db, clock=clock, max_parallelism=1) as again:
        assert again.run_until_complete(wid, timeout=30) == ["undid c", "undid b at last", "undid a"]
        got = observe(again, wid)
    agree(got, want)
