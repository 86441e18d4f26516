"""Named queues in the durable runtime, on both stores, on a fake clock: each limit, priority, partitions, dedup,
queued status, starts by name (``wfc.Client``) and two runtimes (two workers) sharing one queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import wfc
from wfc.runtime.errors import DuplicateQueued, QueueError
from wfc.testing import FakeClock

from . import flows

T0 = dt.datetime.fromtimestamp(FakeClock().now(), dt.UTC)


def _runtime(url: str, clock: FakeClock) -> wfc.Runtime:
    return wfc.Runtime(url, workflows=[flows.job, flows.quick], clock=clock)


def _step_starts(rt: wfc.Runtime, ids: list[Any]) -> list[dt.datetime | None]:
    return [next(r.started_at for r in rt.history(i) if r.kind == "step") for i in ids]


def _states(rt: wfc.Runtime, ids: list[Any]) -> list[str]:
    return [rt.status(i).state.value for i in ids]


def _advance(rt: wfc.Runtime, clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    rt.run_until_idle()


def test_concurrency_admits_one_at_a_time_in_order(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        ids = [rt.start(flows.job, i, queue=flows.one) for i in range(3)]
        assert _states(rt, ids) == ["enqueued"] * 3
        assert [rt.status(i).queue_position for i in ids] == [1, 2, 3]
        assert rt.status(ids[0]).queue == "one"
        rt.run_until_idle()
        assert _states(rt, ids) == ["sleeping", "enqueued", "enqueued"]
        assert [rt.status(i).queue_position for i in ids] == [None, 1, 2]
        for _ in range(3):
            _advance(rt, clock, 10)
        assert [rt.result(i) for i in ids] == [0, 2, 4]
        t0 = T0
        assert _step_starts(rt, ids) == [t0 + dt.timedelta(seconds=s) for s in (10, 20, 30)]


def test_concurrency_two(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        ids = [rt.start(flows.job, i, queue="two") for i in range(5)]  # by the name of a declared queue
        rt.run_until_idle()
        assert _states(rt, ids) == ["sleeping", "sleeping", "enqueued", "enqueued", "enqueued"]
        _advance(rt, clock, 10)
        assert _states(rt, ids) == ["completed", "completed", "sleeping", "sleeping", "enqueued"]
        _advance(rt, clock, 10)
        _advance(rt, clock, 10)
        assert _states(rt, ids) == ["completed"] * 5


def test_priority_then_enqueue_order(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        first = rt.start(flows.job, 0, queue=flows.ranked)
        rt.run_until_idle()  # admitted: the others line up behind it
        later = [rt.start(flows.job, i + 1, queue=flows.ranked, priority=p) for i, p in enumerate([5, 1, 1, 0])]
        rt.run_until_idle()
        assert [rt.status(i).queue_position for i in later] == [4, 2, 3, 1]
        for _ in range(5):
            _advance(rt, clock, 10)
        starts = _step_starts(rt, [first, *later])
        order = sorted(range(5), key=lambda k: starts[k])  # type: ignore[arg-type,return-value]
        assert order == [0, 4, 2, 3, 1]


def test_partitions_have_their_own_limits(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        a1, a2, b1 = (rt.start(flows.job, i, queue=flows.tenants, partition_key=k) for i, k in enumerate("aab"))
        rt.run_until_idle()
        assert _states(rt, [a1, a2, b1]) == ["sleeping", "enqueued", "sleeping"]
        assert rt.status(a2).queue_position == 1
        _advance(rt, clock, 10)
        _advance(rt, clock, 10)
        assert _states(rt, [a1, a2, b1]) == ["completed"] * 3
        t0 = T0
        assert _step_starts(rt, [a1, a2, b1]) == [t0 + dt.timedelta(seconds=s) for s in (10, 20, 10)]


def test_rate_limit_in_a_sliding_window(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        ids = [rt.start(flows.quick, i, queue=flows.paced) for i in range(5)]
        rt.run_until_idle()
        assert _states(rt, ids) == ["completed", "completed", "enqueued", "enqueued", "enqueued"]
        _advance(rt, clock, 9.5)
        assert _states(rt, ids)[2:] == ["enqueued"] * 3  # the window has not moved on yet
        _advance(rt, clock, 0.5)
        _advance(rt, clock, 10)
        assert _states(rt, ids) == ["completed"] * 5
        t0 = T0
        assert _step_starts(rt, ids) == [t0 + dt.timedelta(seconds=s) for s in (0, 0, 10, 10, 20)]


def test_a_start_into_a_full_rate_window_waits_for_it_to_move_on(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        early = [rt.start(flows.quick, i, queue=flows.paced) for i in range(2)]
        rt.run_until_idle()
        _advance(rt, clock, 1)
        late = rt.start(flows.quick, 2, queue=flows.paced)  # the window (2 per 10s) is full until 10
        rt.run_until_idle()
        assert rt.status(late).state == "enqueued"
        assert rt.store.next_due(clock.now()) == clock.now() + 9  # a timer, not a poll
        _advance(rt, clock, 9)
        assert [rt.result(i) for i in [*early, late]] == [0, 2, 4]
        assert _step_starts(rt, [late]) == [T0 + dt.timedelta(seconds=10)]


def test_worker_concurrency_counts_per_worker(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as a, _runtime(url, clock) as b:
        ids = [a.start(flows.job, i, queue=flows.per_worker) for i in range(3)]
        a.run_until_idle()
        assert _states(a, ids) == ["sleeping", "enqueued", "enqueued"]  # a's own limit
        a.run_until_idle()
        assert _states(a, ids) == ["sleeping", "enqueued", "enqueued"]
        _advance(b, clock, 0.5)  # a left them to others: b takes one, up to its own limit
        assert _states(a, ids) == ["sleeping", "sleeping", "enqueued"]
        _advance(b, clock, 10)  # b's instance ends at 10.5: its slot takes the next
        a.run_until_idle()
        _advance(a, clock, 10)
        _advance(b, clock, 10)
        assert _states(a, ids) == ["completed"] * 3


def test_dedup_id_is_held_while_the_instance_runs(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        first = rt.start(flows.job, 1, queue=flows.unlimited, dedup_id="order-7")
        with pytest.raises(DuplicateQueued, match="order-7") as raised:
            rt.start(flows.job, 2, queue=flows.unlimited, dedup_id="order-7")
        assert raised.value.code == "WFC446" and first in str(raised.value)
        assert rt.start(flows.job, 1, id=first, queue=flows.unlimited, dedup_id="order-7") == first  # idempotent
        other = rt.start(flows.job, 3, queue=flows.unlimited, dedup_id="order-8")
        rt.run_until_idle()
        with pytest.raises(DuplicateQueued):  # still running (admitted, sleeping)
            rt.start(flows.job, 2, queue=flows.unlimited, dedup_id="order-7")
        _advance(rt, clock, 10)
        assert rt.status(first).state == "completed"
        again = rt.start(flows.job, 2, queue=flows.unlimited, dedup_id="order-7")  # free once it ended
        rt.run_until_idle()
        _advance(rt, clock, 10)
        assert rt.result(again) == 4 and rt.result(other) == 6


def test_cancel_of_a_running_instance_frees_its_slot(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        a, b, c = (rt.start(flows.job, i, queue=flows.one) for i in range(3))
        rt.run_until_idle()
        rt.cancel(b)  # enqueued: it leaves the line
        assert rt.status(b).state == "canceled" and rt.status(c).queue_position == 1
        rt.cancel(a, force=True)  # admitted: its slot goes to the next in line at once
        rt.run_until_idle()
        assert _states(rt, [a, b, c]) == ["canceled", "canceled", "sleeping"]


def test_bad_queue_options_are_refused(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        for kwargs, words in [
            ({"queue": "nowhere"}, "no queue 'nowhere'"),
            ({"queue": flows.one, "priority": 1}, "does not order by priority"),
            ({"queue": flows.tenants}, "needs partition_key"),
            ({"queue": flows.one, "partition_key": "a"}, "not partitioned"),
            ({"dedup_id": "x"}, "no queue= was given"),
            ({"queue": flows.ranked, "priority": -1}, "a priority is a whole number"),
        ]:
            with pytest.raises(QueueError, match=words) as raised:
                rt.start(flows.job, 1, **kwargs)
            assert raised.value.code == "WFC445"
        assert rt.list().items == ()  # nothing was written


def test_declared_twice_differently_is_refused() -> None:
    assert wfc.Queue("one", concurrency=1) == flows.one  # the same declaration again is the same queue
    with pytest.raises(QueueError, match="declared twice"):
        wfc.Queue("one", concurrency=3)
    with pytest.raises(QueueError, match="rate limit's count"):
        wfc.Queue("bad", rate_limit=(0, 1))
    with pytest.raises(QueueError, match="rate_limit is"):
        wfc.Queue("bad", rate_limit=(5, -1))


def test_client_enqueues_by_name(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt, wfc.Client(url, clock=clock) as client:  # the runtime recorded the queues
        ids = [client.start("quick", i, queue="ranked", priority=9 - i) for i in range(3)]
        assert client.status(ids[2]).state == "enqueued" and client.status(ids[2]).queue_position == 1
        for _ in range(4):
            _advance(rt, clock, 1)
        assert [client.result(i) for i in ids] == [0, 2, 4]
        starts = _step_starts(rt, ids)
        assert starts[2] <= starts[1] <= starts[0]  # type: ignore[operator]
        with pytest.raises(QueueError, match="no queue"):
            client.start("quick", 1, queue="nowhere")
