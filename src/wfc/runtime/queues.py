"""Named queues: instances started on a queue wait until its limits let them in, across every worker and machine.

``wfc.Queue("emails", concurrency=5, worker_concurrency=2, rate_limit=(100, 60), priority=True,
partitioned=True)`` declares a queue (in code every worker imports: the workers that serve it must agree); the
store keeps the declared limits (:class:`~wfc.runtime.store.protocol.QueueRow`), so a :class:`wfc.Client`
without the application's code can enqueue by the queue's name. ``rt.start(wf, ..., queue=q, priority=1,
partition_key="tenant-7", dedup_id="order-42")`` writes the instance ``enqueued``: its start row is due, but the
worker that claims it *admits* it (runs its first transition) only when

* ``concurrency``: fewer than that many instances of the queue (partition) are admitted and not ended, counted
  over every worker process;
* ``worker_concurrency``: fewer than that many of them were admitted by this worker process;
* ``rate_limit=(n, seconds)``: fewer than ``n`` were admitted in the last ``seconds`` (a sliding window);
* and it is among the first in line: lower ``priority`` numbers first, then the order of enqueueing. With
  ``partitioned=True`` each ``partition_key`` is a queue of its own, with its own limits and line.

The decision runs under the queue row's lock (PostgreSQL ``FOR UPDATE``; SQLite has one writer), so it is
race-free across processes. An instance not admitted has its start row *parked* (not due); whatever frees room
makes the first parked ones due again in the same transaction — an instance of the queue ending (any way: done,
failed, canceled), or the rate window (a due time, as a timer is one) — and the commit wakes the workers, so
nothing polls. Slots are derived from instance states, never held by a process: a worker killed while its
instances run leaks nothing (they are taken over when their leases end, and free their slots when they end).

One difference from a slot held by a process: ``worker_concurrency`` counts the instances a worker *admitted*.
Their later steps usually run there too (a transition leases the steps it schedules to its own process), but a
timer or an event that fires while that worker is busy may be taken by another. A worker at its own limit leaves
the instance to others and looks again after :data:`WORKER_RETRY` seconds.

``dedup_id``: while an instance of the queue with that id is enqueued or running, another start with it raises
:class:`~wfc.runtime.errors.DuplicateQueued` (``WFC446``) naming it; once it has ended the id is free again.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import attrs

from wfc.runtime.errors import DuplicateQueued, QueueError
from wfc.runtime.store.protocol import CHILD, START_CHILD, ControlStore, InstanceRow, LeafRow, QueueRow

if TYPE_CHECKING:
    from wfc.runtime.schedule import Scheduler

log = logging.getLogger("wfc.runtime")

ENQUEUED = "enqueued"
WORKER_RETRY = 0.5
"""Seconds after which a worker at its own ``worker_concurrency`` looks again at an instance it had to leave."""
WAKE_BATCH = 256
"""At most this many parked instances are made due at once when room frees (each one claimed looks again)."""
MAX_PRIORITY = 2**31 - 1


def _limit(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise QueueError(f"a queue's {what} must be a whole number >= 1 (or None: no limit), not {value!r}")
    return value


@attrs.frozen(init=False)
class Queue:
    """A named queue and its limits (see :mod:`wfc.runtime.queues`). Declare it once, at module level, in code
    every worker serving it imports; pass it (or its name) as ``start(..., queue=)``."""

    name: str
    concurrency: int | None = None
    worker_concurrency: int | None = None
    rate_limit: tuple[int, float] | None = None
    priority: bool = False
    partitioned: bool = False

    def __init__(
        self,
        name: str,
        *,
        concurrency: int | None = None,
        worker_concurrency: int | None = None,
        rate_limit: tuple[int, float] | None = None,
        priority: bool = False,
        partitioned: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name or len(name) > 200:
            raise QueueError(f"a queue's name must be a non-empty string of at most 200 characters, not {name!r}")
        concurrency = _limit(concurrency, "concurrency")
        worker_concurrency = _limit(worker_concurrency, "worker_concurrency")
        if rate_limit is not None:
            try:
                count, period = rate_limit
            except (TypeError, ValueError):
                count, period = None, None
            if (
                _limit(count, "rate limit's count") is None
                or isinstance(period, bool)
                or not isinstance(period, int | float)
                or not math.isfinite(period)
                or period <= 0
            ):
                raise QueueError(
                    f"a queue's rate_limit is (admissions, per seconds), e.g. (100, 60.0), not {rate_limit!r}"
                )
            rate_limit = (int(count), float(period))  # type: ignore[arg-type]
        self.__attrs_init__(name, concurrency, worker_concurrency, rate_limit, bool(priority), bool(partitioned))
        old = _DECLARED.get(name)
        if old is not None and old != self:
            raise QueueError(
                f"queue {name!r} is declared twice with different limits ({old} and {self})",
                hint="declare each queue once, in a module every worker imports",
            )
        _DECLARED[name] = self

    def row(self, now: float) -> QueueRow:
        rate, period = self.rate_limit if self.rate_limit is not None else (None, None)
        return QueueRow(self.name, self.concurrency, self.worker_concurrency, rate, period, int(self.priority),
                        int(self.partitioned), now, now)  # fmt: skip

    @classmethod
    def from_row(cls, row: QueueRow) -> Queue:
        """The queue a stored row declares (not registered as declared in this process)."""
        q = cls.__new__(cls)
        rate = (row.rate_limit, row.rate_period) if row.rate_limit is not None and row.rate_period else None
        q.__attrs_init__(row.name, row.concurrency, row.worker_concurrency, rate, bool(row.priority),
                         bool(row.partitioned))  # fmt: skip
        return q

    def __str__(self) -> str:
        parts = [f"concurrency={self.concurrency}", f"worker_concurrency={self.worker_concurrency}"]
        if self.rate_limit is not None:
            parts.append(f"rate_limit={self.rate_limit[0]}/{self.rate_limit[1]:g}s")
        parts += [f"priority={self.priority}", f"partitioned={self.partitioned}"]
        return ", ".join(parts)


_DECLARED: dict[str, Queue] = {}


def is_declared(name: object) -> bool:
    """Whether ``name`` is the name of a queue this process declared."""
    return isinstance(name, str) and name in _DECLARED


def declared() -> list[Queue]:
    return [q for _name, q in sorted(_DECLARED.items())]


def _same(a: QueueRow, b: QueueRow) -> bool:
    return Queue.from_row(a) == Queue.from_row(b)


def put(store: ControlStore, queue: Queue, now: float) -> QueueRow:
    """Record ``queue``'s limits, locked to this transaction (inside one); a change is logged: the workers that
    serve a queue must agree on it."""
    row = queue.row(now)
    old = store.get_queue(queue.name, lock=True)
    if old is None or not _same(old, row):
        if old is not None:
            log.warning("queue %r: its limits change from %s to %s", queue.name, Queue.from_row(old), queue)
            row.created_at = old.created_at
        store.put_queue(row)
        return row
    return old


def install(store: ControlStore, now: float) -> None:
    """Write the queues declared in this process (a worker does at start)."""
    for queue in declared():
        with store.transaction():
            put(store, queue, now)


def resolve(store: ControlStore, queue: Queue | str, now: float) -> QueueRow:
    """The queue a start names, its row locked to this transaction: a :class:`Queue` (or the name of one declared
    here) is recorded; a name only is looked up (``WFC445`` when no process declared it)."""
    if isinstance(queue, Queue):
        return put(store, queue, now)
    if not isinstance(queue, str) or not queue:
        raise QueueError(f"queue= takes a wfc.Queue or a queue's name, not {queue!r}")
    if queue in _DECLARED:
        return put(store, _DECLARED[queue], now)
    row = store.get_queue(queue, lock=True)
    if row is None:
        raise _unknown(queue)
    return row


@attrs.frozen
class Placement:
    """Where a start goes in its queue: checked options (``partition`` is ``""`` on a non-partitioned queue)."""

    queue: str
    priority: int
    partition: str
    dedup: str | None


def place(row: QueueRow, priority: Any, partition_key: Any, dedup_id: Any) -> Placement:
    """Check a start's queue options against the queue (``WFC445``)."""
    if priority is None:
        priority = 0
    elif not row.priority:
        raise QueueError(
            f"queue {row.name!r} does not order by priority, so start(priority=) means nothing on it",
            hint=f"declare wfc.Queue({row.name!r}, priority=True, ...) to order its instances by priority",
        )
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
        raise QueueError(f"a priority is a whole number from 0 (first) to {MAX_PRIORITY:,}, not {priority!r}")
    if row.partitioned:
        if not isinstance(partition_key, str) or not partition_key:
            raise QueueError(
                f"queue {row.name!r} is partitioned: a start on it needs partition_key= (a non-empty string)",
                hint="pass partition_key='tenant-7': each key is a queue of its own, with the queue's limits",
            )
    elif partition_key is not None:
        raise QueueError(
            f"queue {row.name!r} is not partitioned, so start(partition_key=) means nothing on it",
            hint=f"declare wfc.Queue({row.name!r}, partitioned=True, ...) to apply its limits per key",
        )
    if dedup_id is not None and (not isinstance(dedup_id, str) or not dedup_id or len(dedup_id) > 500):
        raise QueueError(f"a dedup_id is a non-empty string of at most 500 characters, not {dedup_id!r}"[:300])
    return Placement(row.name, priority, partition_key or "", dedup_id)


