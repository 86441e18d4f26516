"""Events and races, the same in both runners: a losing ``wait_event`` consumes nothing, and of events there at
once the one *sent* first wins (not the lowest index)."""

from __future__ import annotations

import random
from typing import Any

import pytest

import wfc
from wfc.testing import Event

from .harness import both


@wfc.step
def note(x: int) -> int:
    return x


@wfc.workflow
def race_then_wait() -> tuple[int, Any, Any]:
    which, first = yield wfc.any_of(wfc.wait_event("a"), wfc.wait_event("b"))
    second = yield wfc.wait_event("b", timeout=60)
    return which, first, second


@pytest.mark.parametrize("at", [0.0, 5.0])  # sent before the race, or in a burst while it waits
def test_a_losing_wait_leaves_its_event_for_the_next_wait(at: float) -> None:
    seen = both(race_then_wait, events=[Event("a", 1, at=at), Event("b", 2, at=at)])
    assert seen.outcome == ("ok", (0, 1, 2))


@wfc.workflow
def race_then_the_other() -> tuple[int, Any, Any]:
    which, first = yield wfc.any_of(wfc.wait_event("a"), wfc.wait_event("b"))
    other = yield wfc.wait_event("a" if which == 1 else "b", timeout=60)
    return which, first, other


@pytest.mark.parametrize("at", [0.0, 5.0])
def test_of_events_there_at_once_the_one_sent_first_wins(at: float) -> None:
    # b is the second wait but was sent first: b wins, and the next wait takes a
    flow = race_then_the_other
    assert both(flow, events=[Event("b", 2, at=at), Event("a", 1, at=at)]).outcome == ("ok", (1, 2, 1))
    assert both(flow, events=[Event("a", 1, at=at), Event("b", 2, at=at)]).outcome == ("ok", (0, 1, 2))


@wfc.workflow
def sleep_or_event() -> Any:
    return (yield wfc.any_of(wfc.sleep(0), wfc.wait_event("a")))


def test_an_event_sent_before_wins_over_a_zero_sleep_at_any_index() -> None:
    assert both(sleep_or_event, events=[Event("a", 7)]).outcome == ("ok", (1, 7))


@wfc.workflow
def signals() -> list[Any]:
    got: list[Any] = []
    while True:
        which, value = yield wfc.any_of(wfc.wait_event("signal"), wfc.wait_event("stop"))
        if which == 1:
            break
        got.append(value)
    return got


def test_a_signal_loop_takes_every_signal_in_order() -> None:
    events = [Event("signal", i, at=float(i // 3)) for i in range(9)] + [Event("stop", None, at=2.0)]
    # stop was sent after the signals of its moment but before those sent later: they are never taken
    assert both(signals, events=events).outcome == ("ok", [0, 1, 2, 3, 4, 5, 6, 7, 8])


# ---- generated races: random trees of waits, zero and real sleeps, and steps; random event schedules ----------


def _spec(rng: random.Random, depth: int) -> list[Any]:
    """A random command tree as plain data (the workflow builds it: its arguments are data)."""
    kind = rng.random()
    if depth > 0 and kind < 0.35:
        items = [_spec(rng, depth - 1) for _ in range(rng.randint(1, 3))]
        return ["any" if rng.random() < 0.6 else "all", items]
    kind = rng.random()
    if kind < 0.55:
        return ["wait", rng.choice("ab"), rng.choice([None, None, 0, 3.0, 10.0])]
    if kind < 0.75:
        return ["sleep", rng.choice([0, 2.0, 4.0])]
    return ["step", rng.randint(0, 9)]


def build(spec: list[Any]) -> Any:
    kind = spec[0]
    if kind == "any":
        return wfc.any_of(*[build(s) for s in spec[1]])
    if kind == "all":
        return wfc.all_of(*[build(s) for s in spec[1]])
    if kind == "wait":
        return wfc.wait_event(spec[1], timeout=spec[2])
    if kind == "sleep":
        return wfc.sleep(spec[1])
    return note(spec[1])


@wfc.workflow
def generated_race(specs: list[list[Any]]) -> list[Any]:
    out: list[Any] = []
    for spec in specs:
        try:
            value = yield build(spec)
            out.append(value)
        except wfc.Timeout as exc:
            out.append(["timeout", str(exc)])
        except wfc.StepFailed as exc:
            out.append(["failed", str(exc)])
    tail = yield wfc.any_of(wfc.wait_event("a", timeout=100), wfc.wait_event("b", timeout=100))
    out.append(tail)
    return out


@pytest.mark.parametrize("seed", range(100))
def test_generated_races_agree(seed: int) -> None:
    rng = random.Random(seed)
    specs = [_spec(rng, 2) for _ in range(3)]
    events = [
        Event(
            rng.choice("ab"),
            i,
            error="no" if rng.random() < 0.1 else None,
            at=rng.choice([0.0, 0.0, 2.0, 3.0, 5.0]),
        )
        for i in range(rng.randint(0, 7))
    ]
    both(generated_race, specs, events=events)
