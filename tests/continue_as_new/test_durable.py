"""wfc.continue_as_new in the durable runtime, on both stores: runs under one id, bounded history, events carried
over, waiters (result, a parent) on the final run, the newest version, started children, and exactly once across
a worker killed with SIGKILL."""

from __future__ import annotations

import datetime as dt
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

import wfc
from wfc.cli.main import cli
from wfc.runtime.clock import EPOCH
from wfc.testing import FakeClock

from .. import pg
from ..programgen import load_module
from . import flows

url = pg.store_urls("cont")
ROOT = Path(__file__).resolve().parents[2]


def _clock(seconds: float = 0.0) -> FakeClock:
    return FakeClock(EPOCH + dt.timedelta(seconds=seconds), auto_advance=False)


def _rows(rt: wfc.Runtime, wid: str) -> int:
    """The history rows instance ``wid`` holds in the store (its start row included)."""
    inst = rt.store.get_instance(wid)
    assert inst is not None
    return len(rt.store.history(inst.n))


def test_a_counter_continues_under_one_id_with_bounded_history(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        rt.start(flows.counter, 0, 5, id="short")
        rt.start(flows.counter, 0, 200, id="long")
        rt.run_until_idle()
        assert (rt.result("short"), rt.result("long")) == (5, 200)
        assert (rt.status("short").run, rt.status("long").run) == (5, 200)
        assert _rows(rt, "long") == _rows(rt, "short") <= 2, "one run's rows, however many runs"
        history = rt.history("long")
        assert [(h.kind, h.name, h.args, h.result) for h in history] == [("step", "tick", (199,), 200)]
        assert history[0].seq > 200, "seq numbers go on across runs"


def test_events_sent_before_and_during_runs_are_carried_over(url: str) -> None:
    clock = _clock()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = rt.start(flows.inbox, [], until=3, id="inbox")
        for text in ("a", "b"):  # both before the first run takes one
            rt.send_event(wid, "msg", text)
        rt.run_until_idle()
        assert rt.status(wid).run == 3 and not rt.status(wid).finished
        rt.send_event(wid, "msg", "c")
        rt.run_until_idle()
        assert rt.result(wid) == ["a", "b", "c"]
        with rt.db() as db:
            left = db.execute("SELECT count(*) FROM events").fetchone()[0] if "sqlite" in url else None
        assert left in (1, None), "the events earlier runs took went with them (the last run's stays)"


def test_a_parent_waits_for_the_final_run_of_its_child(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        wid = rt.start(flows.parent_of_counter, 4, id="p")
        rt.run_until_idle()
        assert rt.result(wid) == [4, 14]
        assert rt.status("p/1").run == 4 and rt.status("p/2").run == 4
        assert rt.status("p/1").parent_id == "p"


def test_a_handle_and_a_client_wait_for_the_final_run(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        handle = rt.start(flows.inbox, [], until=2, id="h")
        rt.send_event("h", "msg", "x")
        rt.run_until_idle()
        assert handle.status().run == 2 and not handle.status().finished
        with pytest.raises(wfc.WfcError) as info:
            handle.result()  # still running: its first run's end was not its result
        assert info.value.code == "WFC428"
        rt.send_event("h", "msg", "y")
        rt.run_until_idle()
        assert handle.result() == ["x", "y"]
        with wfc.Client(url) as client:
            assert client.result("h", timeout=5) == ["x", "y"]


def test_arguments_the_workflow_refuses_fail_the_instance(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        wid = rt.start(flows.bad_continuation, 1, id="bad")
        rt.run_until_idle()
        status = rt.status(wid)
        assert status.state is wfc.WorkflowState.FAILED and status.run == 1
        assert "WFC" in (status.error or "") or "int" in (status.error or "")


def test_started_children_end_with_the_run_unless_detached(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        wid = rt.start(flows.starts_and_continues, 0, id="s")
        rt.run_until_idle()
        assert rt.result(wid) == "s/4 s/5", "the second run's children: seq numbers go on"
        assert rt.status("s/1").state is wfc.WorkflowState.SLEEPING  # detached: runs on
        assert rt.status("s/2").state is wfc.WorkflowState.CANCELED  # ended with the run
        assert rt.status("s/1").parent_id == "s" and rt.status("s/2").parent_id is None  # ended: unlinked


def test_each_run_draws_new_random_values(url: str) -> None:
    clock = _clock()
    with wfc.Runtime(url, clock=clock) as rt:
        a = rt.start(flows.draws, 0, id="d0")
        b = rt.start(flows.draws, 2, id="d2")
        for _ in range(4):
            rt.run_until_idle()
            clock.set(clock.now() + 1)
        rt.run_until_idle()
        assert rt.result(a) != rt.result(b)


VERSION_1 = """\
import wfc


@wfc.workflow
def eternal(n: int) -> wfc.Workflow[str]:
    yield from wfc.wait_event("next")
    return wfc.continue_as_new(n + 1)
"""

VERSION_2 = """\
import wfc


@wfc.workflow
def eternal(n: int) -> wfc.Workflow[str]:
    got = yield from wfc.wait_event("next")
    return f"version 2, run arguments {n}, got {got}"
"""


def test_the_next_run_runs_the_newest_version(url: str, tmp_path: Path) -> None:
    from wfc.compiler import serialize
    from wfc.runtime.versions import version_path

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    v1 = load_module(VERSION_1, tmp_path / "a", "cont_eternal")
    table1 = wfc.compile(v1.eternal)
    versions = tmp_path / "versions"
    path = version_path(versions, table1.name, table1.hash)
    path.parent.mkdir(parents=True)
    path.write_text(serialize.to_json(table1))  # what `wfc compile --versions DIR` ships
    with wfc.Runtime(url, clock=_clock()) as rt:
        wid = rt.start(v1.eternal, 0, id="e")
        rt.run_until_idle()
        assert rt.status(wid).table_hash == table1.hash
    load_module(VERSION_2, tmp_path / "b", "cont_eternal")  # deployed: the same workflow, new code
    with wfc.Runtime(url, clock=_clock(), versions=versions) as rt:
        rt.send_event(wid, "next", 1)  # the version-1 run ends, continuing; run 2 is version 2
        rt.run_until_idle()
        status = rt.status(wid)
        assert status.run == 2 and status.table_hash != table1.hash
        rt.send_event(wid, "next", 2)
        rt.run_until_idle()
        assert rt.result(wid) == "version 2, run arguments 1, got 2"


def test_wfc_history_says_how_many_runs_preceded(url: str) -> None:
    with wfc.Runtime(url, clock=_clock()) as rt:
        rt.start(flows.counter, 0, 3, id="c3")
        rt.run_until_idle()
    out = CliRunner().invoke(cli, ["history", "c3", "--db", url, "--app", "tests.continue_as_new.flows"])
    assert out.exit_code == 0, out.output
    assert "run 3: 2 earlier runs continued as new" in out.output and "tick" in out.output


# ---- SIGKILL ------------------------------------------------------------------------------------------------------


def _spawn(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.continue_as_new.worker", url], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline().strip() if ready else "(nothing within 60 s)"
    if line != "ready":
        proc.kill()
        raise AssertionError(f"worker did not start: {line} {proc.stderr.read() if proc.stderr else ''}")
    return proc


def test_continuing_is_exactly_once_across_sigkill(url: str) -> None:
    runs, keys = 40, ["k1", "k2", "k3"]
    table = f"cont_ledger_{uuid.uuid4().hex[:12]}"  # the application's tables are not in the store's schema
    with wfc.Runtime(url) as rt:
        with rt.db() as db:
            db.execute(f"CREATE TABLE {table} (key TEXT, i INTEGER)")
        for key in keys:
            rt.start(flows.looper, table, key, 0, runs, id=key)
        kills = 0
        while kills < 6 and not all(rt.status(k).finished for k in keys):
            proc = _spawn(url)
            time.sleep(0.05 + 0.04 * kills)  # killed at whatever moment that is: not a timing assertion
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
        proc = _spawn(url)
        try:
            deadline = time.monotonic() + 120
            while not all(rt.status(k).finished for k in keys) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        for key in keys:
            assert rt.result(key) == runs and rt.status(key).run == runs, key
            assert _rows(rt, key) <= 3, "one run's rows"
        with rt.db() as db:
            booked = sorted(tuple(r) for r in db.execute(f"SELECT key, i FROM {table}").fetchall())
            db.execute(f"DROP TABLE {table}")
        assert booked == sorted((k, i) for k in keys for i in range(runs)), "each run's transaction once"
