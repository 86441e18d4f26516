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
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from wfc.runtime.dburl import redact
from wfc.runtime.errors import ConfigError, DatabaseReplaced
from wfc.runtime.store.common import CLAIM, KEY, LEAF_COLS, RESOLVE, RESOLVE_OWNED, Statements, StoreBody
from wfc.runtime.store.protocol import InstanceRow, Key, LeafRow, chunks
from wfc.runtime.store.sqlite.connection import TransactionHandle, parse_url, store_error
from wfc.runtime.store.sqlite.schema import migrate
from wfc.runtime.store.sqlite.wake import Listener, Waker

# SQLite's fragments of the shared templates (wfc.runtime.store.common).
FRAGMENTS = {
    "{text_order}": "",  # text compares in binary order
    "{claim_lock}": "",  # the single writer: a claim is serialized with every other write
    "{purge_lock}": "",
    "{row_lock}": "",  # the single writer: a read in a write transaction is already exclusive
    "{skip_lock}": "",
    "{unindexed}": "+",  # a unary plus: the term is checked on the rows, not looked up in an index
    "{held_index}": "INDEXED BY history_held ",  # the planner cannot tell the partial index serves the lookup
    "{returning_n}": "",  # cursor.lastrowid
    "{returning_id}": "",
    "{insertion}": "rowid",
}
_STATEMENTS = Statements(FRAGMENTS)
_CLAIM = _STATEMENTS[CLAIM]  # (tests read the plans of these)
_LEAF_COLS = LEAF_COLS
_RESOLVE = _STATEMENTS[RESOLVE]
_RESOLVE_OWNED = _STATEMENTS[RESOLVE_OWNED]


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


class SQLiteStore(StoreBody):
    """See the module's docstring; the statements both stores share are :class:`StoreBody`'s."""

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
        self._mutex = threading.RLock()
        self._sql = _STATEMENTS
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
            self._transaction = _Transaction(self.conn, self._mutex, self)
            self._handle = TransactionHandle(self.conn)
            return
        try:
            self.conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=timeout, cached_statements=256
            )
            self._savepoint = _Savepoint(self.conn)
            self._transaction = _Transaction(self.conn, self._mutex, self)
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
        with self._mutex:
            self.conn.close()
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._waker is not None:
            self._waker.close()

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        if self._waker is None:
            return _nothing
        with self._mutex:
            if self._listener is None:
                try:
                    self._listener = Listener(self.path, self._waker)
                except OSError:  # no socket here (a read-only or odd temp dir): callers poll
                    self.notifies = False
                    return _nothing
            return self._listener.add(callback)

    notifies = False

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call ``callback(sql)`` for every statement run on the connection (tests count them)."""
        self.conn.set_trace_callback(callback)

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._mutex:
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

    # ---- the seam (see wfc.runtime.store.common) ------------------------------------------------------------------

    def _x(self, template: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        # Driver errors leave raw: the transaction (or read) they happen in translates them, once.
        return self.conn.execute(self._sql[template], params)

    def _reading(self) -> AbstractContextManager[None]:
        return self.read()

    def _lock(self, n: int) -> None:
        """Nothing to do: SQLite has a single writer (``BEGIN IMMEDIATE``)."""

    def _wake(self) -> None:
        self._wake_pending = True  # the datagrams go after the commit (see _Transaction)

    def _insert_id(self, template: str, params: Sequence[Any]) -> int | None:
        cur = self._x(template, params)
        return cur.lastrowid if cur.rowcount == 1 else None

    def _any(self, column: str, values: Sequence[Any]) -> Iterator[tuple[str, tuple[Any, ...]]]:
        for chunk in chunks(list(values), 500):  # within SQLite's limit on parameters
            yield f"{column} IN ({','.join('?' * len(chunk))})", tuple(chunk)

    # ---- what differs from PostgreSQL ----------------------------------------------------------------------------

    def resolve(
        self, key: Key, owner: str | None, status: int, result: str | None, error: str | None, attempts: int,
        now: float,
    ) -> bool:  # fmt: skip
        # The hot path: the statements prepared once, no template lookup.
        if owner is None:
            cur = self.conn.execute(_RESOLVE, (status, result, error, attempts, now, *key))
        else:
            cur = self.conn.execute(_RESOLVE_OWNED, (status, result, error, attempts, now, *key, owner))
        return cur.rowcount == 1

    def claim(
        self, owner: str, now: float, limit: int, slots: int | None = None
    ) -> list[tuple[LeafRow, InstanceRow]]:
        """``slots`` is not needed here: SQLite has one writer, so a claimed row locks nothing another worker
        could run, and the engine leases no more steps than it has slots for. One statement over the one partial
        index of open work (each more index would be another page written per step)."""
        return super().claim(owner, now, limit)

    def extend(self, keys: Sequence[Key], owner: str, until: float) -> None:
        self.conn.executemany(
            f"UPDATE history SET lease_until=? WHERE {KEY} AND lease_owner=? AND status<2",
            [(until, *key, owner) for key in keys],
        )

    def count_live_descendants(self, root: InstanceRow, limit: int) -> int:
        # A child's id is its parent's id + "/...": the descendants are one range of the unique index on id
        # ('0' is the character after '/').
        row = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM instances WHERE id >= ? AND id < ? "
            "AND state NOT IN ('completed', 'failed', 'canceled') LIMIT ?)",
            (root.id + "/", root.id + "0", limit),
        ).fetchone()
        return int(row[0])
