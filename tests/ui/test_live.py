"""Live updates: ``/api/live`` says "change" when another process moves what the page shows — woken by the
store (SQLite's datagrams, PostgreSQL's NOTIFY) at once, not at the next tick; and changes that send no
wake-up are caught by the tick (one read per page)."""

from __future__ import annotations

import threading
import time

import httpx

import wfc
from wfc.testing import FakeClock
from wfc.ui import create_app

from . import flows
from .conftest import Server


def _first_change(server: Server, params: dict[str, str], act: object, within: float) -> float:
    """Seconds from ``act()`` to the stream's first ``change`` (fails after ``within``)."""
    with (
        httpx.Client(base_url=server.url, timeout=within + 5) as http,
        http.stream("GET", "/api/live", params=params) as s,
    ):
        lines = s.iter_lines()
        assert next(lines).startswith("retry:")
        started = time.monotonic()
        timer = threading.Timer(0.0, act)  # type: ignore[arg-type]
        timer.start()
        for line in lines:
            if line == "event: change":
                return time.monotonic() - started
            assert time.monotonic() - started < within, "no change"
    raise AssertionError("the stream ended")


def test_a_wake_up_from_another_process_is_pushed_at_once(
    rt: wfc.Runtime, url: str, clock: FakeClock
) -> None:
    rt.start(flows.approval, "x", id="l-1")
    rt.run_until_idle()
    with Server(create_app(url, tick=60.0)) as server:  # no tick within the test: only a wake-up can tell
        took = _first_change(server, {"instance": "l-1"}, lambda: rt.send_event("l-1", "approved", "v"), 20)
        assert took < 10
        took = _first_change(
            server, {"state": "waiting"}, lambda: rt.start(flows.approval, "y", id="l-2"), 20
        )
        assert took < 10


def test_without_wake_ups_changes_are_seen_at_the_tick(clock: FakeClock) -> None:
    """An in-memory database sends no wake-ups (``Store.notifies`` is false): the tick alone finds the change."""
    with wfc.Runtime("sqlite:///:memory:", clock=clock) as rt:
        assert not rt.store.notifies
        rt.start(flows.approval, "x", id="l-1")
        rt.run_until_idle()
        with Server(create_app(runtime=rt, tick=TICK)) as server:
            took = _first_change(
                server, {"instance": "l-1"}, lambda: rt.send_event("l-1", "approved", "v"), 20
            )
            assert took < 10


TICK = 0.3
