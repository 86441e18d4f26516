"""Turning a suspension into work: one history row per leaf command, the cursor on the first.

Some leaves have their outcome at once — an event already sent (taken, oldest first), a zero timer or timeout, an
``inline`` transactional step, arguments that cannot be persisted — and may decide the suspension on the spot
(``all_of()``, ``any_of`` with a ready item); the transition then continues without waiting. Every leaf is looked
at before deciding (events sent before compete in the order they were sent: ``groups``); leaves the decision did
not use are recorded as canceled and take nothing (an event a losing wait would have taken stays unconsumed).
"""

from __future__ import annotations

from typing import Any, cast

import attrs

from wfc import convert
from wfc.commands import (
    STEPS,
    ChildCall,
    Command,
    Join,
    Sleep,
    StartChild,
    StepCall,
    WaitEvent,
    WorkflowDef,
)
from wfc.errors import StepFailed, Timeout, WfcError
from wfc.runtime import budget, children, fanout, queues, steps, tracing
from wfc.runtime.errors import ChildIdInUse, NotAChild, StoreConflict, StoreError
from wfc.runtime.failures import error_info, to_exception
from wfc.runtime.groups import SOON, Seen, build, decide, dump_shape, flatten
from wfc.runtime.records import Completion
from wfc.runtime.retry import resolve_retry
from wfc.runtime.step_context import running
from wfc.runtime.steps import StepResult, Task
from wfc.runtime.store.protocol import (
    CANCELED,
    CHILD,
    DEADLINE,
    DONE,
    EVENT,
    FINISHED,
    HELD,
    JOIN,
    ON_COMPLETE,
    OPEN,
    SLEEP,
    START,
    START_CHILD,
    STEP,
    TX,
    ControlStore,
    InstanceRow,
    Key,
    LeafRow,
    Store,
)
from wfc.runtime.typecheck import check_arguments

CONFLICT_RETRIES = 5


@attrs.frozen
class Stop:
    """A suspension's outcome known at once: resume with ``value`` (or raise ``error``) right away."""

    ok: bool
    value: Any = None
    error: BaseException | None = None


@attrs.define
class _Leaf:
    row: LeafRow
    stop: Stop | None = None
    event_id: int | None = None
    child: tuple[WorkflowDef, Any, str] | None = None
    policy: str | None = None  # a started child's close policy
    queue: queues.Placement | None = None  # a started child's place on a named queue


class _Undo(Exception):
    def __init__(self, result: StepResult) -> None:
        super().__init__("undo")
        self.result = result


