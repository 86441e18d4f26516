"""The :class:`Store` protocol: everything the engine needs from a database, and the rows it exchanges.

The engine (:mod:`wfc.runtime.engine`) holds all the workflow logic and calls these methods inside
:meth:`Store.transaction`; a store only stores. SQLite is :mod:`wfc.runtime.store.sqlite`; a PostgreSQL store is one
more module implementing this protocol (claims with ``FOR UPDATE SKIP LOCKED``, group resolution under a row lock
on the instance).

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
* **tables**: every table version an instance started on (for inspection; never executed from the database).
* **workers**: live worker processes, so a crashed one's leases are released at once.

A transition from suspension *k* commits only if it moves a row of *k* out of the open states (a conditional
update: the revision compare-and-set) and creates the rows of *k + 1* (the primary key): a transition cannot
commit twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
ON_COMPLETE = "on_complete"


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


class TxHandle(Protocol):
    """What a ``@wfc.transaction`` step receives: ``execute`` and friends on the store's own connection."""

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


class Store(Protocol):
    """Storage for the runtime. Every method except :meth:`transaction`, :meth:`close` and the read-only
    ``get_*``/``list_*``/``history`` ones must be called inside :meth:`transaction`."""

    url: str

    def close(self) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction (serialized with every other writer). Database errors become
        :class:`~wfc.runtime.errors.StoreError`."""
        ...

    def savepoint(self) -> AbstractContextManager[None]: ...

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
    def heartbeat(self, worker_id: str, now: float, lease_until: float) -> None: ...
    def extend(self, keys: Sequence[Key], owner: str, until: float) -> None: ...
    def workers(self, host: str) -> list[tuple[str, int]]: ...
    def remove_worker(self, worker_id: str) -> None: ...

    # ---- instances ----
    def insert_instance(self, row: InstanceRow) -> int | None: ...
    def get_instance(self, instance_id: str) -> InstanceRow | None: ...
    def get_instance_n(self, n: int) -> InstanceRow | None: ...
    def set_state(self, n: int, state: str, now: float) -> None: ...
    def finish_instance(
        self, n: int, state: str, result: str | None, error: str | None, now: float
    ) -> None: ...
    def set_blocked(self, n: int, message: str | None, now: float) -> None: ...
    def list_instances(
        self, *, workflow: str | None, state: str | None, parent: int | None, limit: int, before: int | None
    ) -> list[InstanceRow]: ...

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
    ) -> None:
        """A step whose row was canceled while it ran (it lost a race): record that it ran, and how."""
        ...

    def deliver_external(self, key: Key, result: str | None, error: str | None, now: float) -> bool:
        """An outcome from outside (event, child): OPEN → RESOLVED, due now."""
        ...

    def retry_later(
        self, key: Key, owner: str | None, attempts: int, ready_at: float, error: str
    ) -> bool: ...
    def park(self, key: Key, message: str) -> None: ...
    def unpark(self, now: float) -> int: ...
    def close_group(self, instance: int, seq: int, now: float) -> None:
        """A decided suspension: resolved rows become DONE, open ones CANCELED."""
        ...

    def group(self, instance: int, seq: int) -> list[LeafRow]: ...
    def current(self, instance: int) -> list[LeafRow]: ...
    def history(self, instance: int) -> list[LeafRow]: ...
    def claim(self, owner: str, now: float, limit: int) -> list[tuple[LeafRow, InstanceRow]]:
        """Due open rows and resolved rows, oldest first, not leased by a live lease."""
        ...

    def has_due(self, now: float) -> bool:
        """Whether :meth:`claim` would find anything (a cheap read, no write lock)."""
        ...

    def lease(self, key: Key, owner: str, until: float, now: float) -> None: ...
    def release(self, owner: str) -> int: ...
    def next_due(self, now: float, leases: bool = False) -> float | None: ...

    # ---- events ----
    def insert_event(
        self, instance: int, name: str, value: str | None, error: str | None, now: float
    ) -> int: ...
    def take_event(self, instance: int, name: str, skip: int = 0) -> EventRow | None:
        """The oldest unconsumed event of that name after skipping ``skip`` of them."""
        ...

    def consume_event(self, event_id: int, key: Key) -> None: ...
    def waiting_leaf(self, instance: int, name: str) -> LeafRow | None: ...


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
