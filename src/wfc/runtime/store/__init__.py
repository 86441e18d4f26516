"""Stores: where the durable runtime keeps its state. :func:`open_store` picks one by the URL's scheme.

* ``sqlite:///path.db`` (``sqlite:///:memory:`` for tests): :mod:`wfc.runtime.store.sqlite`, one machine.
* ``postgresql://user@host:port/db?schema=NAME``: :mod:`wfc.runtime.store.postgres` (``pip install
  'wfc[postgres]'``), workers on many machines.

Everything outside this package talks to a store through :mod:`wfc.runtime.store.protocol` only.
"""

from __future__ import annotations

import urllib.parse

from wfc.runtime.dburl import redact
from wfc.runtime.errors import ConfigError
from wfc.runtime.store.protocol import ControlStore

SCHEMES = ("sqlite", "postgresql", "postgres")


def scheme(url: str) -> str:
    """The store kind a URL names: ``sqlite`` or ``postgresql``; a clear error for anything else."""
    if not isinstance(url, str) or ("://" not in url and not url.startswith("sqlite:")):
        raise ConfigError(
            f"not a database URL: {redact(url)!r}",
            hint="use sqlite:///path/to/file.db (sqlite:///:memory: for tests) or "
            "postgresql://user@host:5432/dbname",
        )
    kind = urllib.parse.urlsplit(url).scheme.lower()
    if kind == "sqlite":
        return "sqlite"
    if kind in ("postgresql", "postgres", "postgresql+psycopg"):
        return "postgresql"
    raise ConfigError(
        f"unsupported database URL scheme {kind!r} in {redact(url)!r}",
        hint="use sqlite:///path/to/file.db or postgresql://user@host:5432/dbname",
    )


def open_store(
    url: str, *, synchronous: str | None = None, busy_timeout: float | None = None, read_only: bool = False
) -> ControlStore:
    """The store a URL names, opened, its schema created or migrated. ``synchronous`` and ``busy_timeout`` are
    SQLite's (also settable in the URL); PostgreSQL's options go in its URL (see ``docs/deploy.md``).
    ``read_only``: nothing can write (a SQLite file opened read-only; PostgreSQL transactions read-only), no
    schema is created or migrated."""
    if scheme(url) == "sqlite":
        from wfc.runtime.store.sqlite import SQLiteControlStore

        return SQLiteControlStore(url, synchronous=synchronous, busy_timeout=busy_timeout, read_only=read_only)
    if synchronous is not None or busy_timeout is not None:
        raise ConfigError(
            "synchronous and busy_timeout are SQLite options",
            hint="PostgreSQL's durability is the server's (synchronous_commit); see docs/deploy.md",
        )
    from wfc.runtime.store.postgres import open_postgres

    return open_postgres(url, read_only=read_only)


def local_file(url: str) -> str | None:
    """The file a ``sqlite:///`` URL names; ``None`` for an in-memory database, a server, or a bad URL."""
    if not isinstance(url, str) or not url.startswith("sqlite:"):
        return None
    from wfc.errors import WfcError
    from wfc.runtime.store.sqlite import parse_url

    try:
        path, _options = parse_url(url)
    except WfcError:
        return None
    return None if path == ":memory:" or path.startswith("file:") else path


__all__ = ["SCHEMES", "local_file", "open_store", "scheme"]