class Scheduler:
    """The part of the engine that writes work: new instances, suspensions, ``on_complete`` calls."""

    def __init__(
        self, store: Store, deployment: Any, *, owner: str, retry: Any, max_value_size: int, lease: float
    ) -> None:
        self.store = store
        self.deployment = deployment
        self.owner = owner
        self.retry = retry
        self.limit = max_value_size
        self.lease = lease
        self.out: list[Task] = []
        self._saved: set[str] = set()
        self._policies: dict[Any, str] = {}
        self.capacity = 0
        self.now = 0.0
        self.limits: budget.Limits = budget.DEFAULT_LIMITS
        self.tracing: tracing.Tracing = tracing.NOOP  # set by the runtime

    # ---- instances ------------------------------------------------------------------------------------------

    def save_table(self, defn: WorkflowDef, table: Any, now: float) -> None:
        if table.hash not in self._saved:
            from wfc.compiler import serialize

            self.store.save_table(table.hash, defn.key, serialize.to_json(table, indent=None), now)
            self._saved.add(table.hash)

    def create(
        self,
        iid: str,
        defn: WorkflowDef,
        table_hash: str,
        vars_text: str,
        now: float,
        *,
        name: str,
        parent: Key | None = None,
        on_complete: str | None = None,
        context: str | None = None,
        trace: str | None = None,
        close_policy: str | None = None,
        timeout: float | None = None,
        queue: queues.Placement | None = None,
    ) -> int | None:
        """Insert an instance and its start row (``None`` if the id exists). ``parent``: the parent's history row
        waiting for this child. ``trace``: the trace context its spans continue. ``timeout`` (else the
        workflow's own): a ``deadline`` row at suspension 0, due then, that cancels the instance. ``queue``: it
        starts ``enqueued`` there (:mod:`wfc.runtime.queues`; the queue's row locked by this transaction)."""
        row = InstanceRow(
            0, iid, defn.key, name, table_hash, "running" if queue is None else queues.ENQUEUED, now, now,
            on_complete=on_complete, context=context, trace=trace, close_policy=close_policy,
            queue=None if queue is None else queue.queue,
        )
        if parent is not None:
            row.parent, row.parent_seq, row.parent_pos = parent
        n = self.store.insert_instance(row)
        if n is None:
            return None
        if queue is not None:
            queues.enqueue(cast(ControlStore, self.store), n, queue, iid)
        self.store.insert_leaf(
            LeafRow(n, 0, 0, "", START, name, ready_at=now, scheduled_at=now, snapshot=vars_text)
        )
        if timeout is None:
            timeout = defn.timeout
        if timeout is not None:
            self.store.insert_leaf(
                LeafRow(n, 0, 1, "", DEADLINE, f"timeout {timeout:g}s", ready_at=now + timeout, scheduled_at=now)
            )
        return n

    # ---- suspensions ------------------------------------------------------------------------------------------

    def suspend(
        self,
        inst: InstanceRow,
        k: int,
        state_id: str,
        vars_text: str,
        command: Command,
        at: float,
        variables: dict[str, Any] | None = None,
    ) -> Stop | None:
        """Write suspension ``k``'s rows; a :class:`Stop` if its outcome is already known."""
        defn = self.deployment.workflow(inst.workflow)
        if type(command) is StepCall:  # the common case, without the tree machinery
            return self._suspend_step(inst, defn, k, state_id, vars_text, command, at, variables)
        leaves, shape = flatten(command)
        self._admit(inst, leaves)
        single = len(leaves) == 1 and leaves[0][0] == ""
        seen: list[Seen | None] = [None] * len(leaves)
        taken: dict[str, int] = {}
        ids: set[str] = set()  # child ids this suspension takes
        plans: list[_Leaf] = []
        for i, (path, cmd) in enumerate(leaves):
            # Preparing a leaf of a tree has no effect (inline transactional steps run only as a lone command; an
            # event is only looked at here): every leaf is looked at, then the tree decided once, so events sent
            # before the race compete in the order they were sent.
            if isinstance(cmd, ChildCall | StartChild | Join):
                plan = self._prepare_family(inst, k, i, path, cmd, at, ids)
            else:
                plan = self._prepare(inst, defn, k, path, cmd, at, single, taken)
            plans.append(plan)
            if plan.stop is not None:
                seen[i] = Seen(plan.stop.ok, (at, SOON if plan.event_id is None else plan.event_id, i))
        decision = decide(shape, seen)
        used = decision.leaves if decision is not None else None
        store = self.store
        open_rows: list[LeafRow] = []
        window = defn.max_parallelism if len(plans) > 1 else None  # steps of a fan-out that may run at once
        for i, plan in enumerate(plans):
            row = plan.row
            row.pos = i
            if i == 0:
                row.state_id, row.snapshot, row.shape = state_id, vars_text, dump_shape(shape)
            if seen[i] is not None and (used is None or i in used):
                row.status, row.finished_at = DONE, at
                store.insert_leaf(row)
                if plan.event_id is not None:
                    store.consume_event(plan.event_id, row.key)
                if plan.child is not None:  # a started child: it runs from now on
                    self._start(inst, row, plan, at)
            elif decision is not None:  # not used: an event it looked at stays for the next wait
                row.status, row.finished_at, row.result, row.error, row.attempts = CANCELED, at, None, None, 0
                store.insert_leaf(row)
            else:
                if window is not None and row.kind in fanout.WINDOWED:
                    window = fanout.admit(row, window)
                    if row.lease_owner == HELD and row.kind == CHILD:
                        row.started_at = None  # it starts when released
                handoff = self._maybe_lease(row)
                store.insert_leaf(row)
                open_rows.append(row)
                if handoff:
                    self.out.append(Task(row, inst, variables if single else None))
                if plan.child is not None and row.lease_owner != HELD:  # a held child starts when released
                    self._start(inst, row, plan, at)
        if decision is not None:
            if decision.ok:
                return Stop(True, build(decision.plan, lambda j: plans[j].stop.value))  # type: ignore[union-attr]
            failed = plans[decision.plan[1]].stop
            assert failed is not None
            return Stop(False, error=failed.error)
        self.update_state(inst, open_rows, at)
        return None

    def _start(self, inst: InstanceRow, row: LeafRow, plan: _Leaf, at: float) -> None:
        """Create the child instance of a child call or ``start_child`` row."""
        assert plan.child is not None and row.child is not None
        child, table, child_vars = plan.child
        self.save_table(child, table, at)
        self.create(
            row.child,
            child,
            table.hash,
            child_vars,
            at,
            name=row.name,
            parent=row.key,
            trace=self.tracing.current() or inst.trace,  # the parent's transition span
            close_policy=plan.policy,
            queue=plan.queue,
        )

    def start_released(self, inst: InstanceRow, row: LeafRow, at: float) -> None:
        """A held child call of a fan-out's window was released: start its child now, from the row's stored
        arguments (the same code path as a restart's)."""
        children.start_released(self, inst, row, at)

    def _admit(self, inst: InstanceRow, leaves: list[tuple[str, Command]]) -> None:
        """The platform's limits on a suspension's width and on child workflows (raises budget.Exceeded)."""
        limits = self.limits
        if limits.fanout is not None and len(leaves) > limits.fanout:
            raise budget.exceeded(
                "WFC453",
                f"workflow {inst.name} asks for {len(leaves):,} commands at once, over the limit of "
                f"{limits.fanout:,}",
                "process the items in batches (a loop of smaller all_of calls, or a child workflow per batch); "
                "the platform sets the limit: Limits(fanout=...)",
            )
        children = sum(1 for _, cmd in leaves if type(cmd) is ChildCall or type(cmd) is StartChild)
        if not children or (limits.child_depth is None and limits.descendants is None):
            return
        root, depth = inst, 0
        while root.parent is not None:
            depth += 1
            if limits.child_depth is not None and depth >= limits.child_depth:
                break
            parent = self.store.get_instance_n(root.parent)
            if parent is None:
                break
            root = parent
        if limits.child_depth is not None and depth + 1 > limits.child_depth:
            raise budget.exceeded(
                "WFC454",
                f"workflow {inst.name} ({inst.id}) would start a child workflow nested {depth + 1} deep, over "
                f"the limit of {limits.child_depth}: a recursion without an end?",
                "end the recursion (a base case), or loop instead of nesting; the platform sets the limit: "
                "Limits(child_depth=...)",
            )
        if limits.descendants is not None:
            live = self.store.count_live_descendants(root, limits.descendants + 1)
            if live + children > limits.descendants:
                raise budget.exceeded(
                    "WFC454",
                    f"workflow {inst.name} ({inst.id}) would start {children:,} child workflow(s) while "
                    f"{live:,} instances run under its root {root.id!r}: over the limit of "
                    f"{limits.descendants:,} (a fork bomb?)",
                    "start fewer children at once, or wait for some to finish; the platform sets the limit: "
                    "Limits(descendants=...)",
                )

    def _suspend_step(
        self,
        inst: InstanceRow,
        defn: WorkflowDef,
        k: int,
        state_id: str,
        vars_text: str,
        command: StepCall,
        at: float,
        variables: dict[str, Any] | None,
    ) -> Stop | None:
        plan = self._prepare_step(inst, defn, k, "", command, at, True)
        row = plan.row
        row.state_id, row.snapshot = state_id, vars_text
        if plan.stop is not None:
            row.status, row.finished_at = DONE, at
            self.store.insert_leaf(row)
            return plan.stop
        handoff = self._maybe_lease(row)
        self.store.insert_leaf(row)
        if handoff:
            args = command.args
            call: tuple[list[Any], dict[str, Any]] | None = None
            if steps.plain(args, command.kwargs):
                call = (list(args), {})
            self.out.append(Task(row, inst, variables, call))
        if not (inst.state == "running" and row.kind == STEP and (row.ready_at or 0.0) <= at):  # no change
            self.update_state(inst, [row], at)
        return None

    def _maybe_lease(self, row: LeafRow) -> bool:
        """Lease a due step row to this process (it runs it right after the commit) if there is capacity."""
        if row.kind not in (STEP, ON_COMPLETE) or self.capacity <= 0:
            return False
        if row.ready_at is None or row.ready_at > self.now:
            return False
        step = STEPS.get(row.step or "")
        if step is None or step.kind == "transaction":
            return False
        self.capacity -= 1
        row.lease_owner, row.lease_until, row.started_at = self.owner, self.now + self.lease, self.now
        return True

    def _prepare(
        self,
        inst: InstanceRow,
        defn: WorkflowDef,
        k: int,
        path: str,
        cmd: Command,
        at: float,
        single: bool,
        taken: dict[str, int] | None,
    ) -> _Leaf:
        if isinstance(cmd, StepCall):
            return self._prepare_step(inst, defn, k, path, cmd, at, single)
        if isinstance(cmd, ChildCall | StartChild | Join):
            return self._prepare_family(inst, k, 0, path, cmd, at, set())
        if isinstance(cmd, Sleep):
            row = LeafRow(
                inst.n, k, 0, path, SLEEP, cmd.display_name, ready_at=at + cmd.seconds, scheduled_at=at
            )
            return _Leaf(row, Stop(True) if cmd.seconds <= 0 else None)
        if isinstance(cmd, WaitEvent):
            timeout = cmd.timeout
            row = LeafRow(
                inst.n,
                k,
                0,
                path,
                EVENT,
                cmd.name,
                scheduled_at=at,
                args=None if timeout is None else convert.dumps(timeout),
                ready_at=None if timeout is None else at + timeout,
            )
            if taken is not None:
                event = self.store.take_event(inst.n, cmd.name, taken.get(cmd.name, 0))
                if event is not None:
                    taken[cmd.name] = taken.get(cmd.name, 0) + 1
                    row.result, row.error = self.event_outcome(cmd.name, event.value, event.error)
                    row.attempts = 1
                    if row.error is None:
                        stop = Stop(True, None if row.result is None else convert.loads(row.result))
                    else:
                        stop = Stop(False, error=convert.loads(row.error))
                    return _Leaf(row, stop, event_id=event.id)
            if timeout is not None and timeout <= 0:
                expired = self.timeout_error(cmd.name, timeout)
                row.error, row.attempts = convert.dumps(expired), 1  # as a timeout that expires later
                return _Leaf(row, Stop(False, error=expired))
            return _Leaf(row)
        row = LeafRow(inst.n, k, 0, path, STEP, type(cmd).__name__, scheduled_at=at)
        err = WfcError(f"unknown command {cmd!r}", code="WFC403")
        return _Leaf(row, Stop(False, error=err))

    def _prepare_step(
        self, inst: InstanceRow, defn: WorkflowDef, k: int, path: str, cmd: StepCall, at: float, single: bool
    ) -> _Leaf:
        step, opts = cmd.step, cmd.opts
        name = cmd.display_name
        ready = at
        if opts.run_at is not None:
            ready = max(ready, opts.run_at.timestamp())
        if opts.run_after is not None:
            ready += opts.run_after
        timeout = opts.timeout if opts.timeout is not None else step.timeout
        options = (opts.retry, step.retry, defn.retry, timeout)
        retry_text = self._policies.get(options)
        if retry_text is None:
            policy = resolve_retry(opts.retry, step.retry, defn.retry, default=self.retry)
            retry_text = self._policies[options] = steps.retry_text(policy, timeout) or ""
        row = LeafRow(
            inst.n,
            k,
            0,
            path,
            TX if step.kind == "transaction" else STEP,
            name,
            step=step.key,
            retry=retry_text or None,
            ready_at=ready,
            scheduled_at=at,
        )
        try:
            row.args = steps.encode(list(cmd.args), self.limit, "the arguments of step {!r}", name)
            if cmd.kwargs:
                row.kwargs = steps.encode(dict(cmd.kwargs), self.limit, "the arguments of step {!r}", name)
        except WfcError as exc:
            return self._failed(row, to_exception(error_info(exc), step=name, attempts=0))
        inline = opts.inline if opts.inline is not None else step.inline
        if single and row.kind == TX and inline and ready <= at:
            r = self.run_tx(row, inst)
            row.attempts, row.started_at = r.attempts, at
            if r.failed is not None:  # a lone command: the row will be (inst, k, 0)
                started = r.started_at if r.started_at is not None else r.finished_at
                self.store.record_attempt((inst.n, k, 0), r.attempts, started, r.finished_at, *r.failed)
            if r.ok:
                row.result = r.text
                return _Leaf(row, Stop(True, r.value))
            if r.retry_at is not None:
                row.ready_at, row.error = r.retry_at, r.note
                return _Leaf(row)
            assert r.error is not None
            row.error = r.error_text
            return _Leaf(row, Stop(False, error=r.error))
        return _Leaf(row)

    def _prepare_family(
        self, inst: InstanceRow, k: int, pos: int, path: str, cmd: ChildCall | StartChild | Join, at: float,
        ids: set[str],
    ) -> _Leaf:  # fmt: skip
        """A child call, a ``start_child`` (done at once: its result is the handle) or a ``join``."""
        if isinstance(cmd, Join):
            return self._prepare_join(inst, k, pos, path, cmd, at, ids)
        call = cmd.call if isinstance(cmd, StartChild) else cmd
        plan = self._prepare_child(inst, k, path, call, at)
        row = plan.row
        chosen = call.opts.id
        row.child = chosen if chosen is not None else f"{inst.id}/{k}" + (f".{path}" if path else "")
        if plan.stop is None and (row.child in ids or (chosen is not None and self.store.get_instance(chosen))):
            error = ChildIdInUse(
                f"cannot start child workflow {row.name!r} as {row.child!r}: an instance has that id already",
                hint="give each child its own id (e.g. from the item it works on), or leave id= out",
            )
            return self._failed(row, to_exception(error_info(error), step=row.name, attempts=0))
        ids.add(row.child)
        if plan.stop is None:
            try:
                plan.queue = self._child_queue(call, at, ids, row.child)
                row.retry = queues.placement_text(plan.queue)
            except WfcError as exc:
                return self._failed(row, to_exception(error_info(exc), step=row.name, attempts=0))
        if isinstance(cmd, StartChild) and plan.stop is None:
            detached = bool(call.opts.detached)
            plan.policy = children.ABANDON if detached else children.CANCEL
            handle = children.handle_of(row.child, call.workflow.key, row.name, detached)
            row.kind, row.result = START_CHILD, convert.dumps(handle)
            plan.stop = Stop(True, handle)
        return plan

    def _child_queue(self, call: ChildCall, at: float, ids: set[str], child_id: str) -> queues.Placement | None:
        """A child's queue (its row locked to this transaction) and place there, its dedup id free
        (also of the other children this suspension starts)."""
        store = cast(ControlStore, self.store)
        placement = queues.child_placement(call.opts, lambda q: queues.resolve(store, q, at))
        if placement is None or placement.dedup is None:
            return placement
        mark = f"\0dedup:{placement.queue}\0{placement.dedup}\0"  # no instance id has a NUL
        holder = store.dedup_holder(placement.queue, placement.dedup)
        if holder is None:  # another child this suspension starts
            holder = next((m[len(mark):] for m in ids if m.startswith(mark)), None)
        if holder is not None:
            raise queues.duplicate(placement, holder)
        ids.add(mark + child_id)
        return placement

    def _prepare_join(
        self, inst: InstanceRow, k: int, pos: int, path: str, cmd: Join, at: float, ids: set[str]
    ) -> _Leaf:
        handle = cmd.handle
        row = LeafRow(inst.n, k, 0, path, JOIN, cmd.display_name, step=handle.workflow, scheduled_at=at)
        row.child, row.args = handle.id, convert.dumps([handle])
        mark = "\0join:" + handle.id  # no instance id has a NUL
        twice = mark in ids
        child = None if twice else self.store.attach_join(handle.id, inst.n, (inst.n, k, pos))
        if child is None:
            error = NotAChild(
                f"cannot join {handle.id!r}: "
                + ("it is joined twice in one suspension" if twice else "this workflow started no child of that id"),
                hint="join a handle wfc.start_child() returned in this workflow, once at a time",
            )
            return self._failed(row, to_exception(error_info(error), step=row.name, attempts=0))
        ids.add(mark)
        row.started_at = child.created_at
        if child.state in FINISHED:
            ok, value, row.result, row.error = children.outcome(child)
            return _Leaf(row, Stop(True, value) if ok else Stop(False, error=value))
        return _Leaf(row)

    def _prepare_child(self, inst: InstanceRow, k: int, path: str, cmd: ChildCall, at: float) -> _Leaf:
        name = cmd.display_name
        row = LeafRow(inst.n, k, 0, path, CHILD, name, step=cmd.workflow.key, scheduled_at=at, started_at=at)
        try:
            row.args = steps.encode(list(cmd.args), self.limit, "the arguments of workflow {!r}", name)
            if cmd.kwargs:
                row.kwargs = steps.encode(
                    dict(cmd.kwargs), self.limit, "the arguments of workflow {!r}", name
                )
            child = self.deployment.workflow(cmd.workflow)
            table = self.deployment.current(child)
            variables = check_arguments(child, tuple(cmd.args), dict(cmd.kwargs))
            child_vars = steps.check_size(
                convert.dumps_vars(variables), self.limit, "the arguments of workflow {!r}", name
            )
        except WfcError as exc:
            return self._failed(row, to_exception(error_info(exc), step=name, attempts=0))
        return _Leaf(row, child=(child, table, child_vars))

    @staticmethod
    def _failed(row: LeafRow, failure: BaseException) -> _Leaf:
        row.error = convert.dumps_failure(failure)
        return _Leaf(row, Stop(False, error=failure))

    def update_state(self, inst: InstanceRow, open_rows: list[LeafRow], at: float) -> None:
        """Keep the instance's ``state`` column in step with what it waits on (only written when it changes)."""
        state = "running"
        if open_rows and not any(
            r.kind in (STEP, TX, START) and (r.ready_at or 0.0) <= at for r in open_rows
        ):
            state = "waiting" if any(r.kind in (EVENT, CHILD, JOIN) for r in open_rows) else "sleeping"
        if state != inst.state:
            self.store.set_state(inst.n, state, at)
            inst.state = state

    # ---- events, timeouts, transactional steps, on_complete ------------------------------------------------------

    @staticmethod
    def event_outcome(name: str, value: str | None, message: str | None) -> tuple[str | None, str | None]:
        """A delivered event as a row's (result, error): an event sent with an error raises at the wait."""
        if message is None:
            return value, None
        err = StepFailed(message, type_name="EventError", step=f"event {name}", attempts=1)
        return None, convert.dumps(err)

    @staticmethod
    def timeout_error(name: str, timeout: float) -> Timeout:
        return Timeout(f"event {name!r} did not arrive within {timeout:g}s")

    def run_tx(self, leaf: LeafRow, inst: InstanceRow) -> StepResult:
        """One attempt of a transactional step, in a savepoint of the current transaction: its writes commit with
        the workflow's advance, or are rolled back with its failure. Database conflicts are retried at once."""
        task = Task(leaf, inst)
        step = STEPS.get(leaf.step or "")
        if step is None:
            return StepResult(
                task,
                leaf.attempts,
                self.now,
                missing=f"WFC424: step {leaf.step!r} is not part of this deployment",
            )
        attempt = leaf.attempts + 1
        with self.tracing.attempt(inst.trace, inst.name, inst.id, leaf.name, attempt) as span:
            result = self._tx_attempt(task, step, attempt, span)
            result.started_at = self.now  # a transaction's attempt runs at the cycle's time
            span.outcome(steps.outcome_of(result))
        return result

    def _tx_attempt(self, task: Task, step: Any, attempt: int, span: tracing.Attempt) -> StepResult:
        leaf = task.leaf
        handle = self.store.handle()
        for _ in range(CONFLICT_RETRIES):
            try:
                with self.store.savepoint():
                    args, kwargs = steps.arguments(leaf)
                    with running(steps.context_of(task, attempt)):
                        value = steps.call(step.fn, step.is_async, [handle, *args], kwargs)
                    result = steps.conclude(task, attempt, self.now, self.limit, value=value)
                    if not result.ok:
                        raise _Undo(result)
                return result
            except _Undo as undo:
                return undo.result
            except StoreConflict:  # a conflict with another writer (translated by the store): run it again
                continue
            except StoreError as exc:  # the step's own SQL failed (e.g. a constraint): it fails with that error
                cause = exc.__cause__
                error = cause if isinstance(cause, Exception) else exc
                span.error(error)
                return steps.conclude(task, attempt, self.now, self.limit, exc=error)
            except Exception as exc:
                span.error(exc)
                return steps.conclude(task, attempt, self.now, self.limit, exc=exc)
        return StepResult(task, leaf.attempts, self.now, retry_at=self.now + 0.05, note="database conflict")

    def schedule_on_complete(self, inst: InstanceRow, seq: int, completion: Completion, at: float) -> None:
        row = self.on_complete_row(inst, seq, completion, at)
        handoff = self._maybe_lease(row)
        self.store.insert_leaf(row)
        if handoff:
            self.out.append(Task(row, inst))

    def on_complete_row(self, inst: InstanceRow, seq: int, completion: Completion, at: float) -> LeafRow:
        """The ``on_complete`` call of an instance that ended, as suspension ``seq`` (not leased: safe to call
        from outside a cycle, e.g. by ``cancel``)."""
        key = inst.on_complete or ""
        step = STEPS.get(key)
        context = None if inst.context is None else convert.loads(inst.context)
        policy = resolve_retry(step.retry if step else None, default=self.retry)
        row = LeafRow(
            inst.n,
            seq,
            0,
            "",
            ON_COMPLETE,
            f"on_complete {step.name if step else key}",
            step=key,
            retry=None if policy.max_attempts == 1 else convert.dumps(policy),
            ready_at=at,
            scheduled_at=at,
        )
        try:
            row.args = steps.encode([inst.id, completion, context], self.limit, "the on_complete arguments")
        except WfcError:
            row.args = convert.dumps([inst.id, Completion(completion.state, None, completion.error), context])
        return row


__all__ = ["OPEN", "Scheduler", "Stop"]
