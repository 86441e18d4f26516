"""What each leaf command of a suspension does on the in-memory runner's virtual time (:mod:`wfc.testing._runner`),
kept as the durable runtime's history row: a step (its attempts, retries after a backoff, the failure or result it
stores), a timer, an event wait (the events sent to its instance, taken oldest first, held until the decision
uses or gives them back), a child workflow (an instance of its own). Each is a generator that yields the
virtual time it waits for and returns its :class:`Outcome`; :func:`prepare` finds the outcome a leaf has the
moment its command starts.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import random as _random
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import attrs

from wfc import convert
from wfc.commands import (
    ChildCall,
    ChildHandle,
    Command,
    Join,
    Sleep,
    StartChild,
    StepCall,
    WaitEvent,
    WorkflowDef,
)
from wfc.errors import StepFailed, Timeout, WfcError
from wfc.runtime import attempts as attempt_log
from wfc.runtime import queues, steps, tracebacks
from wfc.runtime.engine import encode_error
from wfc.runtime.errors import ChildIdInUse, NotAChild
from wfc.runtime.failures import error_info, to_exception
from wfc.runtime.groups import SOON, Seen
from wfc.runtime.link import machine_for
from wfc.runtime.records import HistoryRecord
from wfc.runtime.retry import resolve_retry
from wfc.runtime.runtime import _record
from wfc.runtime.step_context import StepContext, running
from wfc.runtime.store.protocol import CHILD, DONE, EVENT, JOIN, SLEEP, START_CHILD, STEP, TX, LeafRow
from wfc.runtime.typecheck import check_arguments

if TYPE_CHECKING:
    from wfc.testing._runner import Runner

Wake = Generator[float, None, Any]
"""A generator that yields the virtual time (seconds from the start) it waits for, and returns its outcome."""

INF = math.inf


@attrs.define(eq=False)
class Inst:
    """One workflow instance of a run: its history rows, the events sent to it, its end."""

    id: str
    defn: WorkflowDef
    name: str
    trace: str | None = None
    rows: list[LeafRow] = attrs.field(factory=list)
    attempts: dict[tuple[int, int], list[attempt_log.Attempt]] = attrs.field(factory=dict)
    state: str = "running"
    started: float = 0.0
    finished: float | None = None
    consumed: set[int] = attrs.field(factory=set)
    reserved: set[int] = attrs.field(factory=set)
    statuses: dict[str, Any] = attrs.field(factory=dict)  # wfc.set_status, as committed transitions left them
    deadline: LeafRow | None = None  # its timeout's row (DEADLINE), while it has one
    cancel_requested: bool = False  # a graceful Cancel was applied: wfc.Canceled ending it ends it "canceled"
    asked_to_cancel: bool = False  # its parent's graceful cancel asks it to cancel gracefully (applied at once)
    parent: str | None = None  # a started child: the instance that started it
    detached: bool = False
    run: int = 1  # its run number (wfc.continue_as_new)
    last_seq: int = 0  # its last suspension's number (a continued run's start is the next)
    order: int = 0  # when it was created, among the run's instances (the durable runtime's instance number)
    group: Group | None = None  # the suspension it waits on, while it waits
    first: tuple[float, int, int] | None = None  # (moment, cycle label) of its next move when asked for it

    def history(self) -> list[HistoryRecord]:
        return [_record(r, self.id, self.attempts.get((r.seq, r.pos))) for r in self.rows]


@attrs.define(eq=False)
class Leaf:
    """A leaf command of a suspension while it runs: its row, its generator, and its outcome once known."""

    index: int
    cmd: Command
    row: LeafRow
    gen: Wake | None = None
    wake: float = INF
    seen: Seen | None = None
    ok: bool = True
    value: Any = None
    event: int | None = None  # the event it holds (given back unless the decision uses it)
    child: Inst | None = None
    late: bool = False  # its outcome came after the decision (at the decision's moment)
    late_attempts: list[tuple[float, int, str | None]] = attrs.field(factory=list)  # retried: (time, n, note)
    start: Any = None  # a start_child's (workflow, variables, detached), started once the decision uses it
    held: bool = False  # held by the workflow's max_parallelism window
    draining: bool = False  # a child its parent's graceful cancel waits for: its row canceled, it runs its cleanup
    queue: Any = None  # a child's (QueueRow, Placement) on a named queue; a called child's queue Entry once started
    at: tuple[float, int, int] | None = None  # (moment, cycle label) its outcome is due at, in that moment


@attrs.define(eq=False)
class Task:
    """A started child workflow (``wfc.start_child``): its instance and generator, driven by the runner in the
    background, or by a ``join`` leaf while one waits for it; its end once it ended."""

    inst: Inst
    gen: Wake | None
    wake: float
    end: tuple[bool, Any] | None = None


@attrs.frozen
class Outcome:
    ok: bool
    value: Any


@attrs.define(eq=False)
class Group:
    """A suspension's command tree while it runs: its shape (``wfc.runtime.groups``), its leaves, whether it has
    an ``any_of`` (``races``), and its outcome once decided."""

    shape: Any
    leaves: list[Leaf]
    races: bool = False
    pending: bool = False
    result: Outcome = Outcome(True, None)
    draining: tuple[LeafRow, Any] | None = None  # a graceful cancel waiting for children: its row and error
    resolved: tuple[float, int, int] | None = None  # a child's end it has not taken yet, and that move's label
    untaken: list[int] = attrs.field(factory=list)  # the leaves of those children


# ---- leaves ---------------------------------------------------------------------------------------------------


def prepare(runner: Runner, inst: Inst, leaf: Leaf) -> None:
    """A leaf's row, and its outcome if it is there at once (``seen``)."""
    cmd, row = leaf.cmd, leaf.row
    soon = (runner.t, SOON, leaf.index)
    if isinstance(cmd, StepCall):
        step = cmd.step
        row.kind, row.name, row.step = (TX if step.kind == "transaction" else STEP), cmd.display_name, step.key
        try:
            row.args = runner.encode(list(cmd.args), "the arguments of step {!r}", cmd.display_name)
            if cmd.kwargs:
                row.kwargs = runner.encode(dict(cmd.kwargs), "the arguments of step {!r}", cmd.display_name)
        except WfcError as exc:
            fail_at_once(runner, leaf, to_exception(error_info(exc), step=cmd.display_name, attempts=0))
    elif isinstance(cmd, Join):
        prepare_join(runner, inst, leaf, cmd)
    elif isinstance(cmd, ChildCall | StartChild):
        call = cmd.call if isinstance(cmd, StartChild) else cmd
        name = call.display_name
        row.kind, row.name, row.step, row.started_at = CHILD, name, call.workflow.key, row.scheduled_at
        chosen = call.opts.id
        row.child = chosen if chosen is not None else f"{inst.id}/{row.seq}" + (f".{row.path}" if row.path else "")
        try:
            row.args = runner.encode(list(call.args), "the arguments of workflow {!r}", name)
            if call.kwargs:
                row.kwargs = runner.encode(dict(call.kwargs), "the arguments of workflow {!r}", name)
            # A child that does not compile fails this call at the parent's yield (CompileError), as the durable
            # runtime fails its row, rather than ending the whole run.
            machine_for(call.workflow)
            variables = check_arguments(call.workflow, tuple(call.args), dict(call.kwargs))
            text = steps.check_size(
                convert.dumps_vars(variables), runner.limit, "the arguments of workflow {!r}", name
            )
        except WfcError as exc:
            fail_at_once(runner, leaf, to_exception(error_info(exc), step=name, attempts=0))
            return
        taken = runner.taken_ids(row.seq, inst)
        if row.child in taken or (chosen is not None and chosen in runner.instances):
            error = ChildIdInUse(
                f"cannot start child workflow {name!r} as {row.child!r}: an instance has that id already",
                hint="give each child its own id (e.g. from the item it works on), or leave id= out",
            )
            fail_at_once(runner, leaf, to_exception(error_info(error), step=name, attempts=0))
            return
        taken.add(row.child)
        try:
            leaf.queue = _child_queue(runner, call, taken, row.child)
            row.retry = queues.placement_text(None if leaf.queue is None else leaf.queue[1])
        except WfcError as exc:
            fail_at_once(runner, leaf, to_exception(error_info(exc), step=name, attempts=0))
            return
        leaf.value = convert.roundtrip_vars(variables, text) if runner.persist else variables
        if isinstance(cmd, StartChild):
            detached = bool(call.opts.detached)
            handle = ChildHandle(row.child, call.workflow.key, name, detached)
            row.kind, row.result = START_CHILD, convert.dumps(handle)
            row.status, row.finished_at = DONE, row.scheduled_at
            leaf.start = (call.workflow, leaf.value, detached)
            leaf.seen, leaf.value = Seen(True, soon), (runner.stored(handle, row.result))
    elif isinstance(cmd, Sleep):
        row.kind, row.name, row.ready_at = SLEEP, cmd.display_name, row.scheduled_at + cmd.seconds
        if cmd.seconds <= 0:
            row.status, row.finished_at = DONE, row.scheduled_at
            leaf.seen, leaf.value = Seen(True, soon), None
    elif isinstance(cmd, WaitEvent):
        row.kind, row.name = EVENT, cmd.name
        if cmd.timeout is not None:
            row.args = convert.dumps(cmd.timeout)
        index = event_for(runner, inst, cmd.name)
        if index is not None:
            take(runner, inst, leaf, index)
            leaf.seen = Seen(leaf.ok, (runner.t, index, leaf.index))
        elif cmd.timeout is not None and cmd.timeout <= 0:
            expired = _timeout(cmd.name, cmd.timeout)
            row.error, row.status, row.finished_at = convert.dumps(expired), DONE, row.scheduled_at
            row.attempts = 1
            leaf.seen, leaf.ok, leaf.value = Seen(False, soon), False, expired
    else:
        fail_at_once(runner, leaf, WfcError(f"unknown command {cmd!r}", code="WFC403"))

