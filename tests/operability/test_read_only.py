"""Opening a Runtime erases nothing, and the commands that only look (status, list, history, watch, graph
--instance) write nothing at all and work on a database file nobody may write."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import wfc
from wfc.runtime.errors import StoreError

from . import flows

ROOT = Path(__file__).resolve().parents[2]


def _blocked_instance(url: str) -> str:
    """An instance that a worker without its workflow claimed: blocked with WFC422."""
    with wfc.Runtime(url) as rt:
        done = rt.start(flows.doubler, 1, id="done-1")
        rt.run_until_complete(done)
        wid = rt.start(flows.doubler, 5, id="blocked-1")
    with wfc.Runtime(url, workflows=[flows.fan_out]) as other:  # a deploy that dropped `doubler`
        other.run_until_idle()
        assert other.status(wid).blocked is not None
    return wid


def _wfc(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT), "COLUMNS": "200"}
    env.pop("WFC_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "wfc", *args], cwd="/", env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_opening_a_runtime_keeps_the_blocked_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    wid = _blocked_instance(url)
    for _ in range(3):  # each CLI command opened a Runtime, which cleared it before reading it
        with wfc.Runtime(url) as rt:
            assert rt.status(wid).blocked is not None
        done = _wfc("status", wid, "--db", url)
        assert done.returncode == 0, done.stderr
        assert "blocked: WFC422" in done.stdout
    with wfc.Runtime(url) as rt:
        rt.send_event(wid, "anything", 1)  # a writing command that runs no work clears nothing either
        assert "WFC422" in (rt.status(wid).blocked or "")


def _fingerprint_tree(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(directory.iterdir())
    }


def test_read_only_commands_never_write_and_work_on_a_read_only_file(tmp_path: Path) -> None:
    source = tmp_path / "src.db"
    wid = _blocked_instance(f"sqlite:///{source}")
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    shutil.copy(source, shelf / "app.db")
    (shelf / "app.db").chmod(0o444)
    # Not even a WAL index can be made next to it (a directory in its place stops root too, who may write a
    # read-only file anyway): a reader must not need one.
    (shelf / "app.db-shm").mkdir()
    shelf.chmod(0o555)
    url = f"sqlite:///{shelf / 'app.db'}"
    before = _fingerprint_tree(shelf)
    try:
        status = _wfc("status", wid, "--db", url, "--json")
        assert status.returncode == 0, status.stderr
        data = json.loads(status.stdout)
        assert data["state"] == "running" and "WFC422" in data["blocked"]
        listing = _wfc("list", "--db", url, "--json")
        assert listing.returncode == 0, listing.stderr
        assert {s["id"] for s in json.loads(listing.stdout)["items"]} == {"blocked-1", "done-1"}
        history = _wfc("history", "done-1", "--db", url)
        assert history.returncode == 0 and "double" in history.stdout, history.stderr
        watch = _wfc("watch", "done-1", "--db", url, "--json")
        assert watch.returncode == 0, watch.stderr
        graph = _wfc("graph", f"{ROOT}/tests/operability/flows.py:doubler", "--instance", "done-1", "--db", url,
                     "--allow-imports")  # fmt: skip
        assert graph.returncode == 0, graph.stderr
        after = _fingerprint_tree(shelf)
        # SQLite may open an empty WAL file next to a WAL database for a reader when it can (root can here);
        # nothing is ever written to it or to the database
        if "app.db-wal" in after and "app.db-wal" not in before:
            assert (shelf / "app.db-wal").stat().st_size == 0
            del after["app.db-wal"]
        assert after == before, "nothing was written"
        writer = _wfc("send-event", wid, "go", "--db", url)
        assert writer.returncode != 0 and "Traceback" not in writer.stderr
    finally:
        shelf.chmod(0o755)
        (shelf / "app.db").chmod(stat.S_IWUSR | stat.S_IRUSR)


def test_a_read_only_runtime_refuses_to_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    wid = _blocked_instance(url)
    with wfc.Runtime(url, read_only=True) as rt:
        assert rt.status(wid).blocked is not None
        assert [s.id for s in rt.list()] == ["blocked-1", "done-1"]  # newest first
        with pytest.raises(StoreError):
            rt.start(flows.doubler, 9)


def test_read_only_refuses_a_file_that_is_not_a_wfc_database(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(wfc.WfcError, match="not a wfc database"):
        wfc.Runtime(f"sqlite:///{other}", read_only=True)
