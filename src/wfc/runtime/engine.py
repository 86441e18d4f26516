"""Transitions: delivering an outcome to a workflow and turning its next suspension into work. Store-agnostic.

A *cycle* is one transaction of one process: it records the outcomes of the steps this process ran (each one a
transition of its instance), then claims due rows of the work queue — timers, event timeouts, outcomes that
arrived from outside, transactional steps, new instances — and handles them in the same transaction. Steps
scheduled by these transitions are leased to this process right away (up to its free capacity) and returned to be
run outside the transaction. With many workflows in flight, one commit carries many transitions.

A transition loads the cursor from the one row it resolves (the first row of its suspension: state id, encoded
live variables, command shape), runs the machine to the next suspension or the end, and writes the rows of the new
suspension. It never reads the rest of the history. A broken transition (a bug, a class this process cannot
decode) blocks only its instance, with the reason in its status: a cycle first runs its transitions without
savepoints (they cost two round trips each), and only when one breaks runs again with each in a savepoint.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from wfc import convert
from wfc.commands import STEPS, AllOf, AnyOf, Sleep, WaitEvent
from wfc.continuation import ContinueAsNew
from wfc.errors import Canceled, WfcError, WorkflowFailed
from wfc.runtime import (
    admit,
    budget,
    children,
    continuing,
    control,
    fanout,
    fastcodec,
    queues,
    statuses,
    steps,
    tracebacks,
)
from wfc.runtime.budget import DEFAULT_LIMITS, Limits
from wfc.runtime.clock import Clock, to_datetime
from wfc.runtime.context import TransitionContext, activate, deactivate
from wfc.runtime.errors import (
    StoreError,
    UnknownStep,
    UnknownVersion,
    UnknownWorkflow,
)
from wfc.runtime.failures import error_info, resolve_error_type, to_exception
from wfc.runtime.groups import build, decide, load_shape, seen_rows
from wfc.runtime.intake import Intake
from wfc.runtime.machine import Completed, Failed, Machine, Suspended
from wfc.runtime.records import Completion
from wfc.runtime.schedule import Stop
from wfc.runtime.steps import StepResult, Task
from wfc.runtime.store.protocol import (
    DEADLINE,
    DONE,
    EVENT,
    ON_COMPLETE,
    OPEN,
    RESOLVED,
    SLEEP,
    START,
    STEP,
    TX,
    InstanceRow,
    LeafRow,
    Store,
)
from wfc.runtime.typecheck import check_result

log = logging.getLogger("wfc.runtime")


class _Redo(Exception):
    """The new live variables cannot be persisted: re-run the transition raising ``error`` at its yield."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _Blocked(Exception):
    """The instance cannot move in this deployment (unknown workflow, version or step)."""


