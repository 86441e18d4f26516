"""The in-memory runner behind :mod:`wfc.testing`: the durable runtime's machine on virtual time, no database.

Every workflow instance (the one under test and each child workflow, an instance of its own with the id the
durable runtime gives it: ``<parent id>/<seq>`` or ``<parent id>/<seq>.<path>``) runs as a Python generator that
yields the virtual time it waits for; a suspension's command tree is one *group* whose leaves (steps, timers, event
waits, child workflows) are generators of their own, resumed when their time comes. A group is decided by the
durable runtime's own rule (:func:`wfc.runtime.groups.decide`) as outcomes arrive, and what the decision did not
use is canceled at that moment, as the durable runtime cancels it: a step waiting for a retry is not retried, a
child workflow is canceled with everything it waits on, an event a losing wait took goes back.

Each leaf is kept as the durable runtime's history row (:class:`~wfc.runtime.store.protocol.LeafRow`, with the
same encoded arguments, results and errors) and read back by the runtime's own reader, so
``RunResult.history`` is what ``Runtime.history(id)`` gives for the same run.

Order at one moment (docs/testing.md): events first, in the order they were sent; then what was there the moment
a command started (a zero sleep or timeout, arguments that cannot be stored); then steps, timers and waits that
time out, lowest index first; then transactional steps; child workflows last (a child starts, and moves, after
the steps that started with it have run, as in the durable runtime, where a child's rows are claimed after its
parent's steps ran). Between instances nothing else orders (a started child and its parent), each move carries
the label of the durable runtime's cycle it happens in (claim round, delivery depth), and a started child makes
its moves of earlier cycles before another instance moves (``Runner._catch_up``).
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import math
from collections.abc import Callable
from typing import Any

from wfc import convert
from wfc.commands import (
    AllOf,
    AnyOf,
    ChildCall,
    Command,
    RetryPolicy,
    WorkflowDef,
)
from wfc.continuation import ContinueAsNew
from wfc.errors import Canceled, WfcError, WorkflowRuntimeError, WorkflowTimeout
from wfc.runtime import context, steps, tracebacks, tracing
from wfc.runtime.failures import error_info, to_exception
from wfc.runtime.groups import LATE, Seen, build, decide, flatten
from wfc.runtime.link import machine_for
from wfc.runtime.machine import Completed, Failed, Suspended
from wfc.runtime.store.protocol import (
    CANCEL,
    CANCELED,
    CHILD,
    DEADLINE,
    DONE,
    EVENT,
    JOIN,
    OPEN,
    STEP,
    TX,
    LeafRow,
)
from wfc.runtime.typecheck import check_arguments, check_result
from wfc.testing._leaves import INF, Group, Inst, Leaf, Outcome, Task, Wake, prepare
from wfc.testing._leaves import start as start_leaf
from wfc.testing._queues import Queues


class Runner:
    def __init__(
        self,
        *,
        events: list[Any],
        cancels: list[Any],
        start: dt.datetime,
        retry: RetryPolicy | None,
        db: Any,
        persist: bool,
        native: bool,
        max_transitions: int,
        max_value_size: int,
        mocks: dict[str, Callable[..., Any]],
        tracer: tracing.Tracing,
        record: Callable[..., None],
    ) -> None:
        self.mocks = mocks
        self.limit = max_value_size
        self.events = sorted(events, key=lambda e: e.at)  # an event's index is the order it was sent in
        self.cancels = sorted(cancels, key=lambda c: c.at)  # wfc.testing.Cancel, each applied once
        self.applied: set[int] = set()
        self.start = start
        self.base = start.timestamp()
        self.t = self.base  # the virtual clock, as the durable runtime's clock reads it (seconds since the epoch)
        self.retry = retry
        self.db = db
        self.persist = persist
        self.native = native
        self.max_transitions = max_transitions
        self.transitions = 0
        self.tracer = tracer
        self.record_call = record  # StepRecord for RunResult.calls
        self.instances: dict[str, Inst] = {}
        self.top_id = "test"
        self.tasks: dict[str, Task] = {}  # started children by id
        self.background: list[Task] = []  # started children no join drives now
        self._taken: tuple[str, int, set[str]] = ("", -1, set())
        self.queues = Queues(self)  # started children on named queues
        self.drivers: dict[str, tuple[Leaf, Inst]] = {}  # a child's id -> the leaf driving it, and that leaf's instance
        self.poked: float | None = None  # the instance under test must look again (a queue admitted what it waits on)
        # The durable runtime's cycles within one moment (docs/testing.md, "Moments and ties"), as labels
        # (claim round k, delivery depth j): claim k takes every row due (transactional steps run, starts and
        # resolved rows make their transition), then the steps leased are delivered, cycle after cycle (depth
        # 1, 2, ...) while transitions lease more; then claim k + 1. ``cur`` is the label of the move being made,
        # with its moment; started children (which nothing else orders against their parent) move by it.
        self.cur: tuple[float, int, int] = (self.t, 1, 0)
        self._frontier: tuple[tuple[int, int], int] | None = None  # a started child catching up stops here
        self._closing: tuple[int, int] | None = None  # the label of the move that cancels started children

    @property
    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.t - self.base)

    @property
    def stamp(self) -> float:
        return self.t

    # ---- values ---------------------------------------------------------------------------------------------

    def encode(self, value: Any, what: str, *args: object) -> str:
        """``value`` as the durable runtime stores it (raises ``WFC401``/``WFC425`` as it does). Without
        ``persist`` a value that cannot be stored is kept in history as its ``repr``."""
        try:
            return steps.encode(value, self.limit, what, *args)
        except WfcError:
            if self.persist:
                raise
            return convert.dumps(repr(value))

    def stored(self, value: Any, text: str) -> Any:
        return steps.roundtrip(value, text) if self.persist else value

    # ---- the whole run -------------------------------------------------------------------------------------

    def drive(self, gen: Wake, top: Inst) -> Any:
        """Run the top-level instance to its end; raise ``WFC408`` if it waits for something that never comes.
        Started children no join drives move in the background, after the instances that wait at the same moment
        (their rows are claimed after those); detached ones still running when the top ends run on to their end
        or to a wait that never ends."""
        try:
            wake = next(gen)
            while True:
                if self.poked is not None:
                    wake, self.poked = min(wake, self.poked), None
                if self._background(wake):
                    continue
                if math.isinf(wake):
                    raise WfcError(
                        f"the workflow waits for an event the test never sends ({self.waiting(top)})",
                        code="WFC408",
                        hint="pass it to wfc.testing.run(..., events={'name': value}) or give the wait a timeout",
                    )
                self.t = max(self.t, wake)
                wake = gen.send(None)
        except StopIteration as stop:
            while self._background(INF):
                pass
            for inst in self.instances.values():
                if inst.state == "running":  # a detached child left at a wait no event ends
                    inst.state = unfinished_state(inst)
            return stop.value

    def _background(self, before: float) -> bool:
        """Move the started child due first, if it is due before ``before``; ``True`` if one moved."""
        due = min(self.background, key=lambda task: task.wake, default=None)
        if due is None or due.wake >= before or math.isinf(due.wake):
            return False
        self.t = max(self.t, due.wake)
        assert due.gen is not None
        try:
            due.wake = due.gen.send(None)
        except StopIteration as stop:
            due.gen, due.end = None, stop.value
            self.background.remove(due)
            self.ended(due)
        return True

    def start_task(self, parent: Inst, leaf: Leaf) -> None:
        """Start the child a ``start_child`` leaf asked for: an instance of its own, moving in the background
        (on a named queue: once the queue admits it)."""
        workflow, variables, detached = leaf.start
        child = self.new_instance(leaf.row.child or "", workflow, leaf.row.name, self.tracer.current() or parent.trace)
        child.parent, child.detached = parent.id, detached
        task = Task(child, None, self.t)
        child.first = self._next_claim()  # its start row is claimed in the next round
        self.tasks[child.id] = task
        self.background.append(task)
        if leaf.queue is None:
            task.gen = self.run_workflow(child, variables)
        else:
            entry = self.queues.enqueue(task, *leaf.queue)
            task.gen = self.queued(entry, child, variables)

    def queued(self, entry: Any, inst: Inst, variables: dict[str, Any]) -> Wake:
        """A started child on a named queue: it waits in line (:mod:`wfc.testing._queues`), then runs. A cancel
        or its timeout while it waits ends it at once (it has no ``yield`` to raise at), as the durable runtime
        ends an instance that has not started."""
        try:
            error = yield from self._in_line(entry, inst)
        except GeneratorExit:  # its parent ended while it waited
            inst.state, inst.finished = "canceled", self.t
            self._ended(inst)
            raise
        if error is not None:
            inst.state, inst.finished = "canceled", self.t
            self._ended(inst)
            self.tracer.outcome("canceled")
            return False, error
        return (yield from self.run_workflow(inst, variables))

    def _in_line(self, entry: Any, inst: Inst) -> Any:
        # First looked at when it first moves: after what started it at this moment, as the durable runtime
        # claims its start row after the transaction that wrote it (children enqueued together line up first).
        if entry.admitted is None:
            self.queues.pump(entry)
        while entry.admitted is None:
            yield min(entry.wake, self.next_cancel(inst))
            for i, cancel in self._cancels_for(inst):
                if self.base + cancel.at > self.t:
                    break
                self.applied.add(i)
                return Canceled(f"workflow {inst.id!r} was canceled")
            deadline = inst.deadline
            if deadline is not None and deadline.status == OPEN and (deadline.ready_at or 0.0) <= self.t:
                deadline.status, deadline.finished_at = DONE, deadline.ready_at
                seconds = (deadline.ready_at or 0.0) - deadline.scheduled_at
                return WorkflowTimeout(f"workflow {inst.id!r} timed out after {seconds:g}s")
            if entry.admitted is None and entry.wake <= self.t:  # the rate window moved on
                entry.wake = INF
                self.queues.pump(entry)
        return None

    def poke(self, iid: str, at: float) -> None:
        """Instance ``iid`` must move at ``at``, though it waits for nothing with a time (a queue admitted it):
        tell whoever drives it — the background, the leaf of the parent that joins it (and that parent's driver,
        up to the instance under test)."""
        if iid == self.top_id:
            self.poked = at if self.poked is None else min(self.poked, at)
            return
        task = self.tasks.get(iid)
        if task is not None and any(t is task for t in self.background):
            task.wake = min(task.wake, at)
            if at <= self.t:  # its start row, due again, is claimed in the next round
                task.inst.first = self._next_claim()
            return
        driver = self.drivers.get(iid)
        if driver is not None:
            leaf, parent = driver
            if leaf.gen is not None:
                leaf.wake = min(leaf.wake, at)
            self.poke(parent.id, at)

    def ended(self, task: Task) -> None:
        """A started child ended (its own end: its started children end with it)."""

    def close_children(self, inst: Inst) -> None:
        """``inst`` ended: the children it started and did not detach are canceled, as the durable runtime does."""
        for task in list(self.background):
            child = task.inst
            if child.parent == inst.id and not child.detached and task.gen is not None:
                self._close_task(task)

    def _close_task(self, task: Task) -> None:
        """Cancel a started child at once (its generator closed: it runs no more code)."""
        child = task.inst
        self.background.remove(task)
        gen, task.gen = task.gen, None
        assert gen is not None
        # Asked to cancel by its parent's graceful cancel and closed before it took the request: the durable
        # runtime wrote the child's `cancel` record in the parent's transaction (control._cancel_gracefully), and
        # it is canceled with the child.
        asked = child.group if child.asked_to_cancel and not child.cancel_requested else None
        saved, self._closing = self._closing, (self.cur[1], self.cur[2]) if self.cur[0] == self.t else (1, 0)
        try:
            gen.close()
        finally:
            self._closing = saved
        if asked is not None and asked.leaves:
            child.asked_to_cancel = False
            first = asked.leaves[0].row
            row = LeafRow(0, first.seq, len(asked.leaves), "", CANCEL, "cancel", status=CANCELED, state_id=first.state_id)
            row.error = convert.dumps_failure(Canceled(f"workflow {child.id!r} was canceled"))
            row.scheduled_at = row.finished_at = self.stamp
            child.rows.append(row)
        if child.state in ("running", "enqueued"):  # canceled before it first moved
            child.state, child.finished = "canceled", self.t
            self.close_children(child)
            self.queues.ended(child)

    def taken_ids(self, seq: int, inst: Inst) -> set[str]:
        """The child ids suspension ``seq`` of ``inst`` takes (two children of one suspension cannot share one)."""
        if self._taken[0] != inst.id or self._taken[1] != seq:
            self._taken = (inst.id, seq, set())
        return self._taken[2]

    def waiting(self, inst: Inst) -> str:
        names = []
        for i in self.instances.values():
            names += [f"wait_event({r.name!r})" for r in i.rows if r.kind == EVENT and r.status == OPEN]
        return ", ".join(names) or "nothing"

    def new_instance(
        self, iid: str, defn: WorkflowDef, name: str, trace: str | None, timeout: float | None = None
    ) -> Inst:
        inst = Inst(iid, defn, name, trace, started=self.t, order=len(self.instances))
        self.instances[iid] = inst
        timeout = defn.timeout if timeout is None else timeout
        if timeout is not None:  # as the durable runtime's deadline row, at suspension 0
            inst.deadline = LeafRow(0, 0, 1, "", DEADLINE, f"timeout {timeout:g}s", ready_at=self.t + timeout)
            inst.deadline.scheduled_at = self.t
            inst.rows.append(inst.deadline)
        return inst

    def _ended(self, inst: Inst) -> None:
        """``inst`` ended: the children it started are canceled, its open timeout too; its queue's next in line
        may go."""
        self.close_children(inst)
        self.queues.ended(inst)
        deadline = inst.deadline
        if deadline is not None and deadline.status == OPEN:
            deadline.status, deadline.finished_at = CANCELED, self.stamp

    def transition(self, inst: Inst, seq: int) -> context.TransitionContext:
        self.transitions += 1
        if self.transitions > self.max_transitions:
            raise WfcError(
                f"the workflow did not finish within {self.max_transitions} transitions",
                code="WFC408",
                hint="an endless loop of steps? raise max_transitions= if this is intended",
            )
        return context.TransitionContext(inst.id, seq, self.now, limit=self.limit)

    def commit(self, inst: Inst, ctx: context.TransitionContext) -> None:
        """What a transition does once it "commits": its logs are emitted, its statuses published."""
        ctx.flush_logs()
        if ctx.statuses:
            inst.statuses.update((k, convert.loads(v)) for k, v in ctx.statuses.items())
            ctx.statuses = None

    def run_workflow(self, inst: Inst, variables: dict[str, Any]) -> Wake:
        run = self._native if self.native else self._compiled
        if inst.id == self.top_id:
            # A cancel sent at the start comes before the start's own transition (Cancel: "before what else is
            # due"): the durable runtime ends an instance that has not made its first transition at once, with
            # no records, since there is no `yield` yet to raise wfc.Canceled at (as a queued one waiting in line).
            for i, cancel in self._cancels_for(inst):
                if self.base + cancel.at > self.t:
                    break
                self.applied.add(i)
                inst.state, inst.finished = "canceled", self.t
                self._ended(inst)
                self.tracer.outcome("canceled")
                return False, Canceled(f"workflow {inst.id!r} was canceled")
        try:
            ok, value = yield from run(inst, variables, 0)
            while ok and type(value) is ContinueAsNew:  # as wfc.runtime.continuing: the next run, same instance
                ok, value = self._next_run(inst, value)
                if ok:
                    yield self.t  # the durable runtime claims the next run's start row in a round of its own
                    ok, value = yield from run(inst, value, inst.last_seq + 1)
        except GeneratorExit:
            inst.state, inst.finished = "canceled", self.t
            self._ended(inst)
            raise
        except _Forced as forced:  # Cancel(force=True), or a timeout during a cleanup: ended at once
            inst.state, inst.finished = "canceled", self.t
            self._ended(inst)
            self.tracer.outcome("canceled")
            return False, forced.error
        if not ok:  # as the durable runtime ends an instance: where it failed, in the workflow's own code too
            tracebacks.attach(value, tracebacks.format_traceback(value))
        inst.state, inst.finished = end_state(inst, ok, value), self.t
        self._ended(inst)
        return ok, value

    def _next_run(self, inst: Inst, cont: ContinueAsNew) -> tuple[bool, Any]:
        """End ``inst``'s run and begin the next (``wfc.continue_as_new``): its arguments checked as the durable
        runtime checks them (``(True, variables)``; a refusal fails the instance: ``(False, error)``), the run's
        rows dropped but an open timeout, its started children (not detached) canceled, a cancel request
        forgotten. Sequence numbers go on, as the durable runtime's."""
        try:
            variables = check_arguments(inst.defn, tuple(cont.args), dict(cont.kwargs))
            text = steps.check_size(
                convert.dumps_vars(variables), self.limit, "the arguments of workflow {} continued as new",
                inst.name,
            )
        except WfcError as exc:
            return False, exc
        self.close_children(inst)
        inst.rows = [r for r in inst.rows if r.kind == DEADLINE and r.status == OPEN]
        inst.attempts = {}
        inst.cancel_requested = False
        inst.run += 1
        if self.persist and not self.native:
            variables = convert.roundtrip_vars(variables, text)
        return True, variables

    # ---- cancels ---------------------------------------------------------------------------------------------

    def _cancels_for(self, inst: Inst) -> list[tuple[int, Any]]:
        return [
            (i, c)
            for i, c in enumerate(self.cancels)
            if i not in self.applied
            and (c.to == inst.id or (c.to is None and inst.id == self.top_id))
            and self.base + c.at >= inst.started
        ]

    def next_cancel(self, inst: Inst) -> float:
        """When the next cancel for ``inst`` is sent, or its timeout passes (``inf``: never)."""
        if inst.asked_to_cancel:
            return self.t
        pending = self._cancels_for(inst)
        first = max(self.base + pending[0][1].at, self.t) if pending else INF
        deadline = inst.deadline
        if deadline is not None and deadline.status == OPEN:
            first = min(first, max(deadline.ready_at or 0.0, self.t))
        return first

    def _timed_out(self, inst: Inst, group: Group) -> bool:
        """The timeout of ``inst`` passed: canceled as a cancel does, with ``wfc.WorkflowTimeout`` (at once when it
        already runs a cleanup)."""
        deadline = inst.deadline
        if deadline is None or deadline.status != OPEN or (deadline.ready_at or 0.0) > self.t:
            return False
        deadline.status, deadline.finished_at = DONE, deadline.ready_at
        seconds = (deadline.ready_at or 0.0) - deadline.scheduled_at
        error = WorkflowTimeout(f"workflow {inst.id!r} timed out after {seconds:g}s")
        if inst.cancel_requested:
            raise _Forced(error)
        self._raise_at(inst, group, error)
        return True

    def _interrupt(self, inst: Inst, group: Group) -> bool:
        """Apply the cancels for ``inst`` sent by now, as ``Runtime.cancel`` does; ``True`` when a graceful one
        interrupted ``group`` (its result is then ``wfc.Canceled``). A forced one raises :class:`_Forced`."""
        if inst.asked_to_cancel:  # its parent's graceful cancel, delivered as a cancel of its own
            inst.asked_to_cancel = False
            if not inst.cancel_requested:
                self._raise_at(inst, group, Canceled(f"workflow {inst.id!r} was canceled"))
                return True
        for i, cancel in self._cancels_for(inst):
            if self.base + cancel.at > self.t:
                break
            self.applied.add(i)
            if cancel.force:
                raise _Forced(Canceled(f"workflow {inst.id!r} was canceled"))
            if inst.cancel_requested:
                continue  # the cleanup runs on: it is not interrupted again unless forced
            self._raise_at(inst, group, Canceled(f"workflow {inst.id!r} was canceled"))
            return True
        return self._timed_out(inst, group)

    def _raise_at(self, inst: Inst, group: Group, error: Canceled) -> None:
        """A graceful cancel of ``inst`` waiting on ``group``: what it waits on is canceled, a ``cancel`` record
        written, and ``error`` is the group's outcome (raised at the ``yield``)."""
        inst.cancel_requested = True
        at = self.stamp
        waiting: list[Leaf] = []
        for leaf in group.leaves:
            if leaf.event is not None:  # no wait won: what they took stays for the next wait
                inst.reserved.discard(leaf.event)
                row = leaf.row
                row.status, row.result, row.error, row.attempts = CANCELED, None, None, 0
                if leaf.gen is None:
                    continue
            if leaf.gen is not None and leaf.row.kind in (CHILD, JOIN) and self._ask_to_cancel(leaf):
                waiting.append(leaf)  # as control._cancel_gracefully: its cleanup runs, the yield waits for it
            elif leaf.gen is not None:
                self._cancel(leaf)
        for task in list(self.background):  # children it started and does not wait on: asked, not waited for
            child = task.inst
            if child.parent == inst.id and not child.detached and task.gen is not None and not child.cancel_requested:
                if child.last_seq > 0:
                    child.asked_to_cancel, task.wake = True, self.t
                else:  # not started: no yield to raise at, it ends at once (as control.cancel_instance)
                    self._close_task(task)
        first = group.leaves[0].row
        row = LeafRow(0, first.seq, len(group.leaves), "", CANCEL, "cancel", status=DONE, state_id=first.state_id)
        row.error, row.scheduled_at = convert.dumps_failure(error), at
        if waiting:
            row.status = OPEN
            row.args = convert.dumps([leaf.row.child for leaf in waiting])
            group.draining = (row, error)
        else:
            row.ready_at, row.finished_at = at, at
            group.result, group.pending = Outcome(False, error), False
        inst.rows.append(row)

    def _ask_to_cancel(self, leaf: Leaf) -> bool:
        """A child a graceful cancel's interrupted yield waits on (a child call or a join): asked to cancel
        gracefully — its row canceled now, the child moved on by this wait until its cleanup ends — when it has
        a yield to raise at (else it ends at once: ``False``). One already running its cleanup is waited for."""
        child = leaf.child if leaf.row.kind == CHILD else self.tasks[leaf.row.child or ""].inst
        if child is None or child.state != "running":
            return False
        if not child.cancel_requested:
            if child.last_seq == 0:  # not started: no yield to raise at
                return False
            child.asked_to_cancel = True
        leaf.draining, leaf.wake = True, self.t  # it moves now, to raise wfc.Canceled at its own yield
        row = leaf.row
        row.status, row.finished_at, row.result, row.error, row.attempts = CANCELED, self.stamp, None, None, 0
        return True

    def _drained(self, inst: Inst, group: Group, due: list[Leaf]) -> bool:
        """Move the children a graceful cancel waits for, as a round of child moves; ``True`` once they have
        all ended: the cancel row is done and ``wfc.Canceled`` is the yield's outcome."""
        for leaf in due:
            if leaf.gen is not None:
                self._resume(leaf, inst)
        if any(leaf.gen is not None for leaf in group.leaves if leaf.draining):
            return False
        assert group.draining is not None
        row, error = group.draining
        row.status, row.ready_at, row.finished_at = DONE, self.stamp, self.stamp
        group.result, group.pending, group.draining = Outcome(False, error), False, None
        return True

    def finish(self, inst: Inst, value: Any) -> tuple[bool, Any]:
        """As the durable runtime ends an instance: the return value checked against its hint (converted), then
        stored; a mismatch or a value that cannot be stored fails the workflow."""
        try:
            if type(value) is ContinueAsNew:  # not a result: the next run begins (run_workflow)
                return True, value
            value = check_result(inst.defn, value)
            text = steps.encode(value, self.limit, "the result of workflow {}", inst.name)
            return True, self.stored(value, text) if self.persist else value
        except WfcError as exc:
            return False, exc

    def _compiled(self, inst: Inst, variables: dict[str, Any], first: int) -> Wake:
        machine = machine_for(inst.defn)
        seq = first  # the suspension the next transition resumes (0: the start; a continued run's start row)
        state: str | None = None
        ok, value = True, None
        v = variables
        stored, name = "", ""  # the resumed suspension's variables as stored, and its command's name
        redone = False
        while True:
            mark = len(inst.rows), set(inst.consumed)
            contexts: list[context.TransitionContext] = []
            group: Group | None = None
            redo: BaseException | None = None
            with self.tracer.transition(inst.trace, inst.name, inst.id, seq):
                ctx = self.transition(inst, seq)
                contexts.append(ctx)
                with context.transition(ctx):
                    if state is None:
                        outcome = machine.start(v)
                    elif ok:
                        outcome = machine.resume(state, v, value=value)
                    else:
                        outcome = machine.resume(state, v, error=value)
                k = seq
                while isinstance(outcome, Suspended):
                    try:
                        text = steps.check_size(
                            convert.dumps_vars(outcome.vars),
                            self.limit,
                            "the live variables of workflow {} at {}",
                            inst.name,
                            outcome.state,
                        )
                        live = convert.roundtrip_vars(outcome.vars, text) if self.persist else outcome.vars
                    except WfcError as exc:
                        # As the durable runtime: variables that cannot be stored raise at the yield whose outcome
                        # made them (the transition runs again from there, its effects undone); at the start, or a
                        # second time, the workflow fails.
                        if state is None or redone:
                            outcome = Failed(exc)
                            break
                        redo = to_exception(error_info(exc), step=name, attempts=1)
                        break
                    k += 1
                    group = self.suspend(inst, k, outcome.state, outcome.command)
                    if group.pending:
                        break
                    ctx = self.transition(inst, k)
                    contexts.append(ctx)
                    with context.transition(ctx):
                        if group.result.ok:
                            outcome = machine.resume(outcome.state, live, value=group.result.value)
                        else:
                            outcome = machine.resume(outcome.state, live, error=group.result.value)
                    group = None
                if redo is None:
                    for ctx in contexts:  # logs are emitted once the transition "commits"
                        self.commit(inst, ctx)
                    if not isinstance(outcome, Suspended):
                        if isinstance(outcome, Completed):
                            done = self.finish(inst, outcome.value)
                        else:
                            assert isinstance(outcome, Failed)
                            done = (False, outcome.error)
                        self.tracer.outcome(end_state(inst, *done))
                        return done
            if redo is not None:
                del inst.rows[mark[0] :]
                inst.consumed = mark[1]
                self._redo_row(inst, seq, redo)
                redone = True
                ok, value = False, redo
                v = convert.loads_vars(stored) if self.persist and stored else v
                continue
            redone = False
            assert group is not None and isinstance(outcome, Suspended)
            result = yield from self.wait(inst, group)
            seq, state, v = k, outcome.state, live
            stored, name = text, _command_name(outcome.command)
            ok, value = result.ok, result.value

    def _redo_row(self, inst: Inst, seq: int, redo: BaseException) -> None:
        """The lone command whose outcome made variables that cannot be stored fails with that error."""
        for row in inst.rows:
            if row.seq == seq and row.path == "":
                row.result, row.error = None, convert.dumps_failure(redo)
                row.status = DONE

    def _native(self, inst: Inst, variables: dict[str, Any], first: int) -> Wake:
        defn = inst.defn
        if defn.fn is None:
            raise WfcError(
                f"run_native needs a Python workflow; {defn.name} comes from a .wf file", code="WFC409"
            )
        args, kwargs = _call_arguments(defn, variables)
        seq = k = first
        gen: Any = None
        send: tuple[bool, Any] = (True, None)
        while True:
            with self.tracer.transition(inst.trace, inst.name, inst.id, seq):
                group: Group | None = None
                while group is None:
                    ctx = self.transition(inst, k)
                    with context.transition(ctx):
                        try:
                            if gen is None:
                                gen = defn.fn(*args, **kwargs)
                                if not inspect.isgenerator(gen):  # a workflow with no steps: its value, at once
                                    self.commit(inst, ctx)
                                    return self._native_end(inst, True, gen)
                                cmd = next(gen)
                            elif send[0]:
                                cmd = gen.send(send[1])
                            else:
                                cmd = gen.throw(send[1])
                            while not isinstance(cmd, Command):
                                cmd = gen.throw(
                                    WorkflowRuntimeError(
                                        f"the workflow yielded {type(cmd).__name__} {cmd!r:.60}, which is not a "
                                        "command",
                                        code="WFC403",
                                        hint="yield a step or workflow call, wfc.sleep(), wfc.wait_event(), "
                                        "wfc.all_of() or wfc.any_of()",
                                    )
                                )
                        except StopIteration as stop:
                            self.commit(inst, ctx)
                            return self._native_end(inst, True, stop.value)
                        except BaseException as exc:  # SystemExit too: the workflow fails, as compiled
                            self.commit(inst, ctx)
                            return self._native_end(inst, False, exc)
                    self.commit(inst, ctx)
                    k += 1
                    group = self.suspend(inst, k, None, cmd)
                    if not group.pending:
                        send = (group.result.ok, group.result.value)
                        group = None
            result = yield from self.wait(inst, group)
            send = (result.ok, result.value)
            seq = k

    def _native_end(self, inst: Inst, ok: bool, value: Any) -> tuple[bool, Any]:
        done = self.finish(inst, value) if ok else (False, value)
        self.tracer.outcome(end_state(inst, *done))
        return done

    # ---- suspensions -----------------------------------------------------------------------------------------

    def suspend(self, inst: Inst, k: int, state_id: str | None, command: Command) -> Group:
        """Write suspension ``k``'s rows and look at every leaf; decide the tree at once if what is there
        decides it (then none of its steps starts), else start its leaves (they run when resumed)."""
        pairs, shape = flatten(command)
        at = self.stamp
        inst.last_seq = k
        group = Group(shape, [], races=not isinstance(shape, int) and '"any"' in json.dumps(shape))
        for i, (path, cmd) in enumerate(pairs):
            row = LeafRow(0, k, i, path, STEP, "", scheduled_at=at, state_id=state_id)
            leaf = Leaf(i, cmd, row)
            group.leaves.append(leaf)
            inst.rows.append(row)
            prepare(self, inst, leaf)
        decision = decide(shape, [leaf.seen for leaf in group.leaves])
        if decision is not None:
            for leaf in group.leaves:  # decided at once: what it did not use is canceled, with no outcome
                if leaf.index not in decision.leaves and leaf.event is None:
                    leaf.seen = None
                    row = leaf.row
                    row.status, row.result, row.error, row.attempts = OPEN, None, None, 0
                elif leaf.start is not None:
                    self.start_task(inst, leaf)
            self._close(inst, group, decision)
            return group
        window = inst.defn.max_parallelism if len(pairs) > 1 else None
        for leaf in group.leaves:
            if leaf.start is not None:
                self.start_task(inst, leaf)
            if leaf.seen is None:
                if window is not None and leaf.row.kind in WINDOWED:
                    if window <= 0:
                        leaf.held = True  # started when a running one of the window ends
                        if leaf.row.kind == CHILD:
                            leaf.row.started_at = None
                        continue
                    window -= 1
                self._start_leaf(inst, k, leaf)
        group.pending = True
        return group

    def _start_leaf(self, inst: Inst, k: int, leaf: Leaf) -> None:
        cmd = leaf.cmd
        if isinstance(cmd, ChildCall):  # started by the suspension that waits for it, in its span
            trace = self.tracer.current() or inst.trace
            leaf.child = self.new_instance(leaf.row.child or "", cmd.workflow, cmd.display_name, trace)
            leaf.child.first = self._next_claim()
            self.drivers[leaf.child.id] = (leaf, inst)
            if leaf.queue is not None:  # in line from now on, as the durable runtime enqueues it with this suspension
                leaf.queue = self.queues.enqueue(Task(leaf.child, None, self.t), *leaf.queue)
        _, k_now, j_now = self.cur if self.cur[0] == self.t else (self.t, 1, 0)
        if leaf.row.kind == STEP:  # leased by this transition, delivered in the next cycle
            leaf.at = (self.t, k_now, j_now + 1)
        elif leaf.row.kind == TX:  # claimed (and run) in the next round
            leaf.at = self._next_claim()
        else:  # its first look (a timer, a wait) changes nothing the durable runtime would order
            leaf.at = (self.t, k_now, j_now)
        leaf.gen = start_leaf(self, inst, k, leaf)
        leaf.wake = self.t

    def _release(self, inst: Inst, group: Group, ended: list[Leaf]) -> None:
        """Each ended step or child of a window starts the next held leaf, lowest index first (fanout.py)."""
        for leaf in ended:
            if leaf.row.kind not in WINDOWED:
                continue
            held = next((h for h in group.leaves if h.held), None)
            if held is None:
                return
            held.held = False
            if held.row.kind in (STEP, TX):
                held.row.ready_at = self.stamp  # as release_held makes it due
            else:
                held.row.started_at = self.stamp
            self._start_leaf(inst, held.row.seq, held)

    # ---- waiting for a group ---------------------------------------------------------------------------------

    def wait(self, inst: Inst, group: Group) -> Wake:
        """Run a suspension's leaves until the tree is decided; cancel what it did not use.

        At one moment, as the durable runtime delivers outcomes: every event wait, timer and step due then moves
        (the steps of a group run at once); the events taken count at once (they arrived before anything ran),
        then the other outcomes (steps, timers, timeouts) one at a time in rank order, the tree decided after
        each — what comes after the decision is refused (a step that ran shows what it did on its canceled
        record). Then every child workflow due makes one move, in index order, and the tree is decided over all
        their ends (the durable runtime runs the children after the steps that started with them, and their ends
        wait on the parent's records until it moves)."""
        leaves = group.leaves
        inst.group = group
        try:
            while True:
                yield min(
                    min((leaf.wake for leaf in leaves if leaf.gen is not None), default=INF), self.next_cancel(inst),
                    self.t if group.resolved is not None else INF,
                )
                if group.draining is None and self._interrupt(inst, group) and group.draining is None:
                    return group.result
                resolved = group.resolved
                if resolved is not None and (
                    self._frontier is None or ((resolved[1], resolved[2]), inst.order) < self._frontier
                ):
                    group.resolved, group.untaken, self.cur = None, [], resolved
                    if self._deliver(inst, group, [], after_steps=True):
                        return group.result
                if group.draining is not None:
                    if self.next_cancel(inst) <= self.t:
                        try:
                            self._interrupt(inst, group)  # a forced cancel (or a timeout) ends it at once
                        except _Forced:
                            row, _ = group.draining
                            row.status, row.finished_at = CANCELED, self.stamp  # as cancel_open leaves it
                            raise
                    due = [
                        leaf for leaf in leaves
                        if leaf.gen is not None and leaf.wake <= self.t and self._may_move(inst, leaf)
                    ]
                    if self._drained(inst, group, due):
                        return group.result
                    continue
                now = self.t
                seen: list[Any] = []
                while True:
                    due = [
                        leaf for leaf in leaves
                        if leaf.gen is not None and leaf.wake <= now and self._may_move(inst, leaf)
                    ]
                    if not due:
                        break
                    # Catching up, a child may have no move to make before the frontier: nothing changed, stop.
                    look = [(leaf.index, leaf.wake, self.label(leaf)) for leaf in due]
                    if look == seen:
                        break
                    seen = look
                    plain = [leaf for leaf in due if leaf.row.kind not in (CHILD, JOIN, TX)]
                    if plain:
                        ended = [leaf for leaf in plain if self._resume(leaf, inst)]
                        self._release(inst, group, ended)
                        if ended and self._deliver(inst, group, ended):
                            return group.result
                    elif self._claimed(inst, group, due):
                        return group.result
        finally:
            inst.group = None
            if group.resolved is not None:  # canceled before it took the child's end: the row is canceled
                for leaf in leaves:
                    if leaf.index in group.untaken:
                        leaf.row.status = CANCELED
            for leaf in leaves:
                if leaf.gen is not None:  # canceled: the group was decided, or this instance is canceled
                    self._cancel(leaf)

    def _claimed(self, inst: Inst, group: Group, due: list[Leaf]) -> bool:
        """Move transactional steps, then child workflows, due now, each in index order, as the durable runtime
        claims their rows (after the steps of the moment ran; an instance's own rows before its children's): a
        transactional step's outcome decides at once, a child's end waits on the parent's record until the round
        is over. ``True`` when the tree is decided."""
        ended = False
        children: list[int] = []
        for leaf in sorted(due, key=lambda leaf: leaf.row.kind in (CHILD, JOIN)):  # its own rows first
            if leaf.gen is not None and self._resume(leaf, inst):
                ended = True
                if leaf.row.kind in (CHILD, JOIN):
                    children.append(leaf.index)
                self._release(inst, group, [leaf])
                if leaf.row.kind == TX and self._deliver(inst, group, [leaf], after_steps=True):
                    return True
        if ended and self._frontier is not None and ((self.cur[1], self.cur[2]), inst.order) >= self._frontier:
            # A child ended while this started child caught up: its row is claimed in a round the frontier
            # has not reached; this instance takes it then (wait, ``group.resolved``).
            group.resolved, group.untaken = self.cur, group.untaken + children
            return False
        return ended and self._deliver(inst, group, [], after_steps=True)

    def _next_claim(self) -> tuple[float, int, int]:
        """The label of the claim round after the move being made: what it writes that is not a step it leases
        (a transactional step, a child's start, a resolved row) is claimed there."""
        k = self.cur[1] if self.cur[0] == self.t else 1
        return (self.t, k + 1, 0)

    def label(self, leaf: Leaf) -> tuple[int, int]:
        """The cycle label of ``leaf``'s next move at this moment (a child's: its instance's next move)."""
        kind = leaf.row.kind
        if kind == CHILD and leaf.child is not None:
            return self.inst_label(leaf.child)
        if kind == JOIN:
            task = self.tasks.get(leaf.row.child or "")
            if task is not None:
                return self.inst_label(task.inst)
        if leaf.at is not None and leaf.at[0] == self.t:
            return leaf.at[1], leaf.at[2]
        # due at a moment of its own: claimed in its first round (a step is then leased and delivered after it)
        return (1, 1) if kind == STEP else (1, 0)

    def inst_label(self, inst: Inst) -> tuple[int, int]:
        """The cycle label of ``inst``'s next move at this moment: its start, a cancel asked of it, or the first
        of the leaves due now of the suspension it waits on."""
        first = inst.first
        if inst.group is None or inst.asked_to_cancel:
            return (first[1], first[2]) if first is not None and first[0] == self.t else (1, 0)
        labels = [self.label(leaf) for leaf in inst.group.leaves if leaf.gen is not None and leaf.wake <= self.t]
        resolved = inst.group.resolved
        if resolved is not None and resolved[0] == self.t:
            labels.append((resolved[1], resolved[2]))
        return min(labels, default=(1, 0))

    def _may_move(self, inst: Inst, leaf: Leaf) -> bool:
        """Whether ``leaf`` of ``inst`` may move now: always, unless a started child is catching up to a move
        of another instance (``_frontier``) that comes first in the durable runtime's cycles."""
        return self._frontier is None or (self.label(leaf), self._mover(inst, leaf).order) < self._frontier

    def _mover(self, inst: Inst, leaf: Leaf) -> Inst:
        """The instance whose move resuming ``leaf`` of ``inst`` makes: a child leaf's, its child's."""
        if leaf.row.kind == CHILD and leaf.child is not None:
            return leaf.child
        if leaf.row.kind == JOIN and (leaf.row.child or "") in self.tasks:
            return self.tasks[leaf.row.child or ""].inst
        return inst

    def _catch_up(self, label: tuple[int, int], inst: Inst) -> None:
        """Before ``inst`` makes a move at ``label``: the started children due now whose next moves come first in
        the durable runtime's cycles (an earlier label; the same one in an instance claimed first) make them,
        earliest first. A started child is thus where the durable runtime has it when its parent ends."""
        if not self.background:
            return
        bound = (label, inst.order)
        stuck: set[int] = set()
        while True:
            ready = [
                (self.inst_label(task.inst), task.inst.order, n)
                for n, task in enumerate(self.background)
                if id(task) not in stuck and task.wake <= self.t and _movable(task)
            ]
            ready = [r for r in ready if (r[0], r[1]) < bound]
            if not ready:
                return
            before, _, n = min(ready)
            task = self.background[n]
            saved, saved_cur = self._frontier, self.cur
            self._frontier = bound if saved is None else min(saved, bound)
            self.cur = (self.t, *before)
            assert task.gen is not None
            try:
                task.wake = task.gen.send(None)
            except StopIteration as stop:
                task.gen, task.end = None, stop.value
                self.background.remove(task)
                self.ended(task)
            finally:
                self._frontier, self.cur = saved, saved_cur
            if task.gen is not None and task.wake <= self.t and self.inst_label(task.inst) <= before:
                stuck.add(id(task))  # it made no move it may make now

    def _deliver(self, inst: Inst, group: Group, ended: list[Leaf], after_steps: bool = False) -> bool:
        """Deliver the outcomes of ``ended`` (the events taken and children's ends at once, the rest one at a
        time in rank order) and decide the tree; ``True`` when it is decided (the rest come after it).
        ``after_steps``: delivered after every step of the moment reported (its failed attempts count)."""
        later = sorted(
            (leaf for leaf in ended if leaf.row.kind not in (CHILD, JOIN) and leaf.event is None),
            key=lambda leaf: leaf.seen.order,  # type: ignore[union-attr]
        )
        hidden = {leaf.index for leaf in later}
        seen = [None if x.index in hidden else x.seen for x in group.leaves]
        open_ = seen.count(None)
        steps = [None] if len(later) < len(ended) or not ended else []  # what counts at once, before the rest
        for i, leaf in enumerate([*steps, *later]):
            if leaf is not None:
                seen[leaf.index] = leaf.seen
                open_ -= 1
                if leaf.ok and open_ and not group.races:
                    continue  # a success inside all_of only decides nothing while items are open (fanout.py)
            decision = decide(group.shape, seen)
            if decision is not None:
                for rest in later[i + 1 - len(steps) :]:
                    rest.late = True
                self._close(inst, group, decision, retries_late=not after_steps)
                return True
        return False

    def _resume(self, leaf: Leaf, inst: Inst) -> bool:
        """Run ``leaf`` of ``inst`` up to its next wait; ``True`` when it has its outcome. The started children
        whose moves come first in the durable runtime's cycles make them before."""
        label = self.label(leaf)
        self._catch_up(label, self._mover(inst, leaf))
        self.cur = (self.t, *label)
        assert leaf.gen is not None
        try:
            leaf.wake = leaf.gen.send(None)
            self.cur = (self.t, *label)  # the moves of a child it drove had labels of their own
            return False
        except StopIteration as stop:
            out: Outcome = stop.value
            if leaf.row.kind in (CHILD, JOIN):  # a child's end resolves its row: claimed in the next round
                self.cur = self._next_claim()
                self._catch_up((self.cur[1], self.cur[2]), inst)  # before the parent moves on there
            else:
                self.cur = (self.t, *label)
            leaf.gen, leaf.wake = None, INF
            leaf.ok, leaf.value = out.ok, out.value
            arrival = leaf.event if leaf.event is not None else LATE
            leaf.seen = Seen(out.ok, (self.t, arrival, leaf.index))
            return True

    def _cancel(self, leaf: Leaf) -> None:
        if self._closing is not None and leaf.row.kind == STEP and leaf.wake <= self.t:
            k, j = self.label(leaf)
            if j > 0 and (k, j) <= self._closing:
                # Leased in a cycle before the one whose move cancels it: the durable runtime ran it between the
                # two. Its outcome comes to a canceled row, which keeps what it did; a failed attempt to retry is
                # not kept (the retry of a canceled row is refused, its attempt unrecorded).
                assert leaf.gen is not None
                row = leaf.row
                before = row.attempts, row.error, len(self._attempts_of(leaf))
                try:
                    leaf.wake = leaf.gen.send(None)
                except StopIteration:
                    leaf.gen = None
                    row.status = CANCELED
                    return
                row.attempts, row.error = before[0], before[1]
                del self._attempts_of(leaf)[before[2] :]
        gen, leaf.gen = leaf.gen, None
        assert gen is not None
        gen.close()
        if leaf.child is not None and leaf.child.state == "running":  # canceled before it first moved
            leaf.child.state, leaf.child.finished = "canceled", self.t
        if leaf.draining:  # its row was canceled when the graceful cancel asked it to stop
            return
        row = leaf.row
        row.status, row.finished_at = CANCELED, self.stamp
        if row.kind not in (STEP, TX):
            row.result = row.error = None
            row.attempts = 0

    def _attempts_of(self, leaf: Leaf) -> list[Any]:
        """The failed attempts kept for ``leaf``'s row (by its instance)."""
        for inst in self.instances.values():
            if any(r is leaf.row for r in inst.rows):
                return inst.attempts.setdefault((leaf.row.seq, leaf.row.pos), [])
        return []

    def _close(self, inst: Inst, group: Group, decision: Any, retries_late: bool = True) -> None:
        """Record a decided tree: what the decision used keeps its outcome, events held by other leaves go back,
        outcomes that came after the decision (at its moment: ranked after it) and leaves still running are
        canceled (a step that ran keeps what it did, as the durable runtime notes it on the canceled row)."""
        used = decision.leaves
        at = self.stamp
        for leaf in group.leaves:
            row = leaf.row
            if leaf.index in used:
                if leaf.event is not None:
                    inst.consumed.add(leaf.event)
                    inst.reserved.discard(leaf.event)
                continue
            if leaf.event is not None:  # a losing wait takes nothing: the next wait gets it
                inst.reserved.discard(leaf.event)
                row.status, row.result, row.error, row.attempts = CANCELED, None, None, 0
                continue
            if leaf.seen is not None:
                if leaf.late:  # came after the decision: refused, but it ran
                    row.status = CANCELED
                    if row.kind not in (STEP, TX):
                        row.result = row.error = None
                        row.finished_at, row.attempts = at, 0
                continue
            if leaf.gen is None:  # never started (decided at once)
                row.status, row.finished_at, row.result, row.error = CANCELED, at, None, None
                continue
            if leaf.late_attempts and retries_late:  # failed after the decision: its retry refused unrecorded
                t, attempt, note = leaf.late_attempts[-1]
                if t == self.t and (t, LATE, leaf.index) > decision.order:
                    row.attempts, row.error = attempt - 1, note
                    kept = inst.attempts.get((row.seq, row.pos), [])
                    if kept and kept[-1][0] == attempt:
                        kept.pop()
        if decision.ok:
            value = build(decision.plan, lambda j: group.leaves[j].value)
            group.result = Outcome(True, value)
        else:
            group.result = Outcome(False, group.leaves[decision.plan[1]].value)
        group.pending = False


