"""Started children on named queues in both runners (``wfc.testing`` and the durable runtime), compared record for
record by the twin harness: the in-memory runner admits them by the durable rule, at the same virtual times."""

from __future__ import annotations

import pytest

import wfc
from wfc.testing import Cancel

from ..twin.harness import ID, Observed, both
from . import flows


@wfc.workflow
def fan_one(n: int) -> wfc.Workflow[list[int]]:
    handles = []
    for i in range(n):
        h = yield from wfc.start_child(flows.job.options(queue=flows.one), i)
        handles.append(h)
    results = []
    for h in handles:
        r = yield from wfc.join(h)
        results.append(r)
    return results


@wfc.workflow
def fan_two_all(n: int) -> wfc.Workflow[list[int]]:
    handles = []
    for i in range(n):
        h = yield from wfc.start_child(flows.job.options(queue="two"), i)
        handles.append(h)
    out = yield wfc.all_of(*[wfc.join(h) for h in handles])
    return list(out)


@wfc.workflow
def ranked(priorities: list[int]) -> wfc.Workflow[list[int]]:
    handles = []
    for i, p in enumerate(priorities):
        h = yield from wfc.start_child(flows.job.options(queue=flows.ranked, priority=p), i)
        handles.append(h)
    out = yield wfc.all_of(*[wfc.join(h) for h in handles])
    return list(out)


@wfc.workflow
def tenants(keys: list[str]) -> wfc.Workflow[list[int]]:
    handles = []
    for i, k in enumerate(keys):
        h = yield from wfc.start_child(flows.job.options(queue=flows.tenants, partition_key=k), i)
        handles.append(h)
    out = yield wfc.all_of(*[wfc.join(h) for h in handles])
    return list(out)


@wfc.workflow
def paced(n: int) -> wfc.Workflow[list[int]]:
    handles = []
    for i in range(n):
        h = yield from wfc.start_child(flows.quick.options(queue=flows.paced), i)
        handles.append(h)
    results = []
    for h in handles:
        r = yield from wfc.join(h)
        results.append(r)
    return results


@wfc.workflow
def per_worker(n: int) -> wfc.Workflow[list[int]]:
    handles = []
    for i in range(n):
        h = yield from wfc.start_child(flows.job.options(queue=flows.per_worker), i)
        handles.append(h)
    out = yield wfc.all_of(*[wfc.join(h) for h in handles])
    return list(out)


@wfc.workflow
def dedup_twice() -> wfc.Workflow[str]:
    first = yield from wfc.start_child(flows.job.options(queue=flows.unlimited, dedup_id="d-1"), 1)
    try:
        yield from wfc.start_child(flows.job.options(queue=flows.unlimited, dedup_id="d-1"), 2)
    except wfc.StepFailed as exc:
        got = yield from wfc.join(first)
        return f"{got}: {exc}"
    return "not refused"


@wfc.workflow
def called_on_a_queue() -> wfc.Workflow[int]:
    r = yield flows.job.options(queue=flows.one)(1)
    return r


@wfc.workflow
def called_behind_a_started_one() -> wfc.Workflow[list[int]]:
    """A started child takes the queue's only slot; the called one waits in line behind it, its parent at the
    call, then runs once the first has ended."""
    first = yield from wfc.start_child(flows.job.options(queue=flows.one), 1)
    second = yield flows.job.options(queue=flows.one)(2)
    got = yield from wfc.join(first)
    return [got, second]


@wfc.workflow
def called_together(n: int) -> wfc.Workflow[list[int]]:
    """Called children on a queue of two, all at once: two run, the rest wait in line, the all_of waits for all."""
    out = yield wfc.all_of(*[flows.job.options(queue="two")(i) for i in range(n)])
    return list(out)


@wfc.workflow
def called_ranked(priorities: list[int]) -> wfc.Workflow[list[int]]:
    blocker = yield from wfc.start_child(flows.job.options(queue=flows.ranked, priority=0), 9)
    calls = [flows.job.options(queue=flows.ranked, priority=p)(i) for i, p in enumerate(priorities)]
    out = yield wfc.all_of(*calls)
    yield from wfc.join(blocker)
    return list(out)


