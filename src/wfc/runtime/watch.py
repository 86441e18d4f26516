"""Live status: :func:`watch` yields every change of an instance's status and of its history records.

It polls (``poll`` seconds, default 50 ms): a change committed by any process on the database shows within one
poll. On a store with wake-ups (PostgreSQL's ``LISTEN/NOTIFY``) a notification ends the wait at once. Each poll reads the instance's status (its row and current suspension) and its history from the *low
watermark* on — the lowest suspension that still had an open row at the previous poll — so a long sequential
history is not read again and again: a poll costs what the instance still waits on, not its length.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import attrs

from wfc.runtime import lineage
from wfc.runtime.records import HistoryRecord, Status
from wfc.runtime.store.protocol import ON_COMPLETE, START, ControlStore, LeafRow

if TYPE_CHECKING:
    from wfc.runtime.runtime import Runtime


@attrs.frozen
class Change:
    """One change: ``kind`` is ``status`` (``status`` is the new status) or ``step`` (``record`` is a history
    record that appeared or changed: a step, timer, event wait, child workflow or ``on_complete`` call)."""

    kind: str
    status: Status | None = None
    record: HistoryRecord | None = None


def _status_key(st: Status) -> tuple[object, ...]:
    return (st.state, st.state_id, st.outstanding, st.error, st.blocked, st.table_hash, st.finished_at)


def watch(
    rt: Runtime, instance_id: str, *, poll: float = 0.05, timeout: float | None = None
) -> Iterator[Change]:
    """Yield the instance's status and history as they are, then every change, until it has finished and has
    nothing left to run (its ``on_complete`` call done), or ``timeout`` seconds (real time) have passed."""
    store: ControlStore = rt.store
    woken = threading.Event()
    unsubscribe = store.subscribe(woken.set)
    try:
        yield from _watch(rt, store, instance_id, poll, timeout, woken)
    finally:
        unsubscribe()


def _watch(
    rt: Runtime, store: ControlStore, instance_id: str, poll: float, timeout: float | None, woken: threading.Event
) -> Iterator[Change]:
    from wfc.runtime.runtime import _record  # the one place that turns rows into records

    deadline = None if timeout is None else time.monotonic() + timeout
    last_status: tuple[object, ...] | None = None
    seen: dict[tuple[int, int, int], HistoryRecord] = {}
    low = -1  # -1: read the whole live history (first poll, or after a restart changed the lineage)
    lineage_size = -1
    while True:
        inst = rt._instance(instance_id)
        status = rt._status(inst)
        key = _status_key(status)
        if key != last_status:
            last_status = key
            yield Change("status", status=status)
        size = len(store.lineage(inst.n))
        rows: list[LeafRow]
        if low < 0 or size != lineage_size:
            rows, lineage_size = lineage.live_rows(store, inst.n), size
        else:
            rows = store.rows_from(inst.n, low)
        pending = False
        for row in rows:
            if row.kind == START:
                continue
            record = _record(row)
            if seen.get(row.key) != record:
                seen[row.key] = record
                yield Change("step", record=record)
            pending = pending or row.status < 2
        open_seqs = [r.seq for r in rows if r.status < 2 and r.instance == inst.n]
        own = [r.seq for r in rows if r.instance == inst.n]
        low = min(open_seqs) if open_seqs else (max(own) if own else 0)
        if status.finished and not pending and not _on_complete_due(rows, inst.on_complete):
            return
        if deadline is not None and time.monotonic() >= deadline:
            return
        woken.wait(poll)
        woken.clear()


def _on_complete_due(rows: list[LeafRow], handler: str | None) -> bool:
    """An instance with an ``on_complete`` handler that ended has its call written in the same transaction;
    until a poll has seen that row, keep watching."""
    return handler is not None and not any(r.kind == ON_COMPLETE for r in rows)


__all__ = ["Change", "watch"]
