"""The :class:`Store` protocol: everything the engine needs from a database, and the rows it exchanges.

The engine (:mod:`wfc.runtime.engine`) holds all the workflow logic and calls these methods inside
:meth:`Store.transaction`; a store only stores. :func:`wfc.runtime.store.open_store` picks the store by URL scheme:
SQLite is :mod:`wfc.runtime.store.sqlite`, PostgreSQL :mod:`wfc.runtime.store.postgres` (claims with
``FOR UPDATE SKIP LOCKED``, wake-ups by ``LISTEN/NOTIFY``). A store is done when it passes the conformance suite
(``tests/store``).

Errors: a store never lets its driver's exceptions out. Everything it raises is a
:class:`~wfc.runtime.errors.StoreError`; a conflict with another writer that retrying the cycle resolves (SQLite
busy/locked, PostgreSQL serialization failure or deadlock) is a :class:`~wfc.runtime.errors.StoreConflict`, a lost
connection a :class:`~wfc.runtime.errors.StoreUnavailable`. The engine catches only those.

Data model
----------
* **instances**: one row per workflow instance (``n`` is its integer key, ``id`` the public id): workflow key,
  table hash, state, result or error, parent link, ``on_complete`` handler. Written at start, on state changes and
  at the end — not on every step.
* **history**: one row per *leaf command* (step, transactional step, timer, event wait, child workflow; plus the
  ``start`` row of each instance and its ``on_complete`` call). A row is created when the workflow suspends on it
  and is also the work item: it is claimable while open and due. ``(instance, seq, pos)`` is its key: ``seq``
  numbers the instance's suspensions, ``pos`` the leaf's index in its suspension, ``path`` its place inside
  ``all_of``/``any_of`` (``""`` for a lone command). Rows are clustered by that key, so an instance's history is
  one range of the table.
  The first row of each suspension carries the **cursor** the workflow had when it suspended (``state_id`` +
  encoded live variables in ``snapshot``, and the command tree's ``shape``): resuming reads that one row, never the
  rest of the history, and a restart from that step restores it.
* **events**: sent events, consumed by at most one wait.
* **attempts**: the failed attempts of step rows (error, traceback, when), a bounded number per row
  (:mod:`wfc.runtime.attempts`); only failures write here, only history reads it.
* **tables**: every table version an instance started on (for inspection; never executed from the database).
* **workers**: live worker processes, so a crashed one's leases are released at once, and what each serves (the
  workflows and table versions it can run, alive until its last heartbeat's lease ends: :mod:`wfc.runtime.serving`).

A transition from suspension *k* commits only if it moves a row of *k* out of the open states (a conditional
update: the revision compare-and-set) and creates the rows of *k + 1* (the primary key): a transition cannot
commit twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import attrs

# Row statuses. OPEN and RESOLVED rows are the work queue.
OPEN = 0
"""Waiting (event, child) or due to run at ``ready_at`` (step, timer); a step being run holds a lease."""
RESOLVED = 1
"""Outcome known (an event arrived, a child ended, or parked for a missing version): a transition is due."""
DONE = 2
"""Outcome recorded and delivered (or recorded for its ``all_of``/``any_of`` group)."""
CANCELED = 3
"""Lost a race (``any_of``), or its group failed first: its outcome is ignored."""

STATUS_NAMES = {OPEN: "pending", RESOLVED: "pending", DONE: "completed", CANCELED: "canceled"}

# Row kinds.
START = "start"
STEP = "step"
TX = "tx"
SLEEP = "sleep"
EVENT = "event"
CHILD = "child"
START_CHILD = "start_child"
JOIN = "join"
ON_COMPLETE = "on_complete"
CANCEL = "cancel"  # a cancel request delivered at the suspension it interrupts (wfc.runtime.control)
DEADLINE = "deadline"  # a workflow's timeout: a timer at suspension 0 that cancels the instance when due


Key = tuple[int, int, int]
"""A history row's identity: (instance, seq, pos) — its instance, suspension number and leaf index."""


