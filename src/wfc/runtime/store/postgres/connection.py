"""PostgreSQL connections: the URL and its options, error translation, the handle transactional steps get.

``postgresql://user:password@host:5432/dbname?schema=NAME&pool_size=8`` — libpq's URL, so every libpq option
works (``sslmode``, ``connect_timeout``, ``application_name``, ...). wfc reads and removes its own options:

* ``schema`` (default ``wfc``): the schema that holds every wfc table, created if missing; several applications or
  test runs share one database with a schema each.
* ``pool_size`` (default 8): the most connections one process opens (a worker's cycle, its heartbeat and the
  threads that start workflows each hold one only for the length of a transaction), plus one for ``LISTEN``.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from typing import Any

import psycopg
import psycopg_pool

from wfc.runtime.dburl import redact
from wfc.runtime.errors import ConfigError, StoreConflict, StoreError, StoreUnavailable
from wfc.runtime.store.common import HandleBase

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}\Z")
OPTIONS = ("schema", "pool_size")


def parse_url(url: str) -> tuple[str, str, int]:
    """``(conninfo for libpq, schema, pool_size)``; a :class:`ConfigError` with a hint for a bad URL."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise ConfigError(f"not a PostgreSQL URL: {_redact(url)!r}", hint="write postgresql://user@host:5432/dbname")
    if not parsed.path.strip("/"):
        raise ConfigError(
            f"the PostgreSQL URL {_redact(url)!r} names no database",
            hint="add the database's name: postgresql://user@host:5432/dbname",
        )
    try:
        parsed.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigError(
            f"bad port in the PostgreSQL URL {_redact(url)!r}", hint="the port is a number, e.g. host:5432"
        ) from None
    query = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k in OPTIONS}
    rest = [(k, v) for k, v in query if k not in OPTIONS]
    schema = ours.get("schema", "wfc")
    if not _NAME.match(schema):
        raise ConfigError(
            f"schema={schema!r} is not a plain SQL name",
            hint="use letters, digits and underscores, starting with a letter (e.g. ?schema=orders_wfc)",
        )
    try:
        pool_size = int(ours.get("pool_size", "8"))
        if pool_size < 1:
            raise ValueError
    except ValueError:
        raise ConfigError(f"pool_size must be a positive number in {_redact(url)!r}") from None
    scheme = "postgresql"
    conninfo = urllib.parse.urlunsplit(
        (scheme, parsed.netloc, parsed.path, urllib.parse.urlencode(rest), parsed.fragment)
    )
    return conninfo, schema.lower(), pool_size


_redact = redact  # the one helper (wfc.runtime.dburl): errors and logs never show a password

# SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html)
_CONFLICT = {
    "40001",
    "40P01",
    "55P03",
    "57014",
}  # serialization, deadlock, lock not available, statement timeout
_GONE = {
    "57P01",
    "57P02",
    "57P03",
    "53300",
    "3D000",
    "28000",
    "28P01",
}  # shutdown, too many, no database, auth


def store_error(exc: BaseException, what: str, url: str = "") -> StoreError:
    """The :class:`StoreError` for a psycopg (or pool) error."""
    where = f" ({_redact(url)})" if url else ""
    if isinstance(exc, psycopg_pool.PoolTimeout):
        return StoreUnavailable(
            f"{what}: no database connection within the pool's timeout{where}: {exc}",
            hint="check that the server runs and accepts connections, or raise pool_size (?pool_size=16)",
        )
    state = getattr(exc, "sqlstate", None) or ""
    text = " ".join(str(exc).split())
    if not state and isinstance(exc, psycopg.OperationalError):
        # libpq reports a failed connection attempt as text only (no SQLSTATE reaches the client)
        lowered = text.lower()
        if "password authentication failed" in lowered or "no pg_hba.conf entry" in lowered or (
            "role" in lowered and "does not exist" in lowered
        ):
            state = "28000"
        elif "database" in lowered and "does not exist" in lowered:
            state = "3D000"
    if state in _CONFLICT:
        return StoreConflict(
            f"{what}: a conflict with another transaction ({text})",
            hint="another worker changed the same rows at the same time; the cycle runs again",
        )
    if state in ("28000", "28P01"):
        return StoreUnavailable(
            f"{what}: the server refused the login{where}: {text}",
            hint="check the user and password in the URL (postgresql://user:password@host/db) and pg_hba.conf",
        )
    if state == "3D000":
        return StoreUnavailable(
            f"{what}: the database does not exist{where}: {text}",
            hint="create it (createdb NAME) or fix the database name at the end of the URL",
        )
    if state.startswith("08") or state in _GONE or (isinstance(exc, psycopg.OperationalError) and not state):
        return StoreUnavailable(
            f"{what}: cannot reach the database{where}: {text}",
            hint="check the host and port in the URL and that the server runs; a worker reconnects by itself",
        )
    if state == "53100":
        return StoreError(
            f"{what}: the database server's disk is full ({text})",
            code="WFC427",
            hint="free disk space on the server; nothing was committed, so retrying afterwards loses nothing",
        )
    return StoreError(f"{what}: database error: {text}", code="WFC427", hint="see the server's log")


class TransactionHandle(HandleBase):
    """The database handle a ``@wfc.transaction`` step receives on PostgreSQL: the store's connection, inside the
    transaction that also advances the workflow. Placeholders are psycopg's (``%s``, ``%(name)s``): check
    ``handle.paramstyle`` (``"format"`` here, ``"qmark"`` on SQLite) to write SQL for both stores. It cannot
    commit or roll back: its writes commit with the workflow's advance, or not at all."""

    paramstyle = "format"
    dialect = "postgresql"

    def __init__(self, current: Any) -> None:
        self._current = current  # () -> the connection of this thread's transaction

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = (), /) -> psycopg.Cursor[Any]:
        return self._current().execute(sql, parameters)  # type: ignore[no-any-return]

    def executemany(self, sql: str, parameters: Any, /) -> psycopg.Cursor[Any]:
        cur = self._current().cursor()
        cur.executemany(sql, parameters)
        return cur  # type: ignore[no-any-return]

    def cursor(self) -> psycopg.Cursor[Any]:
        return self._current().cursor()  # type: ignore[no-any-return]

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The psycopg connection itself (for ``copy`` and the like; do not commit on it)."""
        return self._current()  # type: ignore[no-any-return]
