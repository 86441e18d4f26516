"""Many worker processes on one PostgreSQL database (issue 12): SIGKILLed workers, a stopped worker losing its
leases, the server restarted under a running worker. Real processes, a real server, no mocks."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import wfc

from .. import pg
from . import flows

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def spawn(
    url: str, lease: float = 5.0, concurrency: int = 8, wait: bool = True, poll: float = 0.05, trace: str = ""
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.store.worker_proc", url, str(lease), str(concurrency), str(poll), trace],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    if not wait:
        return proc
    line = proc.stdout.readline()
    assert line.startswith("ready"), (line, proc.stderr.read() if proc.stderr else "")
    return proc


def stop(procs: list[subprocess.Popen[str]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.terminate()
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


@pytest.fixture
def url() -> Iterator[str]:
    with pg.schema_url("mp") as u:
        yield f"{u}&pool_size=4"


def _ledger(rt: wfc.Runtime, table: str) -> list[tuple[str, int]]:
    with rt.db() as db:
        return [(str(k), int(v)) for k, v in db.execute(f"SELECT key, value FROM {table}").fetchall()]


def _wait_all(rt: wfc.Runtime, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(rt.status(i).finished for i in ids):
            return
        time.sleep(0.1)
    unfinished = [(i, rt.status(i).state.value, rt.status(i).blocked) for i in ids if not rt.status(i).finished]
    raise AssertionError(f"{len(unfinished)} workflows did not finish: {unfinished[:5]}")


def test_four_workers_sigkilled_thirty_times(url: str) -> None:
    """200 workflows x 20 steps (transactional steps, plain steps, an event each) on 4 worker processes; a random
    worker is SIGKILLed 30 times and replaced. Every workflow completes with the native result, every
    transactional effect happens exactly once, no event is lost or taken twice, no transition commits twice."""
    workflows, steps = 200, 20
    schema = url.split("schema=")[1].split("&")[0]
    table = f'"{schema}".ledger'
    rng = random.Random(12)
    with wfc.Runtime(url) as rt:
        with rt.db() as db:
            db.execute(f"CREATE TABLE {table} (key TEXT, value INTEGER)")
        ids = [rt.start(flows.crash_flow, table, f"k{i}", steps, id=f"mp-{i}") for i in range(workflows)]
        workers = [spawn(url) for _ in range(4)]
        dead: list[subprocess.Popen[str]] = []
        try:
            sent = 0
            for kill in range(30):
                time.sleep(rng.uniform(0.1, 0.5))
                victim = rng.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait(10)
                dead.append(workers[victim])
                workers[victim] = spawn(url, wait=False)  # up while the others go on
                # events arrive during the run: some before their wait, some while it waits
                for _ in range(workflows // 30 + 1):
                    if sent < workflows:
                        rt.send_event(ids[sent], "go", sent)
                        sent += 1
                assert kill < 30
            while sent < workflows:
                rt.send_event(ids[sent], "go", sent)
                sent += 1
            _wait_all(rt, ids, timeout=240)
        finally:
            stop(workers)
        assert all(p.returncode == -signal.SIGKILL for p in dead)
        for i, wid in enumerate(ids):
            assert rt.status(wid).state.value == "completed", (wid, rt.status(wid))
            assert rt.result(wid) == flows.crash_expected(steps, i), wid
        ledger = _ledger(rt, table)
        expected = sorted((f"k{i}", v) for i in range(workflows) for v in range(0, steps, 4))
        assert sorted(ledger) == expected  # each transactional effect exactly once
        for wid in ids:
            history = rt.history(wid)
            events = [h for h in history if h.kind == "event"]
            assert len(events) == 1 and events[0].status == "completed"
            assert len(history) == steps  # one record per command: no transition committed twice
        with rt.db() as db:
            unconsumed = db.execute(
                f'SELECT count(*) FROM "{schema}".events WHERE consumed_seq IS NULL'
            ).fetchone()[0]
            total = db.execute(f'SELECT count(*) FROM "{schema}".events').fetchone()[0]
        assert (unconsumed, total) == (0, workflows)


def test_a_stopped_worker_loses_its_lease_and_cannot_commit_over_the_next(url: str, tmp_path: Path) -> None:
    """SIGSTOP a worker in the middle of a step: once its lease ends (``lease`` seconds: it cannot heartbeat),
    another worker takes the step and finishes the workflow. SIGCONT: the first worker's outcome is refused."""
    lease = 2.0
    schema = url.split("schema=")[1].split("&")[0]
    table = f'"{schema}".ledger'
    marker = tmp_path / "marker"
    with wfc.Runtime(url) as rt:
        with rt.db() as db:
            db.execute(f"CREATE TABLE {table} (key TEXT, value INTEGER)")
        first = spawn(url, lease=lease)
        second: subprocess.Popen[str] | None = None
        try:
            wid = rt.start(flows.held, table, "s", str(marker), 3.0)
            deadline = time.monotonic() + 30
            # the step has written its pid (the file exists from its open(), a moment before the write lands)
            while not (marker.exists() and marker.read_text().split()) and time.monotonic() < deadline:
                time.sleep(0.02)
            first.send_signal(signal.SIGSTOP)
            stopped = time.monotonic()
            second = spawn(url, lease=lease)
            while len(marker.read_text().split()) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            taken_over = time.monotonic() - stopped
            pids = [int(p) for p in marker.read_text().split()]
            assert pids == [first.pid, second.pid]
            # the documented bound: the lease, plus the other worker's poll and this machine's noise
            assert taken_over < lease + 3.0, taken_over
            first.send_signal(signal.SIGCONT)  # its step ends and it tries to commit the outcome
            assert rt.run_until_complete(wid, timeout=60) is not None
            time.sleep(3.5)  # long enough for the first worker's late outcome to arrive
            assert rt.result(wid) == [second.pid, 1]
            (step, tx) = rt.history(wid)
            assert step.result == second.pid and tx.result == 1
            assert _ledger(rt, table) == [("s", 1)]
        finally:
            stop([first] + ([second] if second else []))