@attrs.define(slots=True)
class InstanceRow:
    n: int
    id: str
    workflow: str
    name: str
    table_hash: str
    state: str
    created_at: float
    updated_at: float
    parent: int | None = None
    parent_seq: int | None = None
    parent_pos: int | None = None
    on_complete: str | None = None
    context: str | None = None
    args: str | None = None
    result: str | None = None
    error: str | None = None
    finished_at: float | None = None
    blocked: str | None = None
    trace: str | None = None  # the W3C trace context its spans continue (wfc.runtime.tracing), if traced
    close_policy: str | None = None  # a started child: "cancel" with its parent's end, "abandon" (detached)
    run: int | None = None  # its run number (wfc.continue_as_new); None is the first run
    queue: str | None = None  # the named queue it was started on (wfc.runtime.queues), if any

    @property
    def parent_key(self) -> Key | None:
        """The parent's history row this child workflow's outcome goes to."""
        if self.parent is None or self.parent_seq is None or self.parent_pos is None:
            return None
        return (self.parent, self.parent_seq, self.parent_pos)


@attrs.define(slots=True)
class LeafRow:
    """A history row. ``result``/``error`` hold the encoded outcome (``error`` is the exception the workflow sees,
    encoded; while a step is being retried it holds the last attempt's error). ``pos`` is the leaf's index in its
    suspension (depth-first), ``path`` its place in the ``all_of``/``any_of`` tree."""

    instance: int
    seq: int
    pos: int
    path: str
    kind: str
    name: str
    status: int = OPEN
    step: str | None = None
    args: str | None = None
    kwargs: str | None = None
    retry: str | None = None
    result: str | None = None
    error: str | None = None
    attempts: int = 0
    ready_at: float | None = None
    lease_owner: str | None = None
    lease_until: float = 0.0
    scheduled_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    state_id: str | None = None
    snapshot: str | None = None
    shape: str | None = None
    blocked: str | None = None
    child: str | None = None  # the child instance of a child, start_child or join row (None: the derived id)

    @property
    def key(self) -> Key:
        return (self.instance, self.seq, self.pos)


@attrs.define(slots=True)
class EventRow:
    id: int
    instance: int
    name: str
    value: str | None
    error: str | None
    sent_at: float
    consumed_seq: int | None = None
    consumed_pos: int | None = None


@attrs.frozen
class Filter:
    """What a list of instances is narrowed to (each field ``None``/empty: not narrowed). ``workflow``: a key
    (``module:qualname``) or a workflow's name; ``states``: any of these; ``created_from``/``created_to``: the
    creation time's half-open range ``[from, to)`` in epoch seconds; ``queue``: started on that named queue."""

    workflow: str | None = None
    states: tuple[str, ...] = ()
    parent: int | None = None
    id_prefix: str | None = None
    created_from: float | None = None
    created_to: float | None = None
    queue: str | None = None


class TxHandle(Protocol):
    """What a ``@wfc.transaction`` step receives: ``execute`` and friends on the store's own connection."""

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


