"""A workflow's handler sees the traceback a plain generator would: the workflow's own frame at the line that
raised (or at the ``yield`` a failure was thrown in at), then its helpers' frames — never wfc's — in
``wfc.testing`` and in the durable runtime, also after the process that raised it is gone."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import wfc
from wfc.testing import FakeClock

from . import traceback_flows as flows

ROOT = Path(__file__).resolve().parents[2]
FLOWS = [flows.thrown_at_yield, flows.raised_in_helper, flows.raised_by_workflow, flows.assigned]


def native(wf: Any, n: int) -> Any:
    run = wfc.testing.execute(wf, n, native=True)
    assert run.error is None
    return run.value


@pytest.mark.parametrize("wf", FLOWS, ids=lambda wf: wf.name)
def test_handlers_see_the_generators_traceback(wf: Any, tmp_path: Path) -> None:
    expected = native(wf, 1)
    text = "".join(expected[0]) if isinstance(expected[0], list) else expected[0]
    assert text.startswith("Traceback (most recent call last):\n") and "traceback_flows.py" in text
    assert "wfc/runtime" not in str(expected)
    assert wfc.testing.execute(wf, 1).value == expected
    with wfc.Runtime(f"sqlite:///{tmp_path / 'tb.db'}", clock=FakeClock()) as rt:
        wid = rt.start(wf, 1)
        assert rt.run_until_complete(wid) == expected


def test_a_step_failure_is_raised_at_its_yield_line() -> None:
    (first, second) = wfc.testing.execute(flows.thrown_at_yield, 1).value
    assert first == second
    lines = first.splitlines()
    assert lines[1].endswith(", in thrown_at_yield") and lines[2].strip() == "yield fails(n)"
    assert lines[-1] == "ValueError: bad 1"


_SLICE = """
import json, sys
import wfc
from tests.runtime import traceback_flows as flows
names = ["thrown_at_yield", "raised_in_helper", "raised_by_workflow", "assigned"]
with wfc.Runtime(f"sqlite:///{sys.argv[1]}") as rt:
    if sys.argv[2] == "start":
        for name in names:
            rt.start(getattr(flows, name), 1, id=name)
        rt.run_until_idle()
        print(json.dumps([rt.status(name).state.value for name in names]))
    else:
        print(json.dumps({name: rt.run_until_complete(name, timeout=30) for name in names}))
"""


def test_frames_survive_a_process_restart(tmp_path: Path) -> None:
    """Each workflow sleeps inside its handler: the process that raised the exception ends, a new one resumes."""
    db = str(tmp_path / "restart.db")

    def run(phase: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-c", _SLICE, db, phase], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)

    assert run("start") == ["sleeping"] * 4
    got = run(
        "finish"
    )  # the sleeps (1 s) are due by the time the new process has started and waited for them
    for wf in FLOWS:
        assert got[wf.name.rpartition(".")[2]] == native(wf, 1), wf.name


def test_carets_under_the_yield_survive_a_resume() -> None:
    (text,) = native(flows.assigned, 1)
    assert "\n    got = yield fails(n)" in text and "\n          ^^^^^^^^^^^^^^\n" in text
    assert wfc.testing.execute(flows.assigned, 1).value == [text]


def test_logging_exception_shows_the_workflows_frame(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger=flows.log.name):
        assert wfc.testing.execute(flows.logged, 4).value == "ok"
    (record,) = [r for r in caplog.records if r.name == flows.log.name]
    assert record.exc_text is not None or record.exc_info is not None
    text = logging.Formatter().formatException(record.exc_info) if record.exc_info else record.exc_text
    assert 'traceback_flows.py", line' in text and "in logged" in text and "yield fails(n)" in text
    assert "wfc/runtime" not in text and text.endswith("ValueError: bad 4")
