"""Events under real concurrency: a signal-style loop with a worker, the same with worker processes killed at
random moments, and four processes sending events to one instance at once."""

from __future__ import annotations

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
from .test_crash import ROOT, finish

SIGNALS = 30


def _spawn(args: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.runtime.procs", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline().strip() if ready else "(nothing within 60 s)"
    if line != "ready":
        proc.kill()
        raise AssertionError(f"process did not start: {line} {proc.stderr.read() if proc.stderr else ''}")
    return proc


def test_a_signal_loop_with_a_worker_takes_every_signal(tmp_path: Path) -> None:
    # Signals arrive in bursts while the loop's race waits: the event of the losing wait_event is not lost, the next
    # round takes it.
    rt = wfc.Runtime(f"sqlite:///{tmp_path / 'signals.db'}")
    worker = rt.worker(concurrency=2)
    thread = worker.run_in_thread()
    try:
        for run in range(20):
            wid = rt.start(procs.signal_flow, SIGNALS, id=f"signals-{run}")
            for i in range(SIGNALS):
                rt.send_event(wid, procs.signal_name(i), i)
                if i % 7 == 3:
                    time.sleep(0.002)  # some in a burst, some while the loop runs
            assert rt.run_until_complete(wid, timeout=30) == list(range(SIGNALS))
    finally:
        worker.stop()
        thread.join()
        rt.close()


@pytest.mark.slow
def test_a_signal_loop_survives_workers_killed_at_random_moments(tmp_path: Path) -> None:
    db, log = tmp_path / "signals.db", tmp_path / "steps.log"
    rng = random.Random(10)
    rt = wfc.Runtime(f"sqlite:///{db}")
    keys = [f"sig-{i}" for i in range(4)]
    for key in keys:
        rt.start(procs.signal_flow, SIGNALS, id=key)
    sent = dict.fromkeys(keys, 0)
    kills = 0
    while kills < 8:
        proc = _spawn([str(db), str(log), "4", "signal_flow"])
        time.sleep(rng.uniform(0.0, 0.2))
        for key in keys:  # a burst to every instance while the worker runs
            for _ in range(rng.randint(0, 5)):
                if sent[key] < SIGNALS:
                    rt.send_event(key, procs.signal_name(sent[key]), sent[key])
                    sent[key] += 1
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        kills += 1
    for key in keys:
        while sent[key] < SIGNALS:
            rt.send_event(key, procs.signal_name(sent[key]), sent[key])
            sent[key] += 1
    finish(_spawn([str(db), str(log), "4", "signal_flow"]), rt, keys)
    for key in keys:
        assert rt.result(key) == list(range(SIGNALS)), key  # every signal once, in the order sent
    with rt.db() as db_handle:
        counts = db_handle.execute("SELECT count(*), count(consumed_seq) FROM events").fetchone()
    assert tuple(counts) == (len(keys) * SIGNALS, len(keys) * SIGNALS)
    rt.close()


@pytest.mark.slow
def test_four_processes_send_events_to_one_instance(tmp_path: Path) -> None:
    db = tmp_path / "senders.db"
    per_sender, senders = 40, 4
    rt = wfc.Runtime(f"sqlite:///{db}")
    wid = rt.start(procs.signal_flow, per_sender * senders, id="target")
    worker = rt.worker(concurrency=2)
    thread = worker.run_in_thread()
    try:
        procs_ = [_spawn(["send", str(db), wid, f"p{j}", str(per_sender)]) for j in range(senders)]
        for p in procs_:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs_:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0 and out.strip() == "sent", err
        got = rt.run_until_complete(wid, timeout=60)
    finally:
        worker.stop()
        thread.join()
    # exactly once each, and in one order: the order they were committed (the events table's ids)
    assert sorted(got) == sorted(f"p{j}-{i}" for j in range(senders) for i in range(per_sender))
    with rt.db() as handle:
        order = [row[0] for row in handle.execute("SELECT value FROM events ORDER BY id").fetchall()]
    assert got == [wfc.convert.loads(v) for v in order]
    for j in range(senders):  # each sender's own events in the order it sent them
        mine = [v for v in got if v.startswith(f"p{j}-")]
        assert mine == [f"p{j}-{i}" for i in range(per_sender)]
    rt.close()
