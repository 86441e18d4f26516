"""Run workflows in memory, for tests: ``wfc.testing.run(my_workflow, *args, **kwargs)``.

:func:`run` interprets the compiled state table — it is the reference interpreter of the IR. Steps run inline
(with their retry policies), time is virtual (sleeps and backoffs take none), events come from ``events=``, and
between steps the live variables go through the same codec the durable runtime persists them with, so a value
that cannot be saved fails here, not in production.

:func:`run_native` drives the *original generator* with the same executor: the two must agree on every program
(same result or exception, same step calls), which is what the differential tests check.

Concurrency under virtual time: every command of ``all_of``/``any_of`` starts at the same moment; steps take no
time (but backoffs, ``run_after`` and sleeps do); an event arrives at its ``at`` offset. ``all_of`` returns when the
last finishes, or raises the earliest failure; ``any_of`` returns the earliest to finish, and an event a losing
``wait_event`` would have taken stays unconsumed (the next wait takes it). Outcomes at the same moment are ordered:
events first, in the order they were sent (so of two events sent before a race, the one sent first wins, whatever
the order of the waits); then outcomes there the moment their command started (a zero sleep or timeout); then steps,
children and timers, lowest index first. The durable runtime decides by the same rule (``wfc.runtime.groups``).
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import random as _random
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from wfc import convert
from wfc.commands import (
    AllOf,
    AnyOf,
    ChildCall,
    Command,
    RetryPolicy,
    Sleep,
    StepCall,
    StepDef,
    WaitEvent,
    WorkflowDef,
)
from wfc.errors import StepFailed, Timeout, WfcError, WorkflowRuntimeError
from wfc.runtime import context, intake, tracebacks
from wfc.runtime.clock import FakeClock as FakeClock
from wfc.runtime.failures import error_info, to_exception
from wfc.runtime.groups import LATE, SOON
from wfc.runtime.link import machine_for
from wfc.runtime.machine import Completed, Failed, Suspended
from wfc.runtime.retry import resolve_retry
from wfc.runtime.step_context import StepContext, running
from wfc.runtime.steps import call as call_step
from wfc.runtime.steps import check_size
from wfc.runtime.typecheck import check_arguments, check_result

EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@attrs.frozen
class Event:
    """An event a test sends: ``value`` (or ``error``, a message that makes the wait raise), ``at`` seconds after
    the start of the run. With ``id``, a later event of the same id is dropped, as ``Runtime.send_event(...,
    event_id=)`` drops it."""

    name: str
    value: Any = None
    error: str | None = None
    at: float = 0.0
    id: str | None = None


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
    value: Any = None
    error: BaseException | None = None
    calls: list[StepRecord] = attrs.field(factory=list)
    transitions: int = 0
    finished_at: dt.datetime = EPOCH
    statuses: dict[str, Any] = attrs.field(factory=dict)
    """What the workflow published with ``wfc.set_status`` (the last value per key), as ``Runtime.statuses``."""

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value

    @property
    def step_names(self) -> list[str]:
        return [c.name for c in self.calls]


@attrs.frozen
class _Outcome:
    time: float
    ok: bool
    value: Any
    commit: Callable[[], None] | None = None
    # At one moment: events first, in the order they were sent (their index in the sorted events); then what was
    # there the moment its command started (SOON: a zero sleep or timeout); then steps, children, timers (LATE).
    # The durable runtime orders its rows the same way (wfc.runtime.groups).
    arrival: int = LATE

    def rank(self, index: int) -> tuple[float, int, int]:
        return (self.time, self.arrival, index)


def _events(events: Mapping[str, Any] | Iterable[Event] | None) -> list[Event]:
    if events is None:
        return []
    if isinstance(events, Mapping):
        out: list[Event] = []
        for name, value in events.items():
            values = value if isinstance(value, list) else [value]
            out.extend(v if isinstance(v, Event) else Event(name, v) for v in values)
        return _first_of_each_id(out)
    return _first_of_each_id(list(events))


def _first_of_each_id(events: list[Event]) -> list[Event]:
    """The events the durable runtime keeps: of those sharing an ``id``, the first sent (earliest ``at``, then
    the list's order); the others are dropped."""
    for event in events:
        if event.id is not None:
            intake.check_event_id(event.id)
    seen: set[str] = set()
    out = []
    for event in sorted(events, key=lambda e: e.at):
        if event.id is not None:
            if event.id in seen:
                continue
            seen.add(event.id)
        out.append(event)
    return out


class _Runner:
    def __init__(
        self,
        *,
        events: list[Event],
        start: dt.datetime,
        retry: RetryPolicy | None,
        db: Any,
        persist: bool,
        native: bool,
        max_transitions: int,
        max_value_size: int = 1 << 20,
    ) -> None:
        self.mocks: dict[str, Callable[..., Any]] = {}
        self.limit = max_value_size
        self.events = sorted(events, key=lambda e: e.at)
        self.consumed: set[int] = set()
        self.looked_at: set[int] = set()
        self.start = start
        self.t = 0.0
        self.retry = retry
        self.db = db
        self.persist = persist
        self.native = native
        self.max_transitions = max_transitions
        self.calls: list[StepRecord] = []
        self.transitions = 0
        self.children = 0
        self.contexts: list[context.TransitionContext] = []  # in order: what they published, last wins

    @property
    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.t)

    def _roundtrip(self, value: Any, what: str = "the value {}", *args: object) -> Any:
        """``value`` as the durable runtime stores and reads it back: a value that cannot be persisted or is over
        ``max_value_size`` raises (``WFC401``/``WFC425``) as it does there."""
        if not self.persist:
            return value
        return convert.loads(check_size(convert.dumps(value), self.limit, what, *args))

    # ---- workflows ------------------------------------------------------------------------------------------

    def run_workflow(
        self, defn: WorkflowDef, args: tuple[Any, ...], kwargs: dict[str, Any], wf_id: str
    ) -> tuple[bool, Any]:
        run = self._native if self.native else self._compiled
        ok, value = run(defn, args, kwargs, wf_id)
        if not ok:  # as the durable runtime ends an instance: where it failed, in the workflow's own code too
            tracebacks.attach(value, tracebacks.format_traceback(value))
        return ok, value

    def _transition(self, wf_id: str, seq: int) -> context.TransitionContext:
        self.transitions += 1
        if self.transitions > self.max_transitions:
            raise WfcError(
                f"the workflow did not finish within {self.max_transitions} transitions",
                code="WFC408",
                hint="an endless loop of steps? raise max_transitions= if this is intended",
            )
        ctx = context.TransitionContext(wf_id, seq, self.now, limit=self.limit)
        self.contexts.append(ctx)
        return ctx

    def published(self, wf_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for ctx in self.contexts:
            if ctx.workflow_id == wf_id and ctx.statuses:
                out.update((k, convert.loads(v)) for k, v in ctx.statuses.items())
        return out

    def _compiled(
        self, defn: WorkflowDef, args: tuple[Any, ...], kwargs: dict[str, Any], wf_id: str
    ) -> tuple[bool, Any]:
        machine = machine_for(defn)
        # As Runtime.start: arguments checked against the type hints and converted (an ISO string to a date),
        # within the size limit; a refusal raises here, as start() raises.
        v = check_arguments(defn, args, kwargs)
        text = check_size(convert.dumps_vars(v), self.limit, f"the arguments of workflow {defn.name}")
        if self.persist:
            v = convert.roundtrip_vars(v, text)
        seq = 0
        with context.transition(self._transition(wf_id, seq)) as ctx:
            outcome = machine.start(v)
        ctx.flush_logs()
        resumed: tuple[str, str, bool, Any, str] | None = None  # the last resume: state, stored vars, outcome
        redone = False
        while isinstance(outcome, Suspended):
            try:
                text = check_size(
                    convert.dumps_vars(outcome.vars),
                    self.limit,
                    f"the live variables of workflow {defn.name} at {outcome.state}",
                )
                v = convert.roundtrip_vars(outcome.vars, text) if self.persist else outcome.vars
            except WfcError as exc:
                # As the durable runtime: variables that cannot be stored raise at the yield whose outcome made
                # them (the transition runs again from there); at the start, or a second time, the workflow fails.
                if resumed is None or redone:
                    outcome = Failed(exc)
                    break
                state, stored, _, _, name = resumed
                redone = True
                self.contexts[-1].statuses = None  # rolled back with the transition, as the durable runtime does
                failure = to_exception(error_info(exc), step=name, attempts=1)
                with context.transition(self._transition(wf_id, seq)) as ctx:
                    outcome = machine.resume(state, convert.loads_vars(stored), error=failure)
                ctx.flush_logs()
                continue
            redone = False
            result = self.execute(outcome.command, defn, wf_id, top=True)
            seq += 1
            resumed = (outcome.state, text, result.ok, result.value, _command_name(outcome.command))
            with context.transition(self._transition(wf_id, seq)) as ctx:
                if result.ok:
                    outcome = machine.resume(outcome.state, v, value=result.value)
                else:
                    outcome = machine.resume(outcome.state, v, error=result.value)
            ctx.flush_logs()
        if isinstance(outcome, Completed):
            return self._result(defn, outcome.value)
        assert isinstance(outcome, Failed)
        return False, outcome.error

    def _result(self, defn: WorkflowDef, value: Any) -> tuple[bool, Any]:
        """As the durable runtime ends an instance: the return value checked against its hint (converted), then
        stored; a mismatch or a value that cannot be stored fails the workflow."""
        try:
            value = check_result(defn, value)
            return True, self._roundtrip(value, f"the result of workflow {defn.name}")
        except WfcError as exc:
            return False, exc

    def _native(
        self, defn: WorkflowDef, args: tuple[Any, ...], kwargs: dict[str, Any], wf_id: str
    ) -> tuple[bool, Any]:
        if defn.fn is None:
            raise WfcError(
                f"run_native needs a Python workflow; {defn.name} comes from a .wf file", code="WFC409"
            )
        variables = check_arguments(defn, args, kwargs)  # the same argument errors and conversions
        args, kwargs = _call_arguments(defn, variables)
        seq = 0
        gen: Any = None
        send: tuple[bool, Any] = (True, None)
        while True:
            with context.transition(self._transition(wf_id, seq)) as ctx:
                try:
                    if gen is None:
                        gen = defn.fn(*args, **kwargs)
                        if not inspect.isgenerator(gen):  # a workflow with no steps: its value, at once
                            ctx.flush_logs()
                            return self._result(defn, gen)
                        cmd = next(gen)
                    elif send[0]:
                        cmd = gen.send(send[1])
                    else:
                        cmd = gen.throw(send[1])
                    while not isinstance(cmd, Command):
                        cmd = gen.throw(
                            WorkflowRuntimeError(
                                f"the workflow yielded {type(cmd).__name__} {cmd!r:.60}, which is not a command",
                                code="WFC403",
                                hint="yield a step or workflow call, wfc.sleep(), wfc.wait_event(), wfc.all_of() "
                                "or wfc.any_of()",
                            )
                        )
                except StopIteration as stop:
                    ctx.flush_logs()
                    return self._result(defn, stop.value)
                except BaseException as exc:  # SystemExit too: the workflow fails, as the compiled runner says
                    ctx.flush_logs()
                    return False, exc
            ctx.flush_logs()
            result = self.execute(cmd, defn, wf_id, top=True)
            send = (result.ok, result.value)
            seq += 1

    # ---- commands -------------------------------------------------------------------------------------------

    def execute(self, cmd: Command, defn: WorkflowDef, wf_id: str, *, top: bool = False) -> _Outcome:
        """Run a command starting now; the clock ends at its finish time."""
        outer, self.looked_at = self.looked_at, set()  # a child workflow's commands run inside ours
        try:
            out = self._instant(cmd, self.t) if isinstance(cmd, AllOf | AnyOf) else None
            self.looked_at = set()
            if out is None:
                out = self._exec(cmd, defn, wf_id, self.t)
        finally:
            self.looked_at = outer
        if math.isinf(out.time):
            assert isinstance(cmd, WaitEvent | AnyOf | AllOf)
            raise WfcError(
                f"the workflow waits for an event the test never sends ({_describe_wait(cmd)})",
                code="WFC408",
                hint="pass it to wfc.testing.run(..., events={'name': value}) or give the wait a timeout",
            )
        if out.commit is not None:
            out.commit()
        self.t = max(self.t, out.time)
        return out

    def _exec(self, cmd: Command, defn: WorkflowDef, wf_id: str, t0: float) -> _Outcome:
        self.t = t0
        if isinstance(cmd, StepCall):
            return self._step(cmd, defn, wf_id)
        if isinstance(cmd, ChildCall):
            self.children += 1
            try:  # as the durable runtime: arguments a child cannot start with fail the call at its yield
                check_arguments(cmd.workflow, tuple(cmd.args), dict(cmd.kwargs))
                self._roundtrip(list(cmd.args), "the arguments of workflow {!r}", cmd.display_name)
            except WfcError as exc:
                return _Outcome(self.t, False, to_exception(error_info(exc), step=cmd.display_name, attempts=0))
            ok, value = self.run_workflow(
                cmd.workflow, tuple(cmd.args), dict(cmd.kwargs), f"{wf_id}/{self.children}"
            )
            if not ok:
                # Crossing into the parent as data, as it would in the durable runtime.
                value = to_exception(
                    error_info(value, traceback=tracebacks.of(value)), step=cmd.display_name, attempts=1
                )
            return _Outcome(self.t, ok, value)  # a child's result was stored when it ended
        if isinstance(cmd, Sleep):
            return _Outcome(
                t0 + max(cmd.seconds, 0.0), True, None, arrival=SOON if cmd.seconds <= 0 else LATE
            )
        if isinstance(cmd, WaitEvent):
            return self._wait(cmd, t0)
        if isinstance(cmd, AllOf):
            outs = [self._exec(c, defn, wf_id, t0) for c in cmd.items]
            failures = [o.rank(i) for i, o in enumerate(outs) if not o.ok]
            if failures:
                t, _, i = min(failures)
                return _Outcome(
                    t,
                    False,
                    outs[i].value,
                    _commit_all([o for o in outs if o.time <= t]),
                    arrival=outs[i].arrival,
                )
            last = max((o.rank(i) for i, o in enumerate(outs)), default=(t0, SOON, -1))
            values = [o.value for o in outs]
            result = tuple(values) if cmd.separate else values
            return _Outcome(last[0], True, result, _commit_all(outs), arrival=last[1])
        if isinstance(cmd, AnyOf):
            outs = [self._exec(c, defn, wf_id, t0) for c in cmd.items]
            t, _, i = min(o.rank(i) for i, o in enumerate(outs))
            win = outs[i]
            return _Outcome(
                t, win.ok, (i, win.value) if win.ok else win.value, win.commit, arrival=win.arrival
            )
        raise WfcError(f"unknown command {cmd!r}", code="WFC403")

    def _instant(self, cmd: Command, t0: float) -> _Outcome | None:
        """The outcome of a command tree decided by what is there the moment it starts (events sent before, zero
        sleeps and timeouts), or ``None``. The durable runtime decides such a tree when it suspends, and then starts
        none of its steps: neither does this runner."""
        if isinstance(cmd, Sleep):
            return _Outcome(t0, True, None, arrival=SOON) if cmd.seconds <= 0 else None
        if isinstance(cmd, WaitEvent):
            out = self._wait(cmd, t0)
            return out if out.time <= t0 else None
        if isinstance(cmd, AllOf):
            parts = [self._instant(c, t0) for c in cmd.items]
            failures = [(p.rank(i), p) for i, p in enumerate(parts) if p is not None and not p.ok]
            if failures:
                first = min(failures, key=lambda f: f[0])[1]
                done = [p for p in parts if p is not None]  # finished by then: they took their events
                return attrs.evolve(first, commit=_commit_all(done))
            if any(p is None for p in parts):
                return None
            done = [p for p in parts if p is not None]
            last = max((p.rank(i) for i, p in enumerate(done)), default=(t0, SOON, -1))
            values = [p.value for p in done]
            result = tuple(values) if cmd.separate else values
            return _Outcome(t0, True, result, _commit_all(done), arrival=last[1])
        if isinstance(cmd, AnyOf):
            ready = [
                (p.rank(i), i, p)
                for i, p in enumerate(self._instant(c, t0) for c in cmd.items)
                if p is not None
            ]
            if not ready:
                return None
            _, i, win = min(ready, key=lambda r: r[0])
            return _Outcome(
                t0, win.ok, (i, win.value) if win.ok else win.value, win.commit, arrival=win.arrival
            )
        return None  # a step or a child workflow takes its time

    def _step(self, call: StepCall, defn: WorkflowDef, wf_id: str) -> _Outcome:
        step = call.step
        opts = call.opts
        if opts.run_at is not None:
            self.t = max(self.t, (opts.run_at - self.start).total_seconds())
        if opts.run_after is not None:
            self.t += opts.run_after
        policy = resolve_retry(opts.retry, step.retry, defn.retry, default=self.retry)
        try:  # arguments that cannot be stored fail the call at its yield, before it runs (attempts=0)
            args = tuple(self._roundtrip(list(call.args), "the arguments of step {!r}", call.display_name))
            kwargs = self._roundtrip(dict(call.kwargs), "the arguments of step {!r}", call.display_name)
        except WfcError as exc:
            return _Outcome(self.t, False, to_exception(error_info(exc), step=call.display_name, attempts=0))
        rng = _random.Random(f"{wf_id}:{step.key}:{len(self.calls)}")
        attempt = 0
        while True:
            attempt += 1
            here = StepContext(wf_id, defn.name, call.display_name, attempt, policy.max_attempts)
            try:
                fake = self.mocks.get(step.key)
                with running(here):
                    if fake is None:
                        value = self._call(step.fn, step.kind == "transaction", step.is_async, args, kwargs)
                    else:
                        is_async = inspect.iscoroutinefunction(fake)
                        value = self._call(fake, step.kind == "transaction", is_async, args, kwargs)
            except BaseException as exc:  # a step may raise anything (SystemExit too): the worker records it
                info = error_info(exc)
                self.calls.append(
                    StepRecord(call.display_name, args, kwargs, attempt, self.now, info.describe())
                )
                if policy.may_retry(attempt, info.bases or (info.type_name,)):
                    self.t += policy.backoff(attempt, rng.random())
                    continue
                failure = to_exception(info, step=call.display_name, attempts=attempt)
                return _Outcome(self.t, False, self._roundtrip(failure))  # stored as the durable runtime does
            self.calls.append(StepRecord(call.display_name, args, kwargs, attempt, self.now))
            try:
                return _Outcome(self.t, True, self._roundtrip(value, "the result of step {!r}", call.display_name))
            except WfcError as exc:
                return _Outcome(
                    self.t, False, to_exception(error_info(exc), step=call.display_name, attempts=attempt)
                )

    def _call(
        self,
        fn: Callable[..., Any],
        transactional: bool,
        is_async: bool,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        call_args = [self.db, *args] if transactional else list(args)
        return call_step(fn, is_async, call_args, kwargs)

    def _wait(self, cmd: WaitEvent, t0: float) -> _Outcome:
        """The first event of that name not consumed and not looked at by an earlier wait of the same command
        (two waits of one ``all_of`` take two events); it is consumed only if the command's outcome uses it."""
        deadline = t0 + max(cmd.timeout, 0.0) if cmd.timeout is not None else math.inf
        for i, event in enumerate(self.events):
            if i in self.consumed or i in self.looked_at or event.name != cmd.name or event.at > deadline:
                continue
            self.looked_at.add(i)
            at = max(t0, event.at)

            def commit(i: int = i) -> None:
                self.consumed.add(i)

            if event.error is not None:
                err = StepFailed(event.error, type_name="EventError", step=f"event {cmd.name}", attempts=1)
                return _Outcome(at, False, err, commit, arrival=i)
            return _Outcome(at, True, self._roundtrip(event.value), commit, arrival=i)
        if cmd.timeout is not None:
            return _Outcome(
                deadline,
                False,
                Timeout(f"event {cmd.name!r} did not arrive within {cmd.timeout:g}s"),
                arrival=SOON if cmd.timeout <= 0 else LATE,
            )
        return _Outcome(math.inf, False, None)


def _command_name(cmd: Command) -> str:
    """The name the durable runtime gives the command a transition resumed (a failure to persist is its)."""
    if isinstance(cmd, AllOf | AnyOf):
        return "all_of/any_of"
    return str(getattr(cmd, "display_name", None) or getattr(cmd, "name", type(cmd).__name__))


def _call_arguments(defn: WorkflowDef, variables: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Checked, converted arguments as a call of the generator function (the inverse of binding them)."""
    bound = inspect.BoundArguments(defn.signature, dict(variables))
    return tuple(bound.args), dict(bound.kwargs)


def _commit_all(outs: list[_Outcome]) -> Callable[[], None]:
    def commit() -> None:
        for o in outs:
            if o.commit is not None:
                o.commit()

    return commit


def _describe_wait(cmd: Command) -> str:
    if isinstance(cmd, WaitEvent):
        return f"wait_event({cmd.name!r})"
    if isinstance(cmd, AllOf | AnyOf):
        return ", ".join(_describe_wait(c) for c in cmd.items if isinstance(c, WaitEvent | AllOf | AnyOf))
    return cmd.__class__.__name__


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
    events: Mapping[str, Any] | Iterable[Event] | None = None,
    start: dt.datetime = EPOCH,
    retry: RetryPolicy | None = None,
    db: Any = None,
    persist: bool = True,
    native: bool = False,
    workflow_id: str = "test",
    max_transitions: int = 100_000,
    mocks: Mapping[Any, Callable[..., Any]] | None = None,
    max_value_size: int = 1 << 20,
) -> RunResult:
    fakes = _mocks(mocks)
    own_db = db is None
    connection = sqlite3.connect(":memory:") if own_db else db
    runner = _Runner(
        events=_events(events),
        start=start,
        retry=retry,
        db=connection,
        persist=persist,
        native=native,
        max_transitions=max_transitions,
        max_value_size=max_value_size,
    )
    runner.mocks = fakes
    try:
        ok, value = runner.run_workflow(defn, args, kwargs, workflow_id)
    finally:
        if own_db:
            connection.close()
    result = RunResult(
        calls=runner.calls,
        transitions=runner.transitions,
        finished_at=runner.now,
        statuses=runner.published(workflow_id),
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
    :class:`Event`), ``start`` (the virtual start time), ``retry`` (the default retry policy), ``db`` (the
    handle ``@wfc.transaction`` steps receive; default an in-memory SQLite connection), ``persist`` (round-trip
    live variables through the codec, default on), ``max_transitions``, ``mocks`` (``{step: fake}``: the fake
    runs in the step's place, retried like it; its calls are recorded under the step's name), ``max_value_size``
    (as the runtime's: arguments, results and live variables over it fail as they do there).
    """
    return execute(workflow, *args, **kwargs).unwrap()


def run_native(workflow: WorkflowDef, *args: Any, **kwargs: Any) -> Any:
    """Like :func:`run`, but drive the original Python generator instead of the compiled table."""
    return execute(workflow, *args, native=True, **kwargs).unwrap()
