"""The worker logs step failures, retries, workflow failures and work it cannot serve through `logging`, with
the instance id, workflow, step and attempt in `extra`; `wfc worker --log-level/--log-format json`, and an
application's own logging configuration stays in charge."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import wfc

from . import flows

ROOT = Path(__file__).resolve().parents[2]


def test_failures_and_retries_are_logged_with_their_fields(
    rt: wfc.Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, "wfc"):
        wid = rt.start(flows.explodes, 3)
        with pytest.raises(ValueError):
            rt.run_until_complete(wid)
    by_kind = {getattr(r, "kind", None): r for r in caplog.records}
    retry, failed, ended = by_kind["step_retry"], by_kind["step_failed"], by_kind["workflow_failed"]
    for record in (retry, failed, ended):
        assert record.instance_id == wid and record.workflow == flows.explodes.key  # type: ignore[attr-defined]
    assert retry.step == "explode" and retry.attempt == 1 and retry.levelno == logging.WARNING  # type: ignore[attr-defined]
    assert failed.attempt == 2 and "exploded on 3" in failed.getMessage()  # type: ignore[attr-defined]
    assert "inner_helper_of_explode" in retry.traceback  # type: ignore[attr-defined]
    assert ended.levelno == logging.ERROR and "exploded on 3" in ended.traceback  # type: ignore[attr-defined]


APP = """
import logging
{config}
"""


def _worker(tmp_path: Path, config: str, *options: str) -> str:
    (tmp_path / "logapp.py").write_text(APP.format(config=config))  # the app's own setup, imported first
    url = f"sqlite:///{tmp_path / 'app.db'}"
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.explodes, 3, id=f"log-{len(options)}-{bool(config)}")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wfc", "worker", "--app", str(tmp_path / "logapp.py"), "--app",
         "tests.operability.flows", "--db", url, *options],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    with wfc.Runtime(url, read_only=True) as reader:
        while reader.status(wid).state != "failed" and time.monotonic() < deadline:
            time.sleep(0.2)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    return err


def test_wfc_worker_logs_json_lines(tmp_path: Path) -> None:
    err = _worker(tmp_path, "", "--log-format", "json", "--log-level", "warning")
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    kinds = {r.get("kind") for r in records}
    assert {"step_retry", "step_failed", "workflow_failed"} <= kinds
    failed = next(r for r in records if r.get("kind") == "step_failed")
    assert failed["step"] == "explode" and failed["attempt"] == 2 and failed["level"] == "warning"
    assert failed["workflow"] == "tests.operability.flows:explodes" and failed["instance_id"].startswith("log-")
    assert all(r["level"] in ("warning", "error") for r in records), "--log-level warning"


def test_wfc_worker_keeps_the_apps_logging_configuration(tmp_path: Path) -> None:
    config = "logging.basicConfig(level=logging.INFO, format='APP %(levelname)s %(name)s %(instance_id)s %(message)s')"
    err = _worker(tmp_path, config, "--log-format", "json")
    lines = [line for line in err.splitlines() if line.startswith("APP ")]
    assert any("WARNING wfc.runtime log-" in line and "failed (attempt 1)" in line for line in lines), err
    assert not any(line.startswith("{") for line in err.splitlines()), "the app's handlers format wfc's records"
