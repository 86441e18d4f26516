"""Run workflows in memory, for tests: ``wfc.testing.run(my_workflow, *args, **kwargs)``.

:func:`run` interprets the compiled state table — it is the reference interpreter of the IR. Steps run inline
(with their retry policies), time is virtual (sleeps and backoffs take none), events come from ``events=``, and
between steps the live variables go through the same codec the durable runtime persists them with, so a value
that cannot be saved fails here, not in production.

:func:`run_native` drives the *original generator* with the same executor: the two must agree on every program
(same result or exception, same step calls), which is what the differential tests check.

Concurrency under virtual time (``wfc.testing._runner``): every command of ``all_of``/``any_of`` starts at the same
moment; steps take no time (but backoffs, ``run_after`` and sleeps do); an event arrives at its ``at`` offset, at
the instance it is addressed to (``Event.to``: a child workflow is an instance of its own). A race is decided by
the durable runtime's own rule (``wfc.runtime.groups``) as outcomes arrive, and what it did not use is canceled
then, as the durable runtime cancels it. :class:`RunResult` carries every instance's history as
``Runtime.history(id)`` gives it; docs/testing.md describes it, the order of outcomes at one moment, and the
differences that remain.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from wfc.commands import RetryPolicy, StepDef, WorkflowDef, check_seconds
from wfc.errors import WfcError
from wfc.runtime import intake
from wfc.runtime import tracing as _tracing
from wfc.runtime.clock import FakeClock as FakeClock
from wfc.runtime.records import HistoryRecord
from wfc.runtime.steps import check_size
from wfc.runtime.typecheck import check_arguments

EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@attrs.frozen
class Event:
    """An event a test sends: ``value`` (or ``error``, a message that makes the wait raise), ``at`` seconds after
    the start of the run, to instance ``to``: ``None`` is the workflow under test, a child workflow is named by
    the id the durable runtime gives it (``"test/3"``: the child called at the workflow's suspension 3,
    ``"test/3.1"``: item 1 of the ``all_of``/``any_of`` there; see docs/testing.md). An event is delivered only
    while its instance runs (sent after the instance started, before it ended), as ``Runtime.send_event``
    refuses others. With ``id``, a later event of the same id to the same instance is dropped, as
    ``Runtime.send_event(..., event_id=)`` drops it."""

    name: str
    value: Any = None
    error: str | None = None
    at: float = 0.0
    to: str | None = None
    id: str | None = None


@attrs.frozen
class Cancel:
    """A cancel a test sends ``at`` seconds after the start of the run to instance ``to`` (``None``: the workflow
    under test; a child by its durable id, as :class:`Event`), as ``Runtime.cancel(id, force=force)``:
    ``wfc.Canceled`` raised at the instance's current ``yield`` (what it waits on canceled first), or with
    ``force`` the instance ended at once. At one moment it comes after the events sent then and before what
    else is due; a cancel while a graceful one runs its cleanup does nothing, one to an instance not running
    is ignored (``Runtime.cancel`` refuses it)."""

    at: float = 0.0
    to: str | None = None
    force: bool = False


@attrs.frozen
class StepRecord:
    """One attempt of one step call."""

    name: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    attempt: int
    at: dt.datetime
    error: str | None = None


@attrs.define
class RunResult:
    """Everything a run observed: its result or error, every step attempt (``calls``, in the order they ran, child
    workflows' too), and each instance's history as ``Runtime.history(id)`` gives it (``histories``, by instance
    id; ``history`` is the workflow's own) and how it ended (``states``: ``completed``, ``failed``, ``canceled``)."""

    value: Any = None
    error: BaseException | None = None
    calls: list[StepRecord] = attrs.field(factory=list)
    transitions: int = 0
    finished_at: dt.datetime = EPOCH
    workflow_id: str = "test"
    _instances: dict[str, Any] = attrs.field(factory=dict, repr=False, alias="instances")
    statuses: dict[str, Any] = attrs.field(factory=dict)
    """What the workflow published with ``wfc.set_status`` (the last value per key), as ``Runtime.statuses``."""
    _histories: dict[str, list[HistoryRecord]] | None = attrs.field(default=None, repr=False, init=False)

    @property
    def histories(self) -> dict[str, list[HistoryRecord]]:
        if self._histories is None:  # read on demand: a run that nobody asks about pays nothing for it
            self._histories = {iid: inst.history() for iid, inst in self._instances.items()}
        return self._histories

    @property
    def history(self) -> list[HistoryRecord]:
        return self.histories.get(self.workflow_id, [])

    @property
    def states(self) -> dict[str, str]:
        return {iid: inst.state for iid, inst in self._instances.items()}

    @property
    def runs(self) -> dict[str, int]:
        """Each instance's run number when the run ended (``Status.run``: 1, and one more per
        ``wfc.continue_as_new``); ``histories`` hold each one's last run."""
        return {iid: inst.run for iid, inst in self._instances.items()}

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value

    @property
    def step_names(self) -> list[str]:
        return [c.name for c in self.calls]


def _events(events: Mapping[str, Any] | Iterable[Event | Cancel] | None) -> list[Event]:
    if events is None:
        return []
    if isinstance(events, Mapping):
        out: list[Event] = []
        for name, value in events.items():
            values = value if isinstance(value, list) else [value]
            out.extend(v if isinstance(v, Event) else Event(name, v) for v in values)
        return _first_of_each_id(out)
    return _first_of_each_id([e for e in events if not isinstance(e, Cancel)])


def _first_of_each_id(events: list[Event]) -> list[Event]:
    """The events the durable runtime keeps: of those to one instance sharing an ``id``, the first sent
    (earliest ``at``, then the list's order); the others are dropped."""
    for event in events:
        if event.id is not None:
            intake.check_event_id(event.id)
    seen: set[tuple[str | None, str]] = set()
    kept: list[Event] = []
    for event in sorted(events, key=lambda e: e.at):
        if event.id is not None:
            if (event.to, event.id) in seen:
                continue
            seen.add((event.to, event.id))
        kept.append(event)
    return kept


def _as_definition(workflow: Any) -> WorkflowDef:
    if isinstance(workflow, WorkflowDef):
        return workflow
    raise WfcError(
        f"expected a workflow (a function decorated with @wfc.workflow), got {workflow!r}",
        code="WFC409",
        hint="decorate the generator function with @wfc.workflow",
    )


_OPTIONS = (
    "events",
    "start",
    "retry",
    "db",
    "persist",
    "native",
    "workflow_id",
    "max_transitions",
    "mocks",
    "max_value_size",
    "tracing",
    "timeout",
)


def execute(workflow: WorkflowDef, *args: Any, **kwargs: Any) -> RunResult:
    """Run a workflow to the end and return everything observed (result or error, step calls, time).

    Keyword arguments named like an option (see :func:`run`) are options, unless the workflow itself has a
    parameter of that name: then they are the workflow's.
    """
    defn = _as_definition(workflow)
    params = defn.signature.parameters
    options = {k: kwargs.pop(k) for k in _OPTIONS if k in kwargs and k not in params}
    return _execute(defn, args, kwargs, **options)


def _execute(
    defn: WorkflowDef,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    events: Mapping[str, Any] | Iterable[Event | Cancel] | None = None,
    start: dt.datetime = EPOCH,
    retry: RetryPolicy | None = None,
    db: Any = None,
    persist: bool = True,
    native: bool = False,
    workflow_id: str = "test",
    max_transitions: int = 100_000,
    mocks: Mapping[Any, Callable[..., Any]] | None = None,
    max_value_size: int = 1 << 20,
    tracing: Any = True,
    timeout: float | dt.timedelta | None = None,
) -> RunResult:
    from wfc import convert
    from wfc.testing._runner import Runner

    fakes = _mocks(mocks)
    if events is not None and not isinstance(events, Mapping):
        events = list(events)
    cancels: list[Cancel] = []
    if events is not None and not isinstance(events, Mapping):
        cancels = [e for e in events if isinstance(e, Cancel)]
    sent = _events(events)
    calls: list[StepRecord] = []

    def record(name: str, a: tuple[Any, ...], kw: Mapping[str, Any], attempt: int, at: Any, err: Any) -> None:
        calls.append(StepRecord(name, a, kw, attempt, at, err))

    own_db = db is None
    connection = sqlite3.connect(":memory:") if own_db else db
    tracer = _tracing.create(tracing)
    runner = Runner(
        events=sent,
        cancels=cancels,
        start=start,
        retry=retry,
        db=connection,
        persist=persist,
        native=native,
        max_transitions=max_transitions,
        max_value_size=max_value_size,
        mocks=fakes,
        tracer=tracer,
        record=record,
    )
    runner.top_id = workflow_id
    try:
        # As Runtime.start: arguments checked against the type hints and converted (an ISO string to a date),
        # within the size limit; a refusal raises here, as start() raises.
        variables = check_arguments(defn, args, kwargs)
        text = check_size(convert.dumps_vars(variables), max_value_size, f"the arguments of workflow {defn.name}")
        if persist and not native:
            variables = convert.roundtrip_vars(variables, text)
        with tracer.start(defn.name, workflow_id) as trace:
            seconds = None if timeout is None else check_seconds(timeout, "a workflow's timeout")
            top = runner.new_instance(workflow_id, defn, defn.name, trace, seconds)
        ok, value = runner.drive(runner.run_workflow(top, variables), top)
    finally:
        if own_db:
            connection.close()
    unknown = sorted(
        {to for to in [*(e.to for e in sent), *(c.to for c in cancels)] if to is not None and to not in runner.instances}
    )
    if unknown:
        raise WfcError(
            f"events were sent to {', '.join(map(repr, unknown))}, an instance this run never started",
            code="WFC420",
            hint=f"a child workflow's id is its parent's, '/', the suspension number and the item's path "
            f"({workflow_id!r}'s first child: {workflow_id + '/1'!r}); RunResult.histories lists them",
        )
    result = RunResult(
        calls=calls,
        transitions=runner.transitions,
        finished_at=runner.now,
        workflow_id=workflow_id,
        instances=runner.instances,
        statuses=dict(top.statuses),
    )
    if ok:
        result.value = value
    else:
        result.error = value
    return result


def _mocks(mocks: Mapping[Any, Callable[..., Any]] | None) -> dict[str, Callable[..., Any]]:
    """``{step: fake}`` as ``{step key: fake}``: each fake runs instead of its step (with the same arguments; a
    transaction's fake gets the database handle first), its result or exception treated as the step's."""
    out: dict[str, Callable[..., Any]] = {}
    for step, fake in (mocks or {}).items():
        if not isinstance(step, StepDef):
            raise WfcError(
                f"mocks= maps steps to fakes; {step!r} is not a @wfc.step or @wfc.transaction",
                code="WFC402",
                hint="mocks={charge_card: lambda order, amount: 'receipt-1'}",
            )
        if not callable(fake):
            raise WfcError(f"the fake of step {step.name} is not callable: {fake!r}", code="WFC402")
        out[step.key] = fake
    return out


def run(workflow: WorkflowDef, *args: Any, **kwargs: Any) -> Any:
    """Run ``workflow(*args, **kwargs)`` to completion in memory; return its result or raise its exception.

    Keyword options (not passed to the workflow): ``events`` (``{"approved": True}`` or a list of
    :class:`Event` and :class:`Cancel`), ``start`` (the virtual start time), ``retry`` (the default retry policy), ``db`` (the
    handle ``@wfc.transaction`` steps receive; default an in-memory SQLite connection), ``persist`` (round-trip
    live variables through the codec, default on), ``max_transitions``, ``mocks`` (``{step: fake}``: the fake
    runs in the step's place, retried like it; its calls are recorded under the step's name), ``max_value_size``
    (as the runtime's: arguments, results and live variables over it fail as they do there), ``tracing`` (as
    ``Runtime(tracing=...)``: ``True`` spans to the global tracer provider when ``opentelemetry-api`` is
    installed, ``False`` none, or a ``TracerProvider``), ``timeout`` (as ``Runtime.start(..., timeout=)``: the
    workflow's own timeout for this run).
    """
    return execute(workflow, *args, **kwargs).unwrap()


def run_native(workflow: WorkflowDef, *args: Any, **kwargs: Any) -> Any:
    """Like :func:`run`, but drive the original Python generator instead of the compiled table."""
    return execute(workflow, *args, native=True, **kwargs).unwrap()