class Engine(Intake):
    def __init__(
        self,
        store: Store,
        deployment: Any,
        clock: Clock,
        *,
        owner: str,
        retry: Any = None,
        max_value_size: int = 1 << 20,
        lease: float = 30.0,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(
            store, deployment, owner=owner, retry=retry, max_value_size=max_value_size, lease=lease
        )
        self.limits = limits
        self.clock = clock
        self._logs: list[TransitionContext] = []
        self.claimed = 0
        self._guard = True  # transitions in savepoints of their own (cycle: the second, guarded pass)
        self.unpark = False  # set by the runtime when it first runs work: retry blocked instances then

    # ---- a cycle ------------------------------------------------------------------------------------------------

    def cycle(self, results: Sequence[StepResult], *, claim: int, capacity: int) -> list[Task]:
        """One transaction: record ``results``, then claim up to ``claim`` due rows. Returns the steps leased to
        this process (at most ``capacity`` new ones), to run outside the transaction."""
        now = self.clock.now()
        self.claimed = 0
        if not results and (claim <= 0 or (not self.unpark and not self.store.has_due(now))):
            return []  # nothing to do: no write transaction (an idle worker never takes the write lock)
        # First without savepoints: a savepoint and its release are two round trips per transition (on PostgreSQL
        # half of a transition's statements), and transitions almost never break. If one does, the whole
        # transaction rolls back (nothing of it was committed, leased or logged) and the cycle runs again with each
        # transition in a savepoint of its own, so that the broken one blocks only its instance.
        try:
            return self._cycle(results, claim, capacity, now, guard=False)
        except StoreError:
            raise
        except BaseException as exc:  # the guarded cycle below decides what becomes of the instance
            if isinstance(exc, budget.Interrupted) and budget.interrupt_requested():
                raise
        return self._cycle(results, claim, capacity, now, guard=True)

    def _cycle(
        self, results: Sequence[StepResult], claim: int, capacity: int, now: float, *, guard: bool
    ) -> list[Task]:
        self.out = []
        self.capacity = capacity
        self._logs = []
        self.now = now
        self._guard = guard
        budget.use(self.limits)
        try:
            with self.store.transaction():
                if self.unpark and claim > 0:
                    # the first claim of this process: blocked instances get another chance (this deployment may
                    # ship what they wait for), in the claim's own transaction
                    self.store.unpark(now)
                    self.unpark = False
                for r in results:
                    self._guarded(r.task.inst, r.task.leaf, functools.partial(self._complete, r))
                if claim > 0:
                    rows = self.store.claim(self.owner, now, claim, capacity)
                    self.claimed = len(rows)
                    for leaf, inst in rows:
                        self._claimed(leaf, inst)
        except BaseException:
            self.out = []
            self._logs = []
            raise
        for ctx in self._logs:
            ctx.flush_logs()
        self._logs = []
        return self.out

    def _guarded(self, inst: InstanceRow, leaf: LeafRow, fn: Callable[[BaseException | None], None]) -> None:
        if not self._guard:
            fn(None)  # the optimistic pass (see cycle): whatever it raises rolls the whole cycle back
            return
        redo: BaseException | None = None
        logs = len(self._logs)
        out = len(self.out)
        capacity = self.capacity
        for _ in range(2):
            try:
                with self.store.savepoint():
                    fn(redo)
                return
            except StoreError:
                raise
            except BaseException as exc:
                # Anything workflow code or a tampered cursor raises blocks this instance, never the worker; only
                # the interruption the worker asked for (a second signal) ends the cycle.
                if isinstance(exc, budget.Interrupted) and budget.interrupt_requested():
                    raise
                del self._logs[logs:]  # rolled back: nothing logged, nothing leased
                del self.out[out:]
                self.capacity = capacity
                if isinstance(exc, _Redo) and redo is None:
                    redo = exc.error
                    continue
                if not isinstance(exc, _Blocked | WfcError):
                    log.exception("transition of workflow %s failed; the instance is blocked", inst.id)
                self.block(inst, leaf, describe_problem(exc))
                return

    def block(self, inst: InstanceRow, leaf: LeafRow, message: str) -> None:
        """Park ``leaf`` and mark its instance blocked with ``message`` (``WFC422: ...``): it waits, nothing is
        lost, its status says why, and this process says so in its log (it was given work it cannot serve)."""
        self.store.park(leaf.key, message)
        self.store.set_blocked(inst.n, message, self.now)
        log.warning(
            "workflow instance %s (%s) cannot run in this process: %s",
            inst.id,
            inst.workflow,
            message,
            extra=_extra(inst, leaf, leaf.attempts, "blocked"),
        )

    def _claimed(self, leaf: LeafRow, inst: InstanceRow) -> None:
        if leaf.status == RESOLVED:
            self._guarded(inst, leaf, lambda redo: self._stored(leaf, inst, redo))
            return
        kind = leaf.kind
        if kind in (STEP, ON_COMPLETE, TX):
            step = STEPS.get(leaf.step or "")
            if step is None:
                missing = describe_problem(
                    UnknownStep(
                        f"step {leaf.step!r} is not part of this deployment",
                        hint="import the module that defines it in the worker (the call waits, nothing is lost)",
                    )
                )
                self.block(inst, leaf, missing)
                return
            if step.kind == "transaction":
                self._guarded(inst, leaf, lambda redo: self._run_tx(leaf, inst, redo))
            elif self.capacity > 0 and self.store.lease(leaf.key, self.owner, self.now + self.lease, self.now):
                # (not leased: a race decided earlier in this cycle canceled it; a canceled step never starts)
                self.capacity -= 1
                leaf.lease_owner = self.owner
                self.out.append(Task(leaf, inst))
            return
        if kind == DEADLINE:
            self._guarded(inst, leaf, lambda redo: control.time_out(self, inst, leaf, self.now))
            return
        if kind == START and inst.state == queues.ENQUEUED:  # on a named queue: admitted when its limits allow
            self._guarded(inst, leaf, lambda redo: self._queued_start(leaf, inst, redo))
        elif kind == START and inst.table_hash == admit.UNRESOLVED:  # started by name (wfc.Client)
            self._guarded(inst, leaf, lambda redo: admit.admit(self, leaf, inst, redo))
        elif kind == START:
            self._guarded(
                inst,
                leaf,
                lambda redo: self.resolve(
                    leaf, inst, None, True, None, None, None, None, 0, leaf.scheduled_at, redo
                ),
            )
        elif kind == SLEEP:
            at = leaf.ready_at if leaf.ready_at is not None else self.now
            self._guarded(
                inst,
                leaf,
                lambda redo: self.resolve(
                    leaf, inst, None, True, None, None, None, None, leaf.attempts, at, redo
                ),
            )
        elif kind == EVENT:
            timeout = convert.loads(leaf.args) if leaf.args else 0
            err = self.timeout_error(leaf.name, timeout)
            at = leaf.ready_at if leaf.ready_at is not None else self.now
            self._guarded(
                inst,
                leaf,
                lambda redo: self.resolve(
                    leaf, inst, None, False, None, None, err, convert.dumps_failure(err), 1, at, redo
                ),
            )

    def _queued_start(self, leaf: LeafRow, inst: InstanceRow, redo: BaseException | None) -> None:
        if not queues.offer(self, leaf, inst):
            return  # parked: made due again when its queue has room
        if control.waits_to_restart(leaf):  # a restart or fork that waited in line: its suspension is written now
            control.admitted_restart(self, leaf, inst, self.now)
        elif inst.table_hash == admit.UNRESOLVED:
            admit.admit(self, leaf, inst, redo)
        else:
            self.resolve(leaf, inst, None, True, None, None, None, None, 0, leaf.scheduled_at, redo)

    def _run_tx(self, leaf: LeafRow, inst: InstanceRow, redo: BaseException | None) -> None:
        # History shows when the first attempt started (a zero-length lease: a transaction step holds none). A row
        # a race decided earlier in this cycle canceled is not run: its writes would commit for nothing.
        if self.store.lease(leaf.key, self.owner, 0.0, self.now):
            self._complete(self.run_tx(leaf, inst), redo)

    # ---- delivering outcomes ------------------------------------------------------------------------------------

    def _complete(self, r: StepResult, redo: BaseException | None) -> None:
        leaf, inst = r.task.leaf, r.task.inst
        owner = leaf.lease_owner if leaf.kind != TX and leaf.lease_owner == self.owner else None
        if r.missing is not None:
            self.block(inst, leaf, r.missing)
        elif r.retry_at is not None:
            if self.store.retry_later(leaf.key, owner, r.attempts, r.retry_at, r.note or ""):
                self.record_attempt(leaf, r)
            note = tracebacks.split_note(r.note or "")[0]
            log.warning(
                "step %s of workflow instance %s failed (attempt %d): %s; retried in %.3gs",
                leaf.name, inst.id, r.attempts, note, r.retry_at - r.finished_at,
                extra=_extra(inst, leaf, r.attempts, "step_retry", r.note),
            )  # fmt: skip
        else:
            if r.error is not None:
                log.warning(
                    "step %s of workflow instance %s failed after %d attempt(s): %s",
                    leaf.name, inst.id, r.attempts, r.note,
                    extra=_extra(inst, leaf, r.attempts, "step_failed", tracebacks.of(r.error)),
                )  # fmt: skip
            hot, r.task.vars = r.task.vars, None  # used once: a redo decodes the snapshot
            self.resolve(
                leaf,
                inst,
                owner,
                r.ok,
                r.value,
                r.text,
                r.error,
                r.error_text,
                r.attempts,
                r.finished_at,
                redo,
                hot,
                r if r.failed is not None else None,
            )

    def record_attempt(self, leaf: LeafRow, r: StepResult) -> None:
        """Keep a failed attempt's error and traceback with its row (``wfc.runtime.attempts``)."""
        assert r.failed is not None
        error, trace = r.failed
        started = r.started_at if r.started_at is not None else r.finished_at
        self.store.record_attempt(leaf.key, r.attempts, started, r.finished_at, error, trace)

    def _stored(self, leaf: LeafRow, inst: InstanceRow, redo: BaseException | None) -> None:
        """Deliver an outcome already recorded on the row (an event, a child's end, a parked result)."""
        ok = leaf.error is None
        value = convert.loads(leaf.result) if ok and leaf.result is not None else None
        err = None if ok else convert.loads(leaf.error)  # type: ignore[arg-type]
        at = leaf.finished_at if leaf.finished_at is not None else self.now
        self.resolve(leaf, inst, None, ok, value, leaf.result, err, leaf.error, leaf.attempts, at, redo)

    def machine(self, inst: InstanceRow) -> Machine:
        try:
            machine: Machine = self.deployment.machine(inst.workflow, inst.table_hash)
        except (UnknownWorkflow, UnknownVersion) as exc:
            raise _Blocked(describe_problem(exc)) from None
        return machine

    def resolve(
        self,
        leaf: LeafRow,
        inst: InstanceRow,
        owner: str | None,
        ok: bool,
        value: Any,
        text: str | None,
        err: BaseException | None,
        err_text: str | None,
        attempts: int,
        at: float,
        redo: BaseException | None,
        hot: dict[str, Any] | None = None,
        failed: StepResult | None = None,
    ) -> None:
        """Record an outcome on its row and, when it decides the suspension, run the transition. ``hot``: the
        live variables still in memory from the transition that suspended (else decoded from the row).
        ``failed``: the step attempt that failed for good, kept with the row's attempts when its outcome is."""
        store = self.store
        if leaf.kind == ON_COMPLETE:
            if store.resolve(leaf.key, owner, DONE, text, err_text, attempts, at) and failed is not None:
                self.record_attempt(leaf, failed)
            return
        try:
            machine = self.machine(inst)
        except _Blocked as exc:
            if store.resolve(leaf.key, owner, RESOLVED, text, err_text, attempts, at):
                if failed is not None:
                    self.record_attempt(leaf, failed)
                self.block(inst, leaf, str(exc))
            return
        if redo is not None and leaf.path == "":
            ok, value, text, err = False, None, None, redo
            err_text = convert.dumps_failure(redo)
        if not store.resolve(leaf.key, owner, DONE, text, err_text, attempts, at):
            # a lost lease, a canceled row or an outcome already delivered: nothing to deliver. A step that lost
            # its race still ran: its row says so (it stays canceled).
            noted = owner is not None and store.note_canceled(leaf.key, owner, text, err_text, attempts, at)
            if noted and failed is not None:
                self.record_attempt(leaf, failed)
            return
        if failed is not None:
            self.record_attempt(leaf, failed)
        if leaf.path == "":
            self.advance(
                inst,
                machine,
                leaf.seq,
                leaf.state_id,
                leaf.snapshot,
                ok,
                value,
                err,
                at,
                redo,
                leaf.name,
                hot,
            )
        elif redo is None and fanout.still_pending(self, inst, leaf, ok):
            return  # a step of an all_of succeeded while others still run: nothing to decide yet
        else:
            self._group(inst, machine, leaf.seq, at, redo)

    def _group(
        self, inst: InstanceRow, machine: Machine, seq: int, at: float, redo: BaseException | None
    ) -> None:
        store = self.store
        rows = store.group(inst.n, seq)
        first = rows[0]
        shape = load_shape(first.shape)
        taken = any(r.kind == EVENT and r.status in (RESOLVED, DONE) for r in rows)
        event_ids = store.group_events(inst.n, seq) if taken else {}
        decision = decide(shape, seen_rows(rows, event_ids))
        if decision is None and redo is None:
            self.update_state(inst, [r for r in rows if r.status == OPEN], at)
            return
        store.close_group(inst.n, seq, at)
        used = decision.leaves if decision is not None else frozenset()
        losers = [rows[i].pos for i in range(len(rows)) if rows[i].pos in event_ids and i not in used]
        if losers:
            store.give_back_events(inst.n, seq, losers)  # a losing wait takes nothing: the next wait gets it
        control.cancel_children(self, inst, fanout.open_children(rows), at)  # losers' child workflows
        value: Any = None
        err: BaseException | None = None
        ok = decision is not None and decision.ok
        if decision is not None and decision.ok:
            value = build(decision.plan, lambda i: _decode(rows[i].result))
        elif decision is not None:
            err = convert.loads(rows[decision.plan[1]].error)  # type: ignore[arg-type]
        self.advance(
            inst, machine, seq, first.state_id, first.snapshot, ok, value, err, at, redo, "all_of/any_of"
        )

    # ---- running the machine ------------------------------------------------------------------------------------

    def advance(
        self,
        inst: InstanceRow,
        machine: Machine,
        seq: int,
        state_id: str | None,
        snapshot: str | None,
        ok: bool,
        value: Any,
        err: BaseException | None,
        at: float,
        redo: BaseException | None,
        name: str = "",
        hot: dict[str, Any] | None = None,
    ) -> None:
        """Resume the workflow at ``state_id`` (``None``: its entry) and run it to its next stop. ``name``: the
        command resumed, to which a failure to persist the new variables is reported.

        ``at`` is when the outcome happened (a timer's due time, an event's arrival); the transition runs at the
        later of that and now. A worker that was down wakes a timer late: the code after it runs now, so its
        ``wfc.now()`` is now and the timers it sets count from now, as a Python generator resumed late would
        (a timeout raced against a step starts when the step can start, never already expired)."""
        at = max(at, self.now)
        with self.tracing.transition(inst.trace, inst.name, inst.id, seq):
            self._advance(inst, machine, seq, state_id, snapshot, ok, value, err, at, redo, name, hot)

    def _advance(
        self,
        inst: InstanceRow,
        machine: Machine,
        seq: int,
        state_id: str | None,
        snapshot: str | None,
        ok: bool,
        value: Any,
        err: BaseException | None,
        at: float,
        redo: BaseException | None,
        name: str,
        hot: dict[str, Any] | None,
    ) -> None:
        if hot is not None and redo is None:
            variables = hot
        else:
            variables = convert.loads_vars(snapshot) if snapshot else {}
        if redo is not None:
            ok, err = False, redo
        ctx = TransitionContext(inst.id, seq, to_datetime(at), limit=self.limit)  # type: ignore[arg-type]
        self._logs.append(ctx)
        token = activate(ctx)
        try:
            if state_id is None:
                outcome = machine.start(variables)
            elif ok:
                outcome = machine.resume(state_id, variables, value=value)
            else:
                outcome = machine.resume(state_id, variables, error=err)
        finally:
            deactivate(token)
        if ctx.statuses:
            statuses.publish(self.store, inst.n, ctx, self.now)
        k = seq
        idle = 0  # suspensions in a row whose outcome was known at once without waiting for anything
        limits = self.limits
        while type(outcome) is Suspended:
            k += 1
            live = outcome.vars
            try:
                fast = fastcodec.dumps_vars(live)
                vars_text = steps.check_size(
                    fast or convert.dumps_vars(live),
                    self.limit,
                    "the live variables of workflow {} at {}",
                    inst.name,
                    outcome.state,
                )
                if fast is None:
                    # Continue with what was stored, decoded, as after a restart: the round trip is the same in
                    # every mode (the fast path's scalars and loop cursors decode to equal values, so it may skip it).
                    live = convert.roundtrip_vars(live, vars_text)
            except WfcError as exc:
                if state_id is not None and redo is None:
                    raise _Redo(to_exception(error_info(exc), step=name, attempts=1)) from None
                outcome = Failed(exc)
                break
            try:
                stop = self.suspend(inst, k, outcome.state, vars_text, outcome.command, at, live)
            except budget.Exceeded as exc:  # a fan-out too wide, a child nested too deep: the instance ends
                outcome = Failed(exc.error)
                break
            if stop is None:
                return
            if limits.idle_transitions is not None and _idle(outcome.command, stop):
                idle += 1
                if idle > limits.idle_transitions:
                    outcome = Failed(_idle_error(limits.idle_transitions))
                    break
            else:
                idle = 0
            ctx = TransitionContext(inst.id, k, to_datetime(at), limit=self.limit)  # type: ignore[arg-type]
            self._logs.append(ctx)
            token = activate(ctx)
            try:
                if stop.ok:
                    outcome = machine.resume(outcome.state, live, value=stop.value)
                else:
                    outcome = machine.resume(outcome.state, live, error=stop.error)
            finally:
                deactivate(token)
            if ctx.statuses:
                statuses.publish(self.store, inst.n, ctx, self.now)
        if isinstance(outcome, Completed):
            self.finish(inst, k, True, outcome.value, at)
        elif isinstance(outcome, Failed):
            self.finish(inst, k, False, outcome.error, at)

    def _starts_children(self, inst: InstanceRow) -> bool:
        """Whether ``inst``'s table has a ``start_child`` (only then can it leave children running)."""
        try:
            return children.starts_children(self.machine(inst).table)
        except _Blocked:
            return True

    def finish(self, inst: InstanceRow, seq: int, ok: bool, value: Any, at: float) -> None:
        """The instance ended: record its result or error, tell its parent, schedule ``on_complete``."""
        store = self.store
        result_text: str | None = None
        err_text: str | None = None
        error: BaseException | None = None
        if ok and type(value) is ContinueAsNew:
            stopped = continuing.next_run(self, inst, seq, value, at)
            if stopped is None:
                self.tracing.outcome("continued")
                return
            ok, value = False, stopped
        if ok:
            try:
                value = check_result(self.deployment.workflow(inst.workflow), value)
                result_text = steps.encode(value, self.limit, "the result of workflow {}", inst.name)
            except WfcError as exc:
                ok, error = False, exc
        else:
            error = value
        state = "completed" if ok else "failed"
        if isinstance(error, Canceled) and store.cancel_requested(inst.n) is not None:
            state = "canceled"  # asked to cancel, it ran its cleanup and let wfc.Canceled end it
        if not ok:
            assert error is not None
            trace = tracebacks.format_traceback(error)  # with the workflow's own lines
            tracebacks.attach(error, trace)
            err_text = encode_error(error)
            if state == "canceled":
                log.info("workflow instance %s (%s) was canceled", inst.id, inst.workflow,
                         extra={"instance_id": inst.id, "workflow": inst.workflow, "step": None, "attempt": None,
                                "kind": "workflow_canceled", "traceback": trace})  # fmt: skip
            else:
                log.error(
                    "workflow instance %s (%s) failed: %s", inst.id, inst.workflow, error_info(error).describe(),
                    extra={"instance_id": inst.id, "workflow": inst.workflow, "step": None, "attempt": None,
                           "kind": "workflow_failed", "traceback": trace},
                )  # fmt: skip
        self.tracing.outcome(state)
        store.finish_instance(inst.n, state, result_text, err_text, at)
        store.close_deadline(inst.n, at)
        inst.state = state
        if self._starts_children(inst):
            children.close(self, inst, at)  # the children it started and did not detach end with it
        parent = children.delivery_key(store, inst)
        if parent is not None:
            if ok:
                store.deliver_external(parent, result_text, None, at)
            else:
                assert error is not None
                failure = to_exception(error_info(error, traceback=trace), step=inst.name, attempts=1)
                store.deliver_external(parent, None, encode_error(failure), at)
        if inst.parent is not None:
            control.child_ended(self, inst, at)  # a parent's graceful cancel may wait for this child's cleanup
        if inst.on_complete is not None:
            if ok:
                completion = Completion("completed", value)
            elif state == "canceled":
                completion = Completion("canceled", error=error_info(error).describe())  # type: ignore[arg-type]
            else:
                completion = Completion("failed", error=error_info(error).describe())  # type: ignore[arg-type]
            self.schedule_on_complete(inst, seq + 1, completion, at)
        if inst.queue is not None:
            queues.released(self, inst, self.now)  # its slot is free: the next in line is due now


def _idle(command: Any, stop: Stop) -> bool:
    """Whether a suspension decided at once did nothing: zero sleeps, zero timeouts that expired (an event taken
    or a transactional step run is progress)."""
    if type(command) is Sleep:
        return bool(command.seconds <= 0)
    if type(command) is WaitEvent:
        return not stop.ok and command.timeout is not None and command.timeout <= 0
    if type(command) is AllOf or type(command) is AnyOf:
        return all(_waits_nothing(c) for c in command.items)
    return False


def _waits_nothing(command: Any) -> bool:
    if type(command) is Sleep:
        return bool(command.seconds <= 0)
    if type(command) is WaitEvent:
        return command.timeout is not None and command.timeout <= 0
    if type(command) is AllOf or type(command) is AnyOf:
        return all(_waits_nothing(c) for c in command.items)
    return False


def _idle_error(limit: int) -> budget.BudgetExceeded:
    return budget.error(
        "WFC452",
        f"the workflow made more than {limit:,} transitions in a row that waited for nothing (a zero sleep or "
        "timeout in a loop?)",
        "sleep for a real duration, or wait for an event or a step; the platform sets the limit: "
        "Limits(idle_transitions=...)",
    )


def _extra(
    inst: InstanceRow, leaf: LeafRow, attempt: int | None, kind: str, trace: str | None = None
) -> dict[str, Any]:
    """What every log record of the runtime carries in ``extra`` (attributes of the record, fields of
    ``wfc worker --log-format json``): which instance, workflow, step and attempt, and what happened."""
    if trace is not None and not trace.startswith("Traceback"):
        trace = tracebacks.split_note(trace)[1]
    return {"instance_id": inst.id, "workflow": inst.workflow, "step": leaf.name, "attempt": attempt,
            "kind": kind, "traceback": trace}  # fmt: skip


def _decode(text: str | None) -> Any:
    return None if text is None else convert.loads(text)


def describe_problem(exc: BaseException) -> str:
    """``WFC423: message`` (with its hint): why an instance is blocked, as its status shows it."""
    if isinstance(exc, _Blocked):
        return str(exc)
    code = getattr(exc, "code", None)
    text = str(exc) or type(exc).__name__
    return f"{code}: {text}" if code else f"{type(exc).__name__}: {text}"


def encode_error(exc: BaseException) -> str:
    """An exception as stored text: itself when it can be persisted, else its type (if known) with its args as
    text, else a :class:`wfc.WorkflowFailed` describing it."""
    try:
        return convert.dumps_failure(exc)
    except WfcError:
        pass
    info = error_info(exc)
    cls = resolve_error_type(info.type_name)
    if cls is not None:
        try:
            copy = cls.__new__(cls, *info.args)
            copy.args = tuple(info.args)
            return convert.dumps(copy)
        except Exception:
            pass
    failed = WorkflowFailed(info.describe())
    tracebacks.attach(failed, info.traceback)
    return convert.dumps(failed)


__all__ = ["Engine", "Stop", "encode_error"]
