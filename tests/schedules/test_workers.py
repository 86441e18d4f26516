"""Two worker processes on one database, real time, a schedule ticking every second: every tick starts exactly
one instance (no tick twice, none missed while they run), each completed; on both stores."""

from __future__ import annotations

import datetime as dt
import itertools
import signal
import time

import wfc

from ..cli.helpers import spawn, wait_for
from . import flows


def test_two_workers_start_each_tick_once(url: str) -> None:
    with wfc.Runtime(url) as rt:
        workers = [spawn("worker", "--app", "tests.schedules.flows", "--db", url) for _ in range(2)]
        try:
            ready = [rt.start(flows.report, f"w{k}") for k in range(4)]  # both workers are serving once done
            wait_for(lambda: all(rt.status(i).finished for i in ready), timeout=60, what="the workers")
            made = rt.schedule("tick", flows.report, every=1, overlap="allow", args=["t"])
            assert made.next_at is not None
            wait_for(lambda: len(_ticks(rt)) >= 6, timeout=60, what="six ticks")
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            for w in workers:
                w.communicate(timeout=30)
        ids = _ticks(rt)
        times = [dt.datetime.strptime(i.split("@")[1], "%Y-%m-%dT%H:%M:%SZ") for i in ids]
        assert times == sorted(set(times)), ids  # each tick once
        steps = {(b - a).total_seconds() for a, b in itertools.pairwise(times)}
        assert steps == {1.0}, ids  # none missed: one a second, from the first
        assert times[0] == made.next_at.replace(tzinfo=None)  # from the first tick on, whole seconds
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(rt.status(i).finished for i in ids):
            rt.run_until_idle()
        assert all(rt.result(i) == "ran t" for i in ids)


def _ticks(rt: wfc.Runtime, name: str = "tick") -> list[str]:
    return sorted(s.id for s in rt.list(limit=1000) if s.id.startswith(name + "@"))


def test_two_workers_run_a_queued_schedule_one_at_a_time(url: str) -> None:
    """Ticks every second on a queue of one, each instance 1.5 s long: they line up, and the two workers never run
    two at once (asserted from the steps' start and end times in history)."""
    with wfc.Runtime(url) as rt:
        workers = [spawn("worker", "--app", "tests.schedules.flows", "--db", url) for _ in range(2)]
        try:
            ready = [rt.start(flows.report, f"w{k}") for k in range(4)]  # both workers are serving once done
            wait_for(lambda: all(rt.status(i).finished for i in ready), timeout=60, what="the workers")
            rt.schedule("lined", flows.slow_report, every=1, overlap="allow", args=["q", 1.5], queue=flows.lane)
            wait_for(lambda: len(_ticks(rt, "lined")) >= 4, timeout=60, what="four ticks")
            rt.pause_schedule("lined")
            ids = _ticks(rt, "lined")
            assert any(rt.status(i).state == "enqueued" for i in ids)  # the line is longer than the slot
            wait_for(lambda: all(rt.status(i).finished for i in ids), timeout=90, what="the line to empty")
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            for w in workers:
                w.communicate(timeout=30)
        spans = []
        for i in ids:
            assert rt.result(i) == "napped q" and rt.status(i).queue == "sched-lane"
            (step,) = [r for r in rt.history(i) if r.kind == "step"]
            spans.append((step.started_at, step.finished_at))
        spans.sort()
        assert all(b[0] >= a[1] for a, b in itertools.pairwise(spans)), spans  # one at a time
