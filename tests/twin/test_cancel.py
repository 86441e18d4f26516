"""A cancel reaches the workflow: ``wfc.Canceled`` is raised at its current ``yield`` once what it waits on is
canceled, so ``except wfc.Canceled`` and ``finally`` run cleanup steps; it ends ``canceled`` when the error ends
it. The same in both runners, record for record (``wfc.testing.Cancel`` / ``Runtime.cancel``)."""

from __future__ import annotations

from typing import Any

import pytest

import wfc
from wfc.testing import Cancel, Event

from .harness import both


@wfc.step
def work(n: int) -> int:
    return n


@wfc.step(retry=wfc.RetryPolicy(max_attempts=5, initial_backoff=10.0, backoff_base=1.0, jitter=0.0))
def flaky(n: int) -> int:
    raise ConnectionError(f"down {n}")


@wfc.step
def cleanup(what: str) -> str:
    return f"undone {what}"


@wfc.workflow
def sleeper_with_cleanup(n: int) -> Any:
    log = []
    try:
        yield from work(n)
        yield from wfc.sleep(100)
        return "finished"
    except wfc.Canceled:
        undone = yield from cleanup("booking")
        log.append(undone)
        raise
    finally:
        log.append("finally")
        wfc.set_status("log", log)


@wfc.workflow
def cleanup_that_waits() -> Any:
    try:
        yield from wfc.wait_event("never")
    finally:
        yield from wfc.sleep(50)  # a cleanup that itself waits: a second cancel does not interrupt it
        yield from cleanup("slowly")


@wfc.workflow
def catches_and_returns() -> Any:
    try:
        yield from wfc.wait_event("go")
    except wfc.Canceled as exc:
        return f"stopped: {type(exc).__name__}"
    return "went"


@wfc.workflow
def races_and_fans_out() -> Any:
    try:
        yield from wfc.any_of(wfc.sleep(30), wfc.all_of(flaky(1), wfc.wait_event("a"), work(2)))
    except wfc.Canceled:
        again = yield from wfc.wait_event("a", timeout=5)  # the event the canceled wait took is still there
        return ["canceled", again]
    return "no"


@wfc.workflow
def child_job(n: int) -> Any:
    try:
        yield from wfc.sleep(100)
    except wfc.Canceled:
        yield from cleanup(f"child {n}")
        raise
    return n


@wfc.workflow
def parent_of_child() -> Any:
    try:
        return (yield from child_job(7))
    except wfc.Canceled as exc:
        done = yield from cleanup("parent")
        return ["child canceled", str(exc).split(":")[0], done]


@wfc.workflow
def waits_for_a_child() -> Any:
    try:
        yield from child_job(1)
    finally:
        yield from cleanup("parent")


def test_cleanup_runs_and_the_instance_ends_canceled() -> None:
    seen = both(sleeper_with_cleanup, 3, events=[Cancel(at=5)])
    assert seen.outcome[:2] == ("error", "Canceled")
    [(_, state, records)] = seen.instances
    assert state == "canceled"
    assert [(r[2], r[6]) for r in records] == [
        ("step", "completed"), ("sleep", "canceled"), ("cancel", "completed"), ("step", "completed"),
    ]  # fmt: skip


@pytest.mark.parametrize("native", [False, True])
def test_the_plain_generator_sees_the_same(native: bool) -> None:
    run = wfc.testing.execute(sleeper_with_cleanup, 3, events=[Cancel(at=5)], native=native)
    assert isinstance(run.error, wfc.Canceled) and run.states["test"] == "canceled"
    assert run.statuses == {"log": ["undone booking", "finally"]}


def test_a_second_cancel_does_not_interrupt_the_cleanup_and_force_ends_it() -> None:
    seen = both(cleanup_that_waits, events=[Cancel(at=1), Cancel(at=10)])
    assert seen.outcome[:2] == ("error", "Canceled") and seen.instances[0][1] == "canceled"
    assert "cleanup" in seen.steps
    forced = both(cleanup_that_waits, events=[Cancel(at=1), Cancel(at=10, force=True)])
    assert forced.outcome[:2] == ("error", "Canceled") and forced.instances[0][1] == "canceled"
    assert forced.steps == ()


def test_force_runs_no_more_code() -> None:
    seen = both(sleeper_with_cleanup, 3, events=[Cancel(at=5, force=True)])
    assert seen.outcome[:2] == ("error", "Canceled") and seen.steps == ("work",)


def test_a_workflow_that_catches_the_cancel_and_returns_completes() -> None:
    seen = both(catches_and_returns, events=[Cancel(at=2), Event("go", at=3)])
    assert seen.outcome == ("ok", "stopped: Canceled") and seen.instances[0][1] == "completed"


def test_a_cancel_after_the_end_is_ignored() -> None:
    seen = both(catches_and_returns, events=[Event("go", at=1), Cancel(at=2)])
    assert seen.outcome == ("ok", "went")


def test_a_race_interrupted_gives_its_events_back_and_stops_its_retries() -> None:
    seen = both(races_and_fans_out, events=[Event("a", "A", at=1), Cancel(at=15)])
    assert seen.outcome == ("ok", ["canceled", "A"])
    assert seen.steps.count("flaky") == 2  # attempts at 0 and 10; the retry due at 20 never runs


