"""One poisoned workflow of each kind runs beside healthy ones on one worker: every healthy one completes, every
poisoned one ends with a recorded error, and the worker is still running afterwards. Then the same against a
worker process that owns its signals, which only signals stop — even in the middle of endless workflow code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import wfc

from . import poison

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


POISONED: list[tuple[str, tuple[Any, ...], str]] = [
    ("exits_in_code", (7,), "SystemExit"),
    ("interrupts_in_code", (), "KeyboardInterrupt"),
    ("calls", ("exit",), "SystemExit"),
    ("calls", ("interrupt",), "KeyboardInterrupt"),
    ("calls", ("async-exit",), "SystemExit"),
    ("calls", ("async-interrupt",), "KeyboardInterrupt"),
    ("calls", ("cancelled",), "CancelledError"),
    ("wf_spin", (), "OutOfFuel"),
    ("wf_idle", (), "NoProgress"),
    ("wf_bomb", (0,), "TooManyChildren"),
    ("wf_huge", (), "ValueTooLong"),
    ("wf_wide", (20_000,), "FanoutTooWide"),
    ("wf_methods", (), "MethodNotAValue"),
]


def _workflow(name: str) -> Any:
    wf = poison.wf_workflows()
    return wf[name] if name in wf else getattr(poison, name)


def test_poisoned_workflows_beside_healthy_ones(tmp_path: Path) -> None:
    limits = wfc.Limits(descendants=100)
    with wfc.Runtime(f"sqlite:///{tmp_path / 'p.db'}", poll_interval=0.02, limits=limits) as rt:
        worker = rt.worker(concurrency=8)
        thread = worker.run_in_thread()
        healthy = [rt.start(poison.healthy, i) for i in range(12)]
        bad = [(rt.start(_workflow(name), *args), expected) for name, args, expected in POISONED]
        healthy += [rt.start(poison.healthy, i) for i in range(12, 24)]  # started after the poison
        wf_healthy = [rt.start(_workflow("wf_healthy"), n) for n in (3, 5)]

        wait_for(lambda: all(rt.status(w).finished for w in healthy + wf_healthy + [b for b, _ in bad]))
        assert worker.running and thread.is_alive(), "a workflow stopped the worker"
        assert [rt.result(w) for w in healthy] == [poison.healthy_result(i) for i in range(24)]
        assert [rt.result(w) for w in wf_healthy] == [3, 10]
        for wid, expected in bad:
            status = rt.status(wid)
            assert status.state.value == "failed", status
            assert expected in (status.error or ""), status
        # after all that, it still takes new work
        late = rt.start(poison.healthy, 100)
        wait_for(lambda: rt.status(late).finished)
        assert rt.result(late) == poison.healthy_result(100)
        worker.stop()
        thread.join(20)
        assert not thread.is_alive()


def _serve(db: Path, grace: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.runtime.poison", "serve", str(db), str(grace)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _stuck_in_spin(db: Path) -> str:
    with wfc.Runtime(f"sqlite:///{db}") as rt:
        wid = rt.start(poison.python_spin, str(db) + ".marker")
    return wid


def _wait_started(db: Path, wid: str) -> None:
    """Until the spinning transition runs (its step has run; the transition recording it never ends)."""
    wait_for(lambda: Path(str(db) + ".marker").exists(), 30)
    time.sleep(0.3)


@pytest.mark.slow
def test_a_second_signal_stops_a_worker_inside_endless_workflow_code(tmp_path: Path) -> None:
    db = tmp_path / "spin.db"
    wid = _stuck_in_spin(db)
    proc = _serve(db, grace=30.0)
    try:
        _wait_started(db, wid)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert proc.poll() is None  # graceful: it waits for the transition (up to the grace period)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert time.monotonic() - started < 10
        assert "stopped" in out, err
        assert "Traceback" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with wfc.Runtime(f"sqlite:///{db}") as rt:  # the abandoned transition left nothing behind: it can run again
        status = rt.status(wid)
        assert status.state.value == "running" and not status.blocked, status


@pytest.mark.slow
def test_one_signal_stops_a_worker_inside_endless_workflow_code_after_the_grace_period(tmp_path: Path) -> None:
    db = tmp_path / "spin1.db"
    wid = _stuck_in_spin(db)
    proc = _serve(db, grace=1.0)
    try:
        _wait_started(db, wid)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert time.monotonic() - started < 8
        assert "stopped" in out, err
        assert "Traceback" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
