"""The store conformance suite runs every test on every store: ``store_kind`` is ``sqlite`` (a file in WAL mode)
or ``postgresql`` (its own schema on the server of ``tests/pg.py``; fails when ``WFC_TEST_PG`` is set and the
server is unreachable)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import wfc
from wfc.testing import FakeClock

from .. import pg

STORES = ["sqlite", "postgresql"]


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(store_kind: str, tmp_path: Path) -> Iterator[str]:
    if store_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with pg.schema_url() as u:
        yield u


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rt(url: str, clock: FakeClock) -> Iterator[wfc.Runtime]:
    runtime = wfc.Runtime(url, clock=clock)
    yield runtime
    runtime.close()


@pytest.fixture
def table(rt: wfc.Runtime, store_kind: str, url: str) -> str:
    """A ledger table for transactional steps, in the test's own schema on PostgreSQL."""
    name = "ledger"
    if store_kind == "postgresql":
        name = f'"{url.rsplit("schema=", 1)[1]}".ledger'
    with rt.db() as db:
        db.execute(f"CREATE TABLE {name} (key TEXT, value INTEGER)")
    return name


def ledger_rows(rt: wfc.Runtime, table: str, key: str | None = None) -> list[tuple[str, int]]:
    with rt.db() as db:
        rows = db.execute(f"SELECT key, value FROM {table} ORDER BY key, value").fetchall()
    return [(str(k), int(v)) for k, v in rows if key is None or k == key]
