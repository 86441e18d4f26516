"""``wfc.step_context()`` inside sync, async and transactional steps: the instance, the workflow, the step's name
as called, the attempt and the retry limit — the same in wfc.testing (compiled and native) and the durable
runtime (in process and in a worker thread), and a clear error outside a step."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import wfc
from wfc.testing import FakeClock

from . import step_flows as flows


def expected(wid: str) -> list[dict[str, Any]]:
    name = flows.uses_context.name
    base = {"workflow_id": wid, "workflow": name}
    return [
        {**base, "kind": "sync", "step": "flaky", "attempt": 3, "max_attempts": 3},
        {**base, "kind": "async", "step": "remote", "attempt": 1, "max_attempts": 1},
        {**base, "kind": "transaction", "step": "booked", "attempt": 1, "max_attempts": 1},
        {**base, "kind": "sync", "step": "renamed", "attempt": 3, "max_attempts": None},
    ]


@pytest.mark.parametrize("native", [False, True])
def test_in_wfc_testing(native: bool) -> None:
    run = wfc.testing.execute(flows.uses_context, 1, native=native)
    assert run.error is None, run.error
    assert run.value == expected(run.value[0]["workflow_id"])


def test_in_the_durable_runtime(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path / 'ctx.db'}", clock=FakeClock()) as rt:
        wid = rt.start(flows.uses_context, 1, id="ctx-1")
        assert rt.run_until_complete(wid) == expected("ctx-1")


def test_in_a_worker_thread(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path / 'w.db'}") as rt:
        worker = rt.worker(concurrency=2)
        thread = worker.run_in_thread()
        try:
            wid = rt.start(flows.uses_context, 2, id="ctx-2")
            deadline = time.monotonic() + 30
            while not rt.status(wid).finished and time.monotonic() < deadline:
                time.sleep(0.05)
            got = rt.result(wid)
        finally:
            worker.stop()
            thread.join(10)
        assert got == expected("ctx-2")


def test_outside_a_step_it_is_a_clear_error() -> None:
    with pytest.raises(wfc.WfcError, match="only be called inside a running step") as info:
        wfc.step_context()
    assert info.value.code == "WFC406"


def test_the_documented_example_runs_as_documented(tmp_path: Path) -> None:
    from examples import step_context

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "python-workflows.md").read_text()
    source = (root / "examples" / "step_context.py").read_text().rstrip()
    assert f"```python\n{source}\n```" in doc
    said = '`wfc.testing.run(checkout, "A-1", 30.0)` returns `"invoice A-1 for 30.00 (test, attempt 3)"`'
    assert said in doc
    assert wfc.testing.run(step_context.checkout, "A-1", 30.0) == "invoice A-1 for 30.00 (test, attempt 3)"
    assert wfc.testing.run_native(step_context.checkout, "A-1", 30.0) == "invoice A-1 for 30.00 (test, attempt 3)"
    with wfc.Runtime(f"sqlite:///{tmp_path / 'ex.db'}", clock=FakeClock()) as rt:
        wid = rt.start(step_context.checkout, "A-2", 5.0, id="order-A-2")
        assert rt.run_until_complete(wid) == "invoice A-2 for 5.00 (order-A-2, attempt 3)"
