"""Workflows of the PostgreSQL and SQLite multi-process benchmarks (imported by their worker processes)."""

from __future__ import annotations

import time

import wfc


@wfc.step
def inc(x: int) -> int:
    return x + 1


@wfc.step
def clock() -> float:
    """The wall time at which the step ran (same machine: comparable with the starter's clock)."""
    return time.time()


@wfc.workflow
def chain(n: int) -> int:
    total = 0
    for _ in range(n):
        total = yield inc(total)
    return total


@wfc.workflow
def stamped() -> float:
    at = yield clock()
    return at


@wfc.workflow
def sleeper(seconds: float) -> str:
    yield wfc.sleep(seconds)
    return "woke"
