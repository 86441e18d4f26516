"""The SQLite store: schema and versioned migrations with sqlite-utils, the hot path in prepared SQL.

``sqlite:///relative.db``, ``sqlite:////absolute.db`` or ``sqlite:///:memory:``; options as a query string:
``?synchronous=FULL&busy_timeout=10``. A file database runs in WAL mode with ``synchronous=NORMAL`` unless told
otherwise: a commit survives a crash of the process, and after a power loss the database is intact but may have
lost the last commits (``synchronous=FULL``: nothing committed is lost; about 5x slower commits).

One connection per store, shared by the threads of one process under a lock (so an in-memory database works from
a worker's threads). Writers of several processes are serialized by SQLite (``BEGIN IMMEDIATE`` with a busy
timeout).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from wfc.runtime.dburl import redact
from wfc.runtime.errors import ConfigError, DatabaseReplaced
from wfc.runtime.store.protocol import EventRow, InstanceRow, Key, LeafRow, chunks
from wfc.runtime.store.sqlite.connection import TransactionHandle, parse_url, store_error
from wfc.runtime.store.sqlite.schema import migrate
from wfc.runtime.store.sqlite.wake import Listener, Waker

_LEAF_COLS = (
    "instance, seq, pos, path, kind, name, status, step, args, kwargs, retry, result, error, attempts, ready_at, "
    "lease_owner, lease_until, scheduled_at, started_at, finished_at, state_id, snapshot, shape, blocked"
)
_LEAF_COLS_H = ", ".join(f"h.{c.strip()}" for c in _LEAF_COLS.split(","))
_INST_COLS = (
    "n, id, workflow, name, table_hash, state, created_at, updated_at, parent, parent_seq, parent_pos, "
    "on_complete, context, args, result, error, finished_at, blocked"
)
# Claimed rows carry their instance without its (possibly large) arguments and outcome.
_INST_COLS_LIGHT = (
    "i.n, i.id, i.workflow, i.name, i.table_hash, i.state, i.created_at, i.updated_at, i.parent, i.parent_seq, "
    "i.parent_pos, i.on_complete, i.context, NULL, NULL, NULL, i.finished_at, i.blocked"
)
_NLEAF = 24
_EVENT_COLS = "id, instance, name, value, error, sent_at, consumed_seq, consumed_pos"

_INSERT_LEAF = f"INSERT INTO history ({_LEAF_COLS}) VALUES ({','.join('?' * _NLEAF)})"
_INSERT_NEW_LEAF = (
    "INSERT INTO history (instance, seq, pos, path, kind, name, status, step, args, attempts, ready_at, "
    "lease_owner, lease_until, scheduled_at, started_at, state_id, snapshot) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_KEY = "instance=? AND seq=? AND pos=?"
_RESOLVE = (
    f"UPDATE history SET status=?, result=?, error=?, attempts=?, finished_at=? WHERE {_KEY} AND status<2"
)
_RESOLVE_OWNED = _RESOLVE + " AND lease_owner=?"
_CLAIM = (
    f"SELECT {_LEAF_COLS_H}, {_INST_COLS_LIGHT} FROM history h JOIN instances i ON i.n = h.instance "
    "WHERE h.status < 2 AND h.ready_at <= ? AND h.lease_until <= ? ORDER BY h.ready_at LIMIT ?"
)


class _Transaction:
    """``with store.transaction():`` one write transaction under the store's lock; database errors become
    :class:`~wfc.runtime.errors.StoreError`. (A class, not a generator: it runs on every step.)"""

    __slots__ = ("conn", "lock", "store")

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock, store: SQLiteStore) -> None:
        self.conn = conn
        self.lock = lock
        self.store = store

    def __enter__(self) -> None:
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self.lock.release()
            raise store_error(exc, "cannot begin a transaction") from None
        except BaseException:
            self.lock.release()
            raise

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        conn = self.conn
        store = self.store
        try:
            if exc_type is not None:
                store._wake_pending = False
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # a damaged file may refuse even this
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise store_error(exc, "a write failed") from exc
                return
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                store._wake_pending = False
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise store_error(error, "cannot commit") from None
            if store._wake_pending:  # work other processes may claim: wake them (after the commit, never before)
                store._wake_pending = False
                if store._waker is not None:
                    store._waker.wake()
        finally:
            self.lock.release()


class _Savepoint:
    """``with store.savepoint():`` a nested transaction, rolled back if the block raises."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("SAVEPOINT wfc")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        conn = self.conn
        try:
            if exc_type is None:
                conn.execute("RELEASE wfc")
            elif conn.in_transaction:
                conn.execute("ROLLBACK TO wfc")
                conn.execute("RELEASE wfc")
        except sqlite3.Error as error:
            raise store_error(error, "a savepoint failed") from None
        if isinstance(exc, sqlite3.Error):  # the engine sees StoreErrors only
            raise store_error(exc, "a write failed") from exc


