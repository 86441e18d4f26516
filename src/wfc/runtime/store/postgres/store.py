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
from wfc.runtime.store.common import RESOLVE, RESOLVE_OWNED, Statements, StoreBody
from wfc.runtime.store.postgres.connection import TransactionHandle, store_error
from wfc.runtime.store.postgres.notify import Listener
from wfc.runtime.store.protocol import InstanceRow, Key, LeafRow

# PostgreSQL's fragments of the shared templates (wfc.runtime.store.common).
FRAGMENTS = {
    "{text_order}": ' COLLATE "C"',  # ranges over text in binary order, whatever the database collation
    # the history row and its instance's row, skipping rows another transaction holds
    "{claim_lock}": " FOR UPDATE OF h, i SKIP LOCKED",
    "{purge_lock}": " FOR UPDATE OF i SKIP LOCKED",
    "{row_lock}": " FOR UPDATE",
    "{skip_lock}": " FOR UPDATE SKIP LOCKED",
    "{unindexed}": "",
    "{held_index}": "",
    "{returning_n}": " RETURNING n",
    "{returning_id}": " RETURNING id",
    "{insertion}": "k",
}
_LOCK = "SELECT 1 FROM {s}instances WHERE n=? FOR UPDATE"
# The hot path: lock the instance and record the outcome in one statement (one round trip).
_RESOLVE_LOCKING = (
    "WITH lk AS (SELECT n FROM {s}instances WHERE n=? FOR UPDATE) "
    "UPDATE {s}history SET status=?, result=?, error=?, attempts=?, finished_at=? "
    "WHERE instance=(SELECT n FROM lk) AND seq=? AND pos=? AND status<2"
)
_RESOLVE_LOCKING_OWNED = _RESOLVE_LOCKING + " AND lease_owner=?"


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


class PostgresStore(StoreBody):
    """See the module's docstring (the statements both stores share are :class:`StoreBody`'s). Open with :func:`wfc.runtime.store.open_store` (it migrates the schema)."""

    @property
    def notifies(self) -> bool:
        """Wake-ups arrive: before a subscription (it would listen), or while its connection listens (when it is
        lost, the listener reconnects and subscribers poll meanwhile)."""
        listener = self._listener
        return listener is None or listener.listening

    def __init__(self, url: str, conninfo: str, schema: str, pool_size: int, *, read_only: bool = False) -> None:
        self.url = url
        self.read_only = read_only
        self.schema = schema
        self.channel = f"wfc_{schema}"
        self._sql = Statements(FRAGMENTS, f'"{schema}".', "format")
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
        """A template in this dialect (``{s}`` the schema's prefix, ``%s`` placeholders)."""
        return self._sql[template]

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
        sql = self._sql[template]
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

    def _reading(self) -> contextlib.nullcontext[None]:
        return _NO_READ  # outside a transaction each statement is its own snapshot

    def _insert_id(self, template: str, params: Sequence[Any]) -> int | None:
        got = self._x(template, params).fetchone()
        return None if got is None else int(got[0])

    def _any(self, column: str, values: Sequence[Any]) -> Iterator[tuple[str, tuple[Any, ...]]]:
        if values:
            yield f"{column} = ANY(?)", (list(values),)

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

    # ---- what differs from SQLite ------------------------------------------------------------------------------

    def extend(self, keys: Sequence[Key], owner: str, until: float) -> None:
        if not keys:
            return
        # One statement for all of them: the rows still leased to this worker get a later end.
        self._x(
            "UPDATE {s}history h SET lease_until=? FROM unnest(?::bigint[], ?::int[], ?::int[]) AS k(i, s, p) "
            "WHERE h.instance=k.i AND h.seq=k.s AND h.pos=k.p AND h.lease_owner=? AND h.status<2",
            (until, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], owner),
        )

    def insert_instance(self, row: InstanceRow) -> int | None:
        n = super().insert_instance(row)
        if n is not None and self._local.locked is not None:
            self._local.locked.add(n)  # a new row is ours until the commit
        return n

    def check_file(self) -> None:
        """A server database: no file that could be deleted or replaced under this process."""

    def count_live_descendants(self, root: InstanceRow, limit: int) -> int:
        # Down the parent links (indexed), whatever the ids' collation; the LIMIT ends the walk early.
        row = self._x(
            "WITH RECURSIVE d(n, state) AS (SELECT n, state FROM {s}instances WHERE parent = ? "
            "UNION ALL SELECT i.n, i.state FROM {s}instances i JOIN d ON i.parent = d.n) "
            "SELECT count(*) FROM (SELECT 1 FROM d WHERE state NOT IN ('completed', 'failed', 'canceled') "
            "LIMIT ?) AS live",
            (root.n, limit),
        ).fetchone()
        return int(row[0]) if row else 0

    def resolve(
        self, key: Key, owner: str | None, status: int, result: str | None, error: str | None, attempts: int,
        now: float,
    ) -> bool:  # fmt: skip
        locked = self._local.locked
        n = key[0]
        if locked is not None and n not in locked:  # lock the instance in the same round trip
            locked.add(n)
            params: tuple[Any, ...] = (n, status, result, error, attempts, now, key[1], key[2])
            if owner is None:
                return self._x(_RESOLVE_LOCKING, params).rowcount == 1
            return self._x(_RESOLVE_LOCKING_OWNED, (*params, owner)).rowcount == 1
        if owner is None:
            return self._x(RESOLVE, (status, result, error, attempts, now, *key)).rowcount == 1
        return self._x(RESOLVE_OWNED, (status, result, error, attempts, now, *key, owner)).rowcount == 1

    def claim(
        self, owner: str, now: float, limit: int, slots: int | None = None
    ) -> list[tuple[LeafRow, InstanceRow]]:
        out = super().claim(owner, now, limit, slots)
        locked = self._local.locked
        if locked is not None:
            locked.update(inst.n for _leaf, inst in out)  # FOR UPDATE OF h, i: held until the commit
        return out


_NO_READ: contextlib.nullcontext[None] = contextlib.nullcontext()


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
