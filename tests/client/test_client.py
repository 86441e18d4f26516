"""wfc.Client starts workflows by name from a process without their code; the worker checks the arguments."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wfc
from wfc.runtime.errors import DuplicateId, WaitTimeout

ROOT = Path(__file__).parent.parent.parent

CLIENT_SCRIPT = """
import json, sys
import wfc

client = wfc.Client(sys.argv[1], poll_interval=0.05)
h = client.start("greet", "bob")
billed = client.start("bill", {"id": "o-7", "cents": 1200}, tip=50)
bad = client.start("bill", {"id": "o-8"}, tip="lots")
ask = client.start("approval", "ann")
client.send_event(ask, "decision", "yes")
out = {"greet": client.result(h.id, timeout=60), "bill": client.result(billed, timeout=60),
       "approval": client.result(ask, timeout=60)}
try:
    client.result(bad, timeout=60)
except wfc.WfcError as exc:
    out["bad"] = [type(exc).__name__, str(exc)]
out["bad_state"] = client.status(bad).state.value
out["imported_app"] = any(m.startswith("tests") for m in sys.modules)
print(json.dumps(out))
"""


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "wfc", "worker", "--app", "tests.client.app_flows", "--db", url],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_a_client_process_without_the_app_code_starts_and_awaits_a_worker_process(
    worker: str, tmp_path: Path
) -> None:
    script = tmp_path / "client.py"
    script.write_text(CLIENT_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, str(script), worker], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["imported_app"] is False
    assert out["greet"] == "hello bob"
    assert out["bill"] == {"order": "o-7", "cents": 1250}
    assert out["approval"] == "ann: yes"
    kind, message = out["bad"]
    assert kind == "TypeMismatch" and "missing field 'cents'" in message and "workflow bill" in message, message
    assert out["bad_state"] == "failed"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[wfc.Client, wfc.Runtime]]:
    from tests.client import app_flows

    url = f"sqlite:///{tmp_path / 'in.db'}"
    rt = wfc.Runtime(url, workflows=[app_flows.greet, app_flows.bill, app_flows.approval])
    client = wfc.Client(url, poll_interval=0.02)
    yield client, rt
    client.close()
    rt.close()


def test_arguments_that_do_not_fit_fail_the_instance_with_the_start_error(
    served: tuple[wfc.Client, wfc.Runtime],
) -> None:
    client, rt = served
    cases = [
        (("bill",), {}, "order"),  # missing
        (("bill", {"id": "o", "cents": "x"}), {}, "cents"),  # wrong type inside the class
        (("greet", "a", "b"), {}, "argument"),  # too many
        (("greet", "a"), {"nom": "b"}, "nom"),  # unknown keyword
    ]
    for args, kwargs, fragment in cases:
        h = client.start(*args, **kwargs)
        rt.run_until_idle()
        st = client.status(h)
        assert st.state == wfc.WorkflowState.FAILED, (args, st)
        with pytest.raises(wfc.WfcError) as info:
            client.result(h, timeout=5)
        assert fragment in str(info.value), (args, str(info.value))
        assert "WFC405" in (st.error or "") or "WFC405" in repr(info.value) or info.value.code == "WFC405"


def test_by_name_equals_a_direct_start(served: tuple[wfc.Client, wfc.Runtime]) -> None:
    from tests.client import app_flows

    client, rt = served
    by_name = client.start("bill", {"id": "o-1", "cents": 100}, tip=5)
    direct = rt.start(app_flows.bill, app_flows.Order("o-1", 100), tip=5)
    rt.run_until_idle()
    assert client.result(by_name, timeout=5) == rt.result(direct) == {"order": "o-1", "cents": 105}
    assert client.status(by_name).table_hash == rt.status(direct).table_hash
    assert [r.name for r in client.history(by_name)] == [r.name for r in rt.history(direct)]
    key = client.start("tests.client.app_flows:greet", "kay")  # the key works too
    rt.run_until_idle()
    assert client.result(key, timeout=5) == "hello kay"


def test_an_instance_started_by_name_is_listed_and_shown_as_a_direct_start(
    served: tuple[wfc.Client, wfc.Runtime],
) -> None:
    """By its name or key, before a worker admitted it (recorded under the reference it was started by) and
    after (recorded under the workflow's key and name, as a direct start: so `wfc list --workflow`, the gauges and
    `wfc migrate` find it)."""
    from tests.client import app_flows

    client, rt = served
    ids = {client.start("greet", "n").id, client.start("tests.client.app_flows:greet", "k").id}
    direct = rt.start(app_flows.greet, "d")

    def listed(ref: Any) -> set[str]:
        return {s.id for s in rt.list(workflow=ref).items}

    for ref in (app_flows.greet, "greet", "tests.client.app_flows:greet"):
        assert listed(ref) == ids | {direct}, ref
    rt.run_until_idle()
    for ref in (app_flows.greet, "greet", "tests.client.app_flows:greet"):
        assert listed(ref) == ids | {direct}, ref
    assert {client.status(i).workflow for i in ids} == {rt.status(direct).workflow} == {app_flows.greet.key}
    assert listed("bill") == set()


def test_ids_events_cancel_and_timeouts(served: tuple[wfc.Client, wfc.Runtime]) -> None:
    client, rt = served
    a = client.start("approval", "ann", id="ask-1")
    assert client.start("approval", "ann", id="ask-1") == a  # idempotent
    with pytest.raises(DuplicateId):
        client.start("greet", "x", id="ask-1")
    rt.run_until_idle()
    with pytest.raises(WaitTimeout):
        client.result(a, timeout=0.1)
    client.send_event(a, "decision", "no")
    rt.run_until_idle()
    assert a.result() == "ann: no"
    b = client.start("approval", "bob")
    rt.run_until_idle()
    assert b.cancel() == "requested"
    rt.run_until_idle()  # wfc.Canceled at its yield ends it
    with pytest.raises(wfc.Canceled):
        client.result(b, timeout=5)
    with pytest.raises(wfc.WfcError, match="JSON"):
        client.start("greet", object())


def test_result_waits_for_a_worker_in_another_thread(served: tuple[wfc.Client, wfc.Runtime]) -> None:
    client, rt = served
    h = client.start("approval", "cy")
    worker = rt.worker()
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        threading.Timer(0.3, lambda: client.send_event(h, "decision", "ok")).start()
        started = time.monotonic()
        assert client.result(h, timeout=30) == "cy: ok"
        assert time.monotonic() - started < 10
    finally:
        worker.stop()
        thread.join(30)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_result_is_woken_by_the_store_not_by_polling(kind: str, flavour: str, tmp_path: Path) -> None:
    """A poll interval longer than the timeout: only the store's wake-up (a datagram on SQLite, NOTIFY on
    PostgreSQL) can return the result in time, and the client reads the instance a few times, not in a loop;
    ``wfc.AsyncClient`` too, without blocking its event loop."""
    from tests.client import app_flows

    from .. import pg

    with contextlib.ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'woken.db'}" if kind == "sqlite" else stack.enter_context(pg.schema_url())
        rt = stack.enter_context(wfc.Runtime(url, workflows=[app_flows.greet]))
        client = stack.enter_context(wfc.Client(url, poll_interval=600))
        h = client.start("greet", "woken")
        statements: list[str] = []
        threading.Timer(1.0, rt.run_until_idle).start()
        started = time.monotonic()
        if flavour == "sync":
            client.store.trace(statements.append)
            assert client.result(h, timeout=60) == "hello woken"
            client.store.trace(None)
        else:

            async def main() -> tuple[object, int]:
                async with wfc.AsyncClient(url, poll_interval=600) as waiter:
                    waiter._client.store.trace(statements.append)
                    ticks = 0

                    async def ticking() -> None:  # the loop stays free while it waits
                        nonlocal ticks
                        while True:
                            await asyncio.sleep(0.05)
                            ticks += 1

                    ticker = asyncio.create_task(ticking())
                    got = await waiter.result(h, timeout=60)
                    ticker.cancel()
                    return got, ticks

            got, ticks = asyncio.run(main())
            assert got == "hello woken" and ticks >= 5
        assert time.monotonic() - started < 30
    assert len(statements) < 40, statements  # a tight loop over 1s would run hundreds


def test_a_workflow_no_worker_serves_waits_blocked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    with wfc.Client(url) as client, wfc.Runtime(url, workflows=[]) as rt:
        h = client.start("nobody", 1)
        rt.run_until_idle()
        st = client.status(h)
        assert st.state == wfc.WorkflowState.RUNNING and st.blocked and "nobody" in st.blocked


def test_async_client(served: tuple[wfc.Client, wfc.Runtime], tmp_path: Path) -> None:
    _client, rt = served

    async def main() -> object:
        async with wfc.AsyncClient(rt.store.url, poll_interval=0.02) as client:
            h = await client.start("greet", "async")
            await asyncio.to_thread(rt.run_until_idle)
            return await client.result(h, timeout=10)

    assert asyncio.run(main()) == "hello async"
