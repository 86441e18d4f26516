"""Waiting for a report an external service builds, by polling it every minute for up to an hour
(docs/stdlib.md embeds this file)."""

from __future__ import annotations

from typing import Any

import wfc
from wfc.stdlib import PollTimedOut, poll_until

READY_AFTER: dict[str, int] = {}  # stands in for the service: how many polls a report takes


@wfc.step
def report_status(report_id: str) -> dict[str, Any]:
    polls = READY_AFTER.setdefault(f"{report_id}:seen", 0) + 1
    READY_AFTER[f"{report_id}:seen"] = polls
    done = polls >= READY_AFTER.get(report_id, 1)
    return {"state": "done" if done else "running", "url": f"/reports/{report_id}" if done else None}


@wfc.step
def is_done(status: dict[str, Any]) -> bool:  # a predicate is a step: it is persisted by its key
    return bool(status["state"] == "done")


@wfc.workflow
def fetch_report(report_id: str) -> wfc.Workflow[str | None]:
    try:
        status = yield from poll_until(report_status, (report_id,), predicate=is_done, every=60, timeout=3600)
    except PollTimedOut:
        return None
    return str(status["url"])
