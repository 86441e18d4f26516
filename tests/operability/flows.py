"""Workflows the operability tests share (importable by worker subprocesses as ``tests.operability.flows``)."""

from __future__ import annotations

import asyncio
import time
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


@wfc.step
async def async_double(x: int) -> int:
    return 2 * x


@wfc.workflow
def async_doubler(x: int) -> Any:
    y = yield async_double(x)
    return y


@wfc.transaction
def record_it(db: Any, x: int) -> int:
    db.execute("CREATE TABLE IF NOT EXISTS seen (x INTEGER)")
    db.execute("INSERT INTO seen VALUES (?)", (x,))
    return x


@wfc.workflow
def parent_of(x: int) -> Any:
    a = yield record_it(x)
    b = yield doubler(a)
    c, d = yield wfc.all_of(doubler(1), doubler(2))
    e = yield wfc.wait_event("go")
    f = yield wfc.wait_event("go")
    return [a, b, c, d, e, f]


PEAK = {"now": 0, "max": 0}
_PEAK_LOCK = __import__("threading").Lock()


@wfc.step
def slow(i: int) -> int:
    import time

    with _PEAK_LOCK:
        PEAK["now"] += 1
        PEAK["max"] = max(PEAK["max"], PEAK["now"])
    time.sleep(0.2)
    with _PEAK_LOCK:
        PEAK["now"] -= 1
    return i


@wfc.workflow
def fan_out(n: int) -> Any:
    got = yield wfc.all_of([slow(i) for i in range(n)])
    return got


@wfc.workflow
def fan_out_failing(n: int) -> Any:
    try:
        yield wfc.all_of([*[slow(i) for i in range(n)], check_account("bad-in-fan-out")])
    except InvalidAccountError as exc:
        return f"refused: {exc}"
    return "ok"


@wfc.step(retry=wfc.RetryPolicy(max_attempts=2, initial_backoff=5.0))
def explode(x: int) -> int:
    inner_helper_of_explode(x)
    return x


def inner_helper_of_explode(x: int) -> None:
    raise ValueError(f"exploded on {x}")


@wfc.workflow
def explodes(x: int) -> Any:
    y = yield explode(x)
    return y


@wfc.workflow
def broken_code(x: int) -> Any:
    y = yield double(x)
    z = {"a": 1}["b" if y else "a"]
    return z


@wfc.workflow
def parent_of_explodes(x: int) -> Any:
    total = x
    total += yield explodes(x)
    return total


@wfc.step(retry=wfc.RetryPolicy(max_attempts=10, initial_backoff=1.0, max_backoff=10.0))
def fails_then_works(key: str, failures: int) -> int:
    """Fails ``failures`` times per key (a message naming the attempt), then returns the attempt that worked."""
    return fail_n_times.fn(key, failures)


@wfc.workflow
def retried(key: str, failures: int) -> Any:
    attempts = yield fails_then_works(key, failures)
    return attempts


@wfc.step(retry=wfc.RetryPolicy(max_attempts=None, initial_backoff=1.0, max_backoff=5.0))
def huge_failure(key: str, failures: int) -> int:
    """Fails with a very long message from deep recursion, ``failures`` times."""
    FAILS[key] = FAILS.get(key, 0) + 1
    if FAILS[key] <= failures:
        _recurse(200, "x" * 50_000)
    return FAILS[key]


def _recurse(depth: int, message: str) -> None:
    if depth:
        _recurse(depth - 1, message)
    raise ValueError(message)


@wfc.workflow
def huge(key: str, failures: int) -> Any:
    return (yield huge_failure(key, failures))


@wfc.workflow
def race_a_retry(key: str) -> Any:
    return (yield wfc.any_of(fails_then_works(key, 5), wfc.sleep(0.5)))


@wfc.transaction(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=1.0))
def tx_fails(db: Any, key: str, failures: int) -> int:
    return fail_n_times.fn(key, failures)


@wfc.workflow
def tx_retried(key: str, failures: int) -> Any:
    return (yield tx_fails(key, failures))


CLOCKS: dict[str, Any] = {}
"""A key's fake clock: what a slow attempt's work takes is spent on it (``takes_time_then_fails``)."""


@wfc.step(retry=wfc.RetryPolicy(max_attempts=4, initial_backoff=1.0, max_backoff=1.0))
def takes_time_then_fails(key: str, failures: int, seconds: float) -> int:
    """Each attempt works ``seconds`` (on the key's fake clock), failing ``failures`` times."""
    clock = CLOCKS.get(key)
    if clock is not None:
        clock.advance(seconds)
    return fail_n_times.fn(key, failures)


@wfc.workflow
def slow_retried(key: str, failures: int, seconds: float) -> Any:
    return (yield takes_time_then_fails(key, failures, seconds))


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=0.0))
async def async_slow_fails(key: str, failures: int, seconds: float) -> int:
    """An async step whose attempts each take ``seconds`` of real time, failing ``failures`` times."""
    await asyncio.sleep(seconds)
    return fail_n_times.fn(key, failures)


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=0.0))
def sync_slow_fails(key: str, failures: int, seconds: float) -> int:
    """A plain step whose attempts each take ``seconds`` of real time, failing ``failures`` times."""
    time.sleep(seconds)
    return fail_n_times.fn(key, failures)


@wfc.workflow
def slow_in_a_worker(key: str, seconds: float) -> Any:
    a = yield async_slow_fails(key + "-async", 1, seconds)
    b = yield sync_slow_fails(key + "-sync", 1, seconds)
    return [a, b]
