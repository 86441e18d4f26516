"""The dashboard's view of named queues (:mod:`wfc.runtime.queues`), as plain JSON data.

A queue's declared limits and its totals come from :meth:`wfc.Runtime.queues` / :meth:`wfc.Runtime.queue`, the
functions ``wfc queue list/show`` print, under the same keys as their ``--json``. The dashboard adds what the CLI
does not show, from two read-only store queries over the queue's partial indexes: each partition's load and
recent admissions (:meth:`~wfc.runtime.store.protocol.ControlStore.queue_partitions`) and the line in admission
order (:meth:`~wfc.runtime.store.protocol.ControlStore.queue_line`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from wfc.errors import WfcError
from wfc.runtime.errors import QueueError
from wfc.runtime.queues import QueueInfo
from wfc.runtime.store.protocol import QueuedRow, QueuePartition

if TYPE_CHECKING:
    from wfc.ui.service import Service

WINDOW = 60.0
"""Seconds over which a queue without a rate limit shows its recent admissions (with one: its own window)."""
LINE = 100
MAX_LINE = 500


class UnknownQueue(QueueError):
    """No queue of that name is recorded in the database (``WFC445``); the API answers ``404``."""


def _time(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat()


def window(info: QueueInfo) -> float:
    q = info.queue
    return q.rate_limit[1] if q.rate_limit is not None else WINDOW


def limits(info: QueueInfo) -> dict[str, Any]:
    """A queue as ``wfc queue list --json`` prints it."""
    return info.as_data()


def _rate(info: QueueInfo, admitted: int) -> dict[str, Any]:
    """Admissions in the last window against the limit (on a partitioned queue the limit holds per partition:
    the whole queue may admit more)."""
    seconds = window(info)
    limit = info.queue.rate_limit
    return {
        "window_seconds": seconds,
        "admitted": admitted,
        "per_second": admitted / seconds,
        "limit": None if limit is None else limit[0],
        "limit_per_second": None if limit is None else limit[0] / limit[1],
    }


def _partition(p: QueuePartition, info: QueueInfo) -> dict[str, Any]:
    return {"partition": p.partition, "enqueued": p.enqueued, "active": p.active, "rate": _rate(info, p.admitted)}


def _summary(info: QueueInfo, parts: list[QueuePartition]) -> dict[str, Any]:
    data = limits(info)
    data["rate"] = _rate(info, sum(p.admitted for p in parts))
    data["partitions"] = len(parts) if info.queue.partitioned else None
    return data


def _lookup(service: Service, name: str) -> QueueInfo:
    try:
        return service.rt.queue(name)
    except QueueError as exc:
        raise UnknownQueue(
            f"no queue {name[:200]!r} is recorded in this database",
            hint="GET /api/queues lists those that are; a worker records the queues its code declares",
        ) from exc


def queues(service: Service) -> list[dict[str, Any]]:
    """Every queue: its limits, enqueued and active instances, its admissions in the last window."""
    with service._lock:
        infos = service.rt.queues()
        now = service.rt.clock.now()
        loads = {i.name: service.store.queue_partitions(i.name, now - window(i)) for i in infos}
    return [_summary(i, loads[i.name]) for i in infos]


def queue(service: Service, name: str, partition: str | None = None, limit: int = LINE) -> dict[str, Any]:
    """One queue as :func:`queues` lists it, with its partitions (partitioned: each key's load and admissions)
    and its line: the first ``limit`` enqueued instances in admission order, partition by partition
    (``partition``: that one's only), each with its place in its partition's line."""
    if not 1 <= limit <= MAX_LINE:
        raise WfcError(f"limit must be 1..{MAX_LINE}, not {limit}", code="WFC402")
    with service._lock:
        info = _lookup(service, name)
        if partition is not None and not info.queue.partitioned:
            raise WfcError(f"queue {name[:200]!r} is not partitioned: it has no partition {partition[:40]!r}",
                           code="WFC402", hint="leave out partition=")  # fmt: skip
        now = service.rt.clock.now()
        parts = service.store.queue_partitions(name, now - window(info))
        shown = [p for p in parts if partition is None or p.partition == partition]
        line: list[QueuedRow] = []
        # Partition by partition (a queue that is not partitioned has one, ""): each read is a range of the
        # queue's index in admission order, never a sort of everything the queue ever held.
        for p in shown if info.queue.partitioned else [QueuePartition("", 0, 0, 0)]:
            if len(line) < limit and (p.enqueued or not info.queue.partitioned):
                line += service.store.queue_line(name, p.partition, limit - len(line))
    data = _summary(info, parts)
    data["partitions"] = [_partition(p, info) for p in shown] if info.queue.partitioned else []
    data["partition"] = partition
    data["line"] = _line(line, info.queue.partitioned)
    waiting = sum(p.enqueued for p in shown)
    data["line_more"] = waiting > len(line)
    data["now"] = _time(now)
    return data


def _line(rows: list[QueuedRow], partitioned: bool) -> list[dict[str, Any]]:
    """The rows come partition by partition, each in admission order: places count from 1 in each."""
    out = []
    place: dict[str, int] = {}
    for r in rows:
        place[r.partition] = place.get(r.partition, 0) + 1
        out.append({
            "position": place[r.partition], "id": r.id, "workflow": r.workflow, "priority": r.priority,
            "partition": r.partition if partitioned else None, "enqueued_at": _time(r.created_at),
        })  # fmt: skip
    return out


__all__ = ["UnknownQueue", "queue", "queues"]
