"""The PostgreSQL store (``postgresql://user@host:5432/db?schema=NAME``): workers on many machines share one
database. Needs ``pip install 'wfc[postgres]'`` (psycopg 3 and psycopg_pool). See ``docs/deploy.md``."""

from __future__ import annotations

from wfc.runtime.dburl import redact
from wfc.runtime.errors import ConfigError
from wfc.runtime.store.protocol import ControlStore


def open_postgres(url: str, read_only: bool = False) -> ControlStore:
    """Connect (a clear error for a bad URL, host, password or database), create or migrate the schema, open the
    pool. ``read_only``: nothing is created or migrated, and every transaction is read-only (the server refuses
    writes)."""
    try:
        import psycopg
        import psycopg_pool  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"the PostgreSQL store needs psycopg 3 and psycopg_pool to open {redact(url)!r}",
            hint="pip install 'wfc[postgres]'",
        ) from None
    from wfc.runtime.store.postgres.connection import parse_url, store_error
    from wfc.runtime.store.postgres.control import PostgresControlStore
    from wfc.runtime.store.postgres.schema import check, migrate

    conninfo, schema, pool_size = parse_url(url)
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
            (check if read_only else migrate)(conn, schema, redact(url))
    except psycopg.Error as exc:
        raise store_error(exc, f"cannot open {redact(url)}") from None
    return PostgresControlStore(url, conninfo, schema, pool_size, read_only=read_only)


__all__ = ["open_postgres"]
