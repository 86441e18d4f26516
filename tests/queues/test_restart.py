"""A restart (or fork) of an instance started on a named queue, on both stores: a run that holds no slot goes back
in line — an ended instance, one never admitted, a fork — under the queue's concurrency, rate, partitions and
dedup ids; one admitted and running keeps its slot. Also from the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import wfc
from wfc.cli.main import cli
from wfc.runtime.errors import DuplicateQueued
from wfc.testing import FakeClock

from . import flows


def _runtime(url: str, clock: FakeClock) -> wfc.Runtime:
    return wfc.Runtime(url, workflows=[flows.job, flows.quick], clock=clock)


def _states(rt: wfc.Runtime, ids: list[str]) -> list[str]:
    return [rt.status(i).state.value for i in ids]


def _advance(rt: wfc.Runtime, clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    rt.run_until_idle()


def _steps(rt: wfc.Runtime, iid: str) -> list[float]:
    return [r.started_at.timestamp() for r in rt.history(iid) if r.kind == "step" and r.started_at is not None]


@pytest.mark.parametrize("from_step", [0, 1, 2])
def test_a_restart_of_an_ended_instance_waits_in_line(url: str, from_step: int) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        done = rt.start(flows.job, 1, queue=flows.one)
        rt.run_until_idle()
        _advance(rt, clock, 10)
        assert rt.result(done) == 2
        holder = rt.start(flows.job, 2, queue=flows.one)  # the queue's only slot
        rt.run_until_idle()
        assert rt.restart(done, from_step) == done
        status = rt.status(done)
        assert (status.state.value, status.queue, status.queue_position) == ("enqueued", "one", 1)
        rt.run_until_idle()
        assert _states(rt, [holder, done]) == ["sleeping", "enqueued"]  # admitted only when there is room
        assert len(_steps(rt, done)) == 0  # nothing of the restarted suspension ran
        _advance(rt, clock, 10)  # the holder ends: the restart is admitted
        assert rt.status(holder).state.value == "completed" and rt.status(done).state.value != "enqueued"
        admitted = clock.now()
        _advance(rt, clock, 10)
        assert rt.result(done) == 2
        assert _steps(rt, done)[-1] >= admitted  # its step ran again, after it was let in
        assert [q.active + q.enqueued for q in rt.queues() if q.name == "one"] == [0]


def test_a_restart_keeps_its_priority_and_partition(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        done = rt.start(flows.quick, 1, queue=flows.tenants, partition_key="acme")
        rt.run_until_idle()
        assert rt.result(done) == 2
        acme = rt.start(flows.job, 0, queue=flows.tenants, partition_key="acme")
        other = rt.start(flows.job, 0, queue=flows.tenants, partition_key="other")
        rt.run_until_idle()
        rt.restart(done, 0)
        rt.run_until_idle()
        assert _states(rt, [acme, other, done]) == ["sleeping", "sleeping", "enqueued"]  # behind acme only
        _advance(rt, clock, 10)
        assert rt.status(done).state.value == "completed"


def test_a_restart_holds_its_dedup_id_again_or_is_refused(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        first = rt.start(flows.quick, 1, queue=flows.unlimited, dedup_id="order-1")
        rt.run_until_idle()
        assert rt.result(first) == 2
        taker = rt.start(flows.job, 2, queue=flows.unlimited, dedup_id="order-1")  # free since it ended
        with pytest.raises(DuplicateQueued) as taken:
            rt.restart(first, 0)
        assert taken.value.code == "WFC446" and taker in str(taken.value)
        assert rt.status(first).state.value == "completed"  # nothing changed
        rt.run_until_idle()
        _advance(rt, clock, 10)
        rt.restart(first, 0)  # free again: the restart holds it while it runs
        with pytest.raises(DuplicateQueued):
            rt.start(flows.quick, 3, queue=flows.unlimited, dedup_id="order-1")
        rt.run_until_idle()
        assert rt.result(first) == 2


def test_a_restart_counts_against_the_rate_limit(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        a = rt.start(flows.quick, 1, queue=flows.paced)  # 2 admissions per 10s
        rt.run_until_idle()
        b = rt.start(flows.quick, 2, queue=flows.paced)
        rt.run_until_idle()
        rt.restart(a, 0)  # a third admission inside the window: it waits for the window to move on
        rt.run_until_idle()
        assert rt.status(a).state.value == "enqueued" and rt.status(b).state.value == "completed"
        _advance(rt, clock, 10)
        assert rt.result(a) == 2


def test_a_restart_of_a_running_instance_keeps_its_slot(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        running = rt.start(flows.job, 1, queue=flows.one)
        waiting = rt.start(flows.job, 2, queue=flows.one)
        rt.run_until_idle()
        rt.restart(running, 0)  # admitted and not ended: it runs again at once, in its slot
        rt.run_until_idle()
        assert _states(rt, [running, waiting]) == ["sleeping", "enqueued"]
        _advance(rt, clock, 10)
        assert rt.result(running) == 2 and rt.status(waiting).state.value == "sleeping"


def test_a_restart_of_an_instance_still_in_line_stays_in_line(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        holder = rt.start(flows.job, 1, queue=flows.one)
        waiting = rt.start(flows.job, 2, queue=flows.one)
        behind = rt.start(flows.job, 3, queue=flows.one)
        rt.run_until_idle()
        rt.restart(waiting, 0)
        rt.run_until_idle()
        assert _states(rt, [holder, waiting, behind]) == ["sleeping", "enqueued", "enqueued"]
        assert rt.status(waiting).queue_position == 1  # its place kept
        _advance(rt, clock, 10)
        assert _states(rt, [waiting, behind]) == ["sleeping", "enqueued"]
        _advance(rt, clock, 10)
        _advance(rt, clock, 10)
        assert [rt.result(i) for i in (holder, waiting, behind)] == [2, 4, 6]


def test_a_restarted_instance_canceled_in_line_leaves_it(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        done = rt.start(flows.quick, 1, queue=flows.one)
        rt.run_until_idle()
        holder = rt.start(flows.job, 1, queue=flows.one)
        rt.run_until_idle()
        rt.restart(done, 0)
        after = rt.start(flows.quick, 5, queue=flows.one)
        assert rt.cancel(done) == "canceled"  # no yield to raise at: it ends at once
        assert rt.status(after).queue_position == 1
        _advance(rt, clock, 10)
        assert _states(rt, [holder, done, after]) == ["completed", "canceled", "completed"]


def test_a_fork_is_a_new_instance_in_line_without_the_dedup_id(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        done = rt.start(flows.quick, 1, queue=flows.tenants, partition_key="acme", dedup_id="d")
        rt.run_until_idle()
        holder = rt.start(flows.job, 0, queue=flows.tenants, partition_key="acme")
        rt.run_until_idle()
        fork = rt.fork(done, 0, new_id="the-fork")
        assert (rt.status(fork).state.value, rt.status(fork).queue) == ("enqueued", "tenants")
        rt.start(flows.quick, 2, queue=flows.tenants, partition_key="b", dedup_id="d")  # the id is not the fork's
        rt.run_until_idle()
        assert rt.status(fork).state.value == "enqueued"
        _advance(rt, clock, 10)
        assert rt.status(holder).state.value == "completed" and rt.result(fork) == 2
        assert rt.status(done).state.value == "completed"  # untouched


def test_restart_from_the_cli_goes_back_in_line(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        done = rt.start(flows.quick, 1, queue=flows.one)
        rt.run_until_idle()
        rt.start(flows.job, 1, queue=flows.one)
        rt.run_until_idle()
    runner = CliRunner()
    out = runner.invoke(cli, ["restart", done, "--from-step", "0", "--db", url, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["id"] == done
    status = runner.invoke(cli, ["status", done, "--db", url])
    assert status.exit_code == 0 and "enqueued" in status.stdout and "position 1 in line" in status.stdout, status.stdout


def test_a_restart_stands_where_it_was_first_enqueued(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        done = rt.start(flows.quick, 1, queue=flows.one)
        rt.run_until_idle()
        holder = rt.start(flows.job, 1, queue=flows.one)
        later = rt.start(flows.quick, 2, queue=flows.one)
        rt.run_until_idle()
        rt.restart(done, 0)
        assert [rt.status(i).queue_position for i in (done, later)] == [1, 2]  # docs/queues.md says so
        _advance(rt, clock, 10)
        rt.run_until_idle()
        assert [rt.status(i).state.value for i in (holder, done, later)] == ["completed"] * 3