def no_queue_options(priority: Any, partition_key: Any, dedup_id: Any) -> None:
    """Queue options without ``queue=`` are refused (``WFC445``) rather than ignored."""
    given = [k for k, v in (("priority", priority), ("partition_key", partition_key), ("dedup_id", dedup_id))
             if v is not None]  # fmt: skip
    if given:
        raise QueueError(
            f"start({'=, '.join(given)}=) is an option of a start on a queue, and no queue= was given",
            hint="pass queue=wfc.Queue(...) (or a declared queue's name) with it",
        )


def duplicate(placement: Placement, holder: str) -> DuplicateQueued:
    return DuplicateQueued(
        f"queue {placement.queue!r} already has an instance with dedup_id {placement.dedup!r}: {holder!r}, "
        "which has not ended",
        hint=f"wait for {holder!r} to end (Runtime.status / result), or use another dedup_id; the id is "
        "free again once that instance has ended",
    )


def enqueue(store: ControlStore, n: int, placement: Placement, iid: str) -> None:
    """Record instance ``n`` (inserted ``enqueued``) in its queue; ``WFC446`` when its dedup id is taken. Call it
    after :func:`resolve` in the same transaction (the queue's lock makes the dedup check race-free)."""
    if placement.dedup is not None:
        holder = store.dedup_holder(placement.queue, placement.dedup)
        if holder is not None and holder != iid:
            raise duplicate(placement, holder)
    store.set_queued(n, placement.queue, placement.priority, placement.partition, placement.dedup)