def _child_queue(runner: Runner, call: ChildCall, taken: set[str], child_id: str) -> Any:
    """As the durable runtime's ``Scheduler._child_queue``: the queue and place of a child, its dedup
    id free (also of the other children of this suspension)."""
    rows: list[Any] = []

    def lookup(queue: Any) -> Any:
        rows.append(queues.declared_row(queue, runner.t))
        return rows[-1]

    placement = queues.child_placement(call.opts, lookup)
    if placement is None:
        return None
    if placement.dedup is not None:
        mark = f"\0dedup:{placement.queue}\0{placement.dedup}\0"
        holder = runner.queues.holder(placement)
        if holder is None:
            holder = next((m[len(mark):] for m in taken if m.startswith(mark)), None)
        if holder is not None:
            raise queues.duplicate(placement, holder)
        taken.add(mark + child_id)
    return rows[-1], placement


def prepare_join(runner: Runner, inst: Inst, leaf: Leaf, cmd: Join) -> None:
    handle, row = cmd.handle, leaf.row
    row.kind, row.name, row.step, row.child = JOIN, cmd.display_name, handle.workflow, handle.id
    row.args = convert.dumps([handle])
    task = runner.tasks.get(handle.id)
    taken = runner.taken_ids(row.seq, inst)
    mark = "\0join:" + handle.id
    if task is None or task.inst.parent != inst.id or mark in taken:
        error = NotAChild(
            f"cannot join {handle.id!r}: "
            + ("it is joined twice in one suspension" if mark in taken else "this workflow started no child of that id"),
            hint="join a handle wfc.start_child() returned in this workflow, once at a time",
        )
        fail_at_once(runner, leaf, to_exception(error_info(error), step=row.name, attempts=0))
        return
    taken.add(mark)
    row.started_at = task.inst.started
    if task.inst.state not in ("running", "enqueued"):  # ended already
        out = child_end(runner, task.inst, row, task.end)
        row.finished_at = row.scheduled_at
        leaf.seen, leaf.ok, leaf.value = Seen(out.ok, (runner.t, SOON, leaf.index)), out.ok, out.value