class _Forced(Exception):
    """A forced cancel ends the instance where it waits (raised out of its wait, caught by ``run_workflow``)."""

    def __init__(self, error: Canceled) -> None:
        super().__init__(str(error))
        self.error = error


def end_state(inst: Inst, ok: bool, value: Any) -> str:
    """How an instance that ended ends, as the durable runtime records it: ``canceled`` when a cancel was asked
    for and ``wfc.Canceled`` ended it."""
    if ok:
        return "continued" if type(value) is ContinueAsNew else "completed"
    return "canceled" if inst.cancel_requested and isinstance(value, Canceled) else "failed"


def _movable(task: Task) -> bool:
    """A started child that can move now: not ended, and not the one whose own wait runs this round."""
    return task.gen is not None and inspect.getgeneratorstate(task.gen) != inspect.GEN_RUNNING


def unfinished_state(inst: Inst) -> str:
    """The state the durable runtime shows for an instance still suspended when the run ends (the rule of
    ``Scheduler.update_state``): ``waiting`` on an event or a child, ``sleeping`` on timers alone, else
    ``running``. Only a detached child is left so: at a wait no event ends."""
    open_rows = [r for r in inst.rows if r.status == OPEN and r.kind not in (DEADLINE, CANCEL)]
    if not open_rows or any(r.kind in (STEP, TX) for r in open_rows):
        return "running"
    return "waiting" if any(r.kind in (EVENT, CHILD, JOIN) for r in open_rows) else "sleeping"


WINDOWED = (STEP, TX, CHILD)  # what a workflow's max_parallelism window counts (wfc.runtime.fanout)


def _command_name(cmd: Command) -> str:
    """The name the durable runtime gives the command a transition resumed (a failure to persist is its)."""
    if isinstance(cmd, AllOf | AnyOf):
        return "all_of/any_of"
    return str(getattr(cmd, "display_name", None) or getattr(cmd, "name", type(cmd).__name__))


def _call_arguments(defn: WorkflowDef, variables: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Checked, converted arguments as a call of the generator function (the inverse of binding them)."""
    bound = inspect.BoundArguments(defn.signature, dict(variables))
    return tuple(bound.args), dict(bound.kwargs)


__all__ = ["Runner"]
