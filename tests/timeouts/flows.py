"""Steps that overrun their time limit (tests/timeouts)."""

from __future__ import annotations

import asyncio
import threading
import time

import wfc

finished: list[str] = []  # what abandoned attempts did once they ran to their end
release = threading.Event()


@wfc.step(timeout=0.3)
def hangs(label: str) -> str:
    release.wait(5)  # far longer than its limit, unless the test lets it go
    finished.append(label)
    return f"late {label}"


@wfc.step(timeout=0.3, retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=0.01))
def slow_first(label: str) -> str:
    ctx = wfc.step_context()
    if ctx.attempt < 3:
        time.sleep(1.0)
    assert ctx.deadline is not None
    return f"{label} on attempt {ctx.attempt}"


@wfc.step(timeout=0.3)
async def hangs_async(label: str) -> str:
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        finished.append(f"cancelled {label}")
        raise
    return "never"


@wfc.step
def quick(label: str) -> str:
    time.sleep(0.05)
    return f"quick {label}"


@wfc.step
def raises_timeout_error() -> str:
    raise TimeoutError("the step's own")


@wfc.workflow
def waits_for_hangs(label: str) -> wfc.Workflow[object]:
    try:
        return (yield from hangs(label))
    except wfc.StepTimeout as exc:
        caught = (type(exc).__name__, isinstance(exc, wfc.Timeout), isinstance(exc, wfc.StepFailed), exc.attempts)
    after = yield from quick(label)
    return caught, after


@wfc.workflow
def retried(label: str) -> wfc.Workflow[str]:
    return (yield from slow_first(label))


@wfc.workflow
def async_hang(label: str) -> wfc.Workflow[object]:
    try:
        return (yield from hangs_async(label))
    except wfc.Timeout as exc:
        return ("timeout", str(exc))


@wfc.workflow
def per_call(limit: float) -> wfc.Workflow[object]:
    try:
        return (yield from quick("x").options(timeout=limit))
    except wfc.StepTimeout:
        return "too slow"


@wfc.workflow
def own_timeout_error() -> wfc.Workflow[object]:
    try:
        return (yield from raises_timeout_error())
    except wfc.StepTimeout:
        return "wrongly a step timeout"
    except TimeoutError as exc:
        return ("its own", str(exc))


@wfc.transaction
def record(db: object, label: str) -> str:
    return label


@wfc.workflow
def limits_a_child_or_a_transaction(which: str) -> wfc.Workflow[object]:
    try:
        if which == "child":
            return (yield from retried("c").options(timeout=1))
        return (yield from record("t").options(timeout=1))
    except wfc.WfcError as exc:
        return (exc.code, str(exc))
