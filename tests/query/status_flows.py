"""Workflows that publish statuses (``wfc.set_status``) for tests/query/test_statuses.py."""

from __future__ import annotations

from typing import Any

import wfc


@wfc.step
def work(n: int) -> int:
    return n * 10


@wfc.workflow
def progress(items: int) -> wfc.Workflow[int]:
    wfc.set_status("stage", "started")
    total = 0
    for i in range(items):
        total += yield from work(i)
        wfc.set_status("progress", {"done": i + 1, "of": items})
    wfc.set_status("stage", "waiting for approval")
    ok = yield from wfc.wait_event("approve")
    wfc.set_status("stage", "approved" if ok else "rejected")
    return total


@wfc.workflow
def publishes_then_fails() -> wfc.Workflow[None]:
    wfc.set_status("stage", "charging")
    yield from work(1)
    raise ValueError("card declined")


@wfc.workflow
def bad_values(which: str) -> wfc.Workflow[Any]:
    try:
        if which == "key":
            wfc.set_status("", 1)
        elif which == "value":
            wfc.set_status("x", object())
        else:
            wfc.set_status("big", "x" * 5000)
    except wfc.WfcError as exc:
        return (exc.code, str(exc))
    yield from work(0)
    return None


@wfc.workflow
def quiet() -> wfc.Workflow[int]:
    return (yield from work(2))
