"""Workflows the operability tests share (importable by worker subprocesses as ``tests.operability.flows``)."""

from __future__ import annotations

from typing import Any

import wfc

FAILS: dict[str, int] = {}


@wfc.register_error
class InvalidAccountError(Exception):
    """An app's error, named in non_retryable by its bare class name (Temporal's spelling)."""


@wfc.step
def fail_n_times(key: str, failures: int) -> int:
    """Fails ``failures`` times per key, then returns the number of attempts it took."""
    FAILS[key] = FAILS.get(key, 0) + 1
    if FAILS[key] <= failures:
        raise ConnectionError(f"attempt {FAILS[key]} of {key}")
    return FAILS[key]


@wfc.workflow(retry=wfc.RetryPolicy(max_attempts=None, initial_backoff=1.0, max_backoff=3600.0))
def forever(key: str, failures: int) -> Any:
    """Retried without a limit, an hour apart at most: thousands of attempts over months."""
    attempts = yield fail_n_times(key, failures)
    return attempts


CHECKS: list[str] = []


@wfc.step(retry=wfc.RetryPolicy(max_attempts=5, initial_backoff=0.0, non_retryable=["InvalidAccountError"]))
def check_account(account: str) -> str:
    CHECKS.append(account)
    if account.startswith("bad"):
        raise InvalidAccountError(f"no account {account}")
    raise ConnectionError("flaky")


@wfc.workflow
def verify(account: str) -> Any:
    try:
        yield check_account(account)
    except InvalidAccountError as exc:
        return f"refused: {exc}"
    except wfc.StepFailed as exc:
        return f"gave up after {exc.attempts}"
    return "ok"


@wfc.step
def double(x: int) -> int:
    return 2 * x


@wfc.workflow
def doubler(x: int) -> Any:
    y = yield double(x)
    return y


@wfc.step
def calls_a_step(x: int) -> Any:
    return double(x)  # a mistake: inside a step, this would build a command nobody runs


@wfc.workflow
def nested_caller(x: int) -> Any:
    y = yield calls_a_step(x)
    return y