def child_end(runner: Runner, child: Inst, row: LeafRow, end: tuple[bool, Any] | None) -> Outcome:
    """A child's end as its parent's row receives it (a called child's or a join's)."""
    row.status, row.finished_at = DONE, runner.stamp
    ok, value = end if end is not None else (False, None)
    if child.state == "canceled" and end is None:
        from wfc.errors import Canceled

        ok, value = False, Canceled(f"workflow {child.id!r} was canceled")
    if ok:
        row.result = runner.encode(value, "the result of workflow {}", child.name)
        return Outcome(True, value)
    assert isinstance(value, BaseException)
    failure = to_exception(error_info(value, traceback=tracebacks.of(value)), step=child.name, attempts=1)
    row.error = encode_error(failure)
    return Outcome(False, convert.loads(row.error) if runner.persist else failure)


def join(runner: Runner, inst: Inst, leaf: Leaf, task: Task) -> Wake:
    """Wait for a started child: drive it here (as a called child's leaf does) while this join waits; a join
    canceled (a race lost) gives it back to the background, running."""
    if task.gen is None:
        # It ended after the join was prepared and before the join first ran: a started child catching up to
        # the durable runtime's cycles made its last moves in between. The join takes its end, as a join of a
        # child that had ended already does (prepare_join).
        if leaf.draining:
            return Outcome(*task.end) if task.end is not None else child_end(runner, task.inst, leaf.row, None)
        return child_end(runner, task.inst, leaf.row, task.end)
    runner.background.remove(task)
    assert task.gen is not None
    runner.drivers[task.inst.id] = (leaf, inst)
    try:
        while True:
            try:
                wake = task.gen.send(None)
            except StopIteration as stop:
                task.gen, task.end = None, stop.value
                runner.ended(task)
                if leaf.draining:  # its row was canceled when its parent's cancel asked it to stop
                    return Outcome(*task.end)
                return child_end(runner, task.inst, leaf.row, task.end)
            task.wake = wake
            yield wake
    except GeneratorExit:
        if task.gen is not None:
            runner.background.append(task)
        raise


