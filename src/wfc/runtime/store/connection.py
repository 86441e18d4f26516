"""SQLite connections: database URLs, error translation, the handle transactional steps get, and the background
WAL checkpointer.

A file database runs in WAL mode. By default SQLite checkpoints the WAL (copies it back into the database file and
syncs) inside whichever commit crosses 1,000 pages, which makes that commit slow. The store turns automatic
checkpoints off on its connection and runs them on a thread of its own with a second connection (``PASSIVE``: they
never block writers), so commits stay short; durability is unchanged (with ``synchronous=NORMAL`` the WAL is synced
at checkpoints either way).
"""

from __future__ import annotations

import sqlite3
import threading
import urllib.parse
from collections.abc import Sequence
from typing import Any

from wfc.runtime.errors import ConfigError, StoreError


def parse_url(url: str) -> tuple[str, dict[str, str]]:
    """``sqlite:///x.db?synchronous=FULL`` → (``x.db``, {``synchronous``: ``FULL``})."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "sqlite":
        raise ConfigError(
            f"unsupported database URL {url!r}",
            hint="use sqlite:///path/to/file.db (or sqlite:///:memory: for tests); PostgreSQL is not available yet",
        )
    path = parsed.path
    if parsed.netloc:
        raise ConfigError(
            f"database URL {url!r} has a host part",
            hint="write sqlite:///relative.db or sqlite:////absolute/path.db (three or four slashes)",
        )
    path = path[1:] if path.startswith("/") else path
    options = dict(urllib.parse.parse_qsl(parsed.query))
    return path or ":memory:", options


def store_error(exc: sqlite3.Error, what: str) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{what}: the database is locked by another connection ({text})",
            code="WFC426",
            hint="another process holds a long write transaction; retry, or raise busy_timeout "
            "(sqlite:///x.db?busy_timeout=30)",
        )
    if "full" in text:
        return StoreError(
            f"{what}: the database or disk is full ({text})",
            code="WFC427",
            hint="free disk space; nothing was committed, so retrying afterwards loses nothing",
        )
    return StoreError(
        f"{what}: database error: {text}",
        code="WFC427",
        hint="check the database file and its directory (permissions, disk, corruption)",
    )


class TransactionHandle:
    """The database handle a ``@wfc.transaction`` step receives: the store's own connection, inside the
    transaction that also advances the workflow. It cannot commit or roll back: its writes commit with the
    workflow's advance, or not at all."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = (), /) -> sqlite3.Cursor:
        return self._conn.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return self._conn.executemany(sql, parameters)

    def cursor(self) -> sqlite3.Cursor:
        return self._conn.cursor()

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

    def executescript(self, script: str) -> None:  # it would COMMIT first
        self._refuse("executescript")

    def close(self) -> None:
        self._refuse("close")


class Checkpointer:
    """Checkpoints the WAL of ``path`` on a daemon thread, every ``every`` commits (and at least once a second)."""

    def __init__(self, path: str, timeout: float, every: int = 256) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
        self.every = every
        self.pending = 0
        self._wake = threading.Event()
        self._stopped = False
        self.thread = threading.Thread(target=self._run, name="wfc-checkpoint", daemon=True)
        self.thread.start()

    def committed(self) -> None:
        self.pending += 1
        if self.pending >= self.every:
            self.pending = 0
            self._wake.set()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(1.0)
            self._wake.clear()
            if self._stopped:
                break
            try:
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass  # busy or closing: the next round catches up

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        self.thread.join(5)
        try:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            pass
        self.conn.close()
