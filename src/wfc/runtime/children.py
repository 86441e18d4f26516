"""Child workflows started without waiting (``wfc.start_child``) and joined later (``wfc.join``).

* **Starting** writes the child's instance (``close_policy`` ``"cancel"``, or ``"abandon"`` when detached) and a
  ``start_child`` row that is done at once: its result is the :class:`wfc.ChildHandle`. The child's parent link
  points at that row, which is no longer open, so the child's end is delivered nowhere until a join asks.
* **Joining** writes a ``join`` row and points the child's link at it (:meth:`Store.attach_join`, an update of
  the child's row: on PostgreSQL it takes the row's lock, so a child ending at the same moment is seen ended or
  reads the new link after its own update of that row). A child already ended gives its outcome at once. A join
  that loses a race leaves the child running; the next join points the link again.
* **The parent ends** (completes, fails or is canceled): its started children still running are canceled, as
  Temporal's default parent close policy terminates them, except detached ones, which run on.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from wfc import convert
from wfc.commands import ChildHandle
from wfc.errors import WfcError
from wfc.runtime import tracebacks
from wfc.runtime.failures import error_info, to_exception
from wfc.runtime.store.protocol import FINISHED, ControlStore, InstanceRow, Key, LeafRow, Store

if TYPE_CHECKING:
    from wfc.runtime.schedule import Scheduler

CANCEL = "cancel"
ABANDON = "abandon"


_STARTS: dict[str, bool] = {}


def starts_children(table: Any) -> bool:
    """Whether a table may suspend on a ``start_child`` (alone or inside ``all_of``/``any_of``, or a command
    held in a variable): only such an instance can leave started children behind when it ends."""
    known = _STARTS.get(table.hash)
    if known is None:
        from wfc.compiler import ir

        known = _STARTS[table.hash] = any(
            isinstance(s.op, ir.Suspend) and _may_start(s.op) for s in table.states
        )
    return known


def _may_start(op: Any) -> bool:
    shape, source = op.shape, op.command.source
    if shape is None or shape.kind == "start_child" or "start_child" in source:
        return True
    return bool(shape.kind == "step" and not _CALL.match(source))  # `yield cmd`: a command made earlier


_CALL = re.compile(r"^[\w.]+\(")


def delivery_key(store: Store, inst: InstanceRow) -> Key | None:
    """Where ``inst``'s end goes, read after its own row was updated (a started child's link may have moved to a
    join since the cycle read it)."""
    if inst.close_policy is None:
        return inst.parent_key
    fresh = store.get_instance_n(inst.n)
    return fresh.parent_key if fresh is not None else None


def outcome(child: InstanceRow) -> tuple[bool, Any, str | None, str | None]:
    """A finished child's outcome as its parent's row receives it: (ok, value or failure, result, error)."""
    if child.state == "completed":
        value = None if child.result is None else convert.loads(child.result)
        return True, value, child.result, None
    error = convert.loads(child.error) if child.error else RuntimeError(f"child {child.id} {child.state}")
    failure = to_exception(error_info(error, traceback=tracebacks.of(error)), step=child.name, attempts=1)
    text = convert.dumps_failure(failure)
    return False, convert.loads(text), None, text


def handle_of(child_id: str, workflow: str, name: str, detached: bool) -> ChildHandle[Any]:
    return ChildHandle(child_id, workflow, name, detached)


def start_released(engine: Scheduler, inst: InstanceRow, row: LeafRow, now: float) -> None:
    """Create the child instance of a child call a fan-out's window held, now that it is released (its arguments
    as the row stored them; on the queue its call named, when it named one). A child that cannot start fails its
    row, as at the call."""
    from wfc.runtime import queues, steps
    from wfc.runtime.typecheck import check_arguments

    child_id = row.child or f"{inst.id}/{row.seq}" + (f".{row.path}" if row.path else "")
    try:
        defn = engine.deployment.workflow(row.step or "")
        table = engine.deployment.current(defn)
        args = convert.loads(row.args) if row.args else []
        kwargs = convert.loads(row.kwargs) if row.kwargs else {}
        variables = check_arguments(defn, tuple(args), dict(kwargs))
        vars_text = steps.check_size(
            convert.dumps_vars(variables), engine.limit, "the arguments of workflow {!r}", row.name
        )
        store = cast(ControlStore, engine.store)
        placement = queues.enqueue_again(store, queues.placement_of(row), now)
        engine.save_table(defn, table, now)
        with store.savepoint():  # a dedup id taken since the call (WFC446): the row fails, nothing is left half-made
            engine.create(child_id, defn, table.hash, vars_text, now, name=row.name, parent=row.key,
                          trace=inst.trace, queue=placement)  # fmt: skip
    except WfcError as exc:
        failure = to_exception(error_info(exc), step=row.name, attempts=0)
        engine.store.deliver_external(row.key, None, convert.dumps_failure(failure), now)


def close(engine: Scheduler, inst: InstanceRow, now: float) -> None:
    """``inst`` ended: cancel the children it started that are still running and not detached."""
    from wfc.runtime import control

    for child in engine.store.started_children(inst.n):
        if child.state not in FINISHED:
            control.cancel_instance(engine, child, now)


__all__ = ["ABANDON", "CANCEL", "close", "delivery_key", "handle_of", "outcome", "start_released"]
