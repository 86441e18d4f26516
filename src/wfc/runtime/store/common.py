"""One body for both SQL stores: every :class:`~wfc.runtime.store.protocol.Store` statement that SQLite and
PostgreSQL share is written here once, over a small dialect seam that each store fills in.

The seam (what :class:`StoreBody` asks of a store):

* ``_x(template, params)`` runs one statement in this thread's transaction (PostgreSQL: outside one, in its own
  snapshot) and returns a cursor. Templates use ``?`` placeholders and ``{s}`` for the tables' schema prefix;
  :class:`Statements` turns them into the dialect's SQL once (PostgreSQL: ``%s``, ``"schema".``) together with the
  dialect's fragments (``{claim_lock}``, ``{held_index}``, ``{returning_n}``, ...: see ``FRAGMENTS`` in each store).
* ``_reading()`` wraps the methods callers may use outside a transaction in one consistent read (SQLite: the
  store's lock and a ``BEGIN``; PostgreSQL: nothing, each statement is its own snapshot).
* ``_lock(n)`` serializes this transaction with every other transition of instance ``n`` (PostgreSQL: the
  instance's row ``FOR UPDATE``, once per transaction; SQLite: nothing, it has a single writer).
* ``_wake()`` asks for a wake-up of other processes with this transaction's commit (NOTIFY, or a datagram).
* ``_insert_id(template, params)`` an ``INSERT`` and the key it made (``RETURNING`` or ``lastrowid``), ``None``
  when ``ON CONFLICT DO NOTHING`` inserted nothing.
* ``_any(column, values)`` the ``(condition, params)`` pairs that cover ``column IN values`` (PostgreSQL: one
  ``= ANY(array)``; SQLite: chunks of ``IN (?, ...)`` within its parameter limit).

What really differs stays in each store: transactions, connections and error translation, the hot-path claim and
outcome statements where the dialects' best forms differ, lease extension, and the descendant count.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from wfc.runtime.attempts import dropped
from wfc.runtime.errors import StoreError
from wfc.runtime.store.protocol import CANCELED, EventRow, InstanceRow, Key, LeafRow

# The history table's columns and their types ("key": the instance's key; "small": a status; "real": a time),
# written once for both schemas (:func:`history_ddl`) and for every statement that reads a whole row.
HISTORY_COLUMNS = (
    ("instance", "key NOT NULL"), ("seq", "INTEGER NOT NULL"), ("pos", "INTEGER NOT NULL"), ("path", "TEXT NOT NULL"),
    ("kind", "TEXT NOT NULL"), ("name", "TEXT"), ("status", "small NOT NULL"), ("step", "TEXT"), ("args", "TEXT"),
    ("kwargs", "TEXT"), ("retry", "TEXT"), ("result", "TEXT"), ("error", "TEXT"), ("attempts", "INTEGER"),
    ("ready_at", "real"), ("lease_owner", "TEXT"), ("lease_until", "real"), ("scheduled_at", "real"),
    ("started_at", "real"), ("finished_at", "real"), ("state_id", "TEXT"), ("snapshot", "TEXT"), ("shape", "TEXT"),
    ("blocked", "TEXT"), ("child", "TEXT"),
)  # fmt: skip
LEAF_FIELDS = tuple(name for name, _type in HISTORY_COLUMNS)


def history_ddl(types: dict[str, str], suffix: str = "") -> str:
    """``CREATE TABLE history`` in a dialect (``types`` maps ``key``, ``small`` and ``real`` to its types).
    History is clustered by (instance, seq, pos): an instance's rows are one range of the table."""
    columns = []
    for name, kind in HISTORY_COLUMNS:
        first, _, rest = kind.partition(" ")
        columns.append(f"{name} {types.get(first, first)}{' ' + rest if rest else ''}")
    return f"CREATE TABLE IF NOT EXISTS history ({', '.join(columns)}, PRIMARY KEY (instance, seq, pos)){suffix}"


