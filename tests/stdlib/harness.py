"""Run a stdlib workflow in both runners and require that they agree record for record.

``tests/twin/harness.py`` compares ``wfc.testing`` with a ``wfc.Runtime`` on SQLite in memory; the stdlib runs on
real stores too, so :func:`durable` here takes the database URL (a SQLite file, a PostgreSQL schema: the
``url`` fixture of ``tests/pg.store_urls``). Everything else — the instance id ``"test"``, a fake clock moved to
each next due time, one step at a time, every field of every record of every instance compared — is the twin
harness's, reused as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import wfc
from tests.twin.harness import (
    ID,
    Observed,
    _all_instances,
    _outcome_of_error,
    _same_instances,
    _steps_of,
    drive,
)
from tests.twin.harness import _instances as instances_of
from wfc.testing import Event, FakeClock


def observe(rt: wfc.Runtime, wid: str) -> Observed:
    try:
        outcome: tuple[Any, ...] = ("ok", rt.result(wid))
    except Exception as exc:
        outcome = _outcome_of_error(exc)
    histories, states = _all_instances(rt, wid)
    return Observed(outcome, _steps_of(histories), instances_of(histories, states))


def in_memory(workflow: Any, *args: Any, events: Sequence[Event] = (), wid: str = ID, **kwargs: Any) -> Observed:
    try:
        result = wfc.testing.execute(workflow, *args, events=list(events), workflow_id=wid, **kwargs)
    except wfc.WfcError as exc:  # refused at the start, as Runtime.start refuses it
        return Observed(_outcome_of_error(exc), ())
    outcome = ("ok", result.value) if result.error is None else _outcome_of_error(result.error)
    return Observed(outcome, _steps_of(result.histories), instances_of(result.histories, result.states))


def durable(
    url: str, workflow: Any, *args: Any, events: Iterable[Event] = (), wid: str = ID, **kwargs: Any
) -> Observed:
    clock = FakeClock()
    t0 = clock.now()
    pending = sorted(events, key=lambda e: e.at)
    with wfc.Runtime(url, clock=clock, max_parallelism=1) as rt:
        try:
            wid = rt.start(workflow, *args, id=wid, **kwargs)
        except wfc.WfcError as exc:  # refused at the start, as wfc.testing refuses it
            return Observed(_outcome_of_error(exc), ())
        if not drive(rt, clock, wid, pending, t0):
            return Observed(("stuck",), ())
        return observe(rt, wid)


def agree(durable_run: Observed, memory_run: Observed) -> Observed:
    """Assert the two runs observed the same; return one."""
    assert durable_run.outcome == memory_run.outcome, f"durable {durable_run.outcome} != in-memory {memory_run.outcome}"
    assert durable_run.steps == memory_run.steps, f"durable {durable_run.steps} != in-memory {memory_run.steps}"
    _same_instances(durable_run.instances, memory_run.instances)
    return memory_run


def both(
    url: str,
    workflow: Any,
    *args: Any,
    events: Sequence[Event] = (),
    before: Callable[[], None] = lambda: None,
    wid: str = ID,
    **kwargs: Any,
) -> Observed:
    """In memory, then durably on ``url`` (``before()`` ahead of each: reset a test server), compared. A second
    run on one database needs its own instance id ``wid``."""
    before()
    want = in_memory(workflow, *args, events=events, wid=wid, **kwargs)
    before()
    got = durable(url, workflow, *args, events=events, wid=wid, **kwargs)
    return agree(got, want)
