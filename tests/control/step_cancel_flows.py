"""Steps that run while their instance is canceled (issue 14): a plain step polling
``wfc.step_context().cancel_requested`` and an ``async`` step cancelled at its ``await``. In-process signals
(threading events) say when each has started and how it ended; they are not timing assertions."""

from __future__ import annotations

import asyncio
import threading

import wfc

STARTED = {"sync": threading.Event(), "async": threading.Event()}
SEEN: dict[str, str] = {}


def reset() -> None:
    for event in STARTED.values():
        event.clear()
    SEEN.clear()


@wfc.step
def patient(tag: str) -> str:
    STARTED["sync"].set()
    ctx = wfc.step_context()
    for _ in range(3000 if tag != "m" else 1):  # up to 60 s: stops as soon as the cancel is seen
        if ctx.cancel_requested:
            SEEN[tag] = "saw the cancel"
            return "stopped early"
        threading.Event().wait(0.02)
    SEEN[tag] = "never saw it"
    return "ran out"


@wfc.step
async def waits_forever(tag: str) -> str:
    STARTED["async"].set()
    try:
        await asyncio.sleep(120)
    except asyncio.CancelledError:
        SEEN[tag] = "cancelled"
        raise
    SEEN[tag] = "not cancelled"
    return "slept"


@wfc.step
def cleanup(tag: str) -> bool:
    return wfc.step_context().cancel_requested  # started after the cancel: False


@wfc.workflow
def runs_patient(tag: str) -> wfc.Workflow[str]:
    try:
        return (yield from patient(tag))
    except wfc.Canceled:
        flag = yield from cleanup(tag)
        SEEN[f"{tag} cleanup"] = f"cleanup saw {flag}"
        raise


@wfc.workflow
def runs_async(tag: str) -> wfc.Workflow[str]:
    return (yield from waits_forever(tag))
