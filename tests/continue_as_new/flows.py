"""Workflows that continue as new (issue 14): shared by the durable tests (both stores, a worker killed with
SIGKILL), the twin comparisons and docs/runtime.md."""

from __future__ import annotations

import time
from typing import Any

import wfc


@wfc.step
def tick(n: int) -> int:
    return n + 1


@wfc.workflow
def counter(n: int, until: int) -> wfc.Workflow[int]:
    """Counts to ``until``, one run per count: each run keeps one step's history."""
    n = yield from tick(n)
    if n < until:
        return wfc.continue_as_new(n, until)
    return n


@wfc.workflow
def inbox(seen: list[str], until: int) -> wfc.Workflow[list[str]]:
    """One event per run; events sent while a run ran (or between runs) wait for the next."""
    got = yield from wfc.wait_event("msg", timeout=30)
    seen = [*seen, got]
    if len(seen) < until:
        return wfc.continue_as_new(seen, until=until)
    return seen


@wfc.workflow
def parent_of_counter(until: int) -> wfc.Workflow[list[int]]:
    """A parent waits for the final run of its child, called and started."""
    called = yield from counter(0, until)
    handle = yield from wfc.start_child(counter, 10, 10 + until)
    joined = yield from wfc.join(handle)
    return [called, joined]


@wfc.workflow
def draws(n: int) -> wfc.Workflow[list[Any]]:
    """wfc.random() is seeded by the instance and the transition: each run draws anew."""
    yield from wfc.sleep(1)
    if n > 0:
        return wfc.continue_as_new(n - 1)
    return [wfc.random(), str(wfc.uuid4())]


@wfc.workflow
def bad_continuation(n: int) -> wfc.Workflow[int]:
    yield from tick(n)
    return wfc.continue_as_new("not a number")


@wfc.workflow
def starts_and_continues(n: int) -> wfc.Workflow[str]:
    """The children a run started end with it, unless detached."""
    kept = yield from wfc.start_child(sleeper.options(detached=True), n)
    dropped = yield from wfc.start_child(sleeper, n)
    if n == 0:
        return wfc.continue_as_new(1)
    return f"{kept.id} {dropped.id}"


@wfc.workflow
def sleeper(n: int) -> wfc.Workflow[int]:
    yield from wfc.sleep(100)
    return n


# ---- the SIGKILL test's workflow: a ledger row per run, written with the run's transition -------------------------


def ph(db: Any) -> str:
    return "?" if db.paramstyle == "qmark" else "%s"


@wfc.step
def pause(i: int) -> int:
    time.sleep(0.005)  # a window for the kill between transitions (not a timing assertion)
    return i


@wfc.transaction
def book(db: Any, table: str, key: str, i: int) -> int:
    db.execute(f"INSERT INTO {table} (key, i) VALUES ({ph(db)}, {ph(db)})", (key, i))
    return i


@wfc.workflow
def looper(table: str, key: str, i: int, n: int) -> wfc.Workflow[int]:
    yield from pause(i)
    yield from book(table, key, i)
    if i + 1 < n:
        return wfc.continue_as_new(table, key, i + 1, n)
    return i + 1
