"""Every failed step attempt keeps its error, traceback and time — also when a later attempt succeeds — in
``rt.history()`` (``failed_attempts``), ``wfc history`` (a summary; ``--debug``: each traceback) and ``--json``;
bounded: the first three and last three in full and a count of those between, whatever the number of attempts
(``max_attempts=None`` for months), on SQLite and PostgreSQL."""

from __future__ import annotations

import inspect
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import wfc
from wfc.cli.main import cli
from wfc.runtime import attempts
from wfc.testing import FakeClock

from .. import pg
from . import flows

FLOWS_FILE = inspect.getsourcefile(flows)
_LINES, _FIRST = inspect.getsourcelines(flows.fail_n_times.fn)
RAISE_LINE = _FIRST + next(i for i, line in enumerate(_LINES) if "raise ConnectionError" in line)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/app.db"
    else:
        with pg.schema_url("attempts") as u:
            yield u


def _key() -> str:
    return f"k-{uuid.uuid4().hex[:8]}"


def _run(rt: wfc.Runtime, clock: FakeClock, workflow: Any, *args: Any) -> str:
    """Start and drive to the end under the fake clock (each retry when it is due)."""
    wid = rt.start(workflow, *args)
    for _ in range(10_000):
        rt.run_until_idle()
        if rt.status(wid).finished:
            return wid
        due = rt.store.next_due(clock.now())
        assert due is not None
        clock.set(due)
    raise AssertionError("did not finish")


def _check_kept(record: wfc.HistoryRecord, key: str, failed: int) -> None:
    kept = [a.attempt for a in record.failed_attempts]
    assert kept == (list(range(1, failed + 1)) if failed <= 6 else [1, 2, 3, failed - 2, failed - 1, failed])
    assert record.failed_attempts_omitted == max(0, failed - 6)
    for a in record.failed_attempts:
        assert a.error == f"ConnectionError: attempt {a.attempt} of {key}"
        assert a.traceback is not None and f'File "{FLOWS_FILE}", line {RAISE_LINE}, in fail_n_times' in a.traceback
        assert a.finished_at is not None and record.scheduled_at is not None
        assert a.finished_at >= record.scheduled_at
        assert a.started_at is not None and record.scheduled_at <= a.started_at <= a.finished_at
    times = [a.finished_at for a in record.failed_attempts]
    assert times == sorted(times) and len(set(times)) == len(times)  # backoff between attempts


@pytest.mark.parametrize("failed", [1, 3, 6, 8])
def test_failed_attempts_of_a_step_that_then_succeeds(url: str, failed: int) -> None:
    clock, key = FakeClock(), _key()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.retried, key, failed)
        assert rt.result(wid) == failed + 1
        (record,) = rt.history(wid)
        assert record.status == "completed" and record.attempts == failed + 1
        _check_kept(record, key, failed)


def test_failed_attempts_of_a_step_that_fails_for_good(url: str) -> None:
    clock, key = FakeClock(), _key()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.retried, key, 50)
        (record,) = rt.history(wid)
        assert record.status == "failed" and record.attempts == 10
        _check_kept(record, key, 10)
        assert record.error == f"ConnectionError: attempt 10 of {key}"
        assert record.traceback == record.failed_attempts[-1].traceback  # the last attempt is the failure's


def test_unlimited_attempts_keep_a_bounded_log(url: str) -> None:
    clock, key = FakeClock(), _key()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.huge, key, 300)
        assert rt.result(wid) == 301
        inst = rt.store.get_instance(wid)
        assert inst is not None
        stored = rt.store.list_attempts(inst.n)
        assert [a[2] for a in stored] == [1, 2, 3, 298, 299, 300]  # never more than six rows
        for _seq, _pos, _attempt, _started, _at, error, trace in stored:
            assert len(error) <= attempts.ERROR_LIMIT + 1 and error.endswith("…")
            assert trace is not None and len(trace) <= attempts.TRACEBACK_LIMIT + 2
            # the innermost frames are kept, and the start of the message
            assert trace.rstrip().endswith("xxx…")
            assert 'in _recurse\n    raise ValueError(message)\nValueError: xxx' in trace
        (record,) = rt.history(wid)
        assert record.failed_attempts_omitted == 294


def test_a_transactional_step_keeps_its_failed_attempts(url: str) -> None:
    clock, key = FakeClock(), _key()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.tx_retried, key, 2)
        assert rt.result(wid) == 3
        (record,) = rt.history(wid)
        _check_kept(record, key, 2)


def test_a_step_canceled_while_waiting_for_its_retry(url: str) -> None:
    clock, key = FakeClock(), _key()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.race_a_retry, key)
        assert rt.result(wid) == (1, None)  # the sleep won while the step waited for its second attempt
        step = next(r for r in rt.history(wid) if r.kind == "step")
        assert step.status == "canceled" and step.attempts == 1
        assert step.error == f"ConnectionError: attempt 1 of {key}"  # one line; the traceback apart
        assert step.traceback is not None and "fail_n_times" in step.traceback
        _check_kept(step, key, 1)


def test_cleanup_deletes_the_attempts(url: str) -> None:
    clock, key = FakeClock(), _key()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.retried, key, 2)
        inst = rt.store.get_instance(wid)
        assert inst is not None and len(rt.store.list_attempts(inst.n)) == 2
        clock.advance(3600)
        assert rt.cleanup(60) == 1
        assert rt.store.list_attempts(inst.n) == []


def test_wfc_history_shows_them_and_debug_their_tracebacks(tmp_path: Path) -> None:
    url, key = f"sqlite:///{tmp_path}/app.db", _key()
    clock = FakeClock()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = _run(rt, clock, flows.retried, key, 8)
    shown = CliRunner().invoke(cli, ["history", wid, "--db", url])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "failed attempts" in text and "2 more failed attempts not kept" in text
    for n in (1, 2, 3, 6, 7, 8):
        assert f"ConnectionError: attempt {n} of {key} (at {FLOWS_FILE}:{RAISE_LINE} in fail_n_times)" in text
    assert "Traceback" not in shown.stdout
    debug = CliRunner().invoke(cli, ["--debug", "history", wid, "--db", url])
    for n in (1, 2, 3, 6, 7, 8):
        assert f"#1 fails_then_works attempt {n}:\nTraceback (most recent call last):" in debug.stdout
    listed = json.loads(CliRunner().invoke(cli, ["history", wid, "--db", url, "--json"]).stdout)
    assert [a["attempt"] for a in listed[0]["failed_attempts"]] == [1, 2, 3, 6, 7, 8]
    assert listed[0]["failed_attempts_omitted"] == 2


def test_a_database_from_before_gets_the_table_and_its_rows_none(tmp_path: Path) -> None:
    copy = tmp_path / "old.db"
    shutil.copy(Path(__file__).parents[1] / "runtime" / "format1" / "instances.db", copy)
    with wfc.Runtime(f"sqlite:///{copy}", workflows=[]) as rt:  # migrated when opened for writing
        page = rt.list(limit=5)
        assert page.items
        for st in page.items:
            for record in rt.history(st.id):
                assert record.failed_attempts == () and record.failed_attempts_omitted == 0