@wfc.workflow(max_parallelism=1)
def called_in_a_window(n: int) -> wfc.Workflow[list[int]]:
    """Held by the workflow's window first, then by the queue: a released call is enqueued with its options."""
    out = yield wfc.all_of(*[flows.job.options(queue=flows.tenants, partition_key=f"k{i % 2}")(i) for i in range(n)])
    return list(out)


@wfc.workflow
def called_with_a_taken_dedup_id() -> wfc.Workflow[str]:
    first = yield from wfc.start_child(flows.job.options(queue=flows.unlimited, dedup_id="d-1"), 1)
    try:
        yield flows.job.options(queue=flows.unlimited, dedup_id="d-1")(2)
    except wfc.StepFailed as exc:
        got = yield from wfc.join(first)
        return f"{got}: {exc}"
    return "not refused"


@wfc.workflow
def called_with_bad_options() -> wfc.Workflow[str]:
    try:
        yield flows.job.options(queue=flows.one, priority=3)(1)
    except wfc.StepFailed as exc:
        return str(exc)
    return "not refused"


def test_one_at_a_time_joined_in_turn() -> None:
    assert both(fan_one, 3).outcome == ("ok", [0, 2, 4])


def test_two_at_a_time_joined_together() -> None:
    assert both(fan_two_all, 5).outcome == ("ok", [0, 2, 4, 6, 8])


def test_priority_orders_the_line() -> None:
    seen = both(ranked, [5, 1, 3, 0])
    assert seen.outcome == ("ok", [0, 2, 4, 6])
    starts = {iid: next(r for r in recs if r[2] == "step")[11] for iid, _state, recs in seen.instances if iid != ID}
    assert sorted(starts, key=lambda i: starts[i]) == [f"{ID}/{k}" for k in (4, 2, 3, 1)]  # by priority


def test_partitions_run_side_by_side() -> None:
    assert both(tenants, ["a", "a", "b", "b", "c"]).outcome == ("ok", [0, 2, 4, 6, 8])


def test_rate_limit_on_virtual_time() -> None:
    seen = both(paced, 5)
    starts = sorted(next(r for r in recs if r[2] == "step")[11] for iid, _s, recs in seen.instances if iid != ID)
    assert [(s - starts[0]).total_seconds() for s in starts] == [0, 0, 10, 10, 20]


def test_worker_concurrency_with_one_worker() -> None:
    """One worker (the harness's durable runtime, and wfc.testing): its own limit is the queue's limit."""
    seen = both(per_worker, 3)
    starts = sorted(next(r for r in recs if r[2] == "step")[11] for iid, _s, recs in seen.instances if iid != ID)
    assert [(s - starts[0]).total_seconds() for s in starts] == [0, 10, 20]


def test_a_taken_dedup_id_raises_at_the_yield() -> None:
    seen = both(dedup_twice)
    assert seen.outcome[0] == "ok" and "WFC446" not in seen.outcome[1]
    assert "already has an instance with dedup_id 'd-1'" in seen.outcome[1] and f"{ID}/1" in seen.outcome[1]


def _first_step(seen: Observed) -> dict[str, float]:
    """When each child's first step started, in seconds after the first of them."""
    starts = {iid: next(r for r in recs if r[2] == "step")[11] for iid, _s, recs in seen.instances if iid != ID}
    first = min(starts.values())
    return {iid: (at - first).total_seconds() for iid, at in starts.items()}


def test_a_called_child_waits_on_a_queue() -> None:
    assert both(called_on_a_queue).outcome == ("ok", 2)


def test_a_called_child_waits_in_line_behind_a_started_one() -> None:
    seen = both(called_behind_a_started_one)
    assert seen.outcome == ("ok", [2, 4])
    assert _first_step(seen) == {f"{ID}/1": 0.0, f"{ID}/2": 10.0}  # admitted when the first ended


def test_called_children_together_on_a_queue_of_two() -> None:
    seen = both(called_together, 5)
    assert seen.outcome == ("ok", [0, 2, 4, 6, 8])
    assert sorted(_first_step(seen).values()) == [0, 0, 10, 10, 20]


