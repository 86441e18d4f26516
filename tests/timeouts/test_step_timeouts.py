"""Step timeouts (``@wfc.step(timeout=)``, ``.options(timeout=)``): an attempt that overruns is abandoned — its
late result ignored, the retry policy deciding — and when no attempt is left the ``yield`` raises
``wfc.StepTimeout`` (a ``wfc.Timeout`` and a ``wfc.StepFailed``); async steps are cancelled. On both stores, in
this thread (``run_until_complete``) and in a worker's threads and event loop."""

from __future__ import annotations

import time

import pytest

import wfc

from . import flows


@pytest.fixture(autouse=True)
def _release_abandoned() -> object:
    flows.release.clear()
    yield
    flows.release.set()  # let abandoned attempts end (their results are dropped)


def _run(url: str, worker: bool, wf: wfc.WorkflowDef, *args: object) -> object:
    with wfc.Runtime(url) as rt:
        wid = rt.start(wf, *args)
        if not worker:
            return rt.run_until_complete(wid)
        w = rt.worker()
        thread = w.run_in_thread()
        try:
            with wfc.Client(url) as client:
                return client.result(wid, timeout=30)
        finally:
            w.stop()
            thread.join(30)


@pytest.mark.parametrize("worker", [False, True], ids=["inline", "worker"])
def test_an_overrunning_attempt_is_abandoned_and_the_yield_raises_step_timeout(url: str, worker: bool) -> None:
    started = time.monotonic()
    label = f"{url[:5]}-{worker}"
    caught, after = _run(url, worker, flows.waits_for_hangs, label)  # type: ignore[misc]
    assert caught == ("StepTimeout", True, True, 1) and after == f"quick {label}"
    assert time.monotonic() - started < 4  # it did not wait for the step (5 s)
    assert label not in flows.finished  # abandoned, still running in its thread
    flows.release.set()
    deadline = time.monotonic() + 10
    while label not in flows.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert label in flows.finished  # it ended on its own; its late result changed nothing:
    with wfc.Runtime(url) as rt:
        assert rt.run_until_idle() == 0


@pytest.mark.parametrize("worker", [False, True], ids=["inline", "worker"])
def test_the_retry_policy_decides_and_the_step_sees_its_deadline(url: str, worker: bool) -> None:
    assert _run(url, worker, flows.retried, "r") == "r on attempt 3"


@pytest.mark.parametrize("worker", [False, True], ids=["inline", "worker"])
def test_an_async_step_is_cancelled(url: str, worker: bool) -> None:
    flows.finished.clear()
    kind, message = _run(url, worker, flows.async_hang, "s")  # type: ignore[misc]
    assert kind == "timeout" and "did not finish within 0.3 seconds" in message
    assert "cancelled s" in flows.finished


def test_per_call_limits_and_a_steps_own_timeout_error(url: str) -> None:
    assert _run(url, False, flows.per_call, 0.01) == "too slow"
    assert _run(url, False, flows.per_call, 5) == "quick x"
    assert _run(url, False, flows.own_timeout_error) == ("its own", "the step's own")  # not a StepTimeout


def test_timed_out_attempts_are_recorded(url: str) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.retried, "h")
        assert rt.run_until_complete(wid) == "h on attempt 3"
        (record,) = [r for r in rt.history(wid) if r.name == "slow_first"]
        assert record.attempts == 3
        assert len(record.failed_attempts) == 2
        assert all("did not finish within 0.3 seconds" in a.error for a in record.failed_attempts)
        assert all(a.error.startswith("StepTimeout") or "StepTimeout" in a.error for a in record.failed_attempts)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "soon", 10**20])
def test_a_bad_timeout_is_a_clear_error(bad: object) -> None:
    with pytest.raises(wfc.WfcError) as made:
        wfc.step(timeout=bad)(lambda: None)  # type: ignore[arg-type]
    assert made.value.code == "WFC402" and "timeout" in str(made.value)


def test_wfc_testing_applies_the_same_limits() -> None:
    caught, after = wfc.testing.run(flows.waits_for_hangs, "mem")  # type: ignore[misc]
    assert caught == ("StepTimeout", True, True, 1) and after == "quick mem"
    assert wfc.testing.run(flows.retried, "m") == "m on attempt 3"
    assert wfc.testing.run(flows.per_call, 0.01) == "too slow"
    assert wfc.testing.run(flows.own_timeout_error) == ("its own", "the step's own")


@pytest.mark.parametrize("which", ["child", "transaction"])
def test_a_child_or_a_transaction_takes_no_timeout(url: str, which: str) -> None:
    expected = (
        "WFC402",
        "timeout= bounds a step's attempts; a child workflow or a @wfc.transaction takes none\n"
        "  = hint: a transaction runs inside the transition; bound the work it waits for instead",
    )
    assert _run(url, False, flows.limits_a_child_or_a_transaction, which) == expected
    assert wfc.testing.run(flows.limits_a_child_or_a_transaction, which) == expected
