"""Run one workflow through ``wfc.testing`` and through ``wfc.Runtime`` (SQLite in memory, a fake clock) with the
same input and events, and describe what each observed in the same terms, so a test can compare them: the outcome
and every instance's whole history (each record of ``Runtime.history(id)``, field by field), with how each
instance ended.

Events are :class:`wfc.testing.Event` s and :class:`wfc.testing.Cancel` s: the durable run sends each at its ``at`` offset of the fake clock (those
at 0 right after the start), running everything due in between, as the in-memory runner's virtual time does; an
event for a child workflow (``to=``) is sent only while that instance runs, the rule ``wfc.testing`` follows.

Both runs use the instance id ``"test"``, so child ids are the same. The durable runtime runs one step at a time
(``max_parallelism=1``): steps of one moment then report in index order, the order ``wfc.testing`` ranks them in
(with a pool, steps that finish at the same virtual moment report in the order the threads end). Every field of
every record is compared, tracebacks included; only memory addresses in reprs (``0x7f...``) are masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

import wfc
import wfc.runtime.errors
import wfc.testing
from wfc.testing import Cancel, Event, FakeClock

ID = "test"


@attrs.frozen
class Observed:
    """What a run ended with: ``("ok", value)`` or ``("error", type name, message)``, and the steps it called
    (one name per attempt, sorted), and every instance's history and end (``instances``: id → (state, records))."""

    outcome: tuple[Any, ...]
    steps: tuple[str, ...]
    instances: tuple[tuple[str, str, tuple[Any, ...]], ...] = ()
    runs: tuple[tuple[str, int], ...] = ()  # each instance's run number (wfc.continue_as_new)


def _outcome_of_error(exc: BaseException) -> tuple[Any, ...]:
    return ("error", type(exc).__name__, _addresses(str(exc)))


def _addresses(text: str) -> str:
    return re.sub(r"x[0-9a-f]{8,}", "x...", text)  # reprs name addresses


def _value(v: Any) -> Any:
    """A value as compared: reprs of objects without equality (a lambda, an exception) compare by text."""
    if isinstance(v, BaseException) or (type(v).__eq__ is object.__eq__ and not isinstance(v, type)):
        return ("repr", type(v).__name__, _addresses(repr(v)))
    return v


def record(r: Any) -> tuple[Any, ...]:
    """A history record as compared, every field."""
    return (
        r.seq, r.path, r.kind, r.name, tuple(_value(a) for a in r.args),
        {k: _value(v) for k, v in r.kwargs.items()}, r.status, _value(r.result),
        None if r.error is None else _addresses(r.error), r.attempts, r.scheduled_at, r.started_at, r.finished_at,
        r.state_id, r.child_id, None if r.traceback is None else _addresses(r.traceback),
        tuple((a.attempt, _addresses(a.error), a.traceback and _addresses(a.traceback), a.started_at,
               a.finished_at) for a in r.failed_attempts),
        r.failed_attempts_omitted,
    )  # fmt: skip


def _instances(histories: dict[str, list[Any]], states: dict[str, str]) -> tuple[Any, ...]:
    return tuple(
        (iid, states[iid], tuple(record(r) for r in histories[iid])) for iid in sorted(histories)
    )


def _steps_of(histories: dict[str, list[Any]]) -> tuple[str, ...]:
    # one name per attempt the history shows, as the in-memory runner records them
    return tuple(
        sorted(
            r.name for h in histories.values() for r in h if r.kind in ("step", "tx") for _ in range(r.attempts)
        )
    )


LIMIT = 1 << 20


def in_memory(
    workflow: Any, *args: Any, events: Sequence[Event | Cancel] = (), limit: int = LIMIT, **kwargs: Any
) -> Observed:
    try:
        result = wfc.testing.execute(
            workflow, *args, events=list(events), max_value_size=limit, workflow_id=ID, **kwargs
        )
    except wfc.WfcError as exc:
        if exc.code == "WFC408":  # waits for an event never sent
            return Observed(("stuck",), ())
        if exc.code == "WFC420":  # an event for an instance the run never started
            return Observed(("unknown instance",), ())
        return Observed(_outcome_of_error(exc), ())  # refused at the start, as Runtime.start refuses
    outcome = ("ok", result.value) if result.error is None else _outcome_of_error(result.error)
    runs = tuple(sorted(result.runs.items()))
    return Observed(outcome, _steps_of(result.histories), _instances(result.histories, result.states), runs)