class Store(Protocol):
    """Storage for the runtime. Every method except :meth:`transaction`, :meth:`close` and the read-only
    ``get_*``/``list_*``/``count_*``/``history`` ones must be called inside :meth:`transaction`."""

    url: str

    def close(self) -> None: ...
    def check_file(self) -> None:
        """Raise a fatal :class:`StoreError` if the database this store opened is gone or replaced (a server
        database: nothing to check)."""
        ...


    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (from any thread) when another process may have made work due: a new instance, an
        event, a step retried or released, a timer set, a cancel. Returns the function that stops it. A store
        without a notification channel (``notifies`` false) returns a no-op and callers keep polling."""
        ...

    @property
    def notifies(self) -> bool:
        """Whether :meth:`subscribe` delivers wake-ups from other processes (now: a listener that lost its
        connection does not until it is back)."""
        ...

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call ``callback(sql)`` for every statement the store runs (``None``: stop). For tests and profiling."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction. Database errors become :class:`~wfc.runtime.errors.StoreError` (a conflict
        with another writer: :class:`~wfc.runtime.errors.StoreConflict`; retry the whole transaction)."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction, rolled back if the block raises. A driver error leaving the block (also one a
        ``@wfc.transaction`` step raised itself) comes out translated into a ``StoreError``."""
        ...

    def handle(self) -> Any:
        """The handle ``@wfc.transaction`` steps receive (valid inside :meth:`transaction`)."""
        ...

    def read(self) -> AbstractContextManager[None]:
        """A consistent read (no write lock)."""
        ...

    # ---- tables and workers ----
    def save_table(self, table_hash: str, workflow: str, text: str, now: float) -> None: ...
    def saved_tables(self) -> list[tuple[str, str]]: ...
    def register_worker(self, worker_id: str, host: str, pid: int, now: float) -> None: ...
    def heartbeat(self, worker_id: str, now: float, lease_until: float) -> None:
        """The worker is alive now, and counts as alive until ``lease_until`` (its lease from now)."""
        ...

    def set_serving(self, worker_id: str, serves: str | None, alive_until: float | None) -> None:
        """Record what a worker serves: JSON ``{workflow key: [table hashes]}`` (``None``: nothing, it stopped)."""
        ...

    def serving(self, now: float) -> list[tuple[str, str]]:
        """``(worker id, serves JSON)`` of every worker that serves something and is alive at ``now``."""
        ...

    def extend(self, keys: Sequence[Key], owner: str, until: float) -> None: ...
    def workers(self, host: str) -> list[tuple[str, int]]: ...
    def remove_worker(self, worker_id: str) -> None: ...

    # ---- instances ----
    def insert_instance(self, row: InstanceRow) -> int | None: ...
    def get_instance(self, instance_id: str) -> InstanceRow | None: ...
    def get_instance_n(self, n: int) -> InstanceRow | None: ...
    def count_live_descendants(self, root: InstanceRow, limit: int) -> int:
        """Instances under ``root`` (its children, their children...) that have not ended, counted up to
        ``limit`` (the platform's bound on a child fork bomb: it must not cost more than ``limit`` rows)."""
        ...

    def set_state(self, n: int, state: str, now: float) -> None: ...
    def finish_instance(
        self, n: int, state: str, result: str | None, error: str | None, now: float
    ) -> None: ...
    def attach_join(self, child_id: str, parent: int, key: Key) -> InstanceRow | None:
        """Point started child ``child_id`` of instance ``parent`` at the join row ``key`` (its end is delivered
        there) and return it as it is now; ``None`` when ``parent`` started no child of that id."""
        ...
    def started_children(self, parent: int) -> list[InstanceRow]:
        """The children ``parent`` started (not detached) that are still running."""
        ...
    def set_blocked(self, n: int, message: str | None, now: float) -> None: ...
    def cancel_requested(self, n: int) -> float | None:
        """When a graceful cancel of instance ``n`` was asked for (``None``: never, or it was restarted since)."""
        ...

    def canceled_keys(self, keys: Sequence[Key]) -> list[Key]:
        """Of ``keys`` (rows whose attempts run now), those canceled (or gone) since: a worker tells their
        attempts (``StepContext.cancel_requested``)."""
        ...

    def new_run(self, n: int, table_hash: str, now: float) -> int:
        """``wfc.continue_as_new``: instance ``n``'s run ends and the next begins on ``table_hash``: the run's
        history rows (but an open deadline), failed attempts, lineage, version moves and taken events are
        deleted, its ended children unlinked, its cancel request cleared; returns the new run number."""
        ...

    def close_deadline(self, n: int, now: float) -> None:
        """The instance ended: its timeout (a ``deadline`` row at suspension 0), if open, is canceled."""
        ...

    def list_instances(
        self,
        *,
        workflow: str | Sequence[str] | None,
        state: str | None,
        parent: int | None,
        limit: int,
        before: int | None,
    ) -> list[InstanceRow]:
        """Newest first; ``workflow``: the instances recorded under any of these keys or names."""
        ...

    def count_unfinished(self) -> list[tuple[str, str, int]]:
        """``(workflow name, state, count)`` of the instances that have not ended (``running``, ``sleeping``,
        ``waiting``), for the gauges (:mod:`wfc.runtime.gauges`): one statement over the index on state, read-only."""
        ...

    def count_due(self, now: float) -> list[tuple[str, int]]:
        """``(workflow name, instances)``: the instances with work :meth:`claim` would take at ``now`` (due, no
        live lease), per workflow; one statement over the partial index of open work, read-only."""
        ...

    # ---- history rows / work ----
    def insert_leaf(self, row: LeafRow) -> None: ...
    def resolve(
        self,
        key: Key,
        owner: str | None,
        status: int,
        result: str | None,
        error: str | None,
        attempts: int,
        now: float,
    ) -> bool:
        """Record an outcome on an open (or resolved) row; with ``owner``, only if it still holds the lease."""
        ...

    def note_canceled(
        self, key: Key, owner: str, result: str | None, error: str | None, attempts: int, now: float
    ) -> bool:
        """A step whose row was canceled while it ran (it lost a race): record that it ran, and how (``False``:
        the row is not canceled, or another process holds it)."""
        ...

    def deliver_external(self, key: Key, result: str | None, error: str | None, now: float) -> bool:
        """An outcome from outside (event, child): OPEN → RESOLVED, due now."""
        ...

    def retry_later(
        self, key: Key, owner: str | None, attempts: int, ready_at: float, error: str
    ) -> bool: ...
    def record_attempt(
        self, key: Key, attempt: int, started: float, at: float, error: str, traceback: str | None
    ) -> None:
        """Keep failed attempt number ``attempt`` of row ``key``, which ran from ``started`` to ``at`` (recorded
        again: replaced), and drop the attempt this one pushes out of those kept
        (``wfc.runtime.attempts.dropped``)."""
        ...

    def list_attempts(self, instance: int) -> list[tuple[int, int, int, float | None, float, str, str | None]]:
        """The kept failed attempts of an instance's rows, ``(seq, pos, attempt, started_at, finished_at, error,
        traceback)`` ordered by row and attempt (read-only); ``started_at`` is ``None`` for an attempt recorded
        before the schema kept it."""
        ...

    def park(self, key: Key, message: str) -> None: ...
    def unpark(self, now: float) -> int: ...
    def close_group(self, instance: int, seq: int, now: float) -> None:
        """A decided suspension: resolved rows become DONE, open ones CANCELED."""
        ...

    def group(self, instance: int, seq: int) -> list[LeafRow]: ...
    def current(self, instance: int) -> list[LeafRow]: ...
    def history(self, instance: int) -> list[LeafRow]: ...
    def claim(
        self, owner: str, now: float, limit: int, slots: int | None = None
    ) -> list[tuple[LeafRow, InstanceRow]]:
        """Due open rows and resolved rows, oldest first, not leased by a live lease: up to ``limit``, of which
        at most ``slots`` need a step slot (open ``step``/``on_complete`` rows; ``None``: no bound). On a store
        shared by many workers the rows are locked until the commit, so a worker claims no step it cannot run."""
        ...

    def has_due(self, now: float) -> bool:
        """Whether :meth:`claim` would find anything (a cheap read, no write lock)."""
        ...

    def lease(self, key: Key, owner: str, until: float, now: float) -> bool:
        """Lease an open row to ``owner`` (its first lease sets ``started_at``); ``False``: it is no longer open."""
        ...
    def release(self, owner: str) -> int: ...
    def next_due(self, now: float, leases: bool = False) -> float | None: ...

    # ---- events ----
    def insert_event(
        self, instance: int, name: str, value: str | None, error: str | None, now: float, dedup: str | None = None
    ) -> int: ...
    def set_statuses(self, instance: int, values: dict[str, str], now: float) -> None:
        """Publish encoded values under their keys (``wfc.set_status``), in the transition's transaction."""
        ...

    def statuses(self, instance: int) -> dict[str, str]:
        """The instance's published values, encoded, by key (a consistent read)."""
        ...

    def sent_event(self, instance: int, dedup: str) -> bool:
        """Whether an event with this deduplication id was sent to the instance (call it in the transaction that
        would insert one: the instance's lock makes the check and the insert one step)."""
        ...

    def take_event(self, instance: int, name: str, skip: int = 0) -> EventRow | None:
        """The oldest unconsumed event of that name after skipping ``skip`` of them."""
        ...

    def consume_event(self, event_id: int, key: Key) -> None: ...
    def group_events(self, instance: int, seq: int) -> dict[int, int]:
        """The events taken by the leaves of suspension ``seq``: ``{pos: event id}``."""
        ...

    def give_back_events(self, instance: int, seq: int, positions: Sequence[int]) -> None:
        """The events taken by these leaves of suspension ``seq`` are unconsumed again (their wait lost the race);
        the leaves' rows become CANCELED with no outcome."""
        ...

    def waiting_leaf(self, instance: int, name: str) -> LeafRow | None: ...


