"""Running ``wfc`` in the test process (click's runner) and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from wfc.cli.main import cli

ROOT = Path(__file__).parent.parent.parent
FLOWS = str(Path(__file__).with_name("flows.py"))
FLOWS_REL = "tests/cli/flows.py"  # the same file, as subprocesses (cwd ROOT) name it


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_json(text: str) -> Any:
    """The one JSON document ``text`` is (fails if there is anything else)."""
    return json.loads(text)


def env() -> dict[str, str]:
    out = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}
    out.pop("WFC_DB", None)
    return out


def wfc_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "wfc", *args]


def run_wfc(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(wfc_cmd(*args), cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout,
                          check=False)  # fmt: skip


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(wfc_cmd(*args), cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def read_until(
    proc: subprocess.Popen[str],
    predicate: Callable[[str], bool],
    *,
    stderr: bool = False,
    timeout: float = 20,
) -> list[str]:
    """The process's stdout (or stderr) lines up to the first that satisfies ``predicate`` (it is killed after
    ``timeout``)."""
    stream = proc.stderr if stderr else proc.stdout
    assert stream is not None
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    lines: list[str] = []
    try:
        for line in stream:
            lines.append(line)
            if predicate(line):
                return lines
    finally:
        watchdog.cancel()
    raise AssertionError("never saw the expected line:\n" + "".join(lines))


def wait_for(check: Callable[[], bool], timeout: float = 15, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
