"""``wfc worker --lease SECONDS`` (env ``WFC_LEASE``): how long a claimed step stays reserved to a worker that
stops heartbeating. Bad values are a usage error; a stalled worker's step moves to another worker after the lease
it was started with, not the default 30 s (docs/deploy.md, "Leases, heartbeats and machine death")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import wfc
from tests.store import flows

from .helpers import ROOT
from .test_bad_inputs import assert_usage_error, wfc_main

STORE_FLOWS = "tests.store.flows"


@pytest.mark.parametrize("value", ["0", "0.5", "-1", "nan", "inf", "1e999", "86401", "x", ""])
def test_a_bad_lease_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    assert_usage_error(wfc_main(capsys, "worker", "--app", STORE_FLOWS, "--lease", value, "--db", db))


@pytest.mark.parametrize("value", ["0", "nan", "soon"])
def test_a_bad_wfc_lease_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("WFC_LEASE", value)
    status, _out, err = wfc_main(capsys, "worker", "--app", STORE_FLOWS, "--db", f"sqlite:///{tmp_path / 'w.db'}")
    assert_usage_error((status, _out, err))
    assert "--lease" in err


def _worker(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "wfc", "worker", "--app", STORE_FLOWS, "--db", url, "--log-level", "warning", *args],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "serving" in line, line + proc.stderr.read()
    return proc


def test_a_stalled_worker_loses_its_step_after_the_lease_it_was_given(tmp_path: Path) -> None:
    """Two real ``wfc worker`` processes: the first (``--lease 1.5``) is SIGSTOPped in a step; the second
    (``WFC_LEASE=1.5``) takes the step once the lease ends: after at least 2/3 of it (the last heartbeat renewed
    it at most lease/3 before the stop) and long before the default 30 s lease would end."""
    lease = 1.5
    url = f"sqlite:///{tmp_path / 'w.db'}"
    marker = tmp_path / "marker"
    with wfc.Runtime(url) as rt:
        with rt.db() as db:
            db.execute("CREATE TABLE ledger (key TEXT, value INTEGER)")
        first = _worker(url, "--lease", str(lease))
        second: subprocess.Popen[str] | None = None
        try:
            wid = rt.start(flows.held, "ledger", "s", str(marker), 4.0)
            deadline = time.monotonic() + 30
            # the step has written its pid (the file exists from its open(), a moment before the write lands)
            while not (marker.exists() and marker.read_text().split()) and time.monotonic() < deadline:
                time.sleep(0.02)
            first.send_signal(signal.SIGSTOP)
            stopped = time.monotonic()
            second = _worker(url, env={"WFC_LEASE": str(lease)})
            while len(marker.read_text().split()) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            taken_over = time.monotonic() - stopped
            assert [int(p) for p in marker.read_text().split()] == [first.pid, second.pid]
            assert lease * 2 / 3 - 0.1 < taken_over < lease + 3.0, taken_over
            first.send_signal(signal.SIGCONT)  # its late outcome is refused: the step is not its own any more
            assert rt.run_until_complete(wid, timeout=60) == [second.pid, 1]
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGCONT)
                    proc.terminate()
                    proc.wait(20)
