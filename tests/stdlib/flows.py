"""Workflows the stdlib tests run in both runners (besides the examples/stdlib_*.py files)."""

from __future__ import annotations

from typing import Any

import wfc
from wfc.stdlib import CompensationFailed, Saga, http

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