LEAF_COLS = ", ".join(LEAF_FIELDS)
INST_FIELDS = (
    "n", "id", "workflow", "name", "table_hash", "state", "created_at", "updated_at", "parent", "parent_seq",
    "parent_pos", "on_complete", "context", "args", "result", "error", "finished_at", "blocked", "trace",
    "close_policy", "run", "queue",
)  # fmt: skip
INST_COLS = ", ".join(INST_FIELDS)
NLEAF = len(LEAF_FIELDS)
EVENT_COLS = "id, instance, name, value, error, sent_at, consumed_seq, consumed_pos"
# Claimed rows carry their instance without its (possibly large) arguments and outcome.
_INST_COLS_LIGHT = ", ".join(f"i.{c}" if c not in ("args", "result", "error") else "NULL" for c in INST_FIELDS)
_CLAIM_FROM = (
    f"SELECT {', '.join('h.' + c for c in LEAF_FIELDS)}, {_INST_COLS_LIGHT} FROM {{s}}history h "
    "JOIN {s}instances i ON i.n = h.instance WHERE "
)
CLAIM = _CLAIM_FROM + "h.status < 2 AND h.ready_at <= ? AND h.lease_until <= ? ORDER BY h.ready_at LIMIT ?{claim_lock}"
# A worker with fewer free step slots than rows it claims takes the rows that need a slot (an open step or
# on_complete callback: it runs them outside the transaction, under a lease) and the others (starts, timers,
# events, children, resolved rows: a transition runs them in the claim's own transaction) apart, so that it never
# locks a step it cannot run (on PostgreSQL another worker with a free slot would skip it). The predicates are
# the partial indexes' own (PostgreSQL's migration 7), written the same way so that the planner uses them:
# whatever waits behind a backlog of due steps, finding it is an index range, not a scan of the backlog.
SLOT_KINDS = "('step', 'on_complete')"
SLOT_ROWS = f"status = 0 AND kind IN {SLOT_KINDS}"
FREE_ROWS = f"(status = 1 OR (status = 0 AND kind NOT IN {SLOT_KINDS}))"
CLAIM_SLOT = (
    _CLAIM_FROM
    + f"h.status = 0 AND h.kind IN {SLOT_KINDS} AND h.ready_at <= ? AND h.lease_until <= ? "
    "ORDER BY h.ready_at LIMIT ?{claim_lock}"
)
CLAIM_FREE = (
    _CLAIM_FROM
    + f"(h.status = 1 OR (h.status = 0 AND h.kind NOT IN {SLOT_KINDS})) AND h.ready_at <= ? AND h.lease_until <= ? "
    "ORDER BY h.ready_at LIMIT ?{claim_lock}"
)
# What the gauges read (wfc.runtime.gauges), each one statement over an index as small as what it counts: the
# unfinished instances (the index on state; finished ones are not counted: that would read every instance ever
# run), and the instances with work due now that no live lease holds (the claim's own partial index of open work).
UNFINISHED = (
    "SELECT coalesce(name, workflow), state, count(*) FROM {s}instances "
    "WHERE state IN ('enqueued', 'running', 'sleeping', 'waiting') GROUP BY coalesce(name, workflow), state"
)
DUE = (
    "SELECT coalesce(i.name, i.workflow), count(DISTINCT h.instance) FROM {s}history h "
    "JOIN {s}instances i ON i.n = h.instance "
    "WHERE h.status < 2 AND h.ready_at <= ? AND h.lease_until <= ? GROUP BY coalesce(i.name, i.workflow)"
)
KEY = "instance=? AND seq=? AND pos=?"
RESOLVE = f"UPDATE {{s}}history SET status=?, result=?, error=?, attempts=?, finished_at=? WHERE {KEY} AND status<2"
RESOLVE_OWNED = RESOLVE + " AND lease_owner=?"

