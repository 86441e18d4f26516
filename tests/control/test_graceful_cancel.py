"""``Runtime.cancel`` reaches the workflow: ``wfc.Canceled`` at its current ``yield`` runs its cleanup, also when
another process (a ``Client``, the CLI) asks and another worker runs it; ``force=True`` ends it at once. The
in-memory twin's agreement is ``tests/twin/test_cancel.py``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import wfc
from wfc.testing import FakeClock

from .. import pg
from . import cancel_flows as flows

url = pg.store_urls("gcancel")
ROOT = Path(__file__).resolve().parents[2]


def test_a_cancel_asked_by_another_process_runs_the_cleanup_in_a_new_worker(url: str) -> None:
    flows.COMPLETIONS.clear()
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.booking, "seat 4", on_complete=flows.on_done)
        rt.run_until_idle()
        assert rt.status(wid).state is wfc.WorkflowState.WAITING
    wfc.Client(url).cancel(wid)  # no worker runs now: the request is durable
    with wfc.Runtime(url) as rt:
        status = rt.status(wid)
        assert status.cancel_requested is not None and not status.finished
        rt.run_until_idle()
        assert rt.status(wid).state is wfc.WorkflowState.CANCELED
        assert rt.statuses(wid) == {"undone": ["reserved seat 4", "released seat 4"]}
        with pytest.raises(wfc.Canceled):
            rt.result(wid)
        kinds = [(h.kind, h.name, h.status) for h in rt.history(wid)]
        assert kinds[1:] == [
            ("event", "paid", "canceled"),
            ("cancel", "cancel", "completed"),
            ("step", "release", "completed"),
            ("on_complete", "on_complete on_done", "completed"),
        ]
        assert rt.status(wid).cancel_requested is None  # finished: nothing is pending
    assert [c[1] for c in flows.COMPLETIONS] == ["canceled"]


def test_a_running_step_finishes_but_its_result_is_discarded(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    flows.CANCEL_DB[0] = db
    with wfc.Runtime(db) as rt:
        wid = rt.start(flows.booking_with_a_long_step, "car")
        rt.run_until_idle()
        assert rt.status(wid).state is wfc.WorkflowState.CANCELED
        step = rt.history(wid)[0]
        assert (step.name, step.status, step.result) == ("cancels_itself", "canceled", "discarded car")
        assert [h.name for h in rt.history(wid)][1:] == ["cancel", "release"]


def test_a_second_cancel_lets_the_cleanup_run_and_force_ends_it(url: str) -> None:
    clock = FakeClock(auto_advance=False)
    with wfc.Runtime(url, clock=clock) as rt:
        wid = rt.start(flows.slow_cleanup, "x")
        rt.run_until_idle()
        rt.cancel(wid)
        rt.run_until_idle()
        assert rt.status(wid).state is wfc.WorkflowState.SLEEPING  # the cleanup sleeps
        rt.cancel(wid)  # asked again: nothing changes
        rt.run_until_idle()
        assert rt.status(wid).state is wfc.WorkflowState.SLEEPING
        rt.cancel(wid, force=True)
        assert rt.status(wid).state is wfc.WorkflowState.CANCELED
        clock.advance(601)
        rt.run_until_idle()
        assert "release" not in [h.name for h in rt.history(wid)]


def test_a_restart_after_a_cancel_runs_normally(url: str) -> None:
    with wfc.Runtime(url, clock=FakeClock(auto_advance=False)) as rt:
        wid = rt.start(flows.booking, "room")
        rt.run_until_idle()
        rt.cancel(wid)
        rt.run_until_idle()
        assert rt.status(wid).state is wfc.WorkflowState.CANCELED
        rt.restart(wid, 2)  # the wait again: the request is over
        assert rt.status(wid).cancel_requested is None
        rt.run_until_idle()
        rt.send_event(wid, "paid")
        assert rt.run_until_complete(wid) == "booked"


def test_the_cli_asks_for_a_cancel_and_forces_one(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with wfc.Runtime(db) as rt:
        wid = rt.start(flows.slow_cleanup, "y")
        other = rt.start(flows.slow_cleanup, "z")
        rt.run_until_idle()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wfc.cli.main", *args, "--db", db],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
        )  # fmt: skip

    done = cli("cancel", wid, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"id": wid, "state": "waiting", "cancel_requested": True}
    done = cli("cancel", other, "--force")
    assert done.returncode == 0 and done.stdout.strip() == f"canceled {other}", done.stderr
    with wfc.Runtime(db) as rt:
        rt.run_until_idle()
        assert rt.status(wid).state is wfc.WorkflowState.SLEEPING  # its cleanup runs
        assert rt.status(other).state is wfc.WorkflowState.CANCELED
    done = cli("cancel", wid)
    assert done.returncode == 0 and "already asked" in done.stdout, done.stdout
    shown = cli("history", wid).stdout.splitlines()
    [wait] = [line for line in shown if " event " in line]
    [request] = [line for line in shown if " cancel " in line]
    assert "canceled" in wait and f"raised Canceled: workflow '{wid}' was canceled" in request, shown