def _nothing() -> None:
    pass


def _open_read_only(path: str, timeout: float) -> sqlite3.Connection:
    """A connection that cannot write (``mode=ro``): commands that only look (``wfc status``, ``list``,
    ``history``, ``watch``) never change the database, not even by a migration. A file nobody may write (its
    WAL index cannot be created either) is opened ``immutable``: no writer can change it under the reader."""
    from wfc.runtime.store.sqlite.schema import SCHEMA_VERSION

    quoted = urllib.parse.quote(str(Path(path).resolve()))
    conn: sqlite3.Connection | None = None
    for query in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(
                f"file:{quoted}?{query}", uri=True, isolation_level=None, check_same_thread=False,
                timeout=timeout, cached_statements=256,
            )  # fmt: skip
            conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            newest = conn.execute("SELECT max(version) FROM wfc_migrations").fetchone()[0] or 0
            break
        except sqlite3.OperationalError as exc:
            if conn is not None:
                conn.close()
            if "no such table" in str(exc):
                raise ConfigError(
                    f"{path} is not a wfc database (it has no wfc tables)",
                    hint="give the database the workflows run on with --db",
                ) from None
            if query.endswith("immutable=1"):
                raise
    assert conn is not None
    if newest != SCHEMA_VERSION:
        conn.close()
        raise ConfigError(
            f"the database {path} has schema version {newest}, this wfc reads version {SCHEMA_VERSION}",
            hint="upgrade wfc to the version that wrote it"
            if newest > SCHEMA_VERSION
            else "a worker of this wfc version migrates it when it starts (`wfc worker`); reading never writes",
        )
    return conn


