"""The PostgreSQL server the tests use.

``WFC_TEST_PG`` (``.ci/run`` sets it to ``postgresql://postgres@127.0.0.1:5432/test``) names the server. When it is
set, a PostgreSQL test FAILS if the server cannot be reached; when it is not set, the tests try the same local
server and skip if there is none (a developer's machine without PostgreSQL). Each test gets its own schema
(``?schema=t_<random>``), dropped afterwards, so runs and tests never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def server() -> str:
    """The server's URL; fails (``WFC_TEST_PG`` set) or skips (not set) when it cannot be reached."""
    url = os.environ.get("WFC_TEST_PG")
    required = bool(url)
    url = url or DEFAULT
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        if required:
            pytest.fail(f"WFC_TEST_PG={url} is set but the server cannot be reached: {exc}")
        pytest.skip(f"no PostgreSQL server at {url} (set WFC_TEST_PG to require one)")
    return url


def drop(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def schema_url(prefix: str = "t") -> Iterator[str]:
    """A database URL with a fresh schema of its own, dropped afterwards."""
    base = server()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}schema={schema}"
    finally:
        drop(base, schema)


def store_urls(prefix: str) -> Any:
    """A ``url`` fixture giving each test both stores in turn: a SQLite file in its tmp directory, then a
    PostgreSQL schema of its own (``prefix``)."""

    @pytest.fixture(params=["sqlite", "postgresql"])
    def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path / f'{prefix}.db'}"
            return
        with schema_url(prefix) as schema:
            yield schema

    return url