# ---- workflow control -----------------------------------------------------------------------------------
#
# Cancel, restart, fork, migration, fan-out windows, watching and cleanup (:mod:`wfc.runtime.control` and its
# neighbours) call these inside :meth:`Store.transaction` unless a method reads with :meth:`Store.read` itself.
# Every statement is bounded by one instance's key range or one suspension (``instance, seq``) — none scans the
# history of an instance, so cancel, restart and fork cost the same at step 10 and step 10,000.
#
# * **Held rows**: a step of a fan-out beyond its workflow's ``max_parallelism`` is written *held* (open, no due
#   time, ``lease_owner = HELD``, its own due time — a ``run_after`` — in ``lease_until``) and released, lowest
#   index first, as each running step of its group finishes: due then, or at its own due time if that is later.
# * **Lineage**: a restart or a fork does not copy history. ``lineage`` says "this instance's rows from ``seq``
#   on continue the history of ``origin`` before ``origin_seq``"; :mod:`wfc.runtime.lineage` reads it.
# * **Version moves**: each migration of an instance, so a restart from before it runs the version it had then.

HELD = "~held"
"""``lease_owner`` of a held fan-out row (never a worker's id: those are ``host:pid:random``)."""

FINISHED = ("completed", "failed", "canceled")


@attrs.define(slots=True)
class ScheduleRow:
    """A durable schedule (:mod:`wfc.runtime.schedules`): its spec, and ``next_at`` the next tick not yet handled,
    ``last_id`` the instance its last handled tick started. ``queue`` (with its ``queue_priority`` and
    ``queue_partition``): each tick's instance starts enqueued on that named queue."""

    name: str
    workflow: str
    args: str
    cron: str | None
    every: float | None
    timezone: str
    overlap: str
    catch_up: str
    paused: int
    next_at: float | None
    last_at: float | None
    last_id: str | None
    created_at: float
    updated_at: float
    queue: str | None = None
    queue_priority: int | None = None
    queue_partition: str | None = None


