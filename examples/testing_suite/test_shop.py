"""Tests of examples/testing_suite/shop.py written with wfc's pytest fixtures (run by tests/test_pytest_plugin.py).

Run them yourself with ``pytest examples/testing_suite``: installing wfc enables the fixtures.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

import wfc
from wfc.pytest_plugin import Mocks

from .shop import CardDeclined, charge_card, checkout


def test_paid_order_in_memory(wfc_mocks: Mocks) -> None:
    wfc_mocks[charge_card] = lambda order_id, cents: f"r-{order_id}-{cents}"
    result = wfc_mocks.run(checkout, "o-1", 1200, events={"ship": "now"})
    assert result == {"order": "o-1", "status": "paid", "receipt": "r-o-1-1200", "ship": "now"}


def test_a_declined_card(wfc_mocks: Mocks) -> None:
    def declined(order_id: str, cents: int) -> str:
        raise CardDeclined(order_id)

    wfc_mocks[charge_card] = declined
    run = wfc_mocks.execute(checkout, "o-2", 99)
    assert run.unwrap() == {"order": "o-2", "status": "declined"}
    assert [c.name for c in run.calls] == ["charge_card"]  # non_retryable: one attempt


def test_a_flaky_provider_is_retried_on_virtual_time(wfc_mocks: Mocks) -> None:
    attempts = itertools.count(1)

    def flaky(order_id: str, cents: int) -> str:
        if next(attempts) < 3:
            raise ConnectionError("timeout")
        return "r-3"

    run = wfc_mocks.execute(checkout, "o-3", 5, mocks={charge_card: flaky}, events={"ship": True})
    assert run.unwrap()["receipt"] == "r-3"
    assert [c.attempt for c in run.calls if c.name == "charge_card"] == [1, 2, 3]
    assert run.finished_at - wfc.testing.EPOCH >= dt.timedelta(seconds=2 + 4 + 3600)  # backoffs and the sleep


def test_the_durable_runtime_with_a_virtual_clock(wfc_runtime: wfc.Runtime) -> None:
    # The durable runtime runs the real steps: here the payment step fails for good after its 3 attempts.
    h = wfc_runtime.start(checkout, "o-4", 10)
    with pytest.raises(wfc.StepFailed) as info:
        wfc_runtime.run_until_complete(h, timeout=60)
    assert "not reachable" in str(info.value)
    assert wfc_runtime.status(h).state == wfc.WorkflowState.FAILED


def test_a_client_on_the_same_database(
    wfc_runtime: wfc.Runtime, wfc_runtime_url: str, wfc_clock: wfc.testing.FakeClock
) -> None:
    with wfc.Client(wfc_runtime_url, clock=wfc_clock) as client:
        h = client.start("shop.checkout", "o-5", "not a number")
        wfc_runtime.run_until_idle()
        assert client.status(h).state == wfc.WorkflowState.FAILED
        assert "argument 'cents'" in (client.status(h).error or "")
