"""A call held by a fan-out's ``max_parallelism`` window keeps its own time: ``run_after`` and ``run_at`` still
hold when the window releases it (it starts at the later of its due time and its release), in both runners,
record for record — a held call once became due at its release, its delay lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import wfc

from .harness import both


@wfc.step
def work(n: int) -> int:
    return n


@wfc.workflow(max_parallelism=1)
def delayed_in_window() -> Any:
    # The window runs one call at a time: the second and third are held while the first runs.
    got = yield from wfc.all_of(work(1), work(2).options(run_after=30), work(3).options(run_after=5))
    return [list(got), wfc.now().timestamp()]


@wfc.workflow(max_parallelism=1)
def slow_first() -> Any:
    # The first call waits 50 s; the second's 10 s have passed when it is released, so it runs at once.
    got = yield from wfc.all_of(work(1).options(run_after=50), work(2).options(run_after=10))
    return [list(got), wfc.now().timestamp()]


@wfc.workflow(max_parallelism=2)
def at_a_time(when: float) -> Any:
    at = dt.datetime.fromtimestamp(when, dt.UTC)
    got = yield from wfc.all_of([work(k).options(run_at=at) if k == 3 else work(k) for k in range(5)])
    return [got, wfc.now().timestamp()]


@pytest.mark.parametrize("workflow", [delayed_in_window, slow_first], ids=lambda w: w.name)
def test_a_held_call_keeps_its_run_after(workflow: Any) -> None:
    seen = both(workflow)
    ((_, _, records),) = seen.instances
    steps = [r for r in records if r[2] == "step"]
    t0 = min(r[10] for r in steps)  # scheduled_at: when the fan-out was yielded
    starts = [(r[11] - t0).total_seconds() for r in sorted(steps, key=lambda r: r[1])]  # started_at, in index order
    if workflow is delayed_in_window:
        # one at a time: 2 waits for its 30 s, then 3 (whose 5 s have passed) right after it
        assert starts == [0, 30, 30], starts
    else:
        assert starts == [50, 50], starts  # 2's 10 s passed while 1 waited its 50 s


def test_a_held_call_keeps_its_run_at() -> None:
    import time

    when = float(int(time.time()) + 3600)
    seen = both(at_a_time, when)
    assert seen.outcome[0] == "ok"
    ((_, _, records),) = seen.instances
    started = sorted(r[11] for r in records if r[2] == "step")
    assert max(started).timestamp() >= when  # the held call with run_at did not start at its release
