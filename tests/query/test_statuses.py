"""``wfc.set_status(key, value)`` inside a workflow and ``rt.get_status`` / ``rt.statuses`` outside (DBOS's
set_event/get_event, Azure's custom status): written with the transition that set it, the last value per key, read
by another process, waited for without a tight poll; the same in ``wfc.testing``."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

import wfc
import wfc.testing
from wfc.testing import Event, FakeClock

from .. import pg
from . import status_flows as flows

url = pg.store_urls("status")


def test_statuses_move_with_the_workflow_in_both_runners(url: str) -> None:
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.progress, 3)
        assert rt.statuses(wid) == {}  # not started yet
        assert rt.get_status(wid, "stage", "none yet") == "none yet"
        rt.run_until_idle()
        assert rt.statuses(wid) == {"stage": "waiting for approval", "progress": {"done": 3, "of": 3}}
        assert rt.get_status(wid, "progress") == {"done": 3, "of": 3}
        rt.send_event(wid, "approve", True)
        assert rt.run_until_complete(wid) == 30
        durable = rt.statuses(wid)
    assert durable == {"stage": "approved", "progress": {"done": 3, "of": 3}}
    in_memory = wfc.testing.execute(flows.progress, 3, events=[Event("approve", True)])
    assert in_memory.value == 30 and in_memory.statuses == durable
    native = wfc.testing.execute(flows.progress, 3, events=[Event("approve", True)], native=True)
    assert native.statuses == durable


def test_a_status_set_before_a_failure_stays(url: str) -> None:
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.publishes_then_fails)
        with pytest.raises(ValueError):
            rt.run_until_complete(wid)
        assert rt.statuses(wid) == {"stage": "charging"}
        assert rt.get_status(wid, "other", "gone", timeout=None) == "gone"  # ended: nothing will set it
    assert wfc.testing.execute(flows.publishes_then_fails).statuses == {"stage": "charging"}


@pytest.mark.parametrize("which", ["key", "value", "size"])
def test_bad_keys_and_values_raise_at_the_call_in_both_runners(url: str, which: str) -> None:
    with wfc.Runtime(url, clock=FakeClock(), max_value_size=2000) as rt:
        durable = rt.run_until_complete(rt.start(flows.bad_values, which))
    in_memory = wfc.testing.run(flows.bad_values, which, max_value_size=2000)
    assert [re.sub("x[0-9a-f]{6,}", "x...", str(x)) for x in durable] == [  # a repr names an address
        re.sub("x[0-9a-f]{6,}", "x...", str(x)) for x in in_memory
    ]
    assert durable[0] == {"key": "WFC402", "value": "WFC401", "size": "WFC425"}[which]


def test_a_reader_waits_for_a_status_set_by_a_worker_elsewhere(url: str) -> None:
    """A client that imports no workflow waits (woken by the store) while a worker runs the instance."""
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.progress, 2)
        client = wfc.Client(url)
        try:
            assert client.get_status(wid, "stage", timeout=0) is None
            got: list[object] = []
            reader = threading.Thread(target=lambda: got.append(client.get_status(wid, "stage", timeout=30)))
            reader.start()
            time.sleep(0.2)
            worker = threading.Thread(target=rt.run_until_idle)
            worker.start()
            worker.join(30)
            reader.join(30)
            assert got and got[0] in ("started", "waiting for approval")
            assert client.statuses(wid)["progress"] == {"done": 2, "of": 2}
            started = time.monotonic()
            assert client.get_status(wid, "never", "default", timeout=0.3) == "default"
            assert 0.25 <= time.monotonic() - started < 5
        finally:
            client.close()


def test_statuses_outside_a_workflow_and_of_unknown_instances(url: str) -> None:
    with pytest.raises(wfc.WfcError) as outside:
        wfc.set_status("k", 1)
    assert outside.value.code == "WFC406"
    with wfc.Runtime(url) as rt:
        with pytest.raises(wfc.WfcError) as unknown:
            rt.get_status("nope", "k")
        assert unknown.value.code == "WFC420"
        wid = rt.start(flows.quiet)
        with pytest.raises(wfc.WfcError) as bad:
            rt.get_status(wid, "")
        assert bad.value.code == "WFC402"


def test_the_async_client_waits_too(url: str) -> None:
    """Woken by the store: with a poll interval far longer than the wait, the status comes at once."""
    import asyncio

    async def main(wid: str) -> object:
        client = wfc.AsyncClient(url, poll_interval=600)
        try:
            return await client.get_status(wid, "stage", timeout=30)
        finally:
            await client.close()

    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.progress, 1)
        worker = threading.Timer(0.2, rt.run_until_idle)
        worker.start()
        started = time.monotonic()
        try:
            assert asyncio.run(main(wid)) in ("started", "waiting for approval")
            assert time.monotonic() - started < 15  # not at the timeout (30 s)
        finally:
            worker.join(30)


def test_wfc_status_shows_what_an_instance_published(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from wfc.cli.main import cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.progress, 2)
        rt.run_until_idle()
    shown = CliRunner().invoke(cli, ["status", wid, "--db", url])
    assert shown.exit_code == 0, shown.output
    assert "status stage" in shown.stdout and '"waiting for approval"' in shown.stdout
    assert '{"done": 2, "of": 2}' in shown.stdout
    data = json.loads(CliRunner().invoke(cli, ["status", wid, "--db", url, "--json"]).stdout)
    assert data["statuses"] == {"stage": "waiting for approval", "progress": {"done": 2, "of": 2}}


def test_the_documented_example_runs_as_documented(tmp_path: Path) -> None:
    from examples import published_status

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "runtime.md").read_text()
    source = (root / "examples" / "published_status.py").read_text().rstrip()
    assert f"```python\n{source}\n```" in doc
    events = [Event("reviewed", True)]
    in_memory = wfc.testing.execute(published_status.resize_all, ["a", "b", "c"], events=events)
    assert in_memory.value == ["a@2x", "b@2x", "c@2x"]
    assert in_memory.statuses == {"progress": {"done": 3, "of": 3}, "stage": "published"}
    with wfc.Runtime(f"sqlite:///{tmp_path / 'ex.db'}", clock=FakeClock()) as rt:
        wid = rt.start(published_status.resize_all, ["a", "b", "c"])
        rt.run_until_idle()
        assert rt.get_status(wid, "progress") == {"done": 3, "of": 3}
        assert rt.get_status(wid, "stage") == "waiting for review"
        rt.send_event(wid, "reviewed", True)
        assert rt.run_until_complete(wid) == in_memory.value
        assert rt.statuses(wid) == in_memory.statuses


@pytest.mark.parametrize("bad", [-1, float("nan")])
def test_a_bad_wait_is_a_clear_error(url: str, bad: float) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.quiet)
        with pytest.raises(wfc.WfcError) as wait:
            rt.get_status(wid, "k", timeout=bad)
        assert wait.value.code == "WFC402" and "timeout must be a number of seconds >= 0" in str(wait.value)
