"""Steps that read wfc.step_context() (tests/query/test_step_context.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import wfc

seen: list[tuple[str, Any]] = []


def _record(kind: str) -> dict[str, Any]:
    ctx = wfc.step_context()
    return {
        "kind": kind,
        "workflow_id": ctx.workflow_id,
        "workflow": ctx.workflow,
        "step": ctx.step,
        "attempt": ctx.attempt,
        "max_attempts": ctx.max_attempts,
    }


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=0.01, jitter=0.0))
def flaky(n: int) -> dict[str, Any]:
    info = _record("sync")
    if info["attempt"] < 3:
        raise ConnectionError(f"attempt {info['attempt']} of {n}")
    return info


@wfc.step
async def remote(n: int) -> dict[str, Any]:
    await asyncio.sleep(0)
    return _record("async")


@wfc.transaction
def booked(db: Any, n: int) -> dict[str, Any]:
    return _record("transaction")


@wfc.workflow
def uses_context(n: int) -> list[dict[str, Any]]:
    a = yield flaky(n)
    b = yield remote(n)
    c = yield booked(n)
    d = yield flaky(n).options(name="renamed", retry=wfc.RetryPolicy(max_attempts=None, initial_backoff=0.01))
    return [a, b, c, d]
