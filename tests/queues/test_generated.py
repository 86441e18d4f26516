"""Generated starts on named queues: random mixes of queues (concurrency, rate, priority, partitions, a worker's own
limit), naps and pauses between starts, run in both runners and compared record for record (the in-memory runner
must admit every child when the durable runtime does)."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..twin.harness import both
from . import flows

_QUEUES = ["one", "two", "ranked", "tenants", "paced", "per_worker", "unlimited"]


@st.composite
def _spec(draw: st.DrawFn) -> dict[str, Any]:
    queue = draw(st.sampled_from(_QUEUES))
    spec: dict[str, Any] = {"queue": queue, "nap": draw(st.sampled_from([0, 3, 10]))}
    if queue == "ranked":
        spec["priority"] = draw(st.integers(0, 3))
    if queue == "tenants":
        spec["key"] = draw(st.sampled_from(["a", "b"]))
    if draw(st.booleans()):
        spec["pause"] = draw(st.sampled_from([1, 5]))
    return spec


@settings(
    max_examples=int(os.environ.get("WFC_QUEUE_EXAMPLES", "40")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(specs=st.lists(_spec(), min_size=1, max_size=7))
def test_random_starts_on_queues_agree(specs: list[dict[str, Any]]) -> None:
    seen = both(flows.started_on_queues, specs)
    assert seen.outcome == ("ok", [2 * i for i in range(len(specs))])


@st.composite
def _mixed(draw: st.DrawFn) -> dict[str, Any]:
    return {**draw(_spec()), "called": draw(st.booleans())}


@settings(
    max_examples=int(os.environ.get("WFC_QUEUE_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(specs=st.lists(_mixed(), min_size=1, max_size=6))
def test_random_called_and_started_children_on_queues_agree(specs: list[dict[str, Any]]) -> None:
    seen = both(flows.called_and_started_on_queues, specs)
    assert seen.outcome == ("ok", [2 * i for i in range(len(specs))])