def declared_row(queue: Queue | str, now: float) -> QueueRow:
    """The limits of ``queue`` where there is no database (``wfc.testing``): a :class:`Queue`, or the name of
    one declared in this process (else ``WFC445``, as :func:`resolve` says it)."""
    if isinstance(queue, Queue):
        return queue.row(now)
    if isinstance(queue, str) and queue in _DECLARED:
        return _DECLARED[queue].row(now)
    if not isinstance(queue, str) or not queue:
        raise QueueError(f"queue= takes a wfc.Queue or a queue's name, not {queue!r}")
    raise _unknown(queue)


def _unknown(queue: str) -> QueueError:
    return QueueError(
        f"no queue {queue!r} is declared in this database",
        hint="declare wfc.Queue(name, ...) in code a worker imports and start that worker once, or pass the "
        "wfc.Queue itself to start()",
    )


def child_placement(opts: Any, lookup: Callable[[Any], QueueRow]) -> Placement | None:
    """A child's queue options (``.options(queue=...)``, on a called child or a ``wfc.start_child``) checked:
    ``None`` without a queue. A called child on a queue is enqueued as a started one is; its parent waits at the
    call while it waits in line and then runs (as ``start_child`` and ``join`` would)."""
    if opts.queue is None:
        no_queue_options(opts.priority, opts.partition_key, opts.dedup_id)
        return None
    return place(lookup(opts.queue), opts.priority, opts.partition_key, opts.dedup_id)


