"""A step running when its instance is canceled sees it (``wfc.step_context().cancel_requested``), and an
``async`` step is cancelled (``task.cancel()``); graceful and forced, a cancel made through the worker's own
runtime (seen at once) and by another process's client (seen at the worker's next heartbeat), on both stores.
In ``wfc.testing`` the flag is always ``False``: no virtual time passes during an attempt."""

from __future__ import annotations

import time

import pytest

import wfc

from .. import pg
from . import step_cancel_flows as flows

url = pg.store_urls("stepcancel")
WAIT = 60  # seconds an Event may take under load: a bound, not a measurement


def _until(predicate: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


@pytest.mark.parametrize("force", [False, True])
def test_a_running_step_sees_its_instance_canceled(url: str, force: bool) -> None:
    flows.reset()
    with wfc.Runtime(url, lease=0.6) as rt:
        worker = rt.worker()
        worker.run_in_thread()
        wid = rt.start(flows.runs_patient, "s")
        assert flows.STARTED["sync"].wait(WAIT)
        rt.cancel(wid, force=force)
        _until(lambda: rt.status(wid).finished, "the instance ends")
        _until(lambda: "s" in flows.SEEN, "the step ends")
        worker.stop()
        worker.join(WAIT)
        assert flows.SEEN["s"] == "saw the cancel"
        assert rt.status(wid).state is wfc.WorkflowState.CANCELED
        if not force:  # the cleanup step started after the cancel: its own flag is clear
            assert flows.SEEN["s cleanup"] == "cleanup saw False"
        record = rt.history(wid)[0]
        assert record.status == "canceled" and record.result in (None, "stopped early")  # discarded


@pytest.mark.parametrize("force", [False, True])
def test_a_running_async_step_is_cancelled(url: str, force: bool) -> None:
    flows.reset()
    with wfc.Runtime(url, lease=0.6) as rt:
        worker = rt.worker()
        worker.run_in_thread()
        wid = rt.start(flows.runs_async, "a")
        assert flows.STARTED["async"].wait(WAIT)
        rt.cancel(wid, force=force)
        _until(lambda: "a" in flows.SEEN, "the async step ends")
        _until(lambda: rt.status(wid).finished, "the instance ends")
        worker.stop()
        worker.join(WAIT)
        assert flows.SEEN["a"] == "cancelled"
        assert rt.status(wid).state is wfc.WorkflowState.CANCELED


def test_a_cancel_by_another_process_is_seen_at_the_heartbeat(url: str) -> None:
    flows.reset()
    with wfc.Runtime(url, lease=0.6) as rt:  # heartbeats every 0.2 s
        worker = rt.worker()
        worker.run_in_thread()
        wid = rt.start(flows.runs_async, "c")
        assert flows.STARTED["async"].wait(WAIT)
        with wfc.Client(url) as client:  # not the worker's runtime: nothing tells the worker at once
            client.cancel(wid)
        _until(lambda: "c" in flows.SEEN, "the async step is cancelled at a heartbeat")
        _until(lambda: rt.status(wid).finished, "the instance ends")
        worker.stop()
        worker.join(WAIT)
        assert flows.SEEN["c"] == "cancelled"


def test_in_memory_the_flag_is_clear() -> None:
    flows.reset()
    assert wfc.testing.run(flows.runs_patient, "m") == "ran out" or flows.SEEN["m"] == "never saw it"
