"""SQLite connections: database URLs, error translation, and the handle transactional steps get."""

from __future__ import annotations

import sqlite3
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
