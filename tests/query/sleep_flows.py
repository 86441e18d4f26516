"""Workflows that sleep until a datetime (tests/query/test_sleep_until.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import wfc


@wfc.workflow
def until_nine(days: int) -> list[str]:
    start = wfc.now()
    paris = ZoneInfo("Europe/Paris")
    local = start.astimezone(paris) + dt.timedelta(days=days)
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    yield from wfc.sleep_until(nine)
    woke = wfc.now()
    yield wfc.sleep_until(start)  # already past: wakes at once
    return [nine.isoformat(), woke.astimezone(paris).isoformat(), str(woke == nine), str(wfc.now() == woke)]


@wfc.workflow
def naive() -> None:
    yield wfc.sleep_until(dt.datetime(2030, 1, 1))