def fail_at_once(runner: Runner, leaf: Leaf, failure: BaseException) -> None:
    leaf.row.error, leaf.row.status, leaf.row.finished_at = (
        convert.dumps_failure(failure), DONE, leaf.row.scheduled_at
    )
    leaf.seen, leaf.ok, leaf.value = Seen(False, (runner.t, SOON, leaf.index)), False, failure

# ---- events ----------------------------------------------------------------------------------------------

def event_for(runner: Runner, inst: Inst, name: str) -> int | None:
    """The first event of ``name`` sent to ``inst`` by now that no wait took or holds."""
    for i, event in enumerate(runner.events):
        if runner.base + event.at > runner.t:
            break
        if event.name == name and i not in inst.consumed and i not in inst.reserved and delivered_to(runner, event, inst):
            return i
    return None

def next_event(runner: Runner, inst: Inst, name: str) -> float:
    """When the next event of ``name`` for ``inst`` is sent (``inf``: never)."""
    for i, event in enumerate(runner.events):
        at = float(runner.base + event.at)
        if at <= runner.t or event.name != name or i in inst.consumed or i in inst.reserved:
            continue
        if delivered_to(runner, event, inst):
            return at
    return INF

def delivered_to(runner: Runner, event: Any, inst: Inst) -> bool:
    """Whether ``event`` is delivered to ``inst``: addressed to it, and sent after it started (a child's
    events sent before it exists are refused, as ``send_event`` refuses them)."""
    if inst.id == runner.top_id:
        return event.to is None or event.to == inst.id
    return bool(event.to == inst.id and runner.base + event.at > inst.started)


