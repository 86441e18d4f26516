"""``rt.query(id)`` and ``wfc status --vars``: an instance's live variables, read from its cursor without running
any workflow code — on both stores, after a restart, from a process without the application's classes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import wfc
from wfc.testing import FakeClock

from .. import pg
from . import flows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'q.db'}"
        return
    with pg.schema_url("query") as schema_url:
        yield schema_url


def test_query_reads_the_cursor_at_each_suspension(url: str) -> None:
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.query_checkout, "book", 4)
        assert rt.query(wid) == {"sku": "book", "qty": 4}  # not started: its arguments
        rt.run_until_idle()
        got = rt.query(wid)
        # Live variables only: `round_` is not read after the wait, so the cursor does not keep it, and the
        # loop's cursor is the compiler's own.
        assert got == {"order": flows.Order("book", 4), "total": 10.0, "seen": [0]}
        assert got == _documented(), "docs/runtime.md shows this very result"
        rt.send_event(wid, "approve", False)
        rt.run_until_idle()
        assert rt.query(wid)["seen"] == [0, 1]
    with wfc.Runtime(url, clock=FakeClock()) as again:  # a new process reads the same cursor
        assert again.query(wid)["seen"] == [0, 1]
        again.send_event(wid, "approve", True)
        assert again.run_until_complete(wid) == "book:10.0:[0, 1]"
        assert again.query(wid) == {}  # finished: nothing is live


def _documented() -> object:
    """The value docs/runtime.md shows for ``rt.query(wid)`` (this file's ``checkout("book", 4)``)."""
    doc = (ROOT / "docs" / "runtime.md").read_text()
    line = next(x for x in doc.splitlines() if x.startswith("rt.query(wid)"))
    return eval(line.partition("#")[2].strip().replace("Order(", "_Order("), {"_Order": flows.Order})


def test_a_handlers_exception_is_a_live_variable() -> None:
    with wfc.Runtime("sqlite:///:memory:", clock=FakeClock()) as rt:
        wid = rt.start(flows.query_handling, 7)
        rt.run_until_idle()
        got = rt.query(wid)
        assert set(got) == {"err", "when"} and got["when"] == dt.date(2026, 1, 2)  # `n` is not read again
        assert isinstance(got["err"], KeyError) and got["err"].args == (7,)


def test_query_of_an_unknown_instance_is_a_clear_error() -> None:
    with wfc.Runtime("sqlite:///:memory:") as rt, pytest.raises(wfc.WfcError, match="no workflow instance"):
        rt.query("nope")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}", "COLUMNS": "200"}
    env.pop("WFC_DB", None)
    return subprocess.run([sys.executable, "-m", "wfc", *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_status_vars_with_and_without_the_application(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.query_checkout, "pen", 2, id="order-1")
        rt.run_until_idle()
    with_app = _cli("status", wid, "--vars", "--json", "--app", "tests.query.flows", "--db", url, cwd=ROOT)
    assert with_app.returncode == 0, with_app.stderr
    data = json.loads(with_app.stdout)
    assert data["vars"]["total"] == 5.0 and data["vars"]["order"] == {"sku": "pen", "qty": 2}
    text = _cli("status", wid, "--vars", "--db", url, cwd=ROOT)
    assert text.returncode == 0 and "live variables" in text.stdout and '"seen"' not in text.stdout
    assert "[0]" in text.stdout and "total" in text.stdout  # list values are not taken for rich markup
    # From a directory where the application's module cannot be imported: the value as stored, marked so.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env_free = _cli("status", wid, "--vars", "--json", "--db", url, cwd=elsewhere)
    assert env_free.returncode == 0, env_free.stderr
    order = json.loads(env_free.stdout)["vars"]["order"]
    assert order["undecoded"]["$obj"] == "tests.query.flows.Order" and "--app" in order["why"]
    assert json.loads(env_free.stdout)["vars"]["total"] == 5.0  # the others still decode
