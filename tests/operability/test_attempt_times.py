"""Each failed step attempt keeps when it started as well as when it ended (``wfc.AttemptRecord.started_at``):
under the durable runtime on SQLite and PostgreSQL (a plain step, a transactional step, async and plain steps in a
worker), in ``wfc.testing`` (where a step's work takes no virtual time: it starts and ends at the moment it runs),
(the twin suite, tests/twin, compares the two runners' attempts field by field), in ``wfc history`` (a ``started`` column) and ``--json``; attempts recorded before the schema kept the start read
``None``, and a database from before gets the column."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import wfc
import wfc.testing
from wfc.cli.main import cli
from wfc.testing import FakeClock

from .. import pg
from . import flows

url = pg.store_urls("attempt_times")


def _key() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def _run(rt: wfc.Runtime, clock: FakeClock, workflow: Any, *args: Any) -> str:
    wid = rt.start(workflow, *args)
    for _ in range(1_000):
        rt.run_until_idle()
        if rt.status(wid).finished:
            return wid
        due = rt.store.next_due(clock.now())
        assert due is not None
        clock.set(due)
    raise AssertionError("did not finish")


def test_each_failed_attempt_keeps_when_it_started_and_ended(url: str) -> None:
    clock, key = FakeClock(), _key()
    flows.CLOCKS[key] = clock  # each attempt's work takes 7 s of it
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.slow_retried, key, 2, 7.0)
        assert rt.result(wid) == 3
        (record,) = rt.history(wid)
    first, second = record.failed_attempts
    for a in (first, second):
        assert a.started_at is not None and a.finished_at is not None
        assert a.finished_at - a.started_at == dt.timedelta(seconds=7)
    assert first.started_at == record.started_at  # the row's start is its first attempt's
    # the next attempt starts after its backoff (1 s, jittered), and the one that worked took 7 s too
    assert first.finished_at < second.started_at < first.finished_at + dt.timedelta(seconds=2)
    assert record.finished_at is not None
    assert dt.timedelta(seconds=7) < record.finished_at - second.finished_at < dt.timedelta(seconds=9)


def test_a_transactional_attempt_starts_and_ends_in_its_cycle(url: str) -> None:
    clock, key = FakeClock(), _key()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.tx_retried, key, 2)
        (record,) = rt.history(wid)
    assert [a.started_at for a in record.failed_attempts] == [a.finished_at for a in record.failed_attempts]
    assert all(a.started_at is not None for a in record.failed_attempts)


def test_in_memory_an_attempt_starts_and_ends_at_its_moment() -> None:
    key = _key()
    result = wfc.testing.execute(flows.retried, key, 2)
    (record,) = result.histories[result.workflow_id]
    assert [a.attempt for a in record.failed_attempts] == [1, 2]
    for a in record.failed_attempts:
        assert a.started_at is not None and a.started_at == a.finished_at
    assert record.failed_attempts[0].started_at == record.started_at


def test_async_and_plain_steps_in_a_worker(tmp_path: Path) -> None:
    key = _key()
    with wfc.Runtime(f"sqlite:///{tmp_path / 'w.db'}", poll_interval=0.02) as rt:
        worker = rt.worker(concurrency=2)
        thread = worker.run_in_thread()
        try:
            wid = rt.start(flows.slow_in_a_worker, key, 0.05)
            deadline = time.monotonic() + 30
            while not rt.status(wid).finished:
                assert time.monotonic() < deadline, "did not finish"
                time.sleep(0.02)
        finally:
            worker.stop()
            thread.join(10)
        assert rt.result(wid) == [2, 2]
        records = rt.history(wid)
    for record in records:
        (a,) = record.failed_attempts
        # the attempt slept 50 ms between its start and its end (asyncio.sleep / time.sleep wait at least that)
        assert a.started_at is not None and a.finished_at is not None
        assert a.finished_at - a.started_at >= dt.timedelta(seconds=0.04), record.name


def test_wfc_history_shows_when_each_started(tmp_path: Path) -> None:
    url, key = f"sqlite:///{tmp_path}/app.db", _key()
    clock = FakeClock(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    flows.CLOCKS[key] = clock
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.slow_retried, key, 1, 7.0)
    shown = CliRunner().invoke(cli, ["history", wid, "--db", url])
    assert shown.exit_code == 0, shown.output
    table = shown.stdout.split("failed attempts", 1)[1]
    header = table.splitlines()[1].split()
    assert header == ["#", "name", "attempt", "started", "finished", "error"]
    started = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC).astimezone()
    finished = started + dt.timedelta(seconds=7)
    row = table.splitlines()[2]
    assert f"{started:%H:%M:%S}" in row and f"{finished:%H:%M:%S}" in row, row
    listed = json.loads(CliRunner().invoke(cli, ["history", wid, "--db", url, "--json"]).stdout)
    (attempt,) = listed[0]["failed_attempts"]
    assert attempt["started_at"] is not None and attempt["started_at"] != attempt["finished_at"]


def _drop_the_column(url: str) -> None:
    """Make the database one of a wfc before the attempts' start: no column, its migration not recorded."""
    version = {"sqlite": 13, "postgresql": 14}[url.split(":", 1)[0]]  # the migration that added the column
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("ALTER TABLE attempts DROP COLUMN started_at")
            conn.execute("DELETE FROM wfc_migrations WHERE version=?", (version,))
        return
    import psycopg

    from wfc.runtime.store.postgres.connection import parse_url

    conninfo, schema, _ = parse_url(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'ALTER TABLE "{schema}".attempts DROP COLUMN started_at')
        conn.execute(f'DELETE FROM "{schema}".wfc_migrations WHERE version=%s', (version,))


def test_a_database_from_before_gets_the_column_and_old_attempts_none(url: str) -> None:
    clock, key = FakeClock(), _key()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.retried, key, 2)
    _drop_the_column(url)
    with wfc.Runtime(url, clock=clock) as rt:  # migrated when opened for writing
        (record,) = rt.history(wid)
        assert [a.attempt for a in record.failed_attempts] == [1, 2]
        assert all(a.started_at is None and a.finished_at is not None for a in record.failed_attempts)
        again = _run(rt, clock, flows.retried, _key(), 1)
        (fresh,) = rt.history(again)
        assert fresh.failed_attempts[0].started_at is not None