def placement_text(placement: Placement | None) -> str | None:
    """A child's place on its queue as its parent's history row keeps it (in the row's ``retry`` column, which a
    child row has no other use for): a child held by a fan-out's window, or started again by a restart of its
    parent, is enqueued with the options its call gave."""
    if placement is None:
        return None
    return json.dumps({"queue": placement.queue, "priority": placement.priority, "partition": placement.partition,
                       "dedup": placement.dedup})  # fmt: skip


def placement_of(row: LeafRow) -> Placement | None:
    """The queue placement :func:`placement_text` kept on a child or ``start_child`` row (``None``: none)."""
    if row.kind not in (CHILD, START_CHILD) or not row.retry or not row.retry.startswith('{"queue"'):
        return None
    kept = json.loads(row.retry)
    return Placement(str(kept["queue"]), int(kept["priority"]), str(kept["partition"]), kept["dedup"])


def enqueue_again(store: ControlStore, placement: Placement | None, now: float) -> Placement | None:
    """A kept placement made current: its queue's row locked to this transaction (as at the call), the queue as
    the database declares it now (``WFC445`` when no process declares it any more)."""
    if placement is None:
        return None
    resolve(store, placement.queue, now)
    return placement


@attrs.frozen
class QueueInfo:
    """A queue as the database has it: its declared limits, and how many of its instances are ``enqueued`` (not
    admitted yet) and ``active`` (admitted, not ended: running, sleeping or waiting)."""

    queue: Queue
    enqueued: int
    active: int

    @property
    def name(self) -> str:
        return self.queue.name

    def as_data(self) -> dict[str, Any]:
        """As JSON data: what ``wfc queue list --json`` prints and the dashboard's queue API starts from."""
        q = self.queue
        return {
            "name": q.name, "concurrency": q.concurrency, "worker_concurrency": q.worker_concurrency,
            "rate_limit": None if q.rate_limit is None else {"count": q.rate_limit[0], "per_seconds": q.rate_limit[1]},
            "priority": q.priority, "partitioned": q.partitioned, "enqueued": self.enqueued, "active": self.active,
        }  # fmt: skip


def info(store: ControlStore, name: str | None = None) -> list[QueueInfo]:
    """Every queue recorded in the database (or the one called ``name``; ``WFC445`` when there is none)."""
    rows = [r for r in store.list_queues() if name is None or r.name == name]
    if name is not None and not rows:
        raise QueueError(f"no queue {name!r} is declared in this database",
                         hint="`wfc queue list` shows those that are")  # fmt: skip
    out = []
    for row in rows:
        counts = store.queue_counts(row.name)
        enqueued = counts.pop(ENQUEUED, 0)
        out.append(QueueInfo(Queue.from_row(row), enqueued, sum(counts.values())))
    return out


# ---- admission (inside a worker's transaction) -----------------------------------------------------------------


@attrs.frozen
class Room:
    """How many more instances a queue (partition) takes now: ``shared`` by any worker (global concurrency and
    rate), ``here`` by this worker (also its own limit); ``rate_at`` when the rate window lets more in;
    ``concurrency_room`` what the global concurrency alone leaves (``inf``: no limit)."""

    shared: float
    here: float
    rate_at: float | None
    concurrency_room: float