RESTART = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"]


@pytest.mark.skipif(
    not os.environ.get("WFC_TEST_PG_RESTART"),
    reason="restarts the shared PostgreSQL server: only where WFC_TEST_PG_RESTART=1 (.ci/run sets it)",
)
def test_the_server_restarted_under_a_running_worker(url: str) -> None:
    """The worker's connections die with the server; it logs, reconnects and goes on; nothing is lost and no
    transactional effect happens twice."""
    schema = url.split("schema=")[1].split("&")[0]
    table = f'"{schema}".ledger'
    with wfc.Runtime(url) as rt:
        with rt.db() as db:
            db.execute(f"CREATE TABLE {table} (key TEXT, value INTEGER)")
        worker = spawn(url)
        try:
            ids = [rt.start(flows.steady, table, f"r{i}", 30, id=f"r-{i}") for i in range(10)]
            time.sleep(0.5)
            subprocess.run(RESTART, check=True, timeout=60)
            assert worker.poll() is None  # still running
            deadline = time.monotonic() + 120
            while True:  # this runtime's own pool reconnects too
                try:
                    if all(rt.status(i).finished for i in ids):
                        break
                except wfc.WfcError:
                    pass
                assert time.monotonic() < deadline, "workflows did not finish after the restart"
                time.sleep(0.2)
            assert worker.poll() is None
        finally:
            stop([worker])
        assert worker.stderr is not None
        log = worker.stderr.read()
        assert "WFC440" in log or "cannot reach" in log or "terminat" in log, log  # it did see the restart
        assert "Traceback" not in log, log
        for wid in ids:
            assert rt.result(wid) == sum(range(30)), wid
        expected = sorted((f"r{i}", v) for i in range(10) for v in range(0, 30, 5))
        assert sorted(_ledger(rt, table)) == expected
