"""SQLite connections: database URLs, error translation, and the handle transactional steps get."""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Sequence
from typing import Any

from wfc.runtime.dburl import redact
from wfc.runtime.errors import ConfigError, DatabaseDamaged, StoreConflict, StoreError, StoreUnavailable
from wfc.runtime.store.common import HandleBase


def parse_url(url: str) -> tuple[str, dict[str, str]]:
    """``sqlite:///x.db?synchronous=FULL`` → (``x.db``, {``synchronous``: ``FULL``})."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "sqlite":
        raise ConfigError(
            f"unsupported database URL {redact(url)!r}",
            hint="use sqlite:///path/to/file.db (or sqlite:///:memory: for tests), or postgresql://user@host/db",
        )
    path = parsed.path
    if parsed.netloc:
        raise ConfigError(
            f"database URL {redact(url)!r} has a host part",
            hint="write sqlite:///relative.db or sqlite:////absolute/path.db (three or four slashes)",
        )
    path = path[1:] if path.startswith("/") else path
    options = dict(urllib.parse.parse_qsl(parsed.query))
    return path or ":memory:", options


_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26

# Result codes that retrying cannot fix: a worker stops with DatabaseDamaged instead of retrying forever.
_DAMAGED = {
    _CORRUPT: "the database file is damaged (a corrupt page)",
    _NOTADB: "the file is not a SQLite database",
    _IOERR: "the database file cannot be read or written (an I/O error)",
    _READONLY: "the database is read-only for this process",
}
_SCHEMA = ("no such table", "no such column", "has no column named")


def store_error(exc: sqlite3.Error, what: str) -> StoreError:
    """The :class:`StoreError` for a driver error: by SQLite's result code, or by its text for an error raised
    without one (e.g. by a ``@wfc.transaction`` step itself)."""
    text = str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    problem = _DAMAGED.get(primary) if primary is not None else None
    if problem is None and any(part in text for part in _SCHEMA):
        problem = "the database's tables are not the ones wfc made (a table or column is missing)"
    if problem is not None:
        return DatabaseDamaged(
            f"{what}: {problem} ({text})",
            hint="stop every process using it, then restore the database from a backup (sqlite3 .recover can "
            "save what is readable); retrying cannot fix this",
        )
    if primary in (_BUSY, _LOCKED) or (primary is None and ("locked" in text or "busy" in text)):
        return StoreConflict(
            f"{what}: the database is locked by another connection ({text})",
            hint="another process holds a long write transaction; retry, or raise busy_timeout "
            "(sqlite:///x.db?busy_timeout=30)",
        )
    if primary == _FULL or (primary is None and "full" in text):
        return StoreError(
            f"{what}: the database or disk is full ({text})",
            code="WFC427",
            hint="free disk space; nothing was committed, so retrying afterwards loses nothing",
        )
    if primary == _CANTOPEN:
        return StoreUnavailable(
            f"{what}: cannot open the database file ({text})",
            hint="check that the directory exists and this process may write it",
        )
    return StoreError(
        f"{what}: database error: {text}",
        code="WFC427",
        hint="check the database file and its directory (permissions, disk, corruption)",
    )


class TransactionHandle(HandleBase):
    """The database handle a ``@wfc.transaction`` step receives: the store's own connection, inside the
    transaction that also advances the workflow. Placeholders are sqlite3's (``?``, ``:name``): check
    ``handle.paramstyle`` (``"qmark"`` here, ``"format"`` on PostgreSQL) to write SQL for both stores. It cannot
    commit or roll back: its writes commit with the workflow's advance, or not at all."""

    paramstyle = "qmark"
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = (), /) -> sqlite3.Cursor:
        return self._conn.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return self._conn.executemany(sql, parameters)

    def cursor(self) -> sqlite3.Cursor:
        return self._conn.cursor()

    def executescript(self, script: str) -> None:  # it would COMMIT first
        self._refuse("executescript")
