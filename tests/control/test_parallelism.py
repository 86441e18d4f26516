"""Fan-outs under a workpool: the runtime's max_parallelism (default 25, changed while running), a workflow's
own window (held rows, across processes, no batch barrier), and any_of canceling its losers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import wfc
from wfc.testing import FakeClock

from . import flows


def overlap(records: list[wfc.HistoryRecord]) -> int:
    """The most steps running at one moment, from the records' start and end times."""
    marks = []
    for r in records:
        assert r.started_at is not None and r.finished_at is not None, r
        marks += [(r.started_at, 1), (r.finished_at, -1)]
    running = peak = 0
    for _when, delta in sorted(marks):  # at a tie an end comes first: a slot freed, then taken
        running += delta
        peak = max(peak, running)
    return peak


def run_with_worker(rt: wfc.Runtime, wid: str, timeout: float = 60.0, **options: object) -> object:
    worker = rt.worker(**options)  # type: ignore[arg-type]
    worker.run_in_thread()
    try:
        deadline = time.monotonic() + timeout
        while not rt.status(wid).finished:
            assert time.monotonic() < deadline, rt.status(wid)
            time.sleep(0.01)
    finally:
        worker.stop()
        worker.join(10)
    return rt.result(wid)


def test_default_max_parallelism_is_25() -> None:
    with wfc.Runtime() as rt:
        assert rt.max_parallelism == 25
        rt.max_parallelism = 3
        assert rt.max_parallelism == 3
        with pytest.raises(wfc.WfcError, match="max_parallelism must be a whole number"):
            rt.max_parallelism = 0
    with pytest.raises(wfc.WfcError, match="max_parallelism"):
        wfc.Runtime(max_parallelism=-1)


def test_a_fan_out_of_1000_never_runs_more_than_10_at_once(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path}/pool.db", max_parallelism=10) as rt:
        wid = rt.start(flows.fan, 1000, 0.002)
        assert run_with_worker(rt, wid) == sum(range(1000))
        records = rt.history(wid)
        assert len(records) == 1000 and {r.status for r in records} == {"completed"}
        assert 5 <= overlap(records) <= 10


def test_max_parallelism_changes_while_running(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path}/change.db", max_parallelism=2) as rt:
        wid = rt.start(flows.fan, 300, 0.004)
        worker = rt.worker()
        worker.run_in_thread()
        try:
            while sum(r.status == "completed" for r in rt.history(wid)) < 40:
                time.sleep(0.005)
            changed = time.time()
            rt.max_parallelism = 8
            while not rt.status(wid).finished:
                time.sleep(0.01)
        finally:
            worker.stop()
            worker.join(10)
        records = rt.history(wid)
        before = [r for r in records if r.finished_at is not None and r.finished_at.timestamp() < changed]
        after = [r for r in records if r.started_at is not None and r.started_at.timestamp() > changed + 0.05]
        assert overlap(before) <= 2
        assert 3 <= overlap(after) <= 8


def test_a_workflow_window_holds_across_two_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/window.db"
    with wfc.Runtime(url) as one, wfc.Runtime(url) as two:
        wid = one.start(flows.windowed, 40, 0.005)
        first, second = one.worker(concurrency=8), two.worker(concurrency=8)
        first.run_in_thread()
        second.run_in_thread()
        try:
            deadline = time.monotonic() + 60
            while not one.status(wid).finished:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        finally:
            for w in (first, second):
                w.stop()
                w.join(10)
        assert one.result(wid) == sum(range(40))
        assert overlap(one.history(wid)) <= 3


def test_held_steps_wait_and_the_window_slides_without_a_barrier(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path}/slide.db") as rt:
        durations = [0.4] + [0.01] * 12
        wid = rt.start(flows.windowed_mixed, durations)
        rt.engine.cycle([], claim=64, capacity=0)  # the start transition only: write the fan-out
        due = [o for o in rt.status(wid).outstanding if o.due is not None]
        assert len(rt.status(wid).outstanding) == 13 and len(due) == 3  # 10 held, without a due time
        assert run_with_worker(rt, wid, concurrency=8) == list(range(13))
        records = rt.history(wid)
        assert overlap(records) <= 3
        slow = records[0]
        assert slow.finished_at is not None
        # while the slow step ran, the other two slots went through every fast step: no batch barrier
        assert all(r.finished_at is not None and r.finished_at <= slow.finished_at for r in records[1:])


def test_a_window_of_transactional_steps(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.windowed_tx, 7)
    assert rt.run_until_complete(wid) == [1] * 7
    assert [r.status for r in rt.history(wid)] == ["completed"] * 7


def test_any_of_cancels_a_losing_child_workflow(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.race_child)
    assert rt.run_until_complete(wid) == (1, "fast")
    (child,) = rt.list(parent=wid)
    assert child.state is wfc.WorkflowState.CANCELED
    assert [r.status for r in rt.history(wid)] == ["canceled", "completed"]


def test_any_of_discards_a_losing_step_that_was_running(tmp_path: Path) -> None:
    flows.reset()
    with wfc.Runtime(f"sqlite:///{tmp_path}/race.db") as rt:
        wid = rt.start(flows.race_step)
        worker = rt.worker(concurrency=2)
        worker.run_in_thread()
        try:
            while not flows.CALLS:
                time.sleep(0.005)
            rt.send_event(wid, "go", "event won")
            while not rt.status(wid).finished:
                time.sleep(0.005)
            flows.GATE.set()
            while rt.history(wid)[0].finished_at is None:
                time.sleep(0.005)
        finally:
            worker.stop()
            worker.join(10)
        assert rt.result(wid) == (1, "event won")
        loser = rt.history(wid)[0]
        assert loser.status == "canceled" and loser.attempts == 1  # it ran to the end; nobody used its result


def test_wait_with_a_timeout_and_racing_events(rt: wfc.Runtime, clock: FakeClock) -> None:
    late = rt.start(flows.event_or_timeout, 60)
    assert rt.run_until_complete(late) == "timed out"
    on_time = rt.start(flows.event_or_timeout, 60)
    rt.run_until_idle()
    rt.send_event(on_time, "approved", "yes!")
    assert rt.run_until_complete(on_time) == "yes!"
    race = rt.start(flows.first_event, 30)
    rt.run_until_idle()
    rt.send_event(race, "no", "declined")
    assert rt.run_until_complete(race) == (1, "declined")
    assert [r.status for r in rt.history(race)] == ["canceled", "completed", "canceled"]
    nobody = rt.start(flows.first_event, 30)
    assert rt.run_until_complete(nobody) == (2, None)
    assert rt.run_until_complete(nobody) == wfc.testing.run(flows.first_event, 30)
