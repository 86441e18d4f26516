"""wfc.testing: the in-memory runner users test their workflows with (and the reference interpreter)."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import sqlite3

import attrs
import pytest

import wfc
from wfc.testing import Event


@attrs.define
class Order:
    id: str
    placed: dt.datetime
    lines: list[tuple[str, int]]


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


calls: list[str] = []


@wfc.step
def echo(x: object) -> object:
    calls.append(f"echo {x!r}")
    return x


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=10, backoff_base=2, jitter=0))
def flaky(key: str, failures: int) -> str:
    calls.append(f"flaky {key}")
    if calls.count(f"flaky {key}") <= failures:
        raise ConnectionError(f"attempt {calls.count(f'flaky {key}')}")
    return "ok"


@wfc.step(retry=wfc.RetryPolicy(max_attempts=5, non_retryable=[ValueError]))
def picky() -> None:
    calls.append("picky")
    raise ValueError("no point retrying")


@wfc.step
async def async_double(n: int) -> int:
    await asyncio.sleep(0)
    return n * 2


@wfc.transaction
def record(db: sqlite3.Connection, value: str) -> int:
    db.execute("create table if not exists t (v text)")
    db.execute("insert into t values (?)", (value,))
    return int(db.execute("select count(*) from t").fetchone()[0])


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


@wfc.workflow
def keeps_values(order: Order):
    colour = Colour.BLUE
    blob = b"\x00\xff"
    when = order.placed + dt.timedelta(days=1)
    shared = [1]
    alias = shared
    yield echo("pause")
    alias.append(2)
    return (order, colour, blob, when, shared, shared is alias)


def test_persisted_values_survive_suspensions() -> None:
    order = Order("o-1", dt.datetime(2025, 5, 1, tzinfo=dt.UTC), [("book", 2)])
    got = wfc.testing.run(keeps_values, order)
    assert got == (order, Colour.BLUE, b"\x00\xff", order.placed + dt.timedelta(days=1), [1, 2], True)


@wfc.workflow
def retries(key: str, failures: int):
    result = yield flaky(key, failures)
    return result, wfc.now()


def test_retries_with_backoff_in_virtual_time() -> None:
    run = wfc.testing.execute(retries, "a", 2)
    value, now = run.unwrap()
    assert value == "ok"
    assert [c.attempt for c in run.calls] == [1, 2, 3]
    assert [c.error is not None for c in run.calls] == [True, True, False]
    assert now == wfc.testing.EPOCH + dt.timedelta(seconds=10 + 20)  # backoffs 10 s then 20 s


def test_exhausted_retries_raise_at_the_yield() -> None:
    with pytest.raises(ConnectionError) as info:
        wfc.testing.run(retries, "b", 5)
    assert isinstance(info.value, wfc.StepFailed)
    assert info.value.attempts == 3 and info.value.step == "flaky"


@wfc.workflow
def no_retry_for_value_error():
    try:
        yield picky()
    except ValueError as e:
        return str(e)


def test_non_retryable_errors_are_not_retried() -> None:
    assert wfc.testing.run(no_retry_for_value_error) == "no point retrying"
    assert calls == ["picky"]


@wfc.workflow
def waits(timeout: float | None):
    try:
        value = yield wfc.wait_event("approval", timeout=timeout)
    except wfc.Timeout:
        return ("timeout", wfc.now())
    return (value, wfc.now())


def test_event_sent_before_the_wait_is_kept() -> None:
    assert wfc.testing.run(waits, None, events={"approval": "yes"}) == ("yes", wfc.testing.EPOCH)


def test_event_arrives_later_in_virtual_time() -> None:
    value, at = wfc.testing.run(waits, 100, events=[Event("approval", "late", at=40)])
    assert (value, at) == ("late", wfc.testing.EPOCH + dt.timedelta(seconds=40))


def test_event_after_the_timeout_raises_timeout() -> None:
    value, at = wfc.testing.run(waits, 30, events=[Event("approval", "too late", at=40)])
    assert value == "timeout" and at == wfc.testing.EPOCH + dt.timedelta(seconds=30)


def test_event_with_an_error_raises_in_the_workflow() -> None:
    with pytest.raises(wfc.StepFailed) as info:
        wfc.testing.run(waits, None, events=[Event("approval", error="rejected by finance")])
    assert info.value.message == "rejected by finance"


def test_waiting_for_an_event_never_sent_is_reported() -> None:
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(waits, None)
    assert info.value.code == "WFC408" and "approval" in str(info.value)


@wfc.workflow
def race(event_at_first: bool):
    which, value = yield wfc.any_of(wfc.wait_event("go"), wfc.sleep(60))
    second = yield wfc.wait_event("go", timeout=1000)
    return which, value, second


def test_any_of_picks_the_earliest_and_leaves_loser_events_unconsumed() -> None:
    events = [Event("go", "early", at=10), Event("go", "second", at=500)]
    assert wfc.testing.run(race, True, events=events) == (0, "early", "second")
    events = [Event("go", "late", at=100)]
    # The sleep wins at 60 s; the event at 100 s is still there for the next wait.
    assert wfc.testing.run(race, False, events=events) == (1, None, "late")


@wfc.workflow
def fan_out(n: int):
    values = yield wfc.all_of(*[echo(i) for i in range(n)], async_double(21))
    return values


def test_all_of_returns_results_in_argument_order() -> None:
    assert wfc.testing.run(fan_out, 3) == (0, 1, 2, 42)  # separate commands: a tuple, as typed


@wfc.workflow
def first_failure():
    try:
        yield wfc.all_of(echo(1), picky(), echo(2))
    except ValueError as e:
        return f"failed: {e}"


def test_all_of_raises_the_failure() -> None:
    assert wfc.testing.run(first_failure) == "failed: no point retrying"


@wfc.workflow
def transactional():
    a = yield record("x")
    b = yield record("y")
    return a, b


def test_transaction_steps_receive_the_db_handle() -> None:
    assert wfc.testing.run(transactional) == (1, 2)
    db = sqlite3.connect(":memory:")
    wfc.testing.run(transactional, db=db)
    assert db.execute("select v from t").fetchall() == [("x",), ("y",)]


@wfc.workflow
def child_fails():
    yield picky()


@wfc.workflow
def parent():
    try:
        yield child_fails()
    except ValueError as e:
        return ("child failed", type(e).__name__, isinstance(e, wfc.StepFailed))


def test_child_workflow_failure_raises_in_the_parent() -> None:
    assert wfc.testing.run(parent) == ("child failed", "ValueError", True)
    assert wfc.testing.run_native(parent) == ("child failed", "ValueError", True)


@wfc.workflow
def deterministic():
    a = (wfc.random(), str(wfc.uuid4()), wfc.now())
    yield wfc.sleep(5)
    b = (wfc.random(), str(wfc.uuid4()), wfc.now())
    return a, b


def test_deterministic_helpers_agree_between_compiled_and_native() -> None:
    compiled = wfc.testing.run(deterministic)
    native = wfc.testing.run_native(deterministic)
    assert compiled == native
    (r1, u1, t1), (r2, u2, t2) = compiled
    assert r1 != r2 and u1 != u2 and (t2 - t1) == dt.timedelta(seconds=5)
    assert wfc.testing.run(deterministic, workflow_id="other") != compiled


def test_helpers_outside_a_workflow_explain_themselves() -> None:
    with pytest.raises(wfc.WfcError) as info:
        wfc.now()
    assert info.value.code == "WFC406"


@wfc.workflow
def logs():
    wfc.log.info("before %s", 1)
    yield echo(1)
    wfc.log.info("after")


def test_logger_logs_once_per_transition(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wfc.workflow"):
        wfc.testing.run(logs)
    messages = [r.getMessage() for r in caplog.records if r.name == "wfc.workflow"]
    assert messages == ["[test] before 1", "[test] after"]


@wfc.workflow
def forever():
    while True:
        yield echo(0)


def test_endless_workflows_are_stopped() -> None:
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(forever, max_transitions=50)
    assert info.value.code == "WFC408"


def make_generator():
    return (i for i in range(3))


@wfc.workflow
def holds_a_generator():
    gen = make_generator()  # what it returns is known only when it runs (a literal one is WFC115 at compile time)
    yield echo(1)
    return list(gen)


def test_unpersistable_live_values_fail_in_tests_too() -> None:
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(holds_a_generator)
    assert info.value.code == "WFC401" and "gen" in str(info.value)


def test_wrong_arguments_are_a_clear_error() -> None:
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(retries, "a")
    assert info.value.code == "WFC405" and "failures" in str(info.value)


def test_not_a_workflow() -> None:
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(echo)  # type: ignore[arg-type]
    assert info.value.code == "WFC409"


@wfc.workflow
def takes_events(events: list[str]):
    yield echo(events)
    return events


def test_workflow_parameters_shadow_runner_options() -> None:
    assert wfc.testing.run(takes_events, events=["a"]) == ["a"]


@wfc.workflow
def divides(xs: list[int]):
    total = 0
    for x in xs:
        v = yield echo(x)
        total += v
        if total > 3:
            total = total // (x - x)
    return total


def test_tracebacks_show_the_workflows_own_file_and_line() -> None:
    import traceback

    with pytest.raises(ZeroDivisionError) as info:
        wfc.testing.run(divides, [1, 2, 3])
    frames = traceback.extract_tb(info.value.__traceback__)
    last = frames[-1]
    assert last.filename == __file__
    assert last.name == "divides"
    assert last.line == "total = total // (x - x)"
