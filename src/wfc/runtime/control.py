"""Cancel, restart and fork: each one transaction that rewrites an instance's *current* suspension only.

* **Cancel** cancels the open rows of the instance's last suspension (a step being run finishes, but its outcome
  is refused like any outcome for a row that is no longer open), ends the instance ``canceled``, cancels its child
  workflows still running, tells its parent (the child call raises :class:`wfc.Canceled` at the parent's
  ``yield``) and writes its ``on_complete`` call.
* **Restart** from step ``N`` cancels what the instance still runs, then writes suspension ``N``'s rows again —
  its cursor (state id, live variables) and its commands, fresh — as the instance's next suspension, and records
  the lineage (:mod:`wfc.runtime.lineage`) that makes the rows after ``N`` archived. **Fork** writes them into a
  new instance. Neither reads nor moves the rest of the history: O(1) in its length.

These run outside the engine's cycles, possibly on another thread than a worker of the same runtime: they use the
engine only for what touches no per-cycle state (:meth:`Scheduler.create`, ``update_state``, ``on_complete_row``),
and the transaction serializes them with every transition.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, cast

from wfc import convert
from wfc.errors import Canceled, WfcError, WorkflowTimeout
from wfc.runtime import children, lineage, queues
from wfc.runtime.errors import AlreadyFinished, DuplicateId, NotAChild, RestartError, UnknownInstance
from wfc.runtime.failures import error_info, to_exception
from wfc.runtime.records import Completion
from wfc.runtime.store.protocol import (
    CANCEL,
    CHILD,
    DEADLINE,
    DONE,
    EVENT,
    FINISHED,
    JOIN,
    ON_COMPLETE,
    OPEN,
    RESOLVED,
    SLEEP,
    START,
    START_CHILD,
    STEP,
    TX,
    ControlStore,
    InstanceRow,
    LeafRow,
)

if TYPE_CHECKING:
    from wfc.runtime.schedule import Scheduler


def store_of(engine: Scheduler) -> ControlStore:
    return cast(ControlStore, engine.store)


def child_id(parent_id: str, row: LeafRow) -> str:
    """The id of the child workflow a history row started: ``parent/seq`` or ``parent/seq.path``."""
    return f"{parent_id}/{row.seq}" + (f".{row.path}" if row.path else "")


def _instance(store: ControlStore, instance_id: str, what: str) -> InstanceRow:
    inst = store.get_instance(instance_id)
    if inst is None:
        raise UnknownInstance(
            f"cannot {what}: no workflow instance {instance_id!r}",
            hint="check the id returned by Runtime.start()",
        )
    return inst


# ---- cancel -----------------------------------------------------------------------------------------------------


def cancel(engine: Scheduler, instance_id: str, now: float, *, force: bool = False) -> str:
    """Cancel instance ``instance_id``: gracefully (``wfc.Canceled`` raised at its current ``yield``, so its
    handlers and ``finally`` blocks run their cleanup) or, with ``force``, at once. Returns what happened:
    ``"canceled"`` (ended at once), ``"requested"``, or ``"already requested"`` (the cleanup runs on: it is not
    interrupted again unless forced)."""
    store = store_of(engine)
    with store.transaction():
        inst = _instance(store, instance_id, "cancel")
        if inst.state in FINISHED:
            raise AlreadyFinished(
                f"cannot cancel workflow {instance_id!r}: it "
                + ("was canceled" if inst.state == "canceled" else f"has {inst.state}"),
                hint="only running, sleeping or waiting instances can be canceled; Runtime.status(id) says which",
            )
        if not force:
            if store.cancel_requested(inst.n) is not None:
                return "already requested"
            if _interrupt(engine, inst, now):
                return "requested"
        cancel_instance(engine, inst, now)
        return "canceled"


def time_out(engine: Scheduler, inst: InstanceRow, leaf: LeafRow, now: float) -> None:
    """Instance ``inst``'s ``deadline`` row is due (inside a cycle's transaction): it is canceled as by a graceful
    ``cancel``, with :class:`wfc.WorkflowTimeout` (at once when there is no ``yield`` to raise it at)."""
    store = store_of(engine)
    at = leaf.ready_at if leaf.ready_at is not None else now
    if not store.resolve(leaf.key, None, DONE, None, None, 0, at) or inst.state in FINISHED:
        return
    seconds = at - leaf.scheduled_at
    error = WorkflowTimeout(f"workflow {inst.id!r} timed out after {seconds:g}s")
    if store.cancel_requested(inst.n) is None and _interrupt(engine, inst, now, error):
        return
    cancel_instance(engine, inst, now, error)


def _interrupt(engine: Scheduler, inst: InstanceRow, now: float, error: Canceled | None = None) -> bool:
    """Deliver a graceful cancel to ``inst``'s current suspension: its open rows are canceled (a step being run
    finishes, its outcome refused; child workflows are canceled at once) and a ``cancel`` row, resolved with
    ``wfc.Canceled``, takes their place: the next cycle resumes the workflow at that ``yield`` with the error.
    ``False`` when there is no ``yield`` to raise at (the instance has not started, or it is blocked): then it
    ends at once."""
    store = store_of(engine)
    if inst.blocked is not None:
        return False
    seq = store.last_seq(inst.n)
    group = store.group(inst.n, seq) if seq > 0 else []
    if not group or group[0].kind in (ON_COMPLETE, START):  # START: a run continued as new, not begun yet
        return False
    store.request_cancel(inst.n, now)
    taken = store.group_events(inst.n, seq)
    rows = store.cancel_open(inst.n, seq, now)
    if taken:  # no wait of the interrupted suspension won: what they took stays for the next wait
        store.give_back_events(inst.n, seq, sorted(taken))
    # The children it waits on (child calls, joins) are asked to cancel gracefully too, as Temporal does: the
    # yield raises wfc.Canceled once they have ended, their cleanup run (child_ended releases the cancel row).
    waiting = _cancel_gracefully(engine, inst, [r for r in rows if r.kind in (CHILD, JOIN)], now)
    # Children it started and does not wait on are asked too (not waited for: its parent close policy still
    # ends those running when it ends).
    for child in store.started_children(inst.n):  # a cancel is rare: one indexed read
        if child.id not in waiting and store.cancel_requested(child.n) is None and not _interrupt(engine, child, now):
            cancel_instance(engine, child, now)
    first = group[0]
    if error is None:
        error = Canceled(f"workflow {inst.id!r} was canceled")
    store.insert_leaf(
        LeafRow(
            inst.n,
            seq,
            max(r.pos for r in group) + 1,
            "",
            CANCEL,
            "cancel",
            args=convert.dumps(waiting) if waiting else None,
            status=OPEN if waiting else RESOLVED,
            error=convert.dumps_failure(error),
            ready_at=None if waiting else now,
            scheduled_at=now,
            finished_at=None if waiting else now,
            state_id=first.state_id,
            snapshot=first.snapshot,
        )
    )
    return True


def _cancel_gracefully(engine: Scheduler, inst: InstanceRow, rows: list[LeafRow], now: float) -> list[str]:
    """Ask the children ``rows`` (child calls and joins of ``inst``'s interrupted suspension) to cancel
    gracefully; returns the ids of those still running their cleanup, which the parent's yield waits for. A child
    with no yield to raise at (not started, blocked) ends at once."""
    store = store_of(engine)
    waiting: list[str] = []
    for row in rows:
        child = store.get_instance(row.child or child_id(inst.id, row))
        if child is None or child.parent != inst.n or child.state in FINISHED:
            continue
        if store.cancel_requested(child.n) is not None or _interrupt(engine, child, now):
            waiting.append(child.id)
        else:
            cancel_instance(engine, child, now)
    return waiting


def child_ended(engine: Scheduler, child: InstanceRow, now: float) -> None:
    """``child`` ended (inside a transaction): if its parent's graceful cancel waits for its children's cleanup
    and this was the last of them, the parent's ``yield`` now raises ``wfc.Canceled``."""
    store = store_of(engine)
    if child.parent is None or store.cancel_requested(child.parent) is None:
        return  # the common case costs one read of the parent's row
    seq = store.last_seq(child.parent)
    for row in store.group(child.parent, seq):
        if row.kind == CANCEL and row.status == OPEN and row.args:
            ids = convert.loads(row.args)
            if child.id in ids and all(_ended(store, i) for i in ids if i != child.id):
                store.deliver_external(row.key, None, row.error, now)


def _ended(store: ControlStore, instance_id: str) -> bool:
    inst = store.get_instance(instance_id)
    return inst is None or inst.state in FINISHED


def cancel_instance(engine: Scheduler, inst: InstanceRow, now: float, error: Canceled | None = None) -> None:
    """End ``inst`` as canceled, with its running children (inside a transaction)."""
    store = store_of(engine)
    seq = store.last_seq(inst.n)
    rows = store.cancel_open(inst.n, seq, now) if seq >= 0 else []
    if error is None:
        error = Canceled(f"workflow {inst.id!r} was canceled")
    store.finish_instance(inst.n, "canceled", None, convert.dumps_failure(error), now)
    store.close_deadline(inst.n, now)
    inst.state = "canceled"
    cancel_children(engine, inst, [r for r in rows if r.kind == CHILD], now)
    for row in rows:  # a graceful cancel that waited for children's cleanup: they end at once now
        if row.kind == CANCEL and row.args:
            for iid in convert.loads(row.args):
                child = store.get_instance(iid)
                if child is not None and child.parent == inst.n and child.state not in FINISHED:
                    cancel_instance(engine, child, now)
    children.close(engine, inst, now)  # the children it started, unless detached
    parent = children.delivery_key(store, inst)
    if parent is not None:  # a no-op when the parent's call is no longer open (the parent is canceled too)
        failure = to_exception(error_info(error), step=inst.name, attempts=1)
        store.deliver_external(parent, None, convert.dumps_failure(failure), now)
    child_ended(engine, inst, now)
    if inst.on_complete is not None:
        completion = Completion("canceled", error=f"{type(error).__name__}: {error}")
        store.insert_leaf(engine.on_complete_row(inst, seq + 1, completion, now))
    if inst.queue is not None:
        queues.released(engine, inst, now)  # a slot (or a place in line) of its queue is free


def cancel_children(engine: Scheduler, inst: InstanceRow, rows: list[LeafRow], now: float) -> None:
    """Cancel the child workflows started by ``rows`` (child calls of ``inst`` that are no longer wanted)."""
    store = store_of(engine)
    for row in rows:
        child = store.get_instance(row.child or child_id(inst.id, row))
        if child is not None and child.parent == inst.n and child.state not in FINISHED:
            cancel_instance(engine, child, now)


# ---- restart and fork -------------------------------------------------------------------------------------------


def restart(
    engine: Scheduler, instance_id: str, from_step: int | str, now: float, *, fork: bool = False,
    new_id: str | None = None,
) -> str:  # fmt: skip
    """Restart instance ``instance_id`` (or fork it into ``new_id``) from ``from_step``; returns the id that
    runs."""
    store = store_of(engine)
    with store.transaction():
        inst = _instance(store, instance_id, "fork" if fork else "restart")
        origin, seq = lineage.find_step(store, inst.n, from_step)
        # a cancel request and a timeout belong to the run that had them: the new run starts without them
        rows = [r for r in store.group(origin, seq) if r.kind not in (ON_COMPLETE, CANCEL, DEADLINE)]
        owner = inst if origin == inst.n else store.get_instance_n(origin)
        table_hash = lineage.version_at(store, origin, seq, owner.table_hash if owner else inst.table_hash)
        origin_id = owner.id if owner else inst.id
        # On a queue, a run that does not hold a slot goes back in line: a fork (a new instance), a restart of an
        # instance that has ended or was never admitted. A restart of one admitted and not ended keeps its slot.
        line = _back_in_line(store, inst, fork, now)
        if fork:
            target = _fork_instance(store, inst, new_id, table_hash, now, line)
            new_seq = seq
        else:
            target = inst
            last = store.last_seq(inst.n)
            if inst.state not in FINISHED:
                # The old run stops here: its open rows are canceled (a step being run finishes, its outcome is
                # refused), its running children too.
                stopped = store.cancel_open(inst.n, last, now)
                cancel_children(engine, inst, [r for r in stopped if r.kind == CHILD], now)
            new_seq = last + 1
            if table_hash != inst.table_hash:
                store.add_version_move(inst.n, new_seq, inst.table_hash, table_hash, now)
            state = "running" if line is None else queues.ENQUEUED
            store.reopen(inst.n, state, table_hash, now)
            inst.state, inst.table_hash, inst.blocked = state, table_hash, None
        store.add_lineage(target.n, new_seq, origin, seq, "fork" if fork else "restart", now)
        if line is not None:
            _wait_in_line(store, target, new_seq, origin, seq, origin_id, now)
            return target.id
        open_rows = _reissue(engine, target, rows, new_seq, now, origin_id)
        engine.update_state(target, open_rows, now)
    return target.id


def _back_in_line(store: ControlStore, inst: InstanceRow, fork: bool, now: float) -> queues.Placement | None:
    """Where a restart or fork of ``inst`` waits in line (``None``: it runs at once), its queue's row locked to
    this transaction (the dedup check and the line cannot change under it). A restart keeps the instance's place
    (its priority, partition, dedup id: ``WFC446`` if another instance took the id since it ended); a fork is a new
    instance of the queue, with the priority and partition, not the dedup id (that stays the original's)."""
    if inst.queue is None or (not fork and inst.state not in FINISHED and inst.state != queues.ENQUEUED):
        return None
    kept = store.queued_as(inst.n)
    if kept is None:
        return None
    queue, priority, partition, dedup = kept
    placement = queues.Placement(queue, priority, partition, None if fork else dedup)
    queues.enqueue_again(store, placement, now)
    if placement.dedup is not None:
        holder = store.dedup_holder(queue, placement.dedup)
        if holder is not None and holder != inst.id:
            raise queues.duplicate(placement, holder)
    return placement


def _wait_in_line(
    store: ControlStore, target: InstanceRow, seq: int, origin: int, origin_seq: int, origin_id: str, now: float
) -> None:
    """Write the start row a restarted (or forked) instance waits at in its queue's line, as a start waits: the
    suspension it restarts from (``origin``'s ``origin_seq``) is written when it is admitted
    (:func:`admitted_restart`), one seq further on, so nothing of it runs or is taken before."""
    spec = _GATE + json.dumps({"origin": origin, "seq": origin_seq, "origin_id": origin_id})
    store.insert_leaf(LeafRow(target.n, seq, 0, "", START, target.name, args=spec, ready_at=now, scheduled_at=now))


_GATE = "restart:"  # the arguments of the start row a restart waits at (a start row has none otherwise)


def waits_to_restart(leaf: LeafRow) -> bool:
    """Whether ``leaf`` is the start row a restart or fork on a queue waits at (:func:`_wait_in_line`)."""
    return leaf.kind == START and leaf.args is not None and leaf.args.startswith(_GATE)


def admitted_restart(engine: Scheduler, leaf: LeafRow, inst: InstanceRow, now: float) -> None:
    """A restarted (or forked) instance on a queue was admitted at its start row ``leaf`` (inside the cycle's
    transaction): the suspension it restarts from is written now, as :func:`restart` writes it."""
    store = store_of(engine)
    spec = json.loads((leaf.args or "")[len(_GATE):])
    store.resolve(leaf.key, None, DONE, None, None, 0, now)
    rows = [r for r in store.group(int(spec["origin"]), int(spec["seq"]))
            if r.kind not in (ON_COMPLETE, CANCEL, DEADLINE)]  # fmt: skip
    open_rows = _reissue(engine, inst, rows, leaf.seq + 1, now, str(spec["origin_id"]))
    engine.update_state(inst, open_rows, now)


def _fork_instance(
    store: ControlStore, inst: InstanceRow, new_id: str | None, table_hash: str, now: float,
    line: queues.Placement | None = None,
) -> InstanceRow:  # fmt: skip
    if new_id is not None and (not isinstance(new_id, str) or not new_id):
        raise WfcError(f"a workflow id must be a non-empty string, not {new_id!r}", code="WFC402")
    fork = InstanceRow(
        0,
        new_id or uuid.uuid4().hex,
        inst.workflow,
        inst.name,
        table_hash,
        "running" if line is None else queues.ENQUEUED,
        now,
        now,
        on_complete=inst.on_complete,
        context=inst.context,
        queue=None if line is None else line.queue,
    )
    n = store.insert_instance(fork)
    if n is None:
        raise DuplicateId(f"cannot fork into {fork.id!r}: that id is taken", hint="give another new_id")
    fork.n = n
    if line is not None:
        queues.enqueue(store, n, line, fork.id)
    return fork


def _reissue(
    engine: Scheduler, target: InstanceRow, rows: list[LeafRow], seq: int, now: float, origin_id: str
) -> list[LeafRow]:
    """Write ``rows`` (a past suspension) again as ``target``'s suspension ``seq``: the same cursor and commands,
    fresh. Steps run at once; timers and event timeouts start over; an event already sent and not taken is taken
    now, as a wait would take it."""
    store = store_of(engine)
    window: int | None = None
    if len(rows) > 1:
        try:
            window = engine.deployment.workflow(target.workflow).max_parallelism
        except WfcError:
            window = None
    taken: dict[str, int] = {}
    out: list[LeafRow] = []
    for old in rows:
        row = LeafRow(
            target.n, seq, old.pos, old.path, old.kind, old.name, step=old.step, args=old.args,
            kwargs=old.kwargs, retry=old.retry, scheduled_at=now, state_id=old.state_id,
            snapshot=old.snapshot, shape=old.shape,
        )  # fmt: skip
        if old.kind in (STEP, TX, START):
            row.ready_at = now
            if window is not None and old.kind != START:
                from wfc.runtime.fanout import admit

                window = admit(row, window)
        elif old.kind == SLEEP:
            row.ready_at = now + (
                max(0.0, old.ready_at - old.scheduled_at) if old.ready_at is not None else 0.0
            )
        elif old.kind == EVENT:
            timeout = convert.loads(old.args) if old.args else None
            row.ready_at = None if timeout is None else now + float(timeout)
        if old.kind == START_CHILD:
            row.child = _restarted_child_id(store, target, old, row, origin_id)
        elif old.kind == JOIN:
            row.child = old.child  # the handle's child, joined again
        store.insert_leaf(row)
        out.append(row)
        if old.kind == CHILD:
            _restart_child(engine, target, old, row, now, origin_id)
        elif old.kind == START_CHILD:
            # started again (a new child, its own id), the row done at once with the new handle, as a
            # start_child is; the old run's child is the old run's (canceled with it unless detached)
            handle = convert.loads(old.result) if old.result else None
            detached = bool(getattr(handle, "detached", False))
            policy = children.ABANDON if detached else children.CANCEL
            _restart_child(engine, target, old, row, now, origin_id, close_policy=policy)
            new = children.handle_of(row.child or "", old.step or "", old.name, detached)
            store.deliver_external(row.key, convert.dumps(new), None, now)
        elif old.kind == JOIN:
            _rejoin(engine, target, row, now)
        elif old.kind == EVENT:
            event = store.take_event(target.n, old.name, taken.get(old.name, 0))
            if event is not None:
                taken[old.name] = taken.get(old.name, 0) + 1
                result, error = engine.event_outcome(old.name, event.value, event.error)
                store.consume_event(event.id, row.key)
                store.deliver_external(row.key, result, error, now)
    return out


def _restarted_child_id(
    store: ControlStore, target: InstanceRow, old: LeafRow, row: LeafRow, origin_id: str
) -> str:
    """The id of the child a re-issued ``start_child`` starts: the default one of its new row, or the id the
    workflow chose (``.options(id=...)``) when no instance has it any more."""
    default = child_id(origin_id, old)
    if old.child is None or old.child == default:
        return child_id(target.id, row)
    if store.get_instance(old.child) is not None:
        raise RestartError(
            f"cannot start child workflow {old.name!r} again as {old.child!r}: the earlier run's child has that id",
            hint="restart from a step before or after the start_child, or let the child's id default (leave id= "
            "out, or make it from something that changes per run)",
        )
    return old.child


def _rejoin(engine: Scheduler, target: InstanceRow, row: LeafRow, now: float) -> None:
    """A re-issued ``join``: point the child at the new row again, its outcome delivered at once if it ended; a
    child the instance did not start (a fork joining its origin's child) gives its outcome if it ended, else
    the join raises WFC415 at the ``yield`` — never a wait that nothing ends."""
    store = store_of(engine)
    child = store.attach_join(row.child or "", target.n, row.key) if row.child else None
    if child is None and row.child:
        other = store.get_instance(row.child)
        if other is not None and other.state in FINISHED:
            child = other
        else:
            error = NotAChild(
                f"cannot join {row.child!r} after a fork: it is a child of the instance forked from, still running",
                hint="fork from a step before the start_child, so the fork starts a child of its own",
            )
            failure = to_exception(error_info(error), step=row.name, attempts=0)
            store.deliver_external(row.key, None, convert.dumps_failure(failure), now)
            return
    if child is not None:
        row.started_at = child.created_at
        if child.state in FINISHED:
            _ok, _value, result, error_text = children.outcome(child)
            store.deliver_external(row.key, result, error_text, now)


def _restart_child(
    engine: Scheduler, target: InstanceRow, old: LeafRow, row: LeafRow, now: float, origin_id: str,
    close_policy: str | None = None,
) -> None:
    """Start the child workflow of a re-issued child call: on the current code when this deployment has it
    (its arguments checked again), else as the old child started (its version and arguments). A child its call
    put on a queue is enqueued there again (its dedup id free, else ``WFC446``)."""
    from wfc.runtime import steps
    from wfc.runtime.typecheck import check_arguments

    store = store_of(engine)
    new_id = row.child or child_id(target.id, row)
    placement = queues.enqueue_again(store, queues.placement_of(old), now)
    try:
        defn = engine.deployment.workflow(old.step or "")
        table = engine.deployment.current(defn)
        args = convert.loads(old.args) if old.args else []
        kwargs = convert.loads(old.kwargs) if old.kwargs else {}
        variables = check_arguments(defn, tuple(args), dict(kwargs))
        vars_text = steps.check_size(
            convert.dumps_vars(variables), engine.limit, "the arguments of {!r}", old.name
        )
    except WfcError as exc:
        previous = store.get_instance(child_id(origin_id, old))
        start = store.group(previous.n, 0) if previous is not None else []
        if previous is None or not start or start[0].kind != START:
            raise RestartError(
                f"cannot start child workflow {old.name!r} again: {exc}",
                hint="deploy the child workflow in this process (import its module)",
            ) from None
        row_key = (target.n, row.seq, row.pos)
        child = InstanceRow(
            0, new_id, previous.workflow, previous.name, previous.table_hash,
            "running" if placement is None else queues.ENQUEUED, now, now, parent=row_key[0],
            parent_seq=row_key[1], parent_pos=row_key[2], close_policy=close_policy,
            queue=None if placement is None else placement.queue,
        )  # fmt: skip
        n = store.insert_instance(child)
        if n is not None:
            if placement is not None:
                queues.enqueue(store, n, placement, new_id)
            store.insert_leaf(
                LeafRow(
                    n,
                    0,
                    0,
                    "",
                    START,
                    previous.name,
                    ready_at=now,
                    scheduled_at=now,
                    snapshot=start[0].snapshot,
                )
            )
        return
    engine.save_table(defn, table, now)
    engine.create(
        new_id, defn, table.hash, vars_text, now, name=old.name, parent=row.key, close_policy=close_policy,
        queue=placement,
    )


__all__ = ["cancel", "cancel_children", "cancel_instance", "child_id", "restart"]
