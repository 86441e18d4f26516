"""An instance no live worker can run says so in its status (a code and a hint), and the worker that was given
such work says so in its log."""

from __future__ import annotations

import logging

import pytest

import wfc
from wfc.testing import FakeClock

from . import flows


def test_a_worker_without_the_workflow_blocks_it_with_wfc422_and_warns(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.doubler, 2)
    with wfc.Runtime(url, workflows=[flows.fan_out]) as worker, caplog.at_level(logging.WARNING, "wfc"):
        worker.run_until_idle()
        status = worker.status(wid)
    assert status.blocked is not None and status.blocked.startswith("WFC422")
    assert "import the module" in status.blocked
    warning = next(r for r in caplog.records if getattr(r, "kind", None) == "blocked")
    assert warning.levelno == logging.WARNING and wid in warning.getMessage()
    assert warning.instance_id == wid and warning.workflow == flows.doubler.key  # type: ignore[attr-defined]
    with wfc.Runtime(url) as rt:  # a deployment that ships it runs it
        assert rt.run_until_complete(wid) == 4
        assert rt.status(wid).blocked is None


def test_work_nobody_claims_is_reported_stalled_with_wfc436(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.doubler, 2)
    assert rt.status(wid).stalled is None, "just started: not stalled"
    clock.advance(30)
    assert rt.status(wid).stalled is None
    clock.advance(60)
    stalled = rt.status(wid).stalled
    assert stalled is not None and stalled.startswith("WFC436")
    assert "no live worker" in stalled and "wfc worker --app tests.operability.flows" in stalled
    assert rt.run_until_complete(wid) == 4
    assert rt.status(wid).stalled is None


def test_a_sleeping_or_waiting_instance_is_not_stalled(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.parent_of, 1)
    rt.run_until_idle()
    clock.advance(86400)
    assert rt.status(wid).state == "waiting" and rt.status(wid).stalled is None


def test_wfc_status_shows_the_stall(tmp_path: object) -> None:
    from click.testing import CliRunner

    from wfc.cli.main import cli

    clock = FakeClock()
    url = f"sqlite:///{tmp_path}/app.db"
    with wfc.Runtime(url, clock=clock) as rt:
        wid = rt.start(flows.doubler, 2, id="late-1")
    # the CLI reads with the real clock: the fake one started long ago
    result = CliRunner().invoke(cli, ["status", wid, "--db", url])
    assert result.exit_code == 0, result.output
    assert "stalled: WFC436" in result.stdout


def test_a_definition_that_cannot_compile_is_not_served_and_stops_nothing(tmp_path: object) -> None:
    """A registered definition without code (made by hand, as a test or a plugin might) cannot be compiled: the
    worker publishing what it serves leaves it out and goes on (it once raised in the worker's thread)."""
    import inspect

    from wfc.commands import WorkflowDef, register_workflow
    from wfc.runtime import serving

    broken = register_workflow(
        WorkflowDef(fn=None, name="handmade", key=f"{__name__}:handmade", signature=inspect.Signature(), namespace={})
    )
    import time
    from pathlib import Path

    with wfc.Runtime(f"sqlite:///{Path(str(tmp_path)) / 'served.db'}") as rt:
        served = serving.served(rt.deployment)
        assert served.get(broken.key, []) == []
        worker = rt.worker()
        thread = worker.run_in_thread()  # publishes what it serves at start: the handmade one is left out
        try:
            wid = rt.start(flows.doubler, 21)
            deadline = time.monotonic() + 30
            while not rt.status(wid).finished and time.monotonic() < deadline:
                time.sleep(0.05)
            assert rt.result(wid) == 42
        finally:
            worker.stop()
            thread.join(10)
        assert not thread.is_alive()
