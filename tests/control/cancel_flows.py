"""Workflows of ``test_graceful_cancel.py``: cleanup under ``except wfc.Canceled`` and ``finally``."""

from __future__ import annotations

from typing import Any

import wfc

COMPLETIONS: list[Any] = []


@wfc.step
def reserve(item: str) -> str:
    return f"reserved {item}"


@wfc.step
def release(item: str) -> str:
    return f"released {item}"


@wfc.step
def cancels_itself(item: str) -> str:
    """Cancels its own instance while it runs (as another process would): its result is then discarded."""
    ctx = wfc.step_context()
    wfc.Client(CANCEL_DB[0]).cancel(ctx.workflow_id)
    return f"discarded {item}"


CANCEL_DB: list[str] = [""]


@wfc.step
def on_done(instance_id: str, completion: wfc.Completion, context: Any) -> None:
    COMPLETIONS.append((instance_id, completion.state, completion.error))


@wfc.workflow
def booking(item: str) -> Any:
    held = yield from reserve(item)
    try:
        yield from wfc.wait_event("paid", timeout=3600)
        return "booked"
    except wfc.Canceled:
        undone = yield from release(item)
        wfc.set_status("undone", [held, undone])
        raise


@wfc.workflow
def booking_with_a_long_step(item: str) -> Any:
    try:
        return (yield from cancels_itself(item))
    finally:
        yield from release(item)


@wfc.workflow
def slow_cleanup(item: str) -> Any:
    try:
        yield from wfc.wait_event("never")
    finally:
        yield from wfc.sleep(600)
        yield from release(item)
