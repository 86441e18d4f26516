"""A workflow's window (``max_parallelism``) and delayed steps (``run_after``, ``run_at``): a step held by the
window keeps its own due time, so released it runs then, or at once if the window freed later — the same in both
runners, record for record (the durable runtime lost the delay: a held step ran when released, found by the
generated twin test with started children and windows on), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import wfc
from wfc.testing import FakeClock

from .. import pg
from .harness import both

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)  # the harness's virtual and fake clocks start here


@wfc.step
def value(n: int) -> int:
    return n * 10


@wfc.workflow(max_parallelism=1)
def held_with_a_delay() -> wfc.Workflow[Any]:
    # the second step is held behind the first (done at 0), then due at its own 3 s
    return (yield wfc.all_of(value(1), value(2).options(run_after=3.0)))


@wfc.workflow(max_parallelism=1)
def released_after_its_delay() -> wfc.Workflow[Any]:
    # the second step's own 2 s have passed when the first (5 s) frees the window: it runs at 5
    return (yield wfc.all_of(value(1).options(run_after=5.0), value(2).options(run_after=2.0)))


@wfc.workflow(max_parallelism=2)
def a_window_of_two() -> wfc.Workflow[Any]:
    return (
        yield wfc.any_of(
            wfc.all_of(value(1), value(2).options(run_after=1.5), value(3).options(run_after=4.0)),
            wfc.sleep(10),
        )
    )


@wfc.workflow(max_parallelism=1)
def held_until_a_time() -> wfc.Workflow[Any]:
    return (yield wfc.all_of(value(1), value(2).options(run_at=T0 + dt.timedelta(seconds=7))))


def _starts(workflow: Any) -> list[float]:
    seen = both(workflow)
    ((_id, _state, records),) = seen.instances
    return [(r[11] - T0).total_seconds() for r in records if r[2] == "step"]  # each step's started_at


def test_a_held_step_keeps_its_run_after() -> None:
    assert _starts(held_with_a_delay) == [0.0, 3.0]


def test_a_held_step_released_after_its_delay_runs_then() -> None:
    assert _starts(released_after_its_delay) == [5.0, 5.0]


def test_a_window_of_two_with_delays() -> None:
    assert _starts(a_window_of_two) == [0.0, 1.5, 4.0]


def test_a_held_step_keeps_its_run_at() -> None:
    assert _starts(held_until_a_time) == [0.0, 7.0]


url = pg.store_urls("windows")


def test_durable_on_both_stores(url: str) -> None:
    clock = FakeClock(T0)
    with wfc.Runtime(url, clock=clock, max_parallelism=1) as rt:
        wid = rt.start(held_with_a_delay)
        rt.run_until_idle()
        assert not rt.status(wid).finished  # the held step was released, but is not due before 3 s
        assert rt.store.next_due(clock.now()) == T0.timestamp() + 3.0
        assert rt.run_until_complete(wid) == (10, 20)
        records = rt.history(wid)
        assert [r.started_at for r in records] == [T0, T0 + dt.timedelta(seconds=3)]
