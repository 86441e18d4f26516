"""The long-running worker: threads, async steps, concurrency, wake-ups, graceful shutdown on signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import wfc

from . import flows, procs

ROOT = Path(__file__).resolve().parents[2]
RUNNING = {"now": 0, "max": 0}
LOCK = threading.Lock()


@wfc.step
def measured(i: int) -> int:
    with LOCK:
        RUNNING["now"] += 1
        RUNNING["max"] = max(RUNNING["max"], RUNNING["now"])
    time.sleep(0.01)
    with LOCK:
        RUNNING["now"] -= 1
    return i


@wfc.workflow
def many(n: int) -> int:
    values = yield wfc.all_of([measured(i) for i in range(n)])
    doubled = yield flows.async_double(sum(values))
    return doubled


def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_worker_runs_workflows_with_bounded_concurrency(tmp_path: Path) -> None:
    RUNNING.update(now=0, max=0)
    with wfc.Runtime(f"sqlite:///{tmp_path / 'w.db'}", poll_interval=0.02) as rt:
        worker = rt.worker(concurrency=3)
        thread = worker.run_in_thread()
        ids = [rt.start(many, 6) for _ in range(4)]
        wait_for(lambda: all(rt.status(i).finished for i in ids))
        worker.stop()
        thread.join(10)
        assert not thread.is_alive()
        assert [rt.result(i) for i in ids] == [30] * 4
        assert 1 < RUNNING["max"] <= 3


def test_worker_wakes_up_for_events_and_timers(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path / 'e.db'}", poll_interval=5.0) as rt:
        worker = rt.worker(concurrency=2)
        thread = worker.run_in_thread()
        wid = rt.start(flows.approval)  # a start wakes the worker at once, despite the 5 s poll interval
        wait_for(lambda: rt.status(wid).state is wfc.WorkflowState.WAITING, timeout=3)
        t = time.monotonic()
        rt.send_event(wid, "approved", "yes")
        wait_for(lambda: rt.status(wid).finished, timeout=3)
        assert time.monotonic() - t < 1.0
        sid = rt.start(flows.sleeper, 0.2)  # a short timer: the worker sleeps until it is due
        wait_for(lambda: rt.status(sid).finished, timeout=3)
        worker.stop()
        thread.join(10)
        assert rt.result(wid) == "yes"
        # the code after the timer runs when the worker woke for it: at its due time or a moment after
        assert 0.2 <= float(rt.result(sid)) < 1.0


def _serve(db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.runtime.procs", "serve", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.slow
def test_sigterm_finishes_running_steps_then_stops(tmp_path: Path) -> None:
    db, marker = tmp_path / "term.db", tmp_path / "marker"
    rt = procs.prepare(f"sqlite:///{db}")
    wid = rt.start(procs.slow_flow, str(marker), 1.0)
    proc = _serve(db)
    wait_for(lambda: marker.exists())
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out.strip() == "stopped", err
    assert marker.read_text() == "started finished"
    (first, *rest) = rt.history(wid)
    assert first.status == "completed" and first.result == "slow done"  # committed before stopping
    assert rest == [] or rest[0].status == "pending"  # nothing new was started after the signal
    marker.write_text("")
    procs.LOG = None
    assert rt.run_until_complete(wid) == "slow done 1"
    assert marker.read_text() == ""  # the slow step did not run again
    rt.close()


@pytest.mark.slow
def test_a_second_signal_stops_at_once_and_the_step_runs_again(tmp_path: Path) -> None:
    db, marker = tmp_path / "kill.db", tmp_path / "marker"
    rt = procs.prepare(f"sqlite:///{db}")
    wid = rt.start(procs.slow_flow, str(marker), 3.0)
    proc = _serve(db)
    wait_for(lambda: marker.exists())
    proc.send_signal(signal.SIGINT)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "stopped" in out, err
    assert marker.read_text() == "started"
    (first,) = rt.history(wid)
    assert first.status == "pending"
    marker.unlink()
    # its lease was released: another worker runs it right away (at least once)
    t = time.monotonic()
    with wfc.Runtime(f"sqlite:///{db}") as other:
        assert other.engine.cycle([], claim=10, capacity=10) != []
    assert time.monotonic() - t < 5
    rt.close()