# A new step has no outcome, retry policy or shape yet: fewer parameters to bind on the hot path.
_NEW_LEAF_FIELDS = (
    "instance", "seq", "pos", "path", "kind", "name", "status", "step", "args", "attempts", "ready_at",
    "lease_owner", "lease_until", "scheduled_at", "started_at", "state_id", "snapshot",
)  # fmt: skip
_INSERT_NEW_LEAF = (
    f"INSERT INTO {{s}}history ({', '.join(_NEW_LEAF_FIELDS)}) VALUES ({','.join('?' * len(_NEW_LEAF_FIELDS))})"
)
_INSERT_LEAF = f"INSERT INTO {{s}}history ({LEAF_COLS}) VALUES ({','.join('?' * NLEAF)})"
_new_leaf_params = operator.attrgetter(*_NEW_LEAF_FIELDS)
_leaf_params = operator.attrgetter(*LEAF_FIELDS)
_inst_params = operator.attrgetter(*INST_FIELDS[1:])
_INSERT_INSTANCE = (
    f"INSERT INTO {{s}}instances ({', '.join(INST_FIELDS[1:])}) VALUES ({','.join('?' * (len(INST_FIELDS) - 1))}) "
    "ON CONFLICT (id) DO NOTHING{returning_n}"
)
_CURRENT = "seq=(SELECT max(seq) FROM {s}history WHERE instance=?)"


class HandleBase:
    """What both stores' ``@wfc.transaction`` handles refuse: their writes commit with the workflow's advance, or
    not at all."""

    def _refuse(self, what: str) -> None:
        raise StoreError(
            f"a @wfc.transaction step cannot call {what}()",
            code="WFC426",
            hint="its writes commit together with the workflow's advance; raise an exception to roll them back",
        )

    def commit(self) -> None:
        self._refuse("commit")

    def rollback(self) -> None:
        self._refuse("rollback")

    def close(self) -> None:
        self._refuse("close")


class Statements(dict[str, str]):
    """Templates → the dialect's SQL, each translated once (a dict lookup on the hot path)."""

    def __init__(self, fragments: dict[str, str], prefix: str = "", paramstyle: str = "qmark") -> None:
        super().__init__()
        self.fragments = {"{s}": prefix, **fragments}
        self.format = paramstyle == "format"

    def __missing__(self, template: str) -> str:
        sql = template
        for mark, text in self.fragments.items():
            sql = sql.replace(mark, text)
        if self.format:
            sql = sql.replace("?", "%s")
        self[template] = sql
        return sql


