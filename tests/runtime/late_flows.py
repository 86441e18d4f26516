"""Workflows for ``test_late_wake.py``: code that runs after a timer or an event a worker handled late."""

from __future__ import annotations

import datetime as dt
from typing import Any

import wfc


@wfc.step
def double(n: int) -> int:
    return n * 2


@wfc.workflow
def timeout_after_sleep(n: int) -> Any:
    yield from wfc.sleep(10)
    which, value = yield from wfc.any_of(wfc.sleep(4), double(n))
    return [which, value]


@wfc.workflow
def clock_after_sleep() -> Any:
    before = wfc.now()
    yield from wfc.sleep(10)
    woke = wfc.now()
    yield from wfc.sleep(4)
    return [(woke - before).total_seconds(), (wfc.now() - woke).total_seconds()]


@wfc.workflow
def wait_after_sleep() -> Any:
    yield from wfc.sleep(10)
    try:
        return (yield from wfc.wait_event("go", timeout=30))
    except wfc.Timeout:
        return "timed out"


@wfc.workflow
def timeout_after_event(n: int) -> Any:
    """A fan-out wider than a worker's free slots, under a timeout: its last steps start a cycle later."""
    yield from wfc.wait_event("go")
    which, value = yield from wfc.any_of(wfc.sleep(4), wfc.all_of([double(n + i) for i in range(100)]))
    return [which, value[-1]]


@wfc.workflow
def until_after_sleep(when: str) -> Any:
    yield from wfc.sleep(10)
    yield from wfc.sleep_until(dt.datetime.fromisoformat(when))
    return wfc.now().isoformat()


@wfc.workflow
def busy(n: int) -> Any:
    """Wakes with the others and fans out: its steps take the free slots of the worker that wakes them all."""
    yield from wfc.sleep(10)
    return (yield from wfc.all_of(*[double(n + i) for i in range(4)]))
