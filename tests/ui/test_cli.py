"""``wfc ui`` itself: a real process serving a database, with a token and read-only; its errors are one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

import wfc

from . import flows
from .conftest import free_port

ROOT = Path(__file__).parent.parent.parent


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {**os.environ, "WFC_UI_TOKEN": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wfc", "ui", "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/api/csrf", timeout=2)
            return proc, base
        except httpx.TransportError:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "wfc ui did not start"
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _out, err = proc.communicate(timeout=20)
    return err


def test_wfc_ui_serves_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    with wfc.Runtime(url) as rt:
        rt.start(flows.approval, "o", id="cli-1")
        rt.run_until_idle()
    proc, base = _serve("--db", url, "--app", "tests.ui.flows", "--token", "tk", "--read-only")
    try:
        assert httpx.get(base + "/api/instances").status_code == 401
        auth = {"Authorization": "Bearer tk"}
        page = httpx.get(base + "/api/instances", headers=auth).json()
        assert [i["id"] for i in page["items"]] == ["cli-1"]
        assert httpx.get(base + "/instances/cli-1", headers=auth).status_code == 200
        r = httpx.post(base + "/api/instances/cli-1/cancel", headers=auth)
        assert r.status_code == 403 and r.json()["error"]["code"] == "WFC471"  # read-only
    finally:
        err = _stop(proc)
    assert "wfc ui on http://127.0.0.1:" in err and "(token required)" in err
    with wfc.Runtime(url) as rt:
        assert rt.status("cli-1").state == "waiting"


def test_wfc_ui_errors_are_one_line(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "wfc", "ui", "--db", f"sqlite:///{tmp_path / 'missing.db'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        r.returncode == 2
        and r.stderr.startswith("error[WFC460]: no database at ")
        and "Traceback" not in r.stderr
    )
