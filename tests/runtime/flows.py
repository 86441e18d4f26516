"""Workflows and steps the runtime tests share (importable by worker subprocesses as ``tests.runtime.flows``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

import attrs

import wfc

CALLS: list[tuple[str, Any]] = []


@attrs.frozen
class Order:
    id: str
    amount: float


@wfc.step
def add(a: int, b: int) -> int:
    CALLS.append(("add", (a, b)))
    return a + b


@wfc.step
def echo(x: Any) -> Any:
    CALLS.append(("echo", x))
    return x


@wfc.step
async def async_double(x: int) -> int:
    CALLS.append(("async_double", x))
    return 2 * x


FLAKY: dict[str, int] = {}


@wfc.step
def flaky(key: str, failures: int) -> str:
    """Fails ``failures`` times per key, then succeeds."""
    FLAKY[key] = FLAKY.get(key, 0) + 1
    CALLS.append(("flaky", key))
    if FLAKY[key] <= failures:
        raise ConnectionError(f"attempt {FLAKY[key]} of {key}")
    return f"ok after {FLAKY[key]}"


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=1.0, jitter=0.0))
def flaky_with_policy(key: str, failures: int) -> str:
    return flaky.fn(key, failures)


@wfc.step
def fail(message: str) -> None:
    CALLS.append(("fail", message))
    raise ValueError(message)


@wfc.step
def big(n: int) -> str:
    return "x" * n


@wfc.transaction
def record(db: Any, key: str, value: int) -> int:
    db.execute("INSERT INTO ledger (key, value) VALUES (?, ?)", (key, value))
    return int(db.execute("SELECT count(*) FROM ledger").fetchone()[0])


@wfc.transaction
def record_then_fail(db: Any, key: str) -> None:
    db.execute("INSERT INTO ledger (key, value) VALUES (?, ?)", (key, -1))
    raise RuntimeError("rolled back")


@wfc.transaction(inline=True)
def record_inline(db: Any, key: str, value: int) -> int:
    db.execute("INSERT INTO ledger (key, value) VALUES (?, ?)", (key, value))
    return value


@wfc.workflow
def adder(a: int, b: int) -> int:
    total = yield add(a, b)
    return total


@wfc.workflow
def chain(n: int) -> int:
    total = 0
    for _ in range(n):
        total = yield add(total, 1)
    return total


@wfc.workflow
def typed(order: Order, when: dt.datetime, count: int = 1) -> Generator[Any, Any, str]:
    yield echo(order.id)
    return f"{order.id}:{order.amount}:{when.year}:{count}"


@wfc.workflow
def keep(data: Any) -> Any:
    yield echo(1)
    return data


@wfc.workflow
def bad_return() -> int:
    yield echo(1)
    return "not an int"  # type: ignore[return-value]


@wfc.workflow
def retrying(key: str, failures: int) -> str:
    value = yield flaky(key, failures).options(retry=True)
    return value


@wfc.workflow
def not_retried(key: str) -> str:
    try:
        value = yield flaky(key, 1)
    except ConnectionError as exc:
        return f"caught {exc} after {exc.attempts}"
    return value


@wfc.workflow(retry=wfc.RetryPolicy(max_attempts=2, initial_backoff=0.5, jitter=0.0))
def workflow_policy(key: str, failures: int) -> str:
    value = yield flaky(key, failures)
    return value


@wfc.workflow
def step_policy(key: str, failures: int) -> str:
    value = yield flaky_with_policy(key, failures)
    return value


@wfc.workflow
def never_retry(key: str) -> str:
    value = yield flaky_with_policy(key, 1).options(retry=False)
    return value


@wfc.workflow
def sleeper(seconds: float) -> str:
    before = wfc.now()
    yield wfc.sleep(seconds)
    after = wfc.now()
    return f"{(after - before).total_seconds():g}"


@wfc.workflow
def delayed(after: float) -> int:
    value = yield add(1, 2).options(run_after=after)
    return value


@wfc.workflow
def scheduled(at: dt.datetime) -> str:
    yield echo("x").options(run_at=at)
    return wfc.now().isoformat()


@wfc.workflow
def approval(timeout: float | None = None) -> Any:
    try:
        decision = yield wfc.wait_event("approved", timeout=timeout)
    except wfc.Timeout as exc:
        return f"timeout: {exc}"
    except wfc.StepFailed as exc:
        return f"rejected: {exc.message}"
    return decision


@wfc.workflow
def two_events() -> Any:
    first = yield wfc.wait_event("e")
    second = yield wfc.wait_event("e")
    return [first, second]


@wfc.workflow
def ledger(key: str) -> int:
    n = yield record(key, 1)
    yield echo(n)
    return n


@wfc.workflow
def ledger_fail(key: str) -> str:
    try:
        yield record_then_fail(key)
    except RuntimeError as exc:
        return f"caught {exc}"
    return "no"


@wfc.workflow
def ledger_inline(key: str) -> int:
    a = yield record_inline(key, 1)
    b = yield record_inline(key, 2)
    return a + b


@wfc.workflow
def fan_out(n: int) -> list[int]:
    values = yield wfc.all_of([add(i, i) for i in range(n)])
    return values


@wfc.workflow
def race(timeout: float) -> Any:
    winner = yield wfc.any_of(wfc.wait_event("go"), wfc.sleep(timeout))
    return winner


@wfc.workflow
def instant_race() -> Any:
    winner = yield wfc.any_of(echo("slow"), wfc.wait_event("go"), wfc.sleep(0))
    return winner


@wfc.workflow
def all_of_failure() -> str:
    try:
        yield wfc.all_of(add(1, 1), fail("boom"), wfc.sleep(10))
    except ValueError as exc:
        return f"caught {exc}"
    return "no"


@wfc.workflow
def nested_groups() -> Any:
    out = yield wfc.all_of(wfc.any_of(wfc.sleep(5), wfc.wait_event("a")), add(1, 2), wfc.all_of())
    return out


@wfc.workflow
def parent(n: int) -> int:
    total = yield chain(n)
    doubled = yield async_double(total)
    return doubled


@wfc.workflow
def failing_child() -> None:
    yield echo("child")
    raise KeyError("missing")


@wfc.workflow
def parent_of_failure() -> str:
    try:
        yield failing_child()
    except KeyError as exc:
        return f"caught {type(exc).__name__} {exc}"
    return "no"


@wfc.workflow
def logs(n: int) -> int:
    wfc.log.info("start %d", n)
    x = yield add(n, 1)
    wfc.log.info("got %d", x)
    return x


@wfc.workflow
def deterministic() -> Any:
    a = (wfc.random(), str(wfc.uuid4()), wfc.now().isoformat())
    yield echo(1)
    b = (wfc.random(), str(wfc.uuid4()), wfc.now().isoformat())
    return [a, b]


@wfc.workflow
def hoarder(n: int) -> int:
    data = "y" * n
    x = yield echo(1)
    try:
        y = yield echo(2)
    except wfc.StepFailed as exc:
        return f"{type(exc).__name__}: {exc}"  # type: ignore[return-value]
    return len(data) + x + y


@wfc.workflow
def big_result(n: int) -> str:
    try:
        value = yield big(n)
    except wfc.StepFailed as exc:
        return f"{exc.type_name}: {exc}"
    return value


@wfc.workflow
def bad_yield() -> Any:
    thing = [5]
    x = yield thing[0]
    return x


@wfc.workflow
def does_not_compile() -> Any:
    x = yield 5
    return x


DONE: list[tuple[str, Any, Any]] = []


@wfc.step
def on_done(workflow_id: str, completion: Any, context: Any) -> None:
    DONE.append((workflow_id, completion, context))


@wfc.transaction
def on_done_tx(db: Any, workflow_id: str, completion: Any, context: Any) -> None:
    db.execute("INSERT INTO ledger (key, value) VALUES (?, ?)", (f"done:{workflow_id}:{completion.state}", 1))
