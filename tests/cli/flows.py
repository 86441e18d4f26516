"""Workflows the command-line tests run (imported by path, as `wfc run tests/cli/flows.py:NAME` does)."""

from __future__ import annotations

from pathlib import Path

import wfc


@wfc.step
def hello(name: str) -> str:
    return f"hello {name}"


@wfc.workflow
def greet(name: str):
    text = yield hello(name)
    return text


@wfc.step
def mark(log: str, what: str) -> str:
    """Appends a line to ``log``: how the tests count the times a step really ran."""
    with Path(log).open("a") as f:
        f.write(what + "\n")
    return what


@wfc.workflow
def nap(log: str, seconds: float):
    yield mark(log, "before")
    yield wfc.sleep(seconds)
    yield mark(log, "after")
    return "rested"


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=0.4, max_backoff=0.5))  # seen by a 0.1 s poll
def flaky(flag: str) -> str:
    path = Path(flag)
    if not path.exists():
        path.write_text("failed once")
        raise ConnectionError("try again")
    return "ok"


@wfc.step
def explode(reason: str) -> None:
    raise ValueError(reason)


@wfc.workflow
def retried(flag: str):
    first = yield flaky(flag)
    pair = yield wfc.all_of(hello("a"), hello("b"))
    return [first, *pair]


@wfc.workflow
def doomed(reason: str = "boom"):
    yield explode(reason)


@wfc.workflow
def gate(timeout: float = 30.0):
    value = yield wfc.wait_event("go", timeout=timeout)
    return {"got": value}


@wfc.workflow
def parent(name: str):
    inner = yield greet(name)
    return inner.upper()


@wfc.workflow
def typed(n: int, tags: list[str] | None = None):
    yield hello(str(n))
    return n * 2