def room(q: QueueRow, active: int, mine: int, recent: list[float]) -> Room:
    inf = math.inf
    g = inf if q.concurrency is None else q.concurrency - active
    w = inf if q.worker_concurrency is None else q.worker_concurrency - mine
    r, rate_at = inf, None
    if q.rate_limit is not None and q.rate_period:
        r = q.rate_limit - len(recent)
        if r <= 0:
            rate_at = recent[len(recent) - q.rate_limit] + q.rate_period
    shared = min(g, r)
    return Room(shared, min(shared, w), rate_at, g)


def _weigh(
    engine: Scheduler, store: ControlStore, name: str, partition: str, now: float
) -> tuple[QueueRow, Room] | None:
    q = store.get_queue(name, lock=True)
    if q is None:
        return None
    load = store.queue_load(name, partition, engine.owner, now - (q.rate_period or 0.0))
    return q, room(q, load.active, load.mine, load.recent)


def _wake(store: ControlStore, q: QueueRow, partition: str, space: Room, now: float) -> None:
    """Make the first parked instances due: as many as there is room for now, and — limited by the rate — as
    many as the window lets in when it moves on."""
    if space.shared > 0:
        store.wake_queued(q.name, partition, int(min(space.shared, WAKE_BATCH)), now)
    if space.rate_at is not None and space.concurrency_room > 0:
        store.wake_queued(q.name, partition, int(min(space.concurrency_room, q.rate_limit or 1, WAKE_BATCH)),
                          space.rate_at)  # fmt: skip


def _admit(store: ControlStore, engine: Scheduler, inst: InstanceRow) -> bool:
    # The claim read the instance before this transaction's other transitions ran: one of them may have canceled
    # it since (its parent ended). Then it is not started.
    if not store.admit_queued(inst.n, engine.owner, engine.now):
        return False
    inst.state = "running"
    return True


def offer(engine: Scheduler, leaf: LeafRow, inst: InstanceRow) -> bool:
    """Enqueued instance ``inst``'s start row was claimed: admit it (``True``: run its start now) if the queue's
    limits and its place in line allow, else park it (it is made due again when room frees)."""
    store = cast(ControlStore, engine.store)
    where = store.queue_partition(inst.n)
    weighed = _weigh(engine, store, inst.queue or "", where[0] if where else "", engine.now)
    if weighed is None or where is None:  # the queue's row is gone (a database edited by hand): let it run
        return _admit(store, engine, inst)
    q, space = weighed
    partition, priority = where
    if math.isinf(space.here):  # no limit applies: its place in line does not matter
        return _admit(store, engine, inst)
    # Only whether it is among the first `here` (admit) or the first `shared` (leave it to another worker) is
    # needed, so the count stops there: its cost is the queue's room, not the length of its line.
    cap = space.shared if not math.isinf(space.shared) else space.here
    rank = store.queue_rank(q.name, partition, priority, inst.n, int(cap))
    now = engine.now
    if rank < space.here:
        return _admit(store, engine, inst)
    if rank < space.shared:
        # Only this worker's own limit keeps it out: another worker may take it (and this one looks again soon).
        # Nothing else is woken: those behind it are due already or parked the same way.
        store.park_start(inst.n, now + WORKER_RETRY)
        return False
    # Parked first, then the first in line made due: those ahead of it that fit now, and — when the rate window is
    # what keeps them out — the first few (this one among them, maybe) when the window moves on.
    store.park_start(inst.n, None)
    _wake(store, q, partition, space, now)
    return False


def released(engine: Scheduler, inst: InstanceRow, now: float) -> None:
    """Instance ``inst`` of a queue ended (inside the transaction that ended it): the first parked instances
    that now fit are made due."""
    store = cast(ControlStore, engine.store)
    where = store.queue_partition(inst.n)
    if where is None or inst.queue is None:
        return
    weighed = _weigh(engine, store, inst.queue, where[0], now)
    if weighed is not None:
        _wake(store, weighed[0], where[0], weighed[1], now)


__all__ = [
    "ENQUEUED", "Queue", "QueueInfo", "declared", "enqueue", "info", "install", "offer", "place", "released",
    "resolve",
]  # fmt: skip
