"""Workflows and steps of the control tests (cancel, restart, fork, parallelism, on_complete, watch)."""

from __future__ import annotations

import threading
import time
from typing import Any

import wfc

CALLS: list[tuple[str, Any]] = []
DONE: list[tuple[str, Any, Any]] = []
FAILS: dict[str, int] = {}
GATE = threading.Event()  # a step that waits for it runs until the test lets it finish


def reset() -> None:
    CALLS.clear()
    DONE.clear()
    FAILS.clear()
    GATE.clear()


@wfc.step
def add(a: int, b: int) -> int:
    CALLS.append(("add", (a, b)))
    return a + b


@wfc.step
def echo(x: Any) -> Any:
    CALLS.append(("echo", x))
    return x


@wfc.step
def nap(i: int, seconds: float) -> int:
    time.sleep(seconds)
    return i


@wfc.step
def gated(x: Any) -> Any:
    CALLS.append(("gated", x))
    GATE.wait(10)
    return x


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=60.0, jitter=0.0))
def flaky(key: str, failures: int) -> str:
    FAILS[key] = FAILS.get(key, 0) + 1
    CALLS.append(("flaky", key))
    if FAILS[key] <= failures:
        raise ConnectionError(f"attempt {FAILS[key]} of {key}")
    return f"ok after {FAILS[key]}"


@wfc.transaction
def book(db: Any, key: str) -> int:
    db.execute("INSERT INTO ledger (key, value) VALUES (?, 1)", (key,))
    return int(db.execute("SELECT count(*) FROM ledger WHERE key=?", (key,)).fetchone()[0])


@wfc.workflow
def chain(n: int) -> int:
    total = 0
    for _ in range(n):
        total = yield add(total, 1)
    return total


@wfc.workflow
def steps_then_wait() -> Any:
    a = yield echo("one")
    b = yield echo("two")
    c = yield wfc.wait_event("go")
    d = yield echo("four")
    return [a, b, c, d]


@wfc.workflow
def named_steps(x: int) -> int:
    y = yield add(x, 1)
    z = yield echo(y * 10)
    yield book(f"named-{x}")
    return z


@wfc.workflow
def waits_a_day() -> str:
    yield echo("before")
    yield wfc.sleep(24 * 3600)
    return "woke"


@wfc.workflow
def retries(key: str) -> str:
    value = yield flaky(key, 5)
    return value


@wfc.workflow
def slow(x: Any) -> Any:
    value = yield gated(x)
    return value


@wfc.workflow
def child_waits(tag: str) -> Any:
    value = yield wfc.wait_event("child-go")
    return f"{tag}:{value}"


@wfc.workflow
def parent_of_two() -> Any:
    both = yield wfc.all_of(child_waits("a"), child_waits("b"))
    return both


@wfc.workflow
def parent_catches_cancel() -> str:
    try:
        yield child_waits("c")
    except wfc.Canceled as exc:
        return f"child canceled: {type(exc).__name__}"
    return "no"


@wfc.workflow
def race_child() -> Any:
    winner = yield wfc.any_of(child_waits("loser"), echo("fast"))
    return winner


@wfc.workflow
def race_step() -> Any:
    winner = yield wfc.any_of(gated("loser"), wfc.wait_event("go"))
    return winner


@wfc.workflow
def event_or_timeout(seconds: float) -> Any:
    try:
        value = yield wfc.wait_event("approved", timeout=seconds)
    except wfc.Timeout:
        return "timed out"
    return value


@wfc.workflow
def first_event(seconds: float) -> Any:
    winner = yield wfc.any_of(wfc.wait_event("yes"), wfc.wait_event("no"), wfc.sleep(seconds))
    return winner


@wfc.workflow
def fan(n: int, seconds: float) -> int:
    values = yield wfc.all_of([nap(i, seconds) for i in range(n)])
    return sum(values)


@wfc.workflow(max_parallelism=3)
def windowed(n: int, seconds: float) -> int:
    values = yield wfc.all_of([nap(i, seconds) for i in range(n)])
    return sum(values)


@wfc.workflow(max_parallelism=2)
def windowed_tx(n: int) -> list[int]:
    values = yield wfc.all_of([book(f"w{i}") for i in range(n)])
    return values


@wfc.step
def on_done(workflow_id: str, completion: Any, context: Any) -> None:
    DONE.append((workflow_id, completion, context))


@wfc.transaction
def on_done_tx(db: Any, workflow_id: str, completion: Any, context: Any) -> None:
    db.execute("INSERT INTO ledger (key, value) VALUES (?, 1)", (f"done:{workflow_id}:{completion.state}",))


HANDLER_FAILURES: dict[str, int] = {}


@wfc.transaction(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=1.0, jitter=0.0))
def on_done_raises(db: Any, workflow_id: str, completion: Any, context: Any) -> None:
    db.execute("INSERT INTO ledger (key, value) VALUES (?, 1)", (f"handler:{workflow_id}",))
    HANDLER_FAILURES[workflow_id] = HANDLER_FAILURES.get(workflow_id, 0) + 1
    if HANDLER_FAILURES[workflow_id] <= context:
        raise RuntimeError(f"handler failure {HANDLER_FAILURES[workflow_id]}")


@wfc.workflow(max_parallelism=3)
def windowed_mixed(durations: list[float]) -> list[int]:
    values = yield wfc.all_of([nap(i, d) for i, d in enumerate(durations)])
    return values