@attrs.define(slots=True)
class QueueRow:
    """A named queue's declared limits (:mod:`wfc.runtime.queues`): ``None`` is no limit. ``rate_limit``
    admissions per ``rate_period`` seconds; ``priority``/``partitioned`` are 0 or 1."""

    name: str
    concurrency: int | None
    worker_concurrency: int | None
    rate_limit: int | None
    rate_period: float | None
    priority: int
    partitioned: int
    created_at: float
    updated_at: float


@attrs.define(slots=True)
class QueueLoad:
    """What admission to one queue (partition) weighs: ``active`` instances admitted and not ended, ``mine`` of
    those admitted by the asking worker, ``recent`` the admission times since the rate window began, oldest
    first."""

    active: int
    mine: int
    recent: list[float]


@attrs.define(slots=True)
class QueuePartition:
    """One partition of a queue as the dashboard shows it (``""`` on a queue that is not partitioned): instances
    ``enqueued``, ``active`` (admitted, not ended) and ``admitted`` since the time asked about."""

    partition: str
    enqueued: int
    active: int
    admitted: int


@attrs.define(slots=True)
class QueuedRow:
    """An instance in a queue's line: ``created_at`` is when it was enqueued (it is inserted enqueued)."""

    n: int
    id: str
    workflow: str
    partition: str
    priority: int
    created_at: float