def take(runner: Runner, inst: Inst, leaf: Leaf, index: int) -> None:
    event = runner.events[index]
    row = leaf.row
    inst.reserved.add(index)
    leaf.event = index
    row.attempts, row.status, row.finished_at = 1, DONE, runner.stamp
    text = None if event.value is None else runner.encode(event.value, f"the value of event {event.name!r}")
    if event.error is not None:
        err = StepFailed(event.error, type_name="EventError", step=f"event {event.name}", attempts=1)
        row.error = convert.dumps(err)
        leaf.ok, leaf.value = False, err
    else:
        row.result = text
        leaf.ok, leaf.value = True, (None if text is None else runner.stored(event.value, text))

# ---- leaves ----------------------------------------------------------------------------------------------

def start(runner: Runner, inst: Inst, k: int, leaf: Leaf) -> Wake:
    cmd = leaf.cmd
    if isinstance(cmd, StepCall):
        return step(runner, inst, k, leaf, cmd)
    if isinstance(cmd, ChildCall):
        return child(runner, inst, leaf)
    if isinstance(cmd, Join):
        return join(runner, inst, leaf, runner.tasks[cmd.handle.id])
    if isinstance(cmd, Sleep):
        return sleep(runner, leaf, cmd)
    assert isinstance(cmd, WaitEvent)
    return wait_event(runner, inst, leaf, cmd)

def sleep(runner: Runner, leaf: Leaf, cmd: Sleep) -> Wake:
    yield leaf.row.ready_at  # type: ignore[misc]
    leaf.row.status, leaf.row.finished_at = DONE, leaf.row.ready_at
    return Outcome(True, None)

def wait_event(runner: Runner, inst: Inst, leaf: Leaf, cmd: WaitEvent) -> Wake:
    deadline = runner.t + cmd.timeout if cmd.timeout is not None else INF
    row = leaf.row
    if cmd.timeout is not None:
        row.ready_at = row.scheduled_at + cmd.timeout
    while True:
        index = event_for(runner, inst, cmd.name)
        if index is not None:
            take(runner, inst, leaf, index)
            return Outcome(leaf.ok, leaf.value)
        following = next_event(runner, inst, cmd.name)
        if following <= deadline:
            yield following
            continue
        yield deadline
        if event_for(runner, inst, cmd.name) is not None:
            continue
        err = _timeout(cmd.name, cmd.timeout)  # type: ignore[arg-type]
        row.error, row.attempts, row.status, row.finished_at = convert.dumps_failure(err), 1, DONE, row.ready_at
        return Outcome(False, err)