def durable(
    workflow: Any, *args: Any, events: Iterable[Event | Cancel] = (), limit: int = LIMIT, ids: Sequence[str] = (),
    **kwargs: Any,
) -> Observed:
    """``ids``: instances to read besides those the histories name (children of a run that continued as new: its
    records that named them are gone)."""
    clock = FakeClock()
    t0 = clock.now()
    events = list(events)
    pending = sorted(events, key=lambda e: e.at)
    with wfc.Runtime("sqlite:///:memory:", clock=clock, max_value_size=limit, max_parallelism=1) as rt:
        try:
            wid = rt.start(workflow, *args, id=ID, **kwargs)
        except wfc.WfcError as exc:
            return Observed(_outcome_of_error(exc), ())
        if not drive(rt, clock, wid, pending, t0):
            return Observed(("stuck",), ())  # waits for an event never sent
        if any(e.to is not None and not _exists(rt, e.to) for e in events):
            return Observed(("unknown instance",), ())
        try:
            outcome: tuple[Any, ...] = ("ok", rt.result(wid))
        except Exception as exc:
            outcome = _outcome_of_error(exc)
        histories, states = _all_instances(rt, wid, ids)
        runs = tuple(sorted((iid, rt.status(iid).run) for iid in histories))
        return Observed(outcome, _steps_of(histories), _instances(histories, states), runs)


def drive(rt: wfc.Runtime, clock: FakeClock, wid: str, pending: list[Any], t0: float) -> bool:
    """Run ``wid`` until it ends, sending each of ``pending`` (events, cancels) at its offset from ``t0`` and
    moving the clock to each next due time; ``False`` if it waits for something never sent."""
    while True:
        while pending and pending[0].at + t0 <= clock.now():
            _send(rt, wid, pending.pop(0))
        rt.run_until_idle()
        status = rt.status(wid)
        if status.finished:
            # detached children run on after their parent: wfc.testing runs them to their end too
            while (due := rt.store.next_due(clock.now())) is not None:
                clock.set(max(due, clock.now()))
                rt.run_until_idle()
            return True
        assert not status.blocked, status.blocked
        due = rt.store.next_due(clock.now())
        if pending and (due is None or pending[0].at + t0 <= due):
            clock.set(pending[0].at + t0)
        elif due is not None:
            clock.set(due)
        else:
            return False


def _send(rt: wfc.Runtime, wid: str, event: Event | Cancel) -> None:
    target = event.to or wid
    if isinstance(event, Cancel):  # refused for an instance not running: wfc.testing ignores those
        try:
            rt.cancel(target, force=event.force)
        except (wfc.runtime.errors.AlreadyFinished, wfc.runtime.errors.UnknownInstance):
            pass
        return
    if target != wid:  # a child: only while it runs (wfc.testing's rule; send_event refuses the others)
        try:
            if rt.status(target).finished:
                return
        except wfc.WfcError:
            return
    rt.send_event(target, event.name, event.value, error=event.error)


def _all_instances(
    rt: wfc.Runtime, wid: str, ids: Sequence[str] = ()
) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """The instance and its descendants (by the child ids its history names, and ``ids`` that exist), with their
    histories and ends."""
    histories: dict[str, list[Any]] = {}
    states: dict[str, str] = {}
    todo = [wid, *(i for i in ids if _exists(rt, i))]
    while todo:
        iid = todo.pop()
        if iid in histories:
            continue
        histories[iid] = rt.history(iid)
        states[iid] = str(rt.status(iid).state)
        todo += [r.child_id for r in histories[iid] if r.child_id is not None and _exists(rt, r.child_id)]
    return histories, states


def _exists(rt: wfc.Runtime, iid: str) -> bool:
    try:
        rt.status(iid)
        return True
    except wfc.WfcError:
        return False


def both(
    workflow: Any, *args: Any, events: Sequence[Event | Cancel] = (), limit: int = LIMIT, **kwargs: Any
) -> Observed:
    """Run in both runners, assert they agree record for record, and return what they observed."""
    want = in_memory(workflow, *args, events=events, limit=limit, **kwargs)
    got = durable(workflow, *args, events=events, limit=limit, ids=[i[0] for i in want.instances], **kwargs)
    assert got.outcome == want.outcome, f"durable {got.outcome} != in-memory {want.outcome}"
    assert got.steps == want.steps, f"durable {got.steps} != in-memory {want.steps}"
    _same_instances(got.instances, want.instances)
    assert got.runs == want.runs, f"run numbers: durable {got.runs} != in-memory {want.runs}"
    return want


def _same_instances(got: tuple[Any, ...], want: tuple[Any, ...]) -> None:
    assert [i[:2] for i in got] == [i[:2] for i in want], "instances (id, state) differ"
    for (iid, _, g), (_, _, w) in zip(got, want, strict=True):
        assert len(g) == len(w), f"{iid}: {len(g)} durable records != {len(w)} in memory\n{g}\n{w}"
        for a, b in zip(g, w, strict=True):
            assert a == b, f"{iid}: record differs\ndurable:   {a}\nin memory: {b}\n" + "\n".join(
                f"  field {n}: {x!r} != {y!r}" for n, (x, y) in enumerate(zip(a, b, strict=True)) if x != y
            )


def without_state_ids(seen: Observed) -> Observed:
    """``seen`` with every record's ``state_id`` blanked: a ``native=True`` run drives the generator itself, which
    has no states (docs/testing.md, "Differences that remain")."""
    return attrs.evolve(
        seen,
        instances=tuple(
            (iid, state, tuple((*r[:13], None, *r[14:]) for r in records)) for iid, state, records in seen.instances
        ),
    )

