"""Fan-outs (``all_of``/``any_of``) under a window, and what happens when a group's leaf gets its outcome.

* **A workflow's window.** ``@wfc.workflow(max_parallelism=N)``: of one suspension's steps and child workflow
  calls, at most ``N`` are due or running at once. The rest are written *held* (see
  :data:`~wfc.runtime.store.protocol.HELD`) and each that finishes releases the next, lowest index first — a
  sliding window, no batch barrier; a held child call's instance is created when it is released. Held rows live
  in the database, so the window holds across worker processes. Timers and event waits are not counted.
* **The runtime's pool.** ``Runtime(max_parallelism=N)`` bounds the steps one runtime runs at once (its workers'
  leases); that is the worker's business (:mod:`wfc.runtime.worker`).
* **Deciding without reading the group.** A step that succeeds inside a tree of ``all_of`` only cannot decide it
  while another step of the group is still due or running: one indexed lookup says so, instead of reading every
  row of the group (which made a fan-out of N steps cost N² row reads).
* **Losers.** When a group is decided, its open rows are canceled (the store does it); child workflows among
  them are canceled too (:func:`wfc.runtime.control.cancel_children`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from wfc.runtime.store.protocol import CHILD, HELD, OPEN, STEP, TX, ControlStore, InstanceRow, LeafRow

WINDOWED = (STEP, TX, CHILD)
"""The rows a workflow's window counts: steps, transactional steps and child workflow calls."""

if TYPE_CHECKING:
    from wfc.runtime.schedule import Scheduler


def admit(row: LeafRow, window: int) -> int:
    """Count a new step of a fan-out against its window; hold it when the window is full. Returns the window
    left.

    A held row keeps its own due time (a ``run_after``/``run_at`` delay) in ``lease_until``, which no lease uses
    while it is held (no claim or due-time query looks at a row without ``ready_at``): released, it is due at that
    time or at once, whichever is later — as ``wfc.testing`` runs it."""
    if window > 0:
        return window - 1
    due = row.ready_at if row.ready_at is not None else 0.0
    row.ready_at, row.lease_owner, row.lease_until = None, HELD, due
    return 0


def still_pending(engine: Scheduler, inst: InstanceRow, leaf: LeafRow, ok: bool) -> bool:
    """After ``leaf`` (a leaf of an ``all_of``/``any_of``) got its outcome and was recorded: release the next
    held step of its group, and say whether the group is certainly still pending (the caller then need not
    decide it). ``False`` means "decide it the long way"."""
    store = cast(ControlStore, engine.store)
    now = engine.now
    if leaf.kind in WINDOWED:
        released = store.release_held(inst.n, leaf.seq, now)
        if released is not None and released.kind == CHILD:
            engine.start_released(inst, released, now)
    if not ok:
        return False  # a failure decides every tree (all_of fails; any_of takes its earliest outcome)
    shape = store.group_shape(inst.n, leaf.seq)
    if shape is None or '"any"' in shape:
        return False  # an any_of may be decided by this success
    if not store.group_running(inst.n, leaf.seq, now):
        return False  # no step left: the group may be complete, or wait only on timers and events
    if inst.state != "running":
        engine.update_state(inst, [], now)
    return True


def open_children(rows: list[LeafRow]) -> list[LeafRow]:
    """The child workflow calls among a group's rows that were still open when it was decided."""
    return [r for r in rows if r.kind == CHILD and r.status == OPEN]


__all__ = ["admit", "open_children", "still_pending"]
