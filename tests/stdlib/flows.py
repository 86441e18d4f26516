"""Workflows the stdlib tests run in both runners (besides the examples/stdlib_*.py files)."""

from __future__ import annotations

from typing import Any

import wfc
from wfc.stdlib import (
    CompensationFailed,
    PollTimedOut,
    Saga,
    http,
    map_batches,
    map_items,
    map_window,
    poll_until,
    wait_for_approval,
)

FAST = wfc.RetryPolicy(max_attempts=3, initial_backoff=2.0, jitter=0)


@wfc.workflow
def fetch(url: str, method: str = "GET", max_retry_after: float = 3600.0) -> wfc.Workflow[Any]:
    try:
        resp = yield from http.request(method, url, retry=FAST, max_retry_after=max_retry_after, timeout=5)
    except http.HTTPStatusError as exc:
        return ("status", exc.status, exc.requests, str(exc), exc.body)
    except http.HTTPUnavailable as exc:
        return ("unavailable", "no response" in str(exc))
    return ("ok", resp.status, resp.json() if resp.text else None, wfc.now().isoformat())


@wfc.workflow
def fetch_with(url: str, key: Any) -> wfc.Workflow[Any]:
    resp = yield from http.request("PUT", url, idempotency_key=key, content="raw", headers={"X-A": "1"})
    return resp.json()


@wfc.workflow
def bad_request(what: str) -> wfc.Workflow[Any]:
    """Calls request() with one bad argument: the WfcError is raised in this workflow, at the call."""
    bad: dict[str, Any] = {
        "method": {"method": "FETCH"},
        "url": {"url": "ftp://example.com"},
        "body": {"json": {}, "content": "x"},
        "timeout": {"timeout": -1},
        "retry": {"retry": 3},
        "headers": {"headers": {"a": 1}},
        "key": {"idempotency_key": ""},
    }[what]
    args = {"method": "GET", "url": "http://127.0.0.1:9/", **bad}
    resp = yield from http.request(args.pop("method"), args.pop("url"), **args)
    return resp.status


# ---- saga --------------------------------------------------------------------------------------------------------


@wfc.step
def undo(what: str) -> str:
    return f"undid {what}"


@wfc.step
def undo_badly(what: str) -> str:
    raise ValueError(f"cannot undo {what}")


@wfc.workflow
def child_undo(what: str) -> wfc.Workflow[str]:
    done = yield from undo(f"child {what}")
    return done


@wfc.workflow
def unwind_all(items: list[str], bad: list[str]) -> wfc.Workflow[Any]:
    saga = Saga()
    for item in items:
        yield from undo(f"prepare {item}")
        saga = saga.push(undo_badly(item) if item in bad else undo(item))
    saga = saga.push(child_undo("last"))
    try:
        undone = yield from saga.unwind()
    except CompensationFailed as exc:
        return ("failed", str(exc), exc.failures, len(saga))
    return ("ok", undone, len(saga))


@wfc.workflow
def push_a_result() -> wfc.Workflow[Any]:
    saga = Saga()
    done = yield from undo("x")
    saga = saga.push(done)  # type: ignore[arg-type]  # the mistake: a result, not a call
    return len(saga)


@wfc.step(retry=wfc.RetryPolicy(max_attempts=2, initial_backoff=5.0, jitter=0))
def undo_later(what: str) -> str:
    if wfc.step_context().attempt == 1:
        raise ConnectionError("the booking service is down for a moment")
    return f"undid {what} at last"


@wfc.workflow
def unwind_slowly() -> wfc.Workflow[Any]:
    saga = Saga().push(undo("a")).push(undo_later("b")).push(undo("c"))
    undone = yield from saga.unwind()
    return undone


# ---- approval ----------------------------------------------------------------------------------------------------


@wfc.workflow
def approve_plainly() -> wfc.Workflow[Any]:
    decision = yield from wait_for_approval(timeout=60, event="ok")
    return (decision.approved, decision.timed_out, decision.reminders)


@wfc.workflow
def bad_approval(what: str) -> wfc.Workflow[Any]:
    bad: dict[str, Any] = {
        "timeout": {"timeout": "soon"},
        "remind_every": {"remind_every": 0, "notify": undo},
        "notify": {"notify": approve_plainly},
        "event": {"event": ""},
        "reminders without notify": {"remind_every": 5},
    }[what]
    decision = yield from wait_for_approval(**{"timeout": 60, **bad})
    return decision.approved


# ---- map and poll ------------------------------------------------------------------------------------------------

TWO = map_window(2)
RUNNING_NOW: list[int] = []  # calls of `slow` running at this moment (the durable runtime runs them on threads)
MOST: list[int] = [0]


@wfc.step
def double(n: int) -> int:
    return 2 * n


@wfc.step
async def slow(n: int) -> int:
    import asyncio

    RUNNING_NOW.append(n)
    MOST[0] = max(MOST[0], len(RUNNING_NOW))
    await asyncio.sleep(0.02 if n % 3 else 0.06)  # real time: the window is about calls running at once
    RUNNING_NOW.remove(n)
    return n * n


@wfc.step
def short_batch(ns: list[int]) -> list[int]:
    return ns[:-1]


@wfc.workflow
def doubled(ns: list[int], batch: int) -> wfc.Workflow[Any]:
    one = yield from map_items(double, ns)
    two = yield from TWO.map(double, ns)
    if batch > 1:
        three = yield from TWO.map_batches(short_batch if batch == 99 else doubles, ns, batch)
        return (one, two, three)
    return (one, two)


@wfc.step
def doubles(ns: list[int]) -> list[int]:
    return [2 * n for n in ns]


@wfc.workflow
def squares(ns: list[int]) -> wfc.Workflow[list[int]]:
    out = yield from TWO.map(slow, ns)
    return out


@wfc.workflow
def bad_map(what: str) -> wfc.Workflow[Any]:
    if what == "items":
        out = yield from map_items(double, {1, 2})  # type: ignore[arg-type]
    elif what == "step":
        out = yield from map_items(approve_plainly, [1])  # type: ignore[arg-type]
    elif what == "batch":
        out = yield from map_batches(doubles, [1], 0)
    else:
        out = yield from map_window(3).map(double, [1])
    return out


@wfc.step
def counter(name: str) -> int:
    COUNTS[name] = COUNTS.get(name, 0) + 1
    return COUNTS[name]


COUNTS: dict[str, int] = {}


@wfc.step
def at_least_three(n: int) -> bool:
    return n >= 3


@wfc.workflow
def poll_counter(name: str, every: float, timeout: float, with_predicate: bool) -> wfc.Workflow[Any]:
    try:
        got = yield from poll_until(counter, [name], predicate=at_least_three if with_predicate else None,
                                    every=every, timeout=timeout)  # fmt: skip
    except PollTimedOut as exc:
        return ("timed out", exc.polls, exc.last, str(exc), wfc.now().isoformat())
    return ("done", got, wfc.now().isoformat())


@wfc.workflow
def bad_poll(what: str) -> wfc.Workflow[Any]:
    bad: dict[str, Any] = {
        "step": {"step": approve_plainly},
        "predicate": {"predicate": map_items},
        "args": {"args": "abc"},
        "every": {"every": float("nan")},
        "timeout": {"timeout": -1},
    }[what]
    out = yield from poll_until(**{"step": counter, "args": ("x",), "every": 1, "timeout": 5, **bad})
    return out