def step(runner: Runner, inst: Inst, k: int, leaf: Leaf, call: StepCall) -> Wake:
    row = leaf.row
    step, opts = call.step, call.opts
    ready = row.scheduled_at
    if opts.run_at is not None:
        ready = max(ready, opts.run_at.timestamp())
    if opts.run_after is not None:
        ready += opts.run_after
    row.ready_at = ready
    if ready > runner.t:
        yield ready
    policy = resolve_retry(opts.retry, step.retry, inst.defn.retry, default=runner.retry)
    timeout = opts.timeout if opts.timeout is not None else step.timeout  # as the durable runtime keeps it
    args = tuple(convert.loads(row.args)) if runner.persist and row.args else tuple(call.args)
    kwargs = (convert.loads(row.kwargs) if runner.persist and row.kwargs else dict(call.kwargs)) or {}
    transactional = step.kind == "transaction"
    fake = runner.mocks.get(step.key)
    fn, is_async = (step.fn, step.is_async) if fake is None else (fake, inspect.iscoroutinefunction(fake))
    while True:
        attempt = row.attempts + 1
        if row.started_at is None:
            row.started_at = runner.stamp
        # The time limit is real time (a step's own work takes it), its deadline shown on the virtual clock.
        deadline = None if timeout is None else runner.now + dt.timedelta(seconds=timeout)
        here = StepContext(inst.id, inst.name, call.display_name, attempt, policy.max_attempts, deadline)
        with runner.tracer.attempt(inst.trace, inst.name, inst.id, call.display_name, attempt) as span:
            try:
                with running(here):
                    value = steps.call(
                        fn, is_async, [runner.db, *args] if transactional else list(args), kwargs, timeout,
                        call.display_name,
                    )
            except BaseException as exc:  # a step may raise anything (SystemExit too): the worker records it
                span.error(exc)
                info = error_info(exc)
                runner.record_call(call.display_name, args, kwargs, attempt, runner.now, info.describe())
                attempt_failed(runner, inst, row, attempt, info)
                if policy.may_retry(attempt, info.bases or (info.type_name,)):
                    span.outcome("retry")
                    rng = _random.Random(f"{inst.id}:{row.seq}.{row.pos}:{attempt}")
                    delay = policy.backoff(attempt, rng.random())
                    leaf.late_attempts = [(runner.t, attempt, row.error)]
                    row.error = tracebacks.with_note(info.describe(), info.traceback)
                    yield runner.t + delay
                    continue
                span.outcome("failed")
                failure = to_exception(info, step=call.display_name, attempts=attempt)
                row.error = convert.dumps_failure(failure)
                row.status, row.finished_at = DONE, runner.stamp
                return Outcome(False, convert.loads(row.error) if runner.persist else failure)
            runner.record_call(call.display_name, args, kwargs, attempt, runner.now, None)
            row.attempts = attempt
            try:
                text = runner.encode(value, "the result of step {!r}", call.display_name)
            except WfcError as err:  # it would fail the same way again: not retried
                span.outcome("failed")
                info = error_info(err)
                attempt_failed(runner, inst, row, attempt, info)
                failure = to_exception(info, step=call.display_name, attempts=attempt)
                row.error, row.status, row.finished_at = convert.dumps_failure(failure), DONE, runner.stamp
                return Outcome(False, failure)
            span.outcome("ok")
            row.result, row.error, row.status, row.finished_at = text, None, DONE, runner.stamp
            return Outcome(True, runner.stored(value, text))

def attempt_failed(runner: Runner, inst: Inst, row: LeafRow, attempt: int, info: Any) -> None:
    row.attempts = attempt
    error, trace = attempt_log.capped(info.describe(), info.traceback)
    kept = inst.attempts.setdefault((row.seq, row.pos), [])
    # A step's own work takes no virtual time: each attempt starts and ends at the moment it runs, as under the
    # durable runtime's fake clock.
    kept.append((attempt, runner.stamp, runner.stamp, error, trace))
    if len(kept) > attempt_log.FIRST + attempt_log.LAST:
        del kept[attempt_log.FIRST]

def child(runner: Runner, inst: Inst, leaf: Leaf) -> Wake:
    child = leaf.child
    assert child is not None
    if leaf.queue is None:
        ok, value = yield from runner.run_workflow(child, leaf.value)
    else:  # in line on its queue (since the suspension started it), then run: the call waits for both
        ok, value = yield from runner.queued(leaf.queue, child, leaf.value)
    row = leaf.row
    if leaf.draining:  # its row was canceled when its parent's cancel asked it to stop: it stays so
        return Outcome(ok, value)
    row.status, row.finished_at = DONE, runner.stamp
    if ok:
        row.result = runner.encode(value, "the result of workflow {}", child.name)
        return Outcome(True, value)
    # Crossing into the parent as data, as it would in the durable runtime.
    failure = to_exception(
        error_info(value, traceback=tracebacks.of(value)), step=child.name, attempts=1
    )
    row.error = encode_error(failure)
    return Outcome(False, convert.loads(row.error) if runner.persist else failure)


def _timeout(name: str, timeout: float) -> Timeout:
    return Timeout(f"event {name!r} did not arrive within {timeout:g}s")


__all__ = ["Group", "Inst", "Leaf", "Outcome", "Task", "Wake", "prepare", "start"]
