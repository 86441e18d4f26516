"""A workflow's own ``timeout``: when it passes, the instance is canceled as a graceful cancel is, with
``wfc.WorkflowTimeout`` (a ``wfc.Canceled`` and a ``wfc.Timeout``) raised at its current ``yield``, so its cleanup
runs; a timeout that passes during a cleanup ends it at once. The same in both runners, record for record."""

from __future__ import annotations

from typing import Any

import pytest

import wfc
from wfc.testing import Cancel, Event

from .harness import both


@wfc.step
def work(n: int) -> int:
    return n


@wfc.step
def cleanup(what: str) -> str:
    return f"undone {what}"


@wfc.workflow(timeout=60)
def bounded(n: int) -> Any:
    try:
        yield from work(n)
        got = yield from wfc.wait_event("go")
        return ["in time", got]
    except wfc.Timeout as exc:
        yield from cleanup(type(exc).__name__)
        raise


@wfc.workflow(timeout=30)
def slow_cleanup() -> Any:
    try:
        yield from wfc.wait_event("never")
    finally:
        yield from wfc.sleep(100)  # runs past the timeout: ended there
        yield from cleanup("late")


@wfc.workflow(timeout=50)
def bounded_child(n: int) -> Any:
    yield from wfc.sleep(100)
    return n


@wfc.workflow
def parent() -> Any:
    try:
        return (yield from bounded_child(1))
    except wfc.Canceled as exc:
        return ["child", type(exc).__name__]


def test_the_timeout_raises_at_the_yield_and_the_cleanup_runs() -> None:
    seen = both(bounded, 2)
    assert seen.outcome[:2] == ("error", "WorkflowTimeout") and seen.instances[0][1] == "canceled"
    assert seen.steps == ("cleanup", "work")
    kinds = [(r[2], r[6]) for r in seen.instances[0][2]]
    assert kinds[0] == ("deadline", "completed") and ("cancel", "completed") in kinds


def test_an_instance_that_ends_in_time_closes_its_timeout() -> None:
    seen = both(bounded, 2, events=[Event("go", "yes", at=10)])
    assert seen.outcome == ("ok", ["in time", "yes"])
    assert seen.instances[0][2][0][2:7:4] == ("deadline", "canceled")


def test_a_timeout_during_a_cleanup_ends_it_at_once() -> None:
    seen = both(slow_cleanup, events=[Cancel(at=5)])
    assert seen.outcome[:2] == ("error", "WorkflowTimeout") and seen.steps == ()


def test_a_childs_own_timeout_raises_canceled_in_its_parent() -> None:
    seen = both(parent)
    assert seen.outcome == ("ok", ["child", "WorkflowTimeout"])  # the child's own error, a Canceled
    states = {iid: state for iid, state, _ in seen.instances}
    assert states == {"test": "completed", "test/1": "canceled"}


def test_the_start_option_overrides_the_decorator() -> None:
    with wfc.Runtime("sqlite:///:memory:", clock=wfc.testing.FakeClock()) as rt:
        wid = rt.start(bounded, 1, timeout=5)
        with pytest.raises(wfc.WorkflowTimeout, match="timed out after 5s"):
            rt.run_until_complete(wid)
        assert rt.status(wid).state is wfc.WorkflowState.CANCELED
        assert rt.history(wid)[0].name == "timeout 5s"


def test_the_start_option_in_both_runners() -> None:
    seen = both(bounded, 1, timeout=5)
    assert seen.outcome == ("error", "WorkflowTimeout", "workflow 'test' timed out after 5s")
