"""Started, named and windowed children behave the same in wfc.testing and the durable runtime: outcome and
every instance's history, record for record (tests/twin/harness.py)."""

from __future__ import annotations

from typing import Any

from tests.twin.harness import ID, both

from . import flows


def _states(seen: Any) -> dict[str, str]:
    return {iid: state for iid, state, _ in seen.instances}


def test_start_child_goes_on_and_join_waits_for_it() -> None:
    seen = both(flows.start_then_join, 3)
    assert seen.outcome == ("ok", [6, 6])
    assert _states(seen) == {ID: "completed", f"{ID}/1": "completed"}


def test_join_of_a_child_that_ended_returns_at_once() -> None:
    seen = both(flows.join_after_it_ended, 4)
    assert seen.outcome == ("ok", [5, 8, 5])


def test_a_join_that_loses_a_race_leaves_the_child_running() -> None:
    seen = both(flows.join_with_a_timeout, 2)
    assert seen.outcome == ("ok", [1, 4])
    assert _states(seen)[f"{ID}/1"] == "completed"


def test_started_children_are_canceled_with_their_parent_unless_detached() -> None:
    seen = both(flows.leaves_children, 1)
    assert seen.outcome == ("ok", f"{ID}/1 {ID}/2")
    assert _states(seen) == {ID: "completed", f"{ID}/1": "canceled", f"{ID}/2": "completed"}


def test_chosen_child_ids_and_a_taken_id() -> None:
    seen = both(flows.named, 1)
    assert seen.outcome == ("ok", ["started-1", 4, 6, 2, "WFC414", "WFC414"])
    assert {"started-1", "called-1", "options-1"} <= set(_states(seen))
    assert "twin" not in _states(seen)  # the all_of failed at once: neither of its children started


def test_join_raises_the_childs_failure() -> None:
    assert both(flows.join_a_failure, 7).outcome == ("ok", "caught kid 7 failed")


def test_join_of_a_handle_this_workflow_did_not_start() -> None:
    assert both(flows.join_a_stranger, 0).outcome == ("ok", "WFC415")


def test_children_without_steps() -> None:
    assert both(flows.children_without_steps, 1).outcome == ("ok", [2, 3, 2, 3])


def _running_at_once(seen: Any) -> int:
    """The most children of the parent running at one moment, from their records' start and end times."""
    parent = dict((iid, records) for iid, _, records in seen.instances)[ID]
    spans = [(r[11], r[12]) for r in parent if r[2] == "child"]  # started_at, finished_at
    assert all(s is not None and e is not None for s, e in spans)
    moments = sorted({s for s, _ in spans})
    return max(sum(1 for s, e in spans if s <= t < e) for t in moments)


def test_max_parallelism_bounds_a_fan_out_of_children() -> None:
    seen = both(flows.windowed, [3, 1, 2, 1, 1])
    assert seen.outcome == ("ok", [6, 2, 4, 2, 2])
    assert _running_at_once(seen) == 2


def test_max_parallelism_counts_steps_and_children_together() -> None:
    seen = both(flows.windowed_mixed, [1, 2, 3, 4, 5])
    assert seen.outcome == ("ok", [2, 4, 6, 8, 10])


def test_a_fan_out_of_started_children_joined_together() -> None:
    seen = both(flows.started_fan_out, [1, 2, 3])
    assert seen.outcome == ("ok", [2, 4, 6])


def test_a_parents_graceful_cancel_reaches_the_child_it_calls_and_the_one_it_started() -> None:
    from wfc.testing import Cancel

    flows.CLEANED.clear()
    seen = both(flows.careful_parent, 1, events=[Cancel(at=5)])
    assert seen.outcome[:2] == ("error", "Canceled")
    assert {iid: state for iid, state, _ in seen.instances} == {"test": "canceled", "test/1": "canceled",
                                                                "test/2": "canceled"}  # fmt: skip
    assert seen.steps == ("clean", "clean", "clean")
