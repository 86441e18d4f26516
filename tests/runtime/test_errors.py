"""Bad input and bad conditions: clear errors (a WFC4xx code, what and where, a hint), nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import wfc
from wfc.commands import STEPS
from wfc.runtime.errors import ConfigError, StoreError
from wfc.testing import FakeClock

from . import flows

LOCKED: dict[str, Any] = {}


@wfc.step
def grab_lock(path: str) -> str:
    """While this step runs, another process takes the database's write lock."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    LOCKED["conn"] = conn
    LOCKED["runs"] = LOCKED.get("runs", 0) + 1
    return "grabbed"


@wfc.workflow
def lock_flow(path: str) -> str:
    value = yield grab_lock(path)
    return value


def test_database_locked(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    with wfc.Runtime(f"sqlite:///{path}?busy_timeout=0.05", clock=FakeClock()) as rt:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="the database is locked by another connection") as info:
            rt.start(flows.adder, 1, 2)
        assert info.value.code == "WFC426" and info.value.hint
        other.execute("ROLLBACK")
        assert len(rt.list()) == 0  # nothing half-written
        wid = rt.start(lock_flow, str(path))
        LOCKED.clear()
        with pytest.raises(StoreError, match="locked"):
            rt.run_until_idle()  # the step ran, then its outcome could not be committed
        LOCKED["conn"].execute("ROLLBACK")
        assert rt.run_until_complete(wid) == "grabbed"
        assert LOCKED["runs"] == 1  # its outcome was kept, not lost: the step did not run again


def test_disk_full(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path / 'full.db'}", clock=FakeClock()) as rt:
        conn = rt.store.conn
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={pages}")
        with pytest.raises(StoreError, match="full") as info:
            for _ in range(200):
                rt.start(flows.keep, "x" * 2000)
        assert info.value.code == "WFC427"
        started = len(rt.list(limit=1000))
        conn.execute(f"PRAGMA max_page_count={pages + 1000}")
        wid = rt.start(flows.keep, "y" * 3000)
        conn.execute(f"PRAGMA max_page_count={conn.execute('PRAGMA page_count').fetchone()[0]}")
        with pytest.raises(StoreError, match="full"):
            rt.run_until_complete(wid)
        conn.execute("PRAGMA max_page_count=1073741823")
        assert rt.run_until_complete(wid) == "y" * 3000
        assert len(rt.list(limit=1000)) == started + 1


def test_unknown_step_blocks_until_deployed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'steps.db'}"
    key = flows.add.key
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.adder, 1, 2)
        saved = STEPS.pop(key)
        try:
            rt.run_until_idle()
            status = rt.status(wid)
            assert (status.blocked or "").startswith("WFC424: step ") and key in (status.blocked or "")
        finally:
            STEPS[key] = saved
    with wfc.Runtime(url, clock=FakeClock()) as rt:  # a deployment that has the step again
        assert rt.run_until_complete(wid) == 3


def test_unknown_workflow_of_an_instance_blocks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wf.db'}"
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.approval)
    with wfc.Runtime(url, clock=FakeClock(), workflows=[flows.adder]) as rt:
        rt.run_until_idle()
        assert (rt.status(wid).blocked or "").startswith("WFC422: no workflow")
        with pytest.raises(wfc.WfcError, match="not in this runtime's workflows"):
            rt.start(flows.approval)


def test_bad_configuration(tmp_path: Path) -> None:
    cases = [
        ("mysql://db/x", "unsupported database URL scheme"),
        ("app.db", "not a database URL"),
        ("sqlite://host/x.db", "has a host part"),
        (f"sqlite:///{tmp_path / 'a.db'}?color=red", "unknown database option"),
        (f"sqlite:///{tmp_path / 'a.db'}?synchronous=SOMETIMES", "synchronous must be"),
        (f"sqlite:///{tmp_path / 'a.db'}?busy_timeout=soon", "busy_timeout must be a number"),
    ]
    for url, message in cases:
        with pytest.raises(ConfigError, match=message) as info:
            wfc.Runtime(url)
        assert info.value.code == "WFC429"
    with pytest.raises(ConfigError, match="versions directory"):
        wfc.Runtime(versions=tmp_path / "missing")
    with pytest.raises(ConfigError, match="max_value_size"):
        wfc.Runtime(max_value_size=10)
    with pytest.raises(ConfigError, match="RetryPolicy"):
        wfc.Runtime(retry=3)  # type: ignore[arg-type]


def test_a_database_from_a_newer_wfc_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    wfc.Runtime(f"sqlite:///{path}").close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO wfc_migrations VALUES (99, 'from the future')")
    conn.commit()
    conn.close()
    with pytest.raises(ConfigError, match="schema version 99, newer than this wfc knows"):
        wfc.Runtime(f"sqlite:///{path}")


def test_bad_start_arguments(rt: wfc.Runtime) -> None:
    with pytest.raises(
        wfc.WfcError, match="cannot start workflow adder: too many positional arguments"
    ) as info:
        rt.start(flows.adder, 1, 2, 3)
    assert info.value.code == "WFC405"
    with pytest.raises(wfc.WfcError, match="argument 'a' of workflow adder: expected int, got str"):
        rt.start(flows.adder, "1", 2)
    with pytest.raises(wfc.WfcError, match="cannot persist") as info:
        rt.start(flows.keep, lambda: 1)
    assert info.value.code == "WFC401"
    with pytest.raises(wfc.WfcError, match=r"on_complete must be a function decorated with @wfc\.step"):
        rt.start(flows.adder, 1, 2, on_complete=print)
    with pytest.raises(wfc.WfcError, match="expected a workflow"):
        rt.start(42)  # type: ignore[arg-type]
    other = rt.start(flows.adder, 1, 2, id="taken")
    with pytest.raises(wfc.WfcError, match="already used by an instance of") as info:
        rt.start(flows.approval, id=other)
    assert info.value.code == "WFC430"
    assert len(rt.list()) == 1


def test_bad_events(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.approval)
    with pytest.raises(wfc.WfcError, match="an event needs a name"):
        rt.send_event(wid, "")
    with pytest.raises(wfc.WfcError, match="cannot persist"):
        rt.send_event(wid, "approved", object())
    rt.send_event(wid, "approved", "fine")
    assert rt.run_until_complete(wid) == "fine"