class StoreBody:
    """The statements of :class:`~wfc.runtime.store.protocol.Store` both SQL stores share (see the module)."""

    _transaction: AbstractContextManager[None]
    _savepoint: AbstractContextManager[None]
    _handle: Any

    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction  # one object per store, entered on every transaction (no generator to build)

    def savepoint(self) -> AbstractContextManager[None]:
        return self._savepoint

    def handle(self) -> Any:
        return self._handle

    # ---- the seam ----------------------------------------------------------------------------------------------

    def _x(self, template: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def _reading(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _lock(self, n: int) -> None:
        raise NotImplementedError

    def _wake(self) -> None:
        raise NotImplementedError

    def _insert_id(self, template: str, params: Sequence[Any]) -> int | None:
        raise NotImplementedError

    def _any(self, column: str, values: Sequence[Any]) -> Iterator[tuple[str, tuple[Any, ...]]]:
        raise NotImplementedError

    # ---- tables and workers ------------------------------------------------------------------------------------

    def save_table(self, table_hash: str, workflow: str, text: str, now: float) -> None:
        self._x("INSERT INTO {s}tables VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", (table_hash, workflow, text, now))

    def saved_tables(self) -> list[tuple[str, str]]:
        with self._reading():
            rows = self._x("SELECT hash, workflow FROM {s}tables ORDER BY created_at").fetchall()
        return [(r[0], r[1]) for r in rows]

    def register_worker(self, worker_id: str, host: str, pid: int, now: float) -> None:
        self._x(
            "INSERT INTO {s}workers (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET host=excluded.host, pid=excluded.pid, started_at=excluded.started_at, "
            "heartbeat_at=excluded.heartbeat_at, serves=NULL, alive_until=NULL",
            (worker_id, host, pid, now, now),
        )

    def heartbeat(self, worker_id: str, now: float, lease_until: float) -> None:
        self._x("UPDATE {s}workers SET heartbeat_at=?, alive_until=? WHERE id=?", (now, lease_until, worker_id))

    def set_serving(self, worker_id: str, serves: str | None, alive_until: float | None) -> None:
        self._x("UPDATE {s}workers SET serves=?, alive_until=? WHERE id=?", (serves, alive_until, worker_id))

    def serving(self, now: float) -> list[tuple[str, str]]:
        with self._reading():
            rows = self._x(
                "SELECT id, serves FROM {s}workers WHERE serves IS NOT NULL AND alive_until>=? ORDER BY id", (now,)
            ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def workers(self, host: str) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in self._x("SELECT id, pid FROM {s}workers WHERE host=?", (host,)).fetchall()]

    def stale_workers(self, before: float) -> list[str]:
        """Workers (of any host) whose last heartbeat is older than ``before``."""
        return [r[0] for r in self._x("SELECT id FROM {s}workers WHERE heartbeat_at<?", (before,)).fetchall()]

    def remove_worker(self, worker_id: str) -> None:
        self._x("DELETE FROM {s}workers WHERE id=?", (worker_id,))

    # ---- instances ---------------------------------------------------------------------------------------------

    def insert_instance(self, row: InstanceRow) -> int | None:
        return self._insert_id(_INSERT_INSTANCE, _inst_params(row))

    def get_instance(self, instance_id: str) -> InstanceRow | None:
        with self._reading():
            row = self._x(f"SELECT {INST_COLS} FROM {{s}}instances WHERE id=?", (instance_id,)).fetchone()
        return InstanceRow(*row) if row else None

    def get_instance_n(self, n: int) -> InstanceRow | None:
        with self._reading():
            row = self._x(f"SELECT {INST_COLS} FROM {{s}}instances WHERE n=?", (n,)).fetchone()
        return InstanceRow(*row) if row else None

    def set_state(self, n: int, state: str, now: float) -> None:
        self._x("UPDATE {s}instances SET state=?, updated_at=? WHERE n=?", (state, now, n))

    def attach_join(self, child_id: str, parent: int, key: Key) -> InstanceRow | None:
        # The update locks the child's row (PostgreSQL): a child ending at the same time either ended before (the
        # read below sees it) or reads this key after its own update of the row (wfc.runtime.children).
        cur = self._x(
            "UPDATE {s}instances SET parent_seq=?, parent_pos=? WHERE id=? AND parent=? AND close_policy IS NOT NULL",
            (key[1], key[2], child_id, parent),
        )
        if cur.rowcount != 1:
            return None
        row = self._x(f"SELECT {INST_COLS} FROM {{s}}instances WHERE id=?", (child_id,)).fetchone()
        return InstanceRow(*row) if row else None

    def started_children(self, parent: int) -> list[InstanceRow]:
        rows = self._x(
            f"SELECT {INST_COLS} FROM {{s}}instances WHERE parent=? AND close_policy='cancel' "
            "AND state IN ('enqueued', 'running', 'sleeping', 'waiting') ORDER BY n",
            (parent,),
        ).fetchall()
        return [InstanceRow(*r) for r in rows]

    def finish_instance(self, n: int, state: str, result: str | None, error: str | None, now: float) -> None:
        self._x(
            "UPDATE {s}instances SET state=?, result=?, error=?, finished_at=?, updated_at=? WHERE n=?",
            (state, result, error, now, now, n),
        )
        self._wake()  # watchers (and a parent's worker) hear of it at once

    def set_blocked(self, n: int, message: str | None, now: float) -> None:
        self._x("UPDATE {s}instances SET blocked=?, updated_at=? WHERE n=?", (message, now, n))

    def cancel_requested(self, n: int) -> float | None:
        row = self._x("SELECT cancel_requested FROM {s}instances WHERE n=?", (n,)).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def canceled_keys(self, keys: Sequence[Key]) -> list[Key]:
        # one lookup per running attempt on the clustered key (a worker runs a few dozen at most)
        out: list[Key] = []
        with self._reading():
            for key in keys:
                row = self._x(f"SELECT status FROM {{s}}history WHERE {KEY}", tuple(key)).fetchone()
                if row is None or int(row[0]) == CANCELED:
                    out.append(key)
        return out

    def new_run(self, n: int, table_hash: str, now: float) -> int:
        # continue_as_new: the run's history goes (its open deadline stays: a timeout spans the runs), with what
        # only that history refers to; its events not taken stay for the next run. Children the run started
        # that have ended leave the tree (they are purged on their own); seq numbers go on, so the next run's
        # rows and child ids never meet the old run's.
        self._x("DELETE FROM {s}history WHERE instance=? AND NOT (kind='deadline' AND status=0)", (n,))
        for table in ("attempts", "lineage", "version_moves"):
            self._x(f"DELETE FROM {{s}}{table} WHERE instance=?", (n,))
        self._x("DELETE FROM {s}events WHERE instance=? AND consumed_seq IS NOT NULL", (n,))
        self._x(
            "UPDATE {s}instances SET parent=NULL, parent_seq=NULL, parent_pos=NULL WHERE parent=? "
            "AND state IN ('completed', 'failed', 'canceled')",
            (n,),
        )
        self._x(
            "UPDATE {s}instances SET run=coalesce(run, 1) + 1, table_hash=?, state='running', blocked=NULL, "
            "cancel_requested=NULL, updated_at=? WHERE n=?",
            (table_hash, now, n),
        )
        row = self._x("SELECT run FROM {s}instances WHERE n=?", (n,)).fetchone()
        return int(row[0])

    def close_deadline(self, n: int, now: float) -> None:
        self._x(
            "UPDATE {s}history SET status=3, finished_at=? WHERE instance=? AND seq=0 AND kind='deadline' "
            "AND status=0",
            (now, n),
        )

    def list_instances(
        self,
        *,
        workflow: str | Sequence[str] | None,
        state: str | None,
        parent: int | None,
        limit: int,
        before: int | None,
    ) -> list[InstanceRow]:
        where: list[str] = []
        params: list[Any] = []
        if workflow is not None:
            # Keys (`module:qualname`) or names: a name also works where its module is not imported.
            refs = [workflow] if isinstance(workflow, str) else list(workflow)
            marks = ",".join("?" * len(refs))
            where.append(f"(workflow IN ({marks}) OR name IN ({marks}))")
            params += refs + refs
        for column, value in (("state", state), ("parent", parent)):
            if value is not None:
                where.append(f"{column}=?")
                params.append(value)
        if before is not None:
            where.append("n<?")
            params.append(before)
        sql = f"SELECT {INST_COLS} FROM {{s}}instances"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY n DESC LIMIT ?"
        with self._reading():
            return [InstanceRow(*r) for r in self._x(sql, (*params, limit)).fetchall()]

    def count_unfinished(self) -> list[tuple[str, str, int]]:
        with self._reading():
            rows = self._x(UNFINISHED).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def count_due(self, now: float) -> list[tuple[str, int]]:
        with self._reading():
            rows = self._x(DUE, (now, now)).fetchall()
        return [(str(r[0]), int(r[1])) for r in rows]

    # ---- history rows / work -----------------------------------------------------------------------------------

    def insert_leaf(self, row: LeafRow) -> None:
        if row.lease_owner is None and row.ready_at is not None:
            self._wake()  # claimable by any worker (or a timer to wait for)
        if (
            row.result is None
            and row.error is None
            and row.kwargs is None
            and row.retry is None
            and row.finished_at is None
            and row.shape is None
            and row.blocked is None
            and row.child is None
        ):
            self._x(_INSERT_NEW_LEAF, _new_leaf_params(row))
        else:
            self._x(_INSERT_LEAF, _leaf_params(row))

    def resolve(
        self, key: Key, owner: str | None, status: int, result: str | None, error: str | None, attempts: int,
        now: float,
    ) -> bool:  # fmt: skip
        if owner is None:
            return bool(self._x(RESOLVE, (status, result, error, attempts, now, *key)).rowcount == 1)
        return bool(self._x(RESOLVE_OWNED, (status, result, error, attempts, now, *key, owner)).rowcount == 1)

    def note_canceled(
        self, key: Key, owner: str, result: str | None, error: str | None, attempts: int, now: float
    ) -> bool:
        cur = self._x(
            f"UPDATE {{s}}history SET result=?, error=?, attempts=?, finished_at=? WHERE {KEY} AND status=3 "
            "AND lease_owner=?",
            (result, error, attempts, now, *key, owner),
        )
        return bool(cur.rowcount == 1)

    def deliver_external(self, key: Key, result: str | None, error: str | None, now: float) -> bool:
        self._lock(key[0])
        cur = self._x(
            # an event wait that took its event counts one attempt, as when it takes one sent before it waited
            "UPDATE {s}history SET status=1, result=?, error=?, finished_at=?, ready_at=?, lease_until=0, "
            f"attempts=CASE WHEN kind='event' THEN 1 ELSE attempts END WHERE {KEY} AND status=0",
            (result, error, now, now, *key),
        )
        if cur.rowcount == 1:
            self._wake()
            return True
        return False

    def retry_later(self, key: Key, owner: str | None, attempts: int, ready_at: float, error: str) -> bool:
        sql = f"UPDATE {{s}}history SET attempts=?, ready_at=?, error=?, lease_until=0 WHERE {KEY} AND status<2"
        params: tuple[Any, ...] = (attempts, ready_at, error, *key)
        if owner is not None:
            sql += " AND lease_owner=?"
            params += (owner,)
        if self._x(sql, params).rowcount == 1:
            self._wake()
            return True
        return False

    def record_attempt(
        self, key: Key, attempt: int, started: float, at: float, error: str, traceback: str | None
    ) -> None:
        self._x(
            "INSERT INTO {s}attempts (instance, seq, pos, attempt, finished_at, error, traceback, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance, seq, pos, attempt) DO UPDATE SET "
            "finished_at=excluded.finished_at, error=excluded.error, traceback=excluded.traceback, "
            "started_at=excluded.started_at",
            (*key, attempt, at, error, traceback, started),
        )
        gone = dropped(attempt)
        if gone is not None:
            self._x(f"DELETE FROM {{s}}attempts WHERE {KEY} AND attempt=?", (*key, gone))

    def list_attempts(self, instance: int) -> list[tuple[int, int, int, float | None, float, str, str | None]]:
        with self._reading():
            rows = self._x(
                "SELECT seq, pos, attempt, started_at, finished_at, error, traceback FROM {s}attempts "
                "WHERE instance=? ORDER BY seq, pos, attempt",
                (instance,),
            ).fetchall()
        return [
            (int(r[0]), int(r[1]), int(r[2]), None if r[3] is None else float(r[3]), float(r[4]), str(r[5]), r[6])
            for r in rows
        ]

    def park(self, key: Key, message: str) -> None:
        self._x(f"UPDATE {{s}}history SET ready_at=NULL, blocked=?, lease_until=0 WHERE {KEY}", (message, *key))

    def unpark(self, now: float) -> int:
        count = 0
        blocked = [int(r[0]) for r in self._x("SELECT n FROM {s}instances WHERE blocked IS NOT NULL").fetchall()]
        for n in blocked:
            self._lock(n)
            cur = self._x(
                f"UPDATE {{s}}history SET ready_at=?, blocked=NULL WHERE instance=? AND {_CURRENT} "
                "AND blocked IS NOT NULL AND status<2",
                (now, n, n),
            )
            count += cur.rowcount
            self._x("UPDATE {s}instances SET blocked=NULL WHERE n=?", (n,))
        if count:
            self._wake()
        return count

    def close_group(self, instance: int, seq: int, now: float) -> None:
        self._x("UPDATE {s}history SET status=2 WHERE instance=? AND seq=? AND status=1", (instance, seq))
        self._x(
            "UPDATE {s}history SET status=3, finished_at=? WHERE instance=? AND seq=? AND status=0",
            (now, instance, seq),
        )

    def group(self, instance: int, seq: int) -> list[LeafRow]:
        self._lock(instance)
        rows = self._x(
            f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=? AND seq=? ORDER BY pos", (instance, seq)
        ).fetchall()
        return [LeafRow(*r) for r in rows]

    def current(self, instance: int) -> list[LeafRow]:
        with self._reading():
            rows = self._x(
                f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=? AND {_CURRENT} ORDER BY pos",
                (instance, instance),
            ).fetchall()
        return [LeafRow(*r) for r in rows]

    def history(self, instance: int) -> list[LeafRow]:
        with self._reading():
            rows = self._x(
                f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=? ORDER BY seq, pos", (instance,)
            ).fetchall()
        return [LeafRow(*r) for r in rows]

    def claim(
        self, owner: str, now: float, limit: int, slots: int | None = None
    ) -> list[tuple[LeafRow, InstanceRow]]:
        if slots is None or slots >= limit:  # every row claimed fits: one statement
            rows = self._x(CLAIM, (now, now, limit)).fetchall()
        else:
            rows = self._x(CLAIM_FREE, (now, now, limit)).fetchall()
            if slots > 0:
                rows += self._x(CLAIM_SLOT, (now, now, slots)).fetchall()
        return [(LeafRow(*r[:NLEAF]), InstanceRow(*r[NLEAF:])) for r in rows]

    def has_due(self, now: float) -> bool:
        with self._reading():
            row = self._x(
                "SELECT 1 FROM {s}history WHERE status<2 AND ready_at<=? AND lease_until<=? LIMIT 1", (now, now)
            ).fetchone()
        return row is not None

    def lease(self, key: Key, owner: str, until: float, now: float) -> bool:
        cur = self._x(
            "UPDATE {s}history SET lease_owner=?, lease_until=?, started_at=coalesce(started_at, ?) "
            f"WHERE {KEY} AND status<2",
            (owner, until, now, *key),
        )
        return bool(cur.rowcount == 1)

    def release(self, owner: str) -> int:
        cur = self._x(
            "UPDATE {s}history SET lease_until=0 WHERE status<2 AND ready_at>=0 AND lease_owner=? AND lease_until>0",
            (owner,),
        )
        if cur.rowcount:
            self._wake()
        return int(cur.rowcount)

    def next_due(self, now: float, leases: bool = False) -> float | None:
        """When the next row becomes claimable: the next due time; with ``leases`` also the rows due already —
        ``now`` if one is claimable now, else the end of the first lease held on one — whichever comes first.
        One statement, each part served by the partial index of open work."""
        with self._reading():
            if leases:
                row = self._x(
                    "SELECT (SELECT ready_at FROM {s}history WHERE status<2 AND ready_at>? ORDER BY ready_at LIMIT 1), "
                    "(SELECT min(lease_until) FROM {s}history WHERE status<2 AND ready_at<=?)",
                    (now, now),
                ).fetchone()
            else:
                row = self._x(
                    "SELECT ready_at FROM {s}history WHERE status<2 AND ready_at>? ORDER BY ready_at LIMIT 1", (now,)
                ).fetchone()
        times = [max(float(t), now) for t in row or () if t is not None]  # a lease that has ended: claimable now
        return min(times) if times else None

    # ---- events ------------------------------------------------------------------------------------------------

    def insert_event(
        self, instance: int, name: str, value: str | None, error: str | None, now: float, dedup: str | None = None
    ) -> int:
        self._lock(instance)  # a transition suspending on this event commits first, or sees it
        event_id = self._insert_id(
            "INSERT INTO {s}events (instance, name, value, error, sent_at, dedup) VALUES (?,?,?,?,?,?){returning_id}",
            (instance, name, value, error, now, dedup),
        )
        if event_id is None:  # pragma: no cover - an INSERT without ON CONFLICT inserts or raises
            raise StoreError("an event was not recorded", code="WFC427", hint="this is a bug in wfc")
        return event_id

    # ---- published statuses (wfc.set_status) -------------------------------------------------------------------

    def set_statuses(self, instance: int, values: dict[str, str], now: float) -> None:
        for key, value in values.items():
            self._x(
                "INSERT INTO {s}statuses (instance, key, value, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT (instance, key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at",
                (instance, key, value, now),
            )
        self._wake()  # a reader waiting in get_status(..., timeout=) wakes with the commit

    def statuses(self, instance: int) -> dict[str, str]:
        with self._reading():
            rows = self._x("SELECT key, value FROM {s}statuses WHERE instance=? ORDER BY key", (instance,)).fetchall()
        return {str(k): str(v) for k, v in rows}

    def sent_event(self, instance: int, dedup: str) -> bool:
        self._lock(instance)  # two deliveries of one webhook: the second waits for the first's commit, then sees it
        return self._x("SELECT 1 FROM {s}events WHERE instance=? AND dedup=?", (instance, dedup)).fetchone() is not None

    def take_event(self, instance: int, name: str, skip: int = 0) -> EventRow | None:
        row = self._x(
            f"SELECT {EVENT_COLS} FROM {{s}}events "
            "WHERE instance=? AND name=? AND consumed_seq IS NULL ORDER BY id LIMIT 1 OFFSET ?",
            (instance, name, skip),
        ).fetchone()
        return EventRow(*row) if row else None

    def consume_event(self, event_id: int, key: Key) -> None:
        self._x("UPDATE {s}events SET consumed_seq=?, consumed_pos=? WHERE id=?", (key[1], key[2], event_id))

    def group_events(self, instance: int, seq: int) -> dict[int, int]:
        rows = self._x(
            "SELECT consumed_pos, id FROM {s}events WHERE instance=? AND consumed_seq=?", (instance, seq)
        ).fetchall()
        return {int(pos): int(event_id) for pos, event_id in rows}

    def give_back_events(self, instance: int, seq: int, positions: Sequence[int]) -> None:
        for where, params in self._any("consumed_pos", positions):
            self._x(
                f"UPDATE {{s}}events SET consumed_seq=NULL, consumed_pos=NULL WHERE instance=? AND consumed_seq=? "
                f"AND {where}",
                (instance, seq, *params),
            )
        for where, params in self._any("pos", positions):
            self._x(
                f"UPDATE {{s}}history SET status=3, result=NULL, error=NULL, attempts=0 WHERE instance=? AND seq=? "
                f"AND {where}",
                (instance, seq, *params),
            )

    def waiting_leaf(self, instance: int, name: str) -> LeafRow | None:
        self._lock(instance)
        row = self._x(
            f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=? AND {_CURRENT} AND kind='event' AND name=? "
            "AND status=0 ORDER BY pos LIMIT 1",
            (instance, instance, name),
        ).fetchone()
        return LeafRow(*row) if row else None

    def events(self, instance: int) -> list[EventRow]:
        with self._reading():
            rows = self._x(f"SELECT {EVENT_COLS} FROM {{s}}events WHERE instance=? ORDER BY id", (instance,)).fetchall()
        return [EventRow(*r) for r in rows]
