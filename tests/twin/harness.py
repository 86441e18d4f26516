"""Run one workflow through ``wfc.testing`` and through ``wfc.Runtime`` (SQLite in memory, a fake clock) with the
same input and events, and describe what each observed in the same terms, so a test can compare them.

Events are :class:`wfc.testing.Event` s: the durable run sends each at its ``at`` offset of the fake clock (those
at 0 right after the start), running everything due in between, as the in-memory runner's virtual time does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

import wfc
import wfc.testing
from wfc.testing import Event, FakeClock


@attrs.frozen
class Observed:
    """What a run ended with: ``("ok", value)`` or ``("error", type name, message)``, and the steps it called
    (one name per attempt, sorted: parallel steps may run in any order)."""

    outcome: tuple[Any, ...]
    steps: tuple[str, ...]


def _outcome_of_error(exc: BaseException) -> tuple[Any, ...]:
    return ("error", type(exc).__name__, re.sub(r"x[0-9a-f]{8,}", "x...", str(exc)))  # reprs name addresses


LIMIT = 1 << 20


def in_memory(
    workflow: Any, *args: Any, events: Sequence[Event] = (), limit: int = LIMIT, **kwargs: Any
) -> Observed:
    try:
        result = wfc.testing.execute(workflow, *args, events=list(events), max_value_size=limit, **kwargs)
    except wfc.WfcError as exc:
        if exc.code == "WFC408":  # waits for an event never sent
            return Observed(("stuck",), ())
        return Observed(_outcome_of_error(exc), ())  # refused at the start, as Runtime.start refuses
    outcome = ("ok", result.value) if result.error is None else _outcome_of_error(result.error)
    return Observed(outcome, tuple(sorted(c.name for c in result.calls)))


def durable(
    workflow: Any, *args: Any, events: Iterable[Event] = (), limit: int = LIMIT, **kwargs: Any
) -> Observed:
    clock = FakeClock()
    t0 = clock.now()
    pending = sorted(events, key=lambda e: e.at)
    with wfc.Runtime("sqlite:///:memory:", clock=clock, max_value_size=limit) as rt:
        try:
            wid = rt.start(workflow, *args, **kwargs)
        except wfc.WfcError as exc:
            return Observed(_outcome_of_error(exc), ())
        while True:
            while pending and pending[0].at + t0 <= clock.now():
                event = pending.pop(0)
                rt.send_event(wid, event.name, event.value, error=event.error)
            rt.run_until_idle()
            status = rt.status(wid)
            if status.finished:
                break
            assert not status.blocked, status.blocked
            due = rt.store.next_due(clock.now())
            if pending and (due is None or pending[0].at + t0 <= due):
                clock.set(pending[0].at + t0)
            elif due is not None:
                clock.set(due)
            else:
                return Observed(("stuck",), ())  # waits for an event never sent
        try:
            outcome: tuple[Any, ...] = ("ok", rt.result(wid))
        except Exception as exc:
            outcome = _outcome_of_error(exc)
        return Observed(outcome, _steps(rt, wid))


def _steps(rt: wfc.Runtime, wid: str) -> tuple[str, ...]:
    # one name per attempt, as the in-memory runner records them
    return tuple(
        sorted(r.name for r in rt.history(wid) if r.kind in ("step", "tx") for _ in range(r.attempts))
    )


def both(
    workflow: Any, *args: Any, events: Sequence[Event] = (), limit: int = LIMIT, **kwargs: Any
) -> Observed:
    """Run in both runners, assert they agree, and return what they observed."""
    want = in_memory(workflow, *args, events=events, limit=limit, **kwargs)
    got = durable(workflow, *args, events=events, limit=limit, **kwargs)
    assert got == want, f"durable {got} != in-memory {want}"
    return want