class ControlStore(Store, Protocol):
    # ---- queues (wfc.runtime.queues; wfc.runtime.store.common_queues) ----
    def put_queue(self, row: QueueRow) -> None: ...
    def get_queue(self, name: str, lock: bool = False) -> QueueRow | None:
        """The queue's row; ``lock``: locked to this transaction (PostgreSQL ``FOR UPDATE``), which serializes
        every admission to and enqueue on the queue."""
        ...

    def list_queues(self) -> list[QueueRow]: ...
    def set_queued(self, n: int, queue: str, priority: int, partition: str, dedup: str | None) -> None:
        """Record instance ``n`` (just inserted, ``enqueued``) on ``queue``."""
        ...

    def dedup_holder(self, queue: str, dedup: str) -> str | None:
        """The id of the instance of ``queue`` with deduplication id ``dedup`` that has not ended."""
        ...

    def queue_load(self, queue: str, partition: str, owner: str, since: float) -> QueueLoad: ...
    def queue_rank(self, queue: str, partition: str, priority: int, n: int, cap: int | None = None) -> int:
        """How many instances enqueued on ``queue`` (partition) come before instance ``n`` (priority, then
        enqueue order); with ``cap``, at most ``cap`` (counting stops there, so the cost is bounded by it)."""
        ...

    def queue_position(self, n: int) -> tuple[str, int] | None:
        """``(queue, position from 1)`` of an ``enqueued`` instance."""
        ...

    def admit_queued(self, n: int, owner: str, now: float) -> bool:
        """Instance ``n`` leaves its queue: ``running``, admitted now by ``owner``; ``False`` when it is no longer
        ``enqueued`` (canceled earlier in this transaction, after its start row was claimed)."""
        ...

    def park_start(self, n: int, at: float | None) -> None:
        """The start row of enqueued instance ``n`` waits until ``at`` (``None``: until :meth:`wake_queued`). Its
        start row is the ``start`` row of its last suspension: 0, or the one a restart or fork wrote."""
        ...

    def wake_queued(self, queue: str, partition: str, count: int, at: float) -> int:
        """Make the start rows of the first ``count`` instances enqueued on ``queue`` (partition) due at ``at``
        (those parked or due later); returns how many changed."""
        ...

    def queued_as(self, n: int) -> tuple[str, int, str, str | None] | None:
        """``(queue, priority, partition, dedup id)`` instance ``n`` was started with (``None``: no queue)."""
        ...

    def queue_counts(self, queue: str) -> dict[str, int]:
        """Instances of ``queue`` per state (``enqueued``, ``running``, ... ; ended ones not counted)."""
        ...

    def queue_partition(self, n: int) -> tuple[str, int] | None:
        """``(partition, priority)`` of instance ``n`` on its queue."""
        ...

    def queue_partitions(self, queue: str, since: float) -> list[QueuePartition]:
        """Read-only, for the dashboard: each partition of ``queue`` with instances enqueued or active, or
        admitted since ``since`` (the rate window), by partition."""
        ...

    def queue_line(self, queue: str, partition: str | None, limit: int) -> list[QueuedRow]:
        """Read-only, for the dashboard: the first ``limit`` instances enqueued on ``queue`` in the order they are
        admitted in (priority, then enqueue order), partition by partition (``partition``: that one only)."""
        ...

    # ---- schedules ----
    def put_schedule(self, row: ScheduleRow) -> None: ...
    def get_schedule(self, name: str, lock: bool = False) -> ScheduleRow | None: ...
    def list_schedules(self) -> list[ScheduleRow]: ...
    def delete_schedule(self, name: str) -> bool: ...
    def due_schedules(self, now: float, limit: int) -> list[ScheduleRow]:
        """Schedules with a tick due, each locked to this transaction (other transactions skip it)."""
        ...

    def next_schedule(self) -> float | None: ...
    def instance_state(self, instance_id: str) -> str | None: ...

    # ---- fan-out windows ----
    def release_held(self, instance: int, seq: int, now: float) -> LeafRow | None:
        """Make the lowest held row of suspension ``seq`` due (now, or at its own later due time) and return it;
        ``None`` when none is held."""
        ...

    def group_running(self, instance: int, seq: int, now: float) -> bool:
        """Whether an open step of suspension ``seq`` is due or running (so the instance is ``running``)."""
        ...

    def group_shape(self, instance: int, seq: int) -> str | None: ...

    # ---- cancel, restart, fork ----
    def last_seq(self, instance: int) -> int: ...
    def cancel_open(self, instance: int, seq: int, now: float) -> list[LeafRow]:
        """Cancel the open rows of suspension ``seq`` (not ``on_complete`` calls); returns them as they were."""
        ...

    def reopen(self, n: int, state: str, table_hash: str, now: float) -> None:
        """A finished instance runs again: state and version set, result, error, blocks and a cancel request
        cleared."""
        ...

    def request_cancel(self, n: int, now: float) -> bool:
        """Record a graceful cancel of instance ``n``; ``False`` when one is already recorded."""
        ...

    def add_lineage(
        self, instance: int, seq: int, origin: int, origin_seq: int, kind: str, now: float
    ) -> None: ...
    def lineage(self, instance: int) -> list[tuple[int, int, int, str]]:
        """``(seq, origin, origin_seq, kind)`` of every restart/fork of the instance, oldest first."""
        ...

    def last_named(self, instance: int, name: str, low: int, high: int) -> int | None:
        """The highest ``seq`` in ``[low, high)`` with a command called ``name``."""
        ...

    def add_version_move(self, instance: int, seq: int, old_hash: str, new_hash: str, now: float) -> None: ...
    def version_moves(self, instance: int) -> list[tuple[int, str, str]]:
        """``(seq, old_hash, new_hash)`` of every migration of the instance, oldest first."""
        ...

    # ---- migration ----
    def table_text(self, table_hash: str) -> tuple[str, str] | None:
        """``(workflow, json)`` of a saved table version."""
        ...

    def table_hashes(self, prefix: str) -> list[tuple[str, str]]:
        """``(hash, workflow)`` of saved tables whose hash starts with ``prefix``."""
        ...

    def unfinished(self, workflow: str, table_hash: str) -> list[InstanceRow]: ...
    def set_cursor(self, key: Key, state_id: str | None, snapshot: str | None) -> None: ...
    def set_table_hash(self, n: int, table_hash: str, now: float) -> None: ...
    def set_workflow(self, n: int, workflow: str, name: str, now: float) -> None:
        """Record the workflow's key and name on an instance started by name, once a worker admitted it."""
        ...

    def revoke(self, instance: int, seq: int) -> int:
        """Take away the leases of the open rows of a suspension: outcomes of attempts under way are ignored
        (the steps run again), so no process resumes the instance with a cursor it read before."""
        ...

    def unpark_instance(self, n: int, seq: int, now: float) -> None: ...

    # ---- browsing (the dashboard: wfc.runtime.store.common_browse) ----
    def browse_instances(self, f: Filter, limit: int, before: int | None = None) -> list[InstanceRow]:
        """Up to ``limit`` instances matching ``f`` with a key below ``before``, newest (highest key) first."""
        ...

    def count_states(self, f: Filter) -> dict[str, int]:
        """How many instances match ``f`` (its ``states`` ignored), per state."""
        ...

    def version_counts(self) -> list[tuple[str, str, str, str, int]]:
        """``(workflow, name, table hash, state, instances)`` of every version instances run on (``workflow`` is
        the name itself for an instance started by name, :class:`wfc.Client`)."""
        ...

    def children_of(self, parent: int, limit: int) -> list[InstanceRow]: ...

    # ---- watching and cleanup ----
    def rows_from(self, instance: int, seq: int) -> list[LeafRow]: ...
    def purge(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` instances that finished before ``before`` (with nothing left to run, and
        whose parent is gone or finished too), with their history, events and lineage."""
        ...


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
