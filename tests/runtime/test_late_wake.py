"""A worker that handles a timer or an event late (it was down, or busy) runs the code after it *now*: that code's
``wfc.now()`` is when it runs and the timers it sets count from then, as a Python generator resumed late would.
Before, they counted from the timer's due time, so a timeout raced against a step after a late wake had expired
before the step could start, and the step lost a race Python says it wins."""

from __future__ import annotations

import datetime as dt

import wfc
from wfc.runtime.clock import EPOCH
from wfc.testing import FakeClock

from .. import pg
from . import late_flows as flows

url = pg.store_urls("late")

MANY = 300  # more due instances than one claim takes (engine batches): the order rows are handled in varies


def test_a_timeout_raced_after_a_late_wake_starts_with_the_race(url: str) -> None:
    with wfc.Runtime(url, clock=FakeClock(EPOCH, auto_advance=False)) as rt:
        ids = []
        for i in range(MANY):
            ids.append(rt.start(flows.timeout_after_sleep, i))
            rt.start(flows.busy, i)  # steps due with the timers: they fill the slots the race's steps need
        rt.run_until_idle()
    # the timers were due at 10: a worker comes back 90 s late (a new process: nothing in memory)
    with wfc.Runtime(url, clock=FakeClock(EPOCH + dt.timedelta(seconds=100), auto_advance=False)) as rt:
        rt.run_until_idle()
        assert [rt.result(i) for i in ids] == [[1, 2 * i] for i in range(MANY)]
    # ...which is what the plain generator and wfc.testing say
    assert wfc.testing.run(flows.timeout_after_sleep, 3) == [1, 6]


def test_the_code_after_a_late_timer_sees_the_time_it_runs_at(url: str) -> None:
    clock = FakeClock(EPOCH, auto_advance=False)
    with wfc.Runtime(url, clock=clock) as rt:
        wid = rt.start(flows.clock_after_sleep)
        rt.run_until_idle()
        clock.advance(100)
        rt.run_until_idle()
        assert not rt.status(wid).finished, "the second sleep counts from 100, not from 10: due at 104"
        clock.advance(4)
        rt.run_until_idle()
        assert rt.result(wid) == [100.0, 4.0]
        sleeps = [h for h in rt.history(wid) if h.kind == "sleep"]
        assert [h.scheduled_at for h in sleeps] == [EPOCH, EPOCH + dt.timedelta(seconds=100)]
    assert wfc.testing.run(flows.clock_after_sleep) == [10.0, 4.0]  # on time: the durable result too


def test_an_event_timeout_after_a_late_wake_counts_from_the_wait(url: str) -> None:
    clock = FakeClock(EPOCH, auto_advance=False)
    with wfc.Runtime(url, clock=clock) as rt:
        wid = rt.start(flows.wait_after_sleep)
        rt.run_until_idle()
        clock.advance(100)  # 90 s late: a 30 s timeout counted from 10 would already have passed
        rt.run_until_idle()
        clock.advance(20)
        rt.send_event(wid, "go", "in time")
        rt.run_until_idle()
        assert rt.result(wid) == "in time"


def test_a_timeout_raced_after_an_event_handled_late_starts_with_the_race(url: str) -> None:
    clock = FakeClock(EPOCH, auto_advance=False)
    with wfc.Runtime(url, clock=clock) as rt:
        ids = [rt.start(flows.timeout_after_event, i) for i in range(5)]
        rt.run_until_idle()
        for wid in ids:
            rt.send_event(wid, "go")  # sent at 0, handled at 60
        clock.advance(60)
        rt.run_until_idle()
        assert [rt.result(i) for i in ids] == [[1, 2 * (i + 99)] for i in range(5)]
    assert wfc.testing.run(flows.timeout_after_event, 0, events=[wfc.testing.Event("go", at=1)]) == [1, 198]


def test_sleep_until_after_a_late_wake_still_ends_at_its_time(url: str) -> None:
    clock = FakeClock(EPOCH, auto_advance=False)
    when = EPOCH + dt.timedelta(seconds=200)
    with wfc.Runtime(url, clock=clock) as rt:
        wid = rt.start(flows.until_after_sleep, when.isoformat())
        rt.run_until_idle()
        clock.advance(100)
        rt.run_until_idle()
        clock.advance(99)
        rt.run_until_idle()
        assert not rt.status(wid).finished
        clock.advance(1)
        rt.run_until_idle()
        assert rt.result(wid) == when.isoformat()
