"""Leases across containers: two live workers on one database that share a hostname but not a PID namespace
never run the same step at once. A worker is identified by a random id per process; a PID says something only
inside its own namespace, so across namespaces only heartbeats (lease expiry) decide liveness.

Needs ``unshare --pid`` (root, or unprivileged user namespaces): skipped where it is not available, with the
reason in the skip message.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import wfc
from wfc.runtime import liveness

from . import procs

ROOT = Path(__file__).resolve().parents[2]


def _unshare_works() -> str | None:
    if shutil.which("unshare") is None:
        return "the unshare command is not installed"
    try:
        done = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare --pid cannot run here: {exc}"
    if done.returncode != 0:
        return f"unshare --pid is not permitted here: {done.stderr.decode(errors='replace').strip()}"
    return None


UNSHARE = _unshare_works()
pytestmark = pytest.mark.skipif(UNSHARE is not None, reason=f"no PID namespaces: {UNSHARE}")


def _worker(db: Path, *, namespace: bool) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.runtime.procs", "serve", str(db)]
    if namespace:  # a PID namespace of its own, the hostname shared: two containers on one pod network
        command = ["unshare", "--pid", "--fork", *command]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _intervals(log: Path) -> list[tuple[float, float, str]]:
    starts: dict[str, float] = {}
    out: list[tuple[float, float, str]] = []
    for line in log.read_text().splitlines():
        kind, namespace, pid, at = line.split()
        key = f"{namespace}/{pid}"
        if kind == "start":
            starts[key] = float(at)
        else:
            out.append((starts.pop(key), float(at), namespace))
    out.extend((start, float("inf"), key) for key, start in starts.items())  # still running
    return sorted(out)


@pytest.mark.slow
def test_workers_in_other_pid_namespaces_never_run_a_leased_step(tmp_path: Path) -> None:
    db = tmp_path / "ns.db"
    log = tmp_path / "runs.log"
    with wfc.Runtime(f"sqlite:///{db}") as rt:
        wid = rt.start(procs.exclusive_flow, str(log), 3.0)
    first = _worker(db, namespace=False)
    others: list[subprocess.Popen[str]] = []
    try:
        deadline = time.monotonic() + 30
        while not (log.exists() and log.read_text()):
            assert time.monotonic() < deadline, "the step never started"
            time.sleep(0.02)
        # Two more workers join, each in a PID namespace of its own, while the first runs the step: the first
        # worker's PID means nothing (or another process) there, so they must leave its lease to heartbeats.
        others = [_worker(db, namespace=True), _worker(db, namespace=True)]
        with wfc.Runtime(f"sqlite:///{db}") as rt:
            deadline = time.monotonic() + 30
            while not rt.status(wid).finished:
                assert time.monotonic() < deadline, "the workflow did not finish"
                time.sleep(0.05)
            assert rt.result(wid) == "ran"
        runs = _intervals(log)
        assert len(runs) == 1, runs  # it ran once: no other worker took its lease while it ran
    finally:
        for proc in [first, *others]:
            _stop(proc)


def test_the_pid_fast_path_is_only_taken_within_one_namespace(tmp_path: Path) -> None:
    """A dead worker of this namespace is released at once; a worker registered from another namespace (whose
    PID here names nothing) is left to its heartbeat."""
    here = liveness.locality()
    inside = subprocess.run(
        ["unshare", "--pid", "--fork", sys.executable, "-c",
         "from wfc.runtime import liveness; print(liveness.locality())"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
    ).stdout.strip()  # fmt: skip
    assert inside != here and inside.split()[0] == here.split()[0]  # same hostname, another namespace
    dead_pid = 2**22 + 7  # above the default pid_max: no such process
    with wfc.Runtime(f"sqlite:///{tmp_path / 'fast.db'}") as rt:
        with rt.store.transaction():
            rt.store.register_worker("dead-here", here, dead_pid, 0.0)
            rt.store.register_worker("alive-elsewhere", inside, dead_pid, 0.0)
            rt._reap_locked()
        left = {row[0] for row in rt.store.conn.execute("SELECT id FROM workers")}
        assert "dead-here" not in left and "alive-elsewhere" in left and rt.owner in left
        assert rt.owner.count(":") == 2 and len(rt.owner.rsplit(":", 1)[1]) == 32  # name:pid:uuid4
        other = wfc.Runtime(f"sqlite:///{tmp_path / 'fast.db'}")
        assert other.owner != rt.owner  # never the same id, even in one process
        other.close()
