"""Retries: backoff never overflows, unlimited attempts, non_retryable by bare class name; in both runners."""

from __future__ import annotations

import random

import pytest

import wfc
import wfc.testing
from wfc.errors import WfcError
from wfc.testing import FakeClock

from . import flows


@pytest.mark.parametrize("attempt", [1, 2, 10, 1_024, 1_025, 5_000, 10**9])
def test_backoff_is_capped_before_it_can_overflow(attempt: int) -> None:
    policy = wfc.RetryPolicy(max_attempts=None, initial_backoff=0.5, backoff_base=2.0, max_backoff=60.0)
    expected = min(0.5 * 2.0 ** min(attempt - 1, 1000), 60.0)
    assert policy.backoff(attempt, 0.5) == pytest.approx(expected)


def test_backoff_random_policies_never_raise() -> None:
    rng = random.Random(7)
    for _ in range(500):
        policy = wfc.RetryPolicy(
            max_attempts=None,
            initial_backoff=rng.choice([0.0, 1e-9, 0.5, 3.0, 1e6]),
            backoff_base=rng.choice([1.0, 1.0001, 2.0, 10.0, 1e6]),
            max_backoff=rng.choice([0.0, 1.0, 60.0, 1e9]),
            jitter=rng.random(),
        )
        attempt = rng.choice([1, 2, 100, 1_024, 1_025, 10**6])
        delay = policy.backoff(attempt, rng.random())
        assert 0.0 <= delay <= policy.max_backoff * (1 + policy.jitter) + 1e-9


def test_max_attempts_must_be_a_positive_whole_number_or_none() -> None:
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(WfcError, match="max_attempts must be a whole number >= 1 or None"):
            wfc.RetryPolicy(max_attempts=bad)  # type: ignore[arg-type]
    assert wfc.RetryPolicy(max_attempts=None).max_attempts is None


FAILURES = 2_000  # beyond 1,024 attempts, where 2.0 ** (attempt - 1) overflowed


def test_unlimited_attempts_for_months_durable() -> None:
    clock = FakeClock()
    with wfc.Runtime(clock=clock) as rt:
        wid = rt.start(flows.forever, "durable", FAILURES)
        assert rt.run_until_complete(wid) == FAILURES + 1
        history = rt.history(wid)
        step = next(r for r in history if r.kind == "step")
        assert step.attempts == FAILURES + 1 and step.status == "completed"
        months = (step.finished_at - step.scheduled_at).total_seconds() / (30 * 86400)
        assert months > 2.5  # about an hour between attempts after the first dozen


def test_unlimited_attempts_for_months_testing() -> None:
    result = wfc.testing.execute(flows.forever, "testing", FAILURES)
    assert result.unwrap() == FAILURES + 1
    assert len(result.calls) == FAILURES + 1
    assert (result.finished_at - result.calls[0].at).total_seconds() > 2.5 * 30 * 86400


def test_non_retryable_bare_class_name_matches_durable(rt: wfc.Runtime) -> None:
    flows.CHECKS.clear()
    bad = rt.start(flows.verify, "bad-1")
    assert rt.run_until_complete(bad) == "refused: no account bad-1"
    assert flows.CHECKS == ["bad-1"], "an InvalidAccountError is not retried"
    good = rt.start(flows.verify, "flaky-1")
    assert rt.run_until_complete(good) == "gave up after 5"


def test_non_retryable_bare_class_name_matches_testing() -> None:
    flows.CHECKS.clear()
    assert wfc.testing.run(flows.verify, "bad-2") == "refused: no account bad-2"
    assert flows.CHECKS == ["bad-2"]
    assert wfc.testing.run(flows.verify, "flaky-2") == "gave up after 5"


def test_non_retryable_names_full_bare_and_classes() -> None:
    policy = wfc.RetryPolicy(non_retryable=["InvalidAccountError", "billing.CardDeclined", KeyError])
    assert policy.non_retryable == ("InvalidAccountError", "KeyError", "billing.CardDeclined")
    assert not policy.retries(["tests.operability.flows.InvalidAccountError", "Exception"])
    assert not policy.retries(["billing.CardDeclined"])
    assert policy.retries(["shop.CardDeclined", "Exception"]), "a dotted name names one class"
    assert not policy.retries(["KeyError", "LookupError"])
    assert policy.retries(["ValueError", "Exception"])
    assert not wfc.RetryPolicy(non_retryable="ValueError").retries(
        ["ValueError"]
    )  # one name, not its letters


@pytest.mark.parametrize("bad", [["not a name"], [""], [3], ["a..b"], [int]])
def test_non_retryable_refuses_what_can_never_match(bad: list[object]) -> None:
    with pytest.raises(WfcError, match="non_retryable takes exception classes or their names") as info:
        wfc.RetryPolicy(non_retryable=bad)  # type: ignore[arg-type]
    assert info.value.code == "WFC402"
