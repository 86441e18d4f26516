"""Workflows whose spans the tracing tests read: steps (one that fails once, an async one, a transactional one,
each opening a span of its own), a child workflow, a sleep, a wait for an event."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

import wfc

ATTEMPTS: dict[str, int] = {}


def _inner(name: str) -> None:
    with trace.get_tracer("app").start_as_current_span(f"inside {name}"):
        pass


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=1.0))
def flaky(key: str) -> str:
    _inner("flaky")
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] == 1:
        raise ConnectionError("first attempt fails")
    return key.upper()


@wfc.step
async def fetch(key: str) -> int:
    _inner("fetch")
    return len(key)


@wfc.transaction
def record(db: Any, key: str) -> bool:
    _inner("record")
    return True


@wfc.step
def boom(key: str) -> None:
    raise ValueError(f"no {key}")


@wfc.workflow(name="trace_child")
def child(key: str) -> wfc.Workflow[int]:
    return (yield from fetch(key))


@wfc.workflow(name="trace_parent")
def parent(key: str) -> wfc.Workflow[str]:
    up = yield from flaky(key)
    n = yield from child(key)
    yield from record(key)
    yield from wfc.sleep(10)
    try:
        yield from boom(key)
    except ValueError:
        pass
    return f"{up}:{n}"


@wfc.step
def plain(key: str) -> str:
    _inner("plain")
    return key


@wfc.workflow(name="trace_worker")
def on_a_worker(key: str) -> wfc.Workflow[int]:
    yield from plain(key)
    n = yield from fetch(key)  # an async step: on the worker's event loop
    yield from record(key)
    return n


@wfc.workflow(name="trace_wait")
def waits(key: str) -> wfc.Workflow[str]:
    go = yield from wfc.wait_event("go")
    return (yield from plain(f"{key}{go}"))