class SQLiteStore:
    def __init__(
        self,
        url: str = "sqlite:///:memory:",
        *,
        synchronous: str | None = None,
        busy_timeout: float | None = None,
        read_only: bool = False,
    ) -> None:
        self.url = url
        self.read_only = read_only
        path, options = parse_url(url)
        unknown = set(options) - {"synchronous", "busy_timeout"}
        if unknown:
            raise ConfigError(
                f"unknown database option(s) {sorted(unknown)} in {redact(url)!r}",
                hint="known options: synchronous, busy_timeout",
            )
        sync = (synchronous or options.get("synchronous") or "NORMAL").upper()
        if sync not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {sync!r}")
        try:
            timeout = float(busy_timeout if busy_timeout is not None else options.get("busy_timeout", 5.0))
        except (ValueError, TypeError):
            raise ConfigError(f"busy_timeout must be a number of seconds in {redact(url)!r}") from None
        if not 0 <= timeout <= 86400:  # nan and inf fail too: SQLite takes whole milliseconds in an int
            raise ConfigError(f"busy_timeout must be between 0 and 86400 seconds, not {timeout!r}")
        self.path = path
        self.memory = path == ":memory:" or path.startswith("file::memory:")
        self.synchronous = sync
        self._lock = threading.RLock()
        # Wake-ups between processes on one file (wake.py); an in-memory database has no other process.
        self._wake_pending = False
        self._waker = None if self.memory else Waker(path)
        self._listener: Listener | None = None
        self.notifies = not self.memory
        if read_only and not self.memory:
            try:
                self.conn = _open_read_only(path, timeout)
            except sqlite3.Error as exc:
                raise store_error(exc, f"cannot open {url} for reading") from None
            self._savepoint = _Savepoint(self.conn)
            self._transaction = _Transaction(self.conn, self._lock, self)
            self._handle = TransactionHandle(self.conn)
            return
        try:
            self.conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=timeout, cached_statements=256
            )
            self._savepoint = _Savepoint(self.conn)
            self._transaction = _Transaction(self.conn, self._lock, self)
            if not self.memory:
                mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise ConfigError(f"cannot switch {path} to WAL mode (got {mode})")
            self.conn.execute(f"PRAGMA synchronous={sync}")
            self.conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            self._migrate()
        except sqlite3.Error as exc:
            raise store_error(exc, f"cannot open {url}") from None
        self._handle = TransactionHandle(self.conn)
        self._identity = self._file_identity()

    def _file_identity(self) -> tuple[int, int] | None:
        if self.memory:
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def check_file(self) -> None:
        """Raise :class:`~wfc.runtime.errors.DatabaseReplaced` if the database file was deleted or replaced since
        this store opened it: the connection would go on writing into a file nobody else sees (cheap: one
        ``stat``; a worker calls it on a timer)."""
        if self._identity is None:
            return
        now = self._file_identity()
        if now == self._identity:
            return
        what = "deleted" if now is None else "replaced by another file"
        raise DatabaseReplaced(
            f"the database file {self.path} was {what} while this process had it open; it stops rather than "
            "write where no one will read",
            hint="put the right file back (or point every process at the new one) and start again; what this "
            "process committed since the file changed went to the file it had open, steps not committed run "
            "again",
        )

    # ---- lifecycle -----------------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self.transaction():
            migrate(self.conn, self.path)

    def close(self) -> None:
        with self._lock:
            self.conn.close()
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._waker is not None:
            self._waker.close()

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        if self._waker is None:
            return _nothing
        with self._lock:
            if self._listener is None:
                try:
                    self._listener = Listener(self.path, self._waker)
                except OSError:  # no socket here (a read-only or odd temp dir): callers poll
                    return _nothing
            return self._listener.add(callback)

    notifies = False

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call ``callback(sql)`` for every statement run on the connection (tests count them)."""
        self.conn.set_trace_callback(callback)

    def transaction(self) -> _Transaction:
        return self._transaction

    def savepoint(self) -> _Savepoint:
        return self._savepoint

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._lock:
            if self.conn.in_transaction:
                yield
                return
            self.conn.execute("BEGIN")
            try:
                yield
            except sqlite3.Error as exc:
                raise store_error(exc, "a read failed") from exc
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("COMMIT")

    def handle(self) -> TransactionHandle:
        return self._handle

    # ---- tables and workers --------------------------------------------------------------------------------------

    def save_table(self, table_hash: str, workflow: str, text: str, now: float) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO tables VALUES (?, ?, ?, ?)", (table_hash, workflow, text, now)
        )

    def saved_tables(self) -> list[tuple[str, str]]:
        with self.read():
            return [
                (r[0], r[1])
                for r in self.conn.execute("SELECT hash, workflow FROM tables ORDER BY created_at")
            ]

    def register_worker(self, worker_id: str, host: str, pid: int, now: float) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO workers VALUES (?, ?, ?, ?, ?)", (worker_id, host, pid, now, now)
        )

    def heartbeat(self, worker_id: str, now: float, lease_until: float) -> None:
        self.conn.execute("UPDATE workers SET heartbeat_at=? WHERE id=?", (now, worker_id))

    def extend(self, keys: Sequence[Key], owner: str, until: float) -> None:
        self.conn.executemany(
            f"UPDATE history SET lease_until=? WHERE {_KEY} AND lease_owner=? AND status<2",
            [(until, *key, owner) for key in keys],
        )

    def workers(self, host: str) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in self.conn.execute("SELECT id, pid FROM workers WHERE host=?", (host,))]

    def remove_worker(self, worker_id: str) -> None:
        self.conn.execute("DELETE FROM workers WHERE id=?", (worker_id,))

    # ---- instances -----------------------------------------------------------------------------------------------

    def insert_instance(self, row: InstanceRow) -> int | None:
        cur = self.conn.execute(
            "INSERT INTO instances (id, workflow, name, table_hash, state, created_at, updated_at, parent, "
            "parent_seq, parent_pos, on_complete, context, args, result, error, finished_at, blocked) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING",
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
        return cur.lastrowid if cur.rowcount == 1 else None

    def get_instance(self, instance_id: str) -> InstanceRow | None:
        with self.read():
            row = self.conn.execute(
                f"SELECT {_INST_COLS} FROM instances WHERE id=?", (instance_id,)
            ).fetchone()
        return InstanceRow(*row) if row else None

    def get_instance_n(self, n: int) -> InstanceRow | None:
        with self.read():
            row = self.conn.execute(f"SELECT {_INST_COLS} FROM instances WHERE n=?", (n,)).fetchone()
        return InstanceRow(*row) if row else None

    def count_live_descendants(self, root: InstanceRow, limit: int) -> int:
        # A child's id is its parent's id + "/...": the descendants are one range of the unique index on id
        # ('0' is the character after '/').
        row = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM instances WHERE id >= ? AND id < ? "
            "AND state NOT IN ('completed', 'failed', 'canceled') LIMIT ?)",
            (root.id + "/", root.id + "0", limit),
        ).fetchone()
        return int(row[0])

    def set_state(self, n: int, state: str, now: float) -> None:
        self.conn.execute("UPDATE instances SET state=?, updated_at=? WHERE n=?", (state, now, n))

    def finish_instance(self, n: int, state: str, result: str | None, error: str | None, now: float) -> None:
        self.conn.execute(
            "UPDATE instances SET state=?, result=?, error=?, finished_at=?, updated_at=? WHERE n=?",
            (state, result, error, now, now, n),
        )
        self._wake_pending = True  # watchers (and a parent's worker) hear of it at once

    def set_blocked(self, n: int, message: str | None, now: float) -> None:
        self.conn.execute("UPDATE instances SET blocked=?, updated_at=? WHERE n=?", (message, now, n))

    def list_instances(
        self, *, workflow: str | None, state: str | None, parent: int | None, limit: int, before: int | None
    ) -> list[InstanceRow]:
        where: list[str] = []
        params: list[Any] = []
        if workflow is not None:
            # A key (`module:qualname`) or a workflow's name: the name also works where its module is not imported.
            where.append("(workflow=? OR name=?)")
            params += [workflow, workflow]
        for column, value in (("state", state), ("parent", parent)):
            if value is not None:
                where.append(f"{column}=?")
                params.append(value)
        if before is not None:
            where.append("n<?")
            params.append(before)
        sql = f"SELECT {_INST_COLS} FROM instances"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY n DESC LIMIT ?"
        with self.read():
            return [InstanceRow(*r) for r in self.conn.execute(sql, (*params, limit))]

    # ---- history rows / work -------------------------------------------------------------------------------------

    def insert_leaf(self, row: LeafRow) -> None:
        if row.lease_owner is None and row.ready_at is not None:
            self._wake_pending = True  # claimable by any worker (or a timer to wait for)
        if (
            row.result is None
            and row.error is None
            and row.kwargs is None
            and row.retry is None
            and row.finished_at is None
            and row.shape is None
            and row.blocked is None
        ):  # a new step: the columns it has (fewer parameters to bind on the hot path)
            self.conn.execute(
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
        self.conn.execute(
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
        if owner is None:
            cur = self.conn.execute(_RESOLVE, (status, result, error, attempts, now, *key))
        else:
            cur = self.conn.execute(_RESOLVE_OWNED, (status, result, error, attempts, now, *key, owner))
        return cur.rowcount == 1

    def note_canceled(
        self, key: Key, owner: str, result: str | None, error: str | None, attempts: int, now: float
    ) -> None:
        self.conn.execute(
            f"UPDATE history SET result=?, error=?, attempts=?, finished_at=? WHERE {_KEY} AND status=3 "
            "AND lease_owner=?",
            (result, error, attempts, now, *key, owner),
        )

    def deliver_external(self, key: Key, result: str | None, error: str | None, now: float) -> bool:
        cur = self.conn.execute(
            "UPDATE history SET status=1, result=?, error=?, finished_at=?, ready_at=?, lease_until=0 "
            f"WHERE {_KEY} AND status=0",
            (result, error, now, now, *key),
        )
        if cur.rowcount == 1:
            self._wake_pending = True
            return True
        return False

    def retry_later(self, key: Key, owner: str | None, attempts: int, ready_at: float, error: str) -> bool:
        sql = f"UPDATE history SET attempts=?, ready_at=?, error=?, lease_until=0 WHERE {_KEY} AND status<2"
        params: tuple[Any, ...] = (attempts, ready_at, error, *key)
        if owner is not None:
            sql += " AND lease_owner=?"
            params += (owner,)
        if self.conn.execute(sql, params).rowcount == 1:
            self._wake_pending = True
            return True
        return False

    def park(self, key: Key, message: str) -> None:
        self.conn.execute(
            f"UPDATE history SET ready_at=NULL, blocked=?, lease_until=0 WHERE {_KEY}", (message, *key)
        )

    def unpark(self, now: float) -> int:
        count = 0
        blocked = [r[0] for r in self.conn.execute("SELECT n FROM instances WHERE blocked IS NOT NULL")]
        for n in blocked:
            for leaf in self.current(n):
                if leaf.blocked is not None and leaf.status < 2:
                    self.conn.execute(
                        f"UPDATE history SET ready_at=?, blocked=NULL WHERE {_KEY}", (now, *leaf.key)
                    )
                    count += 1
            self.conn.execute("UPDATE instances SET blocked=NULL WHERE n=?", (n,))
        return count

    def close_group(self, instance: int, seq: int, now: float) -> None:
        self.conn.execute(
            "UPDATE history SET status=2 WHERE instance=? AND seq=? AND status=1", (instance, seq)
        )
        self.conn.execute(
            "UPDATE history SET status=3, finished_at=? WHERE instance=? AND seq=? AND status=0",
            (now, instance, seq),
        )

    def group(self, instance: int, seq: int) -> list[LeafRow]:
        rows = self.conn.execute(
            f"SELECT {_LEAF_COLS} FROM history WHERE instance=? AND seq=? ORDER BY pos", (instance, seq)
        )
        return [LeafRow(*r) for r in rows]

    def current(self, instance: int) -> list[LeafRow]:
        with self.read():
            rows = self.conn.execute(
                f"SELECT {_LEAF_COLS} FROM history WHERE instance=? AND "
                "seq=(SELECT max(seq) FROM history WHERE instance=?) ORDER BY pos",
                (instance, instance),
            ).fetchall()
        return [LeafRow(*r) for r in rows]

    def history(self, instance: int) -> list[LeafRow]:
        with self.read():
            rows = self.conn.execute(
                f"SELECT {_LEAF_COLS} FROM history WHERE instance=? ORDER BY seq, pos", (instance,)
            ).fetchall()
        return [LeafRow(*r) for r in rows]

    def claim(self, owner: str, now: float, limit: int) -> list[tuple[LeafRow, InstanceRow]]:
        out = []
        for r in self.conn.execute(_CLAIM, (now, now, limit)).fetchall():
            out.append((LeafRow(*r[:_NLEAF]), InstanceRow(*r[_NLEAF:])))
        return out

    def has_due(self, now: float) -> bool:
        with self.read():
            row = self.conn.execute(
                "SELECT 1 FROM history WHERE status<2 AND ready_at<=? AND lease_until<=? LIMIT 1", (now, now)
            ).fetchone()
        return row is not None

    def lease(self, key: Key, owner: str, until: float, now: float) -> None:
        self.conn.execute(
            f"UPDATE history SET lease_owner=?, lease_until=?, started_at=coalesce(started_at, ?) WHERE {_KEY}",
            (owner, until, now, *key),
        )

    def release(self, owner: str) -> int:
        cur = self.conn.execute(
            "UPDATE history SET lease_until=0 WHERE status<2 AND ready_at>=0 AND lease_owner=? AND lease_until>0",
            (owner,),
        )
        if cur.rowcount:
            self._wake_pending = True
        return cur.rowcount

    def next_due(self, now: float, leases: bool = False) -> float | None:
        """When the next row becomes claimable: the next due time (with ``leases``, or the end of a lease held on a
        due row, whichever comes first)."""
        with self.read():
            row = self.conn.execute(
                "SELECT ready_at FROM history WHERE status<2 AND ready_at>? ORDER BY ready_at LIMIT 1", (now,)
            ).fetchone()
            leased = None
            if leases:
                leased = self.conn.execute(
                    "SELECT min(lease_until) FROM history WHERE status<2 AND ready_at<=? AND lease_until>?",
                    (now, now),
                ).fetchone()
        times = [float(r[0]) for r in (row, leased) if r is not None and r[0] is not None]
        return min(times) if times else None

    # ---- events --------------------------------------------------------------------------------------------------

    def insert_event(self, instance: int, name: str, value: str | None, error: str | None, now: float) -> int:
        cur = self.conn.execute(
            "INSERT INTO events (instance, name, value, error, sent_at) VALUES (?,?,?,?,?)",
            (instance, name, value, error, now),
        )
        return cur.lastrowid  # type: ignore[return-value]

    def take_event(self, instance: int, name: str, skip: int = 0) -> EventRow | None:
        row = self.conn.execute(
            f"SELECT {_EVENT_COLS} FROM events "
            "WHERE instance=? AND name=? AND consumed_seq IS NULL ORDER BY id LIMIT 1 OFFSET ?",
            (instance, name, skip),
        ).fetchone()
        return EventRow(*row) if row else None

    def consume_event(self, event_id: int, key: Key) -> None:
        self.conn.execute(
            "UPDATE events SET consumed_seq=?, consumed_pos=? WHERE id=?", (key[1], key[2], event_id)
        )

    def group_events(self, instance: int, seq: int) -> dict[int, int]:
        rows = self.conn.execute(
            "SELECT consumed_pos, id FROM events WHERE instance=? AND consumed_seq=?", (instance, seq)
        )
        return {pos: event_id for pos, event_id in rows}

    def give_back_events(self, instance: int, seq: int, positions: Sequence[int]) -> None:
        for chunk in chunks(list(positions), 500):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                "UPDATE events SET consumed_seq=NULL, consumed_pos=NULL "
                f"WHERE instance=? AND consumed_seq=? AND consumed_pos IN ({marks})",
                (instance, seq, *chunk),
            )
            self.conn.execute(
                f"UPDATE history SET status=3, result=NULL, error=NULL WHERE instance=? AND seq=? AND pos IN ({marks})",
                (instance, seq, *chunk),
            )

    def waiting_leaf(self, instance: int, name: str) -> LeafRow | None:
        row = self.conn.execute(
            f"SELECT {_LEAF_COLS} FROM history WHERE instance=? AND "
            "seq=(SELECT max(seq) FROM history WHERE instance=?) AND kind='event' AND name=? AND status=0 "
            "ORDER BY pos LIMIT 1",
            (instance, instance, name),
        ).fetchone()
        return LeafRow(*row) if row else None

    def events(self, instance: int) -> list[EventRow]:
        with self.read():
            rows = self.conn.execute(
                f"SELECT {_EVENT_COLS} FROM events WHERE instance=? ORDER BY id",
                (instance,),
            ).fetchall()
        return [EventRow(*r) for r in rows]