def test_called_children_in_line_by_priority() -> None:
    seen = both(called_ranked, [5, 1, 3])
    assert seen.outcome == ("ok", [0, 2, 4])
    starts = _first_step(seen)
    assert sorted(starts, key=lambda i: starts[i]) == [f"{ID}/1", f"{ID}/2.1", f"{ID}/2.2", f"{ID}/2.0"]


def test_called_children_held_by_a_window_then_by_their_queue() -> None:
    seen = both(called_in_a_window, 4)
    assert seen.outcome == ("ok", [0, 2, 4, 6])


def test_a_called_child_with_a_taken_dedup_id_raises_at_the_yield() -> None:
    seen = both(called_with_a_taken_dedup_id)
    assert seen.outcome[0] == "ok" and "already has an instance with dedup_id 'd-1'" in seen.outcome[1]


def test_a_called_child_with_bad_queue_options_raises_at_the_yield() -> None:
    seen = both(called_with_bad_options)
    assert seen.outcome[0] == "ok" and "does not order by priority" in seen.outcome[1]


@pytest.mark.parametrize(("at", "force"), [(5.0, True), (5.0, False), (15.0, True), (15.0, False)])
def test_canceling_a_called_child_in_line_or_running(at: float, force: bool) -> None:
    """At 5 the called child waits in line behind the started one (it ends at once); at 15 it runs. Either way
    its parent's call raises wfc.Canceled."""
    events = [Cancel(at=at, to=f"{ID}/2", force=force)]
    seen = both(called_behind_a_started_one, events=events)
    assert seen.outcome[0] == "error" and seen.outcome[1] == "Canceled"
    states = {iid: state for iid, state, _ in seen.instances}
    assert states[f"{ID}/2"] == "canceled"
    assert states[f"{ID}/1"] == ("completed" if at > 10 else "canceled")  # at 5 it runs still: with its parent


def test_canceling_the_parent_cancels_its_called_child_in_line() -> None:
    seen = both(called_behind_a_started_one, events=[Cancel(at=5.0, force=True)])
    assert seen.outcome[1] == "Canceled"
    assert {state for _iid, state, _ in seen.instances} == {"canceled"}


@pytest.mark.parametrize(("at", "force"), [(5.0, True), (5.0, False), (15.0, True), (15.0, False)])
def test_canceling_a_child_in_line_or_running(at: float, force: bool) -> None:
    """At 5 the child waits in line (it ends at once, graceful or not); at 15 it runs (sleeping). The parent ends
    (its join raises) at the moment the last child is admitted: how far that child moved before it was canceled
    is the durable runtime's cycles, which wfc.testing follows record for record."""
    seen = both(fan_one, 3, events=[Cancel(at=at, to=f"{ID}/2", force=force)])
    assert seen.outcome == ("error", "Canceled", f"workflow '{ID}/2' was canceled")
    assert dict((iid, state) for iid, state, _ in seen.instances)[f"{ID}/3"] == "canceled"  # with its parent


@wfc.workflow(timeout=15)
def timed_job(x: int) -> wfc.Workflow[int]:
    yield wfc.sleep(10)
    return x


@wfc.workflow
def fan_timed(n: int) -> wfc.Workflow[list[str]]:
    handles = []
    for i in range(n):
        h = yield from wfc.start_child(timed_job.options(queue=flows.one), i)
        handles.append(h)
    out = []
    for h in handles:
        try:
            r = yield from wfc.join(h)
            out.append(f"ok {r}")
        except wfc.StepFailed as exc:
            out.append(f"failed {exc.type_name}")
    return out


def test_a_timeout_counts_from_the_enqueue() -> None:
    """A 15s timeout counts from the start, the wait in line included: the second, admitted at 10, times out
    sleeping; the third, still in line at 15, ends there (as the durable runtime's deadline row ends it)."""
    seen = both(fan_timed, 3)
    timed_out = "failed wfc.errors.WorkflowTimeout"
    assert seen.outcome == ("ok", ["ok 0", timed_out, timed_out])
    records = {iid: recs for iid, _state, recs in seen.instances}
    kinds = {iid: [r[2] for r in recs] for iid, recs in records.items()}
    assert kinds[f"{ID}/3"] == ["deadline"] and kinds[f"{ID}/2"] == ["deadline", "sleep", "cancel"]  # never admitted