def test_a_canceled_parent_asks_its_child_to_cancel_and_waits_for_its_cleanup() -> None:
    # Temporal's semantics (issue 14): the child gets a graceful cancel of its own; the parent's yield raises
    # wfc.Canceled once the child has ended, its cleanup run
    seen = both(waits_for_a_child, events=[Cancel(at=5)])
    states = {iid: state for iid, state, _ in seen.instances}
    assert states == {"test": "canceled", "test/1": "canceled"}
    assert seen.steps == ("cleanup", "cleanup")  # the child's, then the parent's
    parent, child = (records for _, _, records in seen.instances)
    assert [(r[2], r[6]) for r in parent] == [("child", "canceled"), ("cancel", "completed"), ("step", "completed")]
    assert [(r[2], r[4]) for r in child][-1] == ("step", ("child 1",))


def test_a_forced_cancel_of_a_parent_ends_its_child_at_once() -> None:
    seen = both(waits_for_a_child, events=[Cancel(at=5, force=True)])
    states = {iid: state for iid, state, _ in seen.instances}
    assert states == {"test": "canceled", "test/1": "canceled"} and seen.steps == ()


def test_a_forced_cancel_while_the_parent_waits_for_its_childs_cleanup_ends_both() -> None:
    seen = both(parent_waits_for_a_slow_cleanup, events=[Cancel(at=5), Cancel(at=20, force=True)])
    states = {iid: state for iid, state, _ in seen.instances}
    assert states == {"test": "canceled", "test/1": "canceled"}
    assert seen.steps == (), "the child's cleanup was still sleeping; the parent's never ran"


@wfc.workflow
def slow_cleanup_child() -> Any:
    try:
        yield from wfc.sleep(100)
    finally:
        yield from wfc.sleep(30)
        yield from cleanup("child, slowly")


@wfc.workflow
def parent_waits_for_a_slow_cleanup() -> Any:
    try:
        yield from slow_cleanup_child()
    finally:
        yield from cleanup("parent")


def test_the_parents_yield_raises_when_the_childs_slow_cleanup_ends() -> None:
    seen = both(parent_waits_for_a_slow_cleanup, events=[Cancel(at=5)])
    assert seen.steps == ("cleanup", "cleanup")
    parent = seen.instances[0][2]
    cancel = next(r for r in parent if r[2] == "cancel")
    assert (cancel[10].second, cancel[12].second) == (5, 35)  # asked at 5, raised when the child ended at 35


@wfc.workflow
def joins_a_started_child() -> Any:
    h = yield from wfc.start_child(child_job, 2)
    try:
        return (yield from wfc.join(h))
    finally:
        yield from cleanup("parent")


def test_a_join_interrupted_waits_for_the_started_childs_cleanup() -> None:
    seen = both(joins_a_started_child, events=[Cancel(at=5)])
    states = {iid: state for iid, state, _ in seen.instances}
    assert states == {"test": "canceled", "test/1": "canceled"} and seen.steps == ("cleanup", "cleanup")


def test_a_canceled_child_runs_its_cleanup_and_its_parent_sees_canceled() -> None:
    seen = both(parent_of_child, events=[Cancel(at=5, to="test/1")])
    assert seen.outcome == ("ok", ["child canceled", "workflow 'test/1' was canceled", "undone parent"])
    states = {iid: state for iid, state, _ in seen.instances}
    assert states == {"test": "completed", "test/1": "canceled"}


@wfc.workflow
def starts_and_sleeps() -> Any:
    yield from wfc.start_child(child_job, 3)
    try:
        yield from wfc.sleep(100)
    finally:
        yield from wfc.sleep(10)  # the parent's cleanup outlasts the child's
        yield from cleanup("parent")


def test_a_started_child_is_asked_to_cancel_with_its_parent() -> None:
    seen = both(starts_and_sleeps, events=[Cancel(at=5)])
    states = {iid: state for iid, state, _ in seen.instances}
    assert states == {"test": "canceled", "test/1": "canceled"}
    assert seen.steps == ("cleanup", "cleanup"), "the child ran its cleanup before its parent ended"


@pytest.mark.parametrize("force", [False, True])
def test_a_cancel_at_the_start_ends_it_before_its_first_transition(force: bool) -> None:
    """A cancel sent with the start comes before the start's transition: no code runs, no records, in both
    runners (there is no `yield` yet to raise wfc.Canceled at)."""
    seen = both(sleeper_with_cleanup, 1, events=[Cancel(at=0, force=force)])
    assert seen.outcome[:2] == ("error", "Canceled")
    assert seen.steps == ()
    assert seen.instances == (("test", "canceled", ()),)


@wfc.step
def noted(n: int) -> int:
    return n


@wfc.workflow
def napping_kid(n: int) -> Any:
    yield from noted(n)
    yield from wfc.sleep(100)
    return n


@wfc.workflow
def parent_without_cleanup(n: int) -> Any:
    handle = yield wfc.start_child(napping_kid, n)
    yield from wfc.wait_event("go")
    return (yield wfc.join(handle))


def test_a_parent_that_ends_at_its_cancel_takes_its_started_child_along() -> None:
    """The parent's graceful cancel asks its started child to cancel and then ends at once (no cleanup): the
    child's own `cancel` record is written by the parent's cancel, and canceled with the child, in both runners."""
    seen = both(parent_without_cleanup, 1, events=[Cancel(at=5)])
    kid = dict((iid, records) for iid, _, records in seen.instances)["test/1"]
    assert [(r[2], r[6]) for r in kid] == [("step", "completed"), ("sleep", "canceled"), ("cancel", "canceled")]
