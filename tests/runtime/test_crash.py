"""Crash and multi-process tests: workers killed with SIGKILL at random moments, and two workers on one file."""

from __future__ import annotations

import collections
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import wfc

from . import procs

ROOT = Path(__file__).resolve().parents[2]
FLOWS = 20


def spawn(db: Path, log: Path, concurrency: int = 4) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.runtime.procs", str(db), str(log), str(concurrency)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline().strip() if ready else "(nothing within 60 s)"
    if line != "ready":
        proc.kill()
        raise AssertionError(f"worker did not start: {line} {proc.stderr.read() if proc.stderr else ''}")
    return proc


def finish(proc: subprocess.Popen[str], rt: wfc.Runtime, keys: list[str]) -> None:
    """Wait for a worker to end; on a timeout, say which workflows were not done and why."""
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        stuck = [(k, rt.status(k)) for k in keys if not rt.status(k).finished]
        raise AssertionError(f"worker did not finish; stuck: {stuck}\n{err}") from None
    assert proc.returncode == 0 and out.strip() == "done", err


def executions(log: Path) -> collections.Counter[tuple[str, int]]:
    out: collections.Counter[tuple[str, int]] = collections.Counter()
    if log.exists():
        for line in log.read_text().splitlines():
            _pid, key, i = line.split()
            out[(key, int(i))] += 1
    return out


def check_everything(rt: wfc.Runtime, keys: list[str]) -> None:
    n = procs.STEPS_PER_FLOW
    for key in keys:
        assert rt.result(key) == procs.expected_total(n), key  # every result delivered once, event not lost
        history = rt.history(key)
        assert [h.seq for h in history] == list(range(1, n + 1))  # one committed transition per suspension
        assert all(h.status == "completed" for h in history)
    with rt.db() as db:
        booked = collections.Counter(db.execute("SELECT key, i FROM ledger").fetchall())
        consumed = db.execute("SELECT count(*), count(consumed_seq) FROM events").fetchone()
    expected = {(key, i) for key in keys for i in range(n) if i % 10 == 5 and i != procs.EVENT_AT}
    assert set(booked) == expected and set(booked.values()) == {1}  # transactional steps: exactly once
    assert tuple(consumed) == (len(keys), len(keys))


@pytest.mark.slow
def test_workers_killed_at_random_moments(tmp_path: Path) -> None:
    db, log = tmp_path / "crash.db", tmp_path / "steps.log"
    rng = random.Random(4)
    rt = procs.prepare(f"sqlite:///{db}")
    keys = [f"crash-{i}" for i in range(FLOWS)]
    for key in keys:
        rt.start(procs.crash_flow, key, procs.STEPS_PER_FLOW, id=key)
    to_poke = list(keys)
    rng.shuffle(to_poke)
    kills = 0
    deadline = time.monotonic() + 90
    while kills < 12 and time.monotonic() < deadline:
        proc = spawn(db, log)
        time.sleep(rng.uniform(0.0, 0.25))
        for _ in range(2):  # events arrive while workers come and go (before or after the waits)
            if to_poke:
                rt.send_event(to_poke.pop(), "poke", procs.EVENT_VALUE)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
        kills += 1
    assert kills >= 10
    for key in to_poke:
        rt.send_event(key, "poke", procs.EVENT_VALUE)
    finish(spawn(db, log), rt, keys)
    check_everything(rt, keys)
    ran = executions(log)
    work_steps = {(k, i) for k in keys for i in range(procs.STEPS_PER_FLOW) if i % 10 != 5}
    assert set(ran) == work_steps  # every plain step ran at least once (re-runs after a kill are allowed)
    rt.close()


@pytest.mark.slow
def test_two_workers_on_one_database(tmp_path: Path) -> None:
    db = tmp_path / "two.db"
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    rt = procs.prepare(f"sqlite:///{db}")
    workers = [spawn(db, logs[0], 3), spawn(db, logs[1], 3)]
    keys = [f"two-{i}" for i in range(FLOWS)]
    for key in keys:
        rt.start(procs.crash_flow, key, procs.STEPS_PER_FLOW, id=key)
        rt.send_event(key, "poke", procs.EVENT_VALUE)
    for proc in workers:
        finish(proc, rt, keys)
    check_everything(rt, keys)
    a, b = executions(logs[0]), executions(logs[1])
    assert sum(a.values()) > 0 and sum(b.values()) > 0  # both did work
    both = a + b
    assert set(both.values()) == {1}  # no step ran twice: never by both workers under a live lease
    rt.close()
