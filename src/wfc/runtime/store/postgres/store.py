"""The PostgreSQL store: the :class:`~wfc.runtime.store.protocol.Store` protocol on psycopg 3 and psycopg_pool.

Concurrency. Workers of many processes and machines share the tables. A claim takes due rows with
``FOR UPDATE OF h, i SKIP LOCKED``: the history row *and its instance's row*, skipping rows another transaction
holds, so two workers never take the same row and never run two transitions of one instance at once. Every other
transition of an instance (a step's outcome, an event or a child's result arriving, a cancel, a restart, a
migration) first locks the instance's row (``SELECT ... FOR UPDATE``, once per transaction): the transitions of
one instance are serialized, as SQLite serializes all writers, while different instances commit in parallel.
Transactions run at READ COMMITTED, so a statement after the lock sees everything committed before it. A
transition commits only through the same compare-and-set as on SQLite (``... AND status<2 AND lease_owner=%s``;
the next suspension's rows are new primary keys), so a worker whose lease was taken cannot commit over the work
of the worker that took it. Deadlocks and serialization failures become
:class:`~wfc.runtime.errors.StoreConflict`: the cycle runs again.

Connections. A pool (``?pool_size=``, default 8); a transaction holds one connection for its length, bound to its
thread. Wake-ups: a transaction that makes work claimable by others (a new instance, an event, a retry, a timer,
a released lease, a cancel) sends ``NOTIFY`` with its ``COMMIT`` (:mod:`wfc.runtime.store.postgres.notify`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
import psycopg_pool

from wfc.runtime.dburl import redact
from wfc.runtime.errors import StoreError
from wfc.runtime.store.postgres.connection import TransactionHandle, store_error
from wfc.runtime.store.postgres.notify import Listener
from wfc.runtime.store.protocol import EventRow, InstanceRow, Key, LeafRow

LEAF_COLS = (
    "instance, seq, pos, path, kind, name, status, step, args, kwargs, retry, result, error, attempts, ready_at, "
    "lease_owner, lease_until, scheduled_at, started_at, finished_at, state_id, snapshot, shape, blocked"
)
_LEAF_COLS_H = ", ".join(f"h.{c.strip()}" for c in LEAF_COLS.split(","))
INST_COLS = (
    "n, id, workflow, name, table_hash, state, created_at, updated_at, parent, parent_seq, parent_pos, "
    "on_complete, context, args, result, error, finished_at, blocked"
)
_INST_COLS_LIGHT = (
    "i.n, i.id, i.workflow, i.name, i.table_hash, i.state, i.created_at, i.updated_at, i.parent, i.parent_seq, "
    "i.parent_pos, i.on_complete, i.context, NULL, NULL, NULL, i.finished_at, i.blocked"
)
_NLEAF = 24
_EVENT_COLS = "id, instance, name, value, error, sent_at, consumed_seq, consumed_pos"
_KEY = "instance=%s AND seq=%s AND pos=%s"

CLAIM = (
    f"SELECT {_LEAF_COLS_H}, {_INST_COLS_LIGHT} FROM {{s}}history h JOIN {{s}}instances i ON i.n = h.instance "
    "WHERE h.status < 2 AND h.ready_at <= %s AND h.lease_until <= %s ORDER BY h.ready_at LIMIT %s "
    "FOR UPDATE OF h, i SKIP LOCKED"
)
_LOCK = "SELECT 1 FROM {s}instances WHERE n=%s FOR UPDATE"
# The hot path: lock the instance and record the outcome in one statement (one round trip).
_RESOLVE = (
    "WITH lk AS (SELECT n FROM {s}instances WHERE n=%s FOR UPDATE) "
    "UPDATE {s}history SET status=%s, result=%s, error=%s, attempts=%s, finished_at=%s "
    "WHERE instance=(SELECT n FROM lk) AND seq=%s AND pos=%s AND status<2"
)
_INSERT_NEW_LEAF = (
    "INSERT INTO {s}history (instance, seq, pos, path, kind, name, status, step, args, attempts, ready_at, "
    "lease_owner, lease_until, scheduled_at, started_at, state_id, snapshot) "
    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
)
_INSERT_LEAF = f"INSERT INTO {{s}}history ({LEAF_COLS}) VALUES ({','.join(['%s'] * _NLEAF)})"


class _Local(threading.local):
    conn: psycopg.Connection[Any] | None = None
    write = False
    notify = False
    locked: set[int] | None = None


class _Transaction:
    """``with store.transaction():`` a write transaction on a pooled connection bound to this thread."""

    __slots__ = ("store",)

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        store = self.store
        local = store._local
        if local.conn is not None:
            raise StoreError(
                "a transaction was started inside another one on the same thread",
                code="WFC427",
                hint="this is a bug in wfc or in code that calls the store directly",
            )
        conn = store._getconn()
        if store._trace is not None:
            store._trace("BEGIN")
        try:
            conn.execute(b"BEGIN")
        except psycopg.Error as exc:
            store._putconn(conn)
            raise store_error(exc, "cannot begin a transaction", store.url) from None
        local.conn = conn
        local.write = True
        local.notify = False
        local.locked = set()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        store = self.store
        local = store._local
        conn = local.conn
        local.conn = None
        local.write = False
        local.locked = None
        assert conn is not None
        try:
            if exc_type is not None:
                with contextlib.suppress(psycopg.Error):
                    if not conn.closed:
                        conn.execute(b"ROLLBACK")
                if isinstance(exc, psycopg.Error):
                    raise store_error(exc, "a write failed", store.url) from exc
                return
            try:
                conn.execute(store._commit_notify if local.notify else b"COMMIT")
            except psycopg.Error as error:
                with contextlib.suppress(psycopg.Error):
                    if not conn.closed:
                        conn.execute(b"ROLLBACK")
                raise store_error(error, "cannot commit", store.url) from None
        finally:
            local.notify = False
            store._putconn(conn)


class _Savepoint:
    __slots__ = ("store",)

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        self.store._x("SAVEPOINT wfc")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        store = self.store
        if exc_type is None:
            store._x("RELEASE SAVEPOINT wfc")
            return
        conn = store._local.conn
        if conn is not None and not conn.closed:
            try:
                conn.execute(b"ROLLBACK TO SAVEPOINT wfc")
                conn.execute(b"RELEASE SAVEPOINT wfc")
            except psycopg.Error as error:
                raise store_error(error, "a savepoint failed", store.url) from None
        if isinstance(exc, psycopg.Error):  # the engine sees StoreErrors only
            raise store_error(exc, "a write failed", store.url) from exc


class PostgresStore:
    """See the module's docstring. Open with :func:`wfc.runtime.store.open_store` (it migrates the schema)."""

    notifies = True

    def __init__(self, url: str, conninfo: str, schema: str, pool_size: int, *, read_only: bool = False) -> None:
        self.url = url
        self.read_only = read_only
        self.schema = schema
        self.channel = f"wfc_{schema}"
        self._prefix = f'"{schema}".'
        self._sql: dict[str, str] = {}
        self._local = _Local()
        self._trace: Callable[[str], None] | None = None
        self._commit_notify = f"NOTIFY {self.channel}; COMMIT".encode()
        self._conninfo = conninfo
        self.pool = psycopg_pool.ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "prepare_threshold": 2}
            | ({"options": "-c default_transaction_read_only=on"} if read_only else {}),
            open=False,
            timeout=10.0,
            reconnect_timeout=0,  # never give up reconnecting (a worker outlives a database restart)
            name=f"wfc-{schema}",
        )
        try:
            self.pool.open(wait=True, timeout=10.0)
        except psycopg_pool.PoolTimeout as exc:
            raise store_error(exc, f"cannot open {redact(url)}", url) from None
        self._transaction = _Transaction(self)
        self._savepoint = _Savepoint(self)
        self._handle = TransactionHandle(self._current)
        self._listener: Listener | None = None
        self._listener_lock = threading.Lock()

    # ---- connections -------------------------------------------------------------------------------------------

    def q(self, template: str) -> str:
        """A statement with the schema filled in (``{s}`` is the schema's prefix)."""
        sql = self._sql.get(template)
        if sql is None:
            sql = self._sql[template] = template.replace("{s}", self._prefix)
        return sql

    def _getconn(self) -> psycopg.Connection[Any]:
        try:
            return self.pool.getconn()
        except (psycopg_pool.PoolTimeout, psycopg.Error) as exc:
            raise store_error(exc, "cannot get a database connection", self.url) from None

    def _putconn(self, conn: psycopg.Connection[Any]) -> None:
        with contextlib.suppress(Exception):
            self.pool.putconn(conn)

    def _current(self) -> psycopg.Connection[Any]:
        conn = self._local.conn
        if conn is None:
            raise StoreError(
                "no transaction is open on this thread",
                code="WFC427",
                hint="use the handle only inside the step (or inside `with rt.db():`)",
            )
        return conn

    def _x(self, template: str, params: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        """Run one statement in this thread's transaction (or read), errors translated."""
        sql = self.q(template)
        conn = self._local.conn
        if self._trace is not None:
            self._trace(sql)
        try:
            if conn is None:
                return self._auto(sql, params)
            return conn.execute(sql, params)
        except psycopg.Error as exc:
            raise store_error(exc, "a statement failed", self.url) from None

    def _auto(self, sql: str, params: Sequence[Any] | None) -> psycopg.Cursor[Any]:
        """One statement outside a transaction (its own snapshot): rows fetched before the connection goes back."""
        conn = self._getconn()
        try:
            cur = conn.execute(sql, params)
            if cur.description is not None:
                rows = cur.fetchall()
                return _Fetched(rows, cur.rowcount)  # type: ignore[return-value]
            return cur
        finally:
            self._putconn(conn)

    def _lock(self, n: int) -> None:
        """Serialize this transaction with every other transition of instance ``n`` (once per transaction)."""
        local = self._local
        locked = local.locked
        if locked is None or n in locked:
            return  # outside a write transaction (a read), or already held
        locked.add(n)
        self._x(_LOCK, (n,))

    def _wake(self) -> None:
        """Send a wake-up (``NOTIFY``) with this transaction's commit."""
        self._local.notify = True

    # ---- lifecycle ---------------------------------------------------------------------------------------------

    def close(self) -> None:
        listener = self._listener
        if listener is not None:
            listener.stop()
        with contextlib.suppress(Exception):
            self.pool.close(timeout=5.0)

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        with self._listener_lock:
            if self._listener is None:
                self._listener = Listener(self._conninfo, self.channel)
            return self._listener.add(callback)

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call ``callback(sql)`` for every statement the store runs (tests count them)."""
        self._trace = callback

    def transaction(self) -> _Transaction:
        return self._transaction

    def savepoint(self) -> _Savepoint:
        return self._savepoint

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        local = self._local
        if local.conn is not None:
            yield
            return
        conn = self._getconn()
        try:
            conn.execute(b"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        except psycopg.Error as exc:
            self._putconn(conn)
            raise store_error(exc, "cannot begin a read", self.url) from None
        local.conn = conn
        try:
            yield
        except psycopg.Error as exc:
            raise store_error(exc, "a read failed", self.url) from exc
        finally:
            local.conn = None
            with contextlib.suppress(psycopg.Error):
                if not conn.closed:
                    conn.execute(b"COMMIT")
            self._putconn(conn)

    def handle(self) -> TransactionHandle:
        return self._handle

    # ---- tables and workers ------------------------------------------------------------------------------------

    def save_table(self, table_hash: str, workflow: str, text: str, now: float) -> None:
        self._x(
            "INSERT INTO {s}tables VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (table_hash, workflow, text, now),
        )

    def saved_tables(self) -> list[tuple[str, str]]:
        rows = self._x("SELECT hash, workflow FROM {s}tables ORDER BY created_at").fetchall()
        return [(r[0], r[1]) for r in rows]

    def register_worker(self, worker_id: str, host: str, pid: int, now: float) -> None:
        self._x(
            "INSERT INTO {s}workers VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET host=EXCLUDED.host, "
            "pid=EXCLUDED.pid, started_at=EXCLUDED.started_at, heartbeat_at=EXCLUDED.heartbeat_at",
            (worker_id, host, pid, now, now),
        )

    def heartbeat(self, worker_id: str, now: float, lease_until: float) -> None:
        self._x("UPDATE {s}workers SET heartbeat_at=%s WHERE id=%s", (now, worker_id))

    def extend(self, keys: Sequence[Key], owner: str, until: float) -> None:
        if not keys:
            return
        # One statement for all of them: the rows still leased to this worker get a later end.
        self._x(
            "UPDATE {s}history h SET lease_until=%s FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS k(i, s, p) "
            "WHERE h.instance=k.i AND h.seq=k.s AND h.pos=k.p AND h.lease_owner=%s AND h.status<2",
            (until, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], owner),
        )

    def workers(self, host: str) -> list[tuple[str, int]]:
        return [
            (r[0], r[1]) for r in self._x("SELECT id, pid FROM {s}workers WHERE host=%s", (host,)).fetchall()
        ]

    def stale_workers(self, before: float) -> list[str]:
        """Workers (of any host) whose last heartbeat is older than ``before``."""
        rows = self._x("SELECT id FROM {s}workers WHERE heartbeat_at<%s", (before,)).fetchall()
        return [r[0] for r in rows]

    def remove_worker(self, worker_id: str) -> None:
        self._x("DELETE FROM {s}workers WHERE id=%s", (worker_id,))

    # ---- instances ---------------------------------------------------------------------------------------------

    def insert_instance(self, row: InstanceRow) -> int | None:
        cur = self._x(
            "INSERT INTO {s}instances (id, workflow, name, table_hash, state, created_at, updated_at, parent, "
            "parent_seq, parent_pos, on_complete, context, args, result, error, finished_at, blocked) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO NOTHING RETURNING n",
            (
                row.id,
                row.workflow,
                row.name,
                row.table_hash,
                row.state,
                row.created_at,
                row.updated_at,
                row.parent,
                row.parent_seq,
                row.parent_pos,
                row.on_complete,
                row.context,
                row.args,
                row.result,
                row.error,
                row.finished_at,
                row.blocked,
            ),
        )
        got = cur.fetchone()
        if got is None:
            return None
        n = int(got[0])
        if self._local.locked is not None:
            self._local.locked.add(n)  # a new row is ours until the commit
        return n

    def get_instance(self, instance_id: str) -> InstanceRow | None:
        row = self._x(f"SELECT {INST_COLS} FROM {{s}}instances WHERE id=%s", (instance_id,)).fetchone()
        return InstanceRow(*row) if row else None

    def check_file(self) -> None:
        """A server database: no file that could be deleted or replaced under this process."""

    def count_live_descendants(self, root: InstanceRow, limit: int) -> int:
        # Down the parent links (indexed), whatever the ids' collation; the LIMIT ends the walk early.
        row = self._x(
            "WITH RECURSIVE d(n, state) AS (SELECT n, state FROM {s}instances WHERE parent = %s "
            "UNION ALL SELECT i.n, i.state FROM {s}instances i JOIN d ON i.parent = d.n) "
            "SELECT count(*) FROM (SELECT 1 FROM d WHERE state NOT IN ('completed', 'failed', 'canceled') "
            "LIMIT %s) AS live",
            (root.n, limit),
        ).fetchone()
        return int(row[0]) if row else 0

    def get_instance_n(self, n: int) -> InstanceRow | None:
        row = self._x(f"SELECT {INST_COLS} FROM {{s}}instances WHERE n=%s", (n,)).fetchone()
        return InstanceRow(*row) if row else None

    def set_state(self, n: int, state: str, now: float) -> None:
        self._x("UPDATE {s}instances SET state=%s, updated_at=%s WHERE n=%s", (state, now, n))

    def finish_instance(self, n: int, state: str, result: str | None, error: str | None, now: float) -> None:
        self._x(
            "UPDATE {s}instances SET state=%s, result=%s, error=%s, finished_at=%s, updated_at=%s WHERE n=%s",
            (state, result, error, now, now, n),
        )
        self._wake()  # watchers (and parents' workers) hear of it at once

    def set_blocked(self, n: int, message: str | None, now: float) -> None:
        self._x("UPDATE {s}instances SET blocked=%s, updated_at=%s WHERE n=%s", (message, now, n))

    def list_instances(
        self, *, workflow: str | None, state: str | None, parent: int | None, limit: int, before: int | None
    ) -> list[InstanceRow]:
        where: list[str] = []
        params: list[Any] = []
        if workflow is not None:
            where.append("(workflow=%s OR name=%s)")
            params += [workflow, workflow]
        for column, value in (("state", state), ("parent", parent)):
            if value is not None:
                where.append(f"{column}=%s")
                params.append(value)
        if before is not None:
            where.append("n<%s")
            params.append(before)
        sql = f"SELECT {INST_COLS} FROM {{s}}instances"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY n DESC LIMIT %s"
        return [InstanceRow(*r) for r in self._x(sql, (*params, limit)).fetchall()]

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
        ):
            self._x(
                _INSERT_NEW_LEAF,
                (
                    row.instance,
                    row.seq,
                    row.pos,
                    row.path,
                    row.kind,
                    row.name,
                    row.status,
                    row.step,
                    row.args,
                    row.attempts,
                    row.ready_at,
                    row.lease_owner,
                    row.lease_until,
                    row.scheduled_at,
                    row.started_at,
                    row.state_id,
                    row.snapshot,
                ),
            )
            return
        self._x(
            _INSERT_LEAF,
            (
                row.instance,
                row.seq,
                row.pos,
                row.path,
                row.kind,
                row.name,
                row.status,
                row.step,
                row.args,
                row.kwargs,
                row.retry,
                row.result,
                row.error,
                row.attempts,
                row.ready_at,
                row.lease_owner,
                row.lease_until,
                row.scheduled_at,
                row.started_at,
                row.finished_at,
                row.state_id,
                row.snapshot,
                row.shape,
                row.blocked,
            ),
        )

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
        local = self._local
        n = key[0]
        sql = _RESOLVE
        params: tuple[Any, ...] = (n, status, result, error, attempts, now, key[1], key[2])
        if local.locked is not None and n in local.locked:
            sql = (
                "UPDATE {s}history SET status=%s, result=%s, error=%s, attempts=%s, finished_at=%s WHERE "
                + _KEY
            )
            sql += " AND status<2"
            params = (status, result, error, attempts, now, *key)
        elif local.locked is not None:
            local.locked.add(n)
        if owner is not None:
            sql += " AND lease_owner=%s"
            params += (owner,)
        return self._x(sql, params).rowcount == 1

    def note_canceled(
        self, key: Key, owner: str, result: str | None, error: str | None, attempts: int, now: float
    ) -> None:
        self._x(
            f"UPDATE {{s}}history SET result=%s, error=%s, attempts=%s, finished_at=%s WHERE {_KEY} AND status=3 "
            "AND lease_owner=%s",
            (result, error, attempts, now, *key, owner),
        )

    def deliver_external(self, key: Key, result: str | None, error: str | None, now: float) -> bool:
        self._lock(key[0])
        cur = self._x(
            "UPDATE {s}history SET status=1, result=%s, error=%s, finished_at=%s, ready_at=%s, lease_until=0 "
            f"WHERE {_KEY} AND status=0",
            (result, error, now, now, *key),
        )
        if cur.rowcount == 1:
            self._wake()
            return True
        return False

    def retry_later(self, key: Key, owner: str | None, attempts: int, ready_at: float, error: str) -> bool:
        sql = f"UPDATE {{s}}history SET attempts=%s, ready_at=%s, error=%s, lease_until=0 WHERE {_KEY} AND status<2"
        params: tuple[Any, ...] = (attempts, ready_at, error, *key)
        if owner is not None:
            sql += " AND lease_owner=%s"
            params += (owner,)
        if self._x(sql, params).rowcount == 1:
            self._wake()
            return True
        return False

    def park(self, key: Key, message: str) -> None:
        self._x(
            f"UPDATE {{s}}history SET ready_at=NULL, blocked=%s, lease_until=0 WHERE {_KEY}", (message, *key)
        )

    def unpark(self, now: float) -> int:
        count = 0
        blocked = [r[0] for r in self._x("SELECT n FROM {s}instances WHERE blocked IS NOT NULL").fetchall()]
        for n in blocked:
            self._lock(n)
            cur = self._x(
                "UPDATE {s}history SET ready_at=%s, blocked=NULL WHERE instance=%s AND "
                "seq=(SELECT max(seq) FROM {s}history WHERE instance=%s) AND blocked IS NOT NULL AND status<2",
                (now, n, n),
            )
            count += cur.rowcount
            self._x("UPDATE {s}instances SET blocked=NULL WHERE n=%s", (n,))
        if count:
            self._wake()
        return count

    def close_group(self, instance: int, seq: int, now: float) -> None:
        self._x("UPDATE {s}history SET status=2 WHERE instance=%s AND seq=%s AND status=1", (instance, seq))
        self._x(
            "UPDATE {s}history SET status=3, finished_at=%s WHERE instance=%s AND seq=%s AND status=0",
            (now, instance, seq),
        )

    def group(self, instance: int, seq: int) -> list[LeafRow]:
        self._lock(instance)
        rows = self._x(
            f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=%s AND seq=%s ORDER BY pos", (instance, seq)
        ).fetchall()
        return [LeafRow(*r) for r in rows]

    def current(self, instance: int) -> list[LeafRow]:
        rows = self._x(
            f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=%s AND "
            "seq=(SELECT max(seq) FROM {s}history WHERE instance=%s) ORDER BY pos",
            (instance, instance),
        ).fetchall()
        return [LeafRow(*r) for r in rows]

    def history(self, instance: int) -> list[LeafRow]:
        rows = self._x(
            f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=%s ORDER BY seq, pos", (instance,)
        ).fetchall()
        return [LeafRow(*r) for r in rows]

    def claim(self, owner: str, now: float, limit: int) -> list[tuple[LeafRow, InstanceRow]]:
        out = []
        locked = self._local.locked
        for r in self._x(CLAIM, (now, now, limit)).fetchall():
            leaf, inst = LeafRow(*r[:_NLEAF]), InstanceRow(*r[_NLEAF:])
            if locked is not None:
                locked.add(inst.n)
            out.append((leaf, inst))
        return out

    def has_due(self, now: float) -> bool:
        row = self._x(
            "SELECT 1 FROM {s}history WHERE status<2 AND ready_at<=%s AND lease_until<=%s LIMIT 1", (now, now)
        ).fetchone()
        return row is not None

    def lease(self, key: Key, owner: str, until: float, now: float) -> None:
        self._x(
            "UPDATE {s}history SET lease_owner=%s, lease_until=%s, started_at=coalesce(started_at, %s) WHERE "
            + _KEY,
            (owner, until, now, *key),
        )

    def release(self, owner: str) -> int:
        cur = self._x(
            "UPDATE {s}history SET lease_until=0 WHERE status<2 AND ready_at>=0 AND lease_owner=%s "
            "AND lease_until>0",
            (owner,),
        )
        if cur.rowcount:
            self._wake()
        return cur.rowcount

    def next_due(self, now: float, leases: bool = False) -> float | None:
        row = self._x(
            "SELECT ready_at FROM {s}history WHERE status<2 AND ready_at>%s ORDER BY ready_at LIMIT 1", (now,)
        ).fetchone()
        leased = None
        if leases:
            leased = self._x(
                "SELECT min(lease_until) FROM {s}history WHERE status<2 AND ready_at<=%s AND lease_until>%s",
                (now, now),
            ).fetchone()
        times = [float(r[0]) for r in (row, leased) if r is not None and r[0] is not None]
        return min(times) if times else None

    # ---- events ------------------------------------------------------------------------------------------------

    def insert_event(self, instance: int, name: str, value: str | None, error: str | None, now: float) -> int:
        self._lock(instance)  # a transition suspending on this event commits first, or sees it
        cur = self._x(
            "INSERT INTO {s}events (instance, name, value, error, sent_at) VALUES (%s,%s,%s,%s,%s) RETURNING id",
            (instance, name, value, error, now),
        )
        got = cur.fetchone()
        assert got is not None
        return int(got[0])

    def take_event(self, instance: int, name: str, skip: int = 0) -> EventRow | None:
        row = self._x(
            f"SELECT {_EVENT_COLS} FROM {{s}}events "
            "WHERE instance=%s AND name=%s AND consumed_seq IS NULL ORDER BY id LIMIT 1 OFFSET %s",
            (instance, name, skip),
        ).fetchone()
        return EventRow(*row) if row else None

    def consume_event(self, event_id: int, key: Key) -> None:
        self._x(
            "UPDATE {s}events SET consumed_seq=%s, consumed_pos=%s WHERE id=%s", (key[1], key[2], event_id)
        )

    def group_events(self, instance: int, seq: int) -> dict[int, int]:
        rows = self._x(
            "SELECT consumed_pos, id FROM {s}events WHERE instance=%s AND consumed_seq=%s", (instance, seq)
        ).fetchall()
        return {int(pos): int(event_id) for pos, event_id in rows}

    def give_back_events(self, instance: int, seq: int, positions: Sequence[int]) -> None:
        where = "instance=%s AND consumed_seq=%s AND consumed_pos = ANY(%s)"
        self._x(
            "UPDATE {s}events SET consumed_seq=NULL, consumed_pos=NULL WHERE " + where,
            (instance, seq, list(positions)),
        )
        self._x(
            "UPDATE {s}history SET status=3, result=NULL, error=NULL WHERE instance=%s AND seq=%s AND pos = ANY(%s)",
            (instance, seq, list(positions)),
        )

    def waiting_leaf(self, instance: int, name: str) -> LeafRow | None:
        self._lock(instance)
        row = self._x(
            f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=%s AND "
            "seq=(SELECT max(seq) FROM {s}history WHERE instance=%s) AND kind='event' AND name=%s AND status=0 "
            "ORDER BY pos LIMIT 1",
            (instance, instance, name),
        ).fetchone()
        return LeafRow(*row) if row else None

    def events(self, instance: int) -> list[EventRow]:
        rows = self._x(
            f"SELECT {_EVENT_COLS} FROM {{s}}events WHERE instance=%s ORDER BY id", (instance,)
        ).fetchall()
        return [EventRow(*r) for r in rows]


class _Fetched:
    """The rows of a statement run outside a transaction (the connection went back to the pool)."""

    __slots__ = ("_i", "rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount
        self._i = 0

    def fetchone(self) -> Any:
        if self._i >= len(self.rows):
            return None
        self._i += 1
        return self.rows[self._i - 1]

    def fetchall(self) -> list[Any]:
        out = self.rows[self._i :]
        self._i = len(self.rows)
        return out
