"""Schedules on a named queue, on both stores: each tick's instance starts enqueued there (as ``rt.start(...,
queue=)`` starts one), an instance still in line counts as running for ``overlap``, the options are kept with the
schedule (and checked where it is made, as ``rt.start`` checks them), the decorator and the CLI take them, and a
database from before them is migrated."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import wfc
from wfc.cli.main import cli
from wfc.runtime import schedules
from wfc.testing import FakeClock

from . import flows

UTC = dt.UTC
T0 = dt.datetime(2025, 1, 1, tzinfo=UTC)


def _clock() -> FakeClock:
    clock = FakeClock(auto_advance=False)
    clock.set(T0.timestamp())
    return clock


def _tick(minute: int, name: str = "q") -> str:
    return f"{name}@2025-01-01T00:{minute:02d}:00Z"


def test_each_tick_starts_enqueued_and_waits_its_turn(url: str) -> None:
    clock = _clock()
    with wfc.Runtime(url, clock=clock) as rt:
        made = rt.schedule("q", flows.long_job, every=60, overlap="allow", catch_up="all", queue=flows.lane)
        assert made.queue == "sched-lane" and made.priority is None and made.partition_key is None
        clock.advance(180)  # three ticks: the queue lets one in at a time
        rt.run_until_idle()
        states = {i: rt.status(i) for i in (_tick(1), _tick(2), _tick(3))}
        assert [s.state.value for s in states.values()] == ["waiting", "enqueued", "enqueued"]
        assert [s.queue for s in states.values()] == ["sched-lane"] * 3
        assert [s.queue_position for s in states.values()] == [None, 1, 2]
        rt.send_event(_tick(1), "stop")
        rt.run_until_idle()
        assert rt.status(_tick(2)).state.value == "waiting"  # the next in line, admitted when the first ended
        assert rt.status(_tick(3)).queue_position == 1
        assert [q.enqueued for q in rt.queues() if q.name == "sched-lane"] == [1]


@pytest.mark.parametrize("overlap", ["skip", "queue"])
def test_an_instance_still_in_line_counts_as_running(url: str, overlap: str) -> None:
    clock = _clock()
    with wfc.Runtime(url, clock=clock) as rt:
        holder = rt.start(flows.long_job, queue=flows.lane)  # the queue's only slot is taken
        rt.run_until_idle()
        rt.schedule("q", flows.long_job, every=60, overlap=overlap, catch_up="all", queue="sched-lane")
        clock.advance(60)
        rt.run_until_idle()
        assert rt.status(_tick(1)).state.value == "enqueued"
        clock.advance(60)
        rt.run_until_idle()  # the second tick: the first tick's instance has not even started
        assert not rt.status(_tick(1)).finished
        with pytest.raises(wfc.WfcError):
            rt.status(_tick(2))
        rt.send_event(holder, "stop")
        rt.run_until_idle()
        rt.send_event(_tick(1), "stop")
        rt.run_until_idle()
        rt.run_until_idle()
        ids = sorted(s.id for s in rt.list(limit=100) if s.id.startswith("q@"))
        assert ids == ([_tick(1)] if overlap == "skip" else [_tick(1), _tick(2)])  # queued: it starts after


def test_priority_and_partition_are_kept_with_the_schedule(url: str, tmp_path: Path) -> None:
    clock = _clock()
    with wfc.Runtime(url, clock=clock) as rt:
        rt.schedule("acme", flows.long_job, every=60, queue=flows.tenant_lanes, priority=5, partition_key="acme")
        rt.schedule("urgent", flows.long_job, every=60, queue=flows.tenant_lanes, priority=0, partition_key="acme")
        blocker = rt.start(flows.long_job, queue=flows.tenant_lanes, partition_key="acme")
        other = rt.start(flows.long_job, queue=flows.tenant_lanes, partition_key="other")
        rt.run_until_idle()
    with wfc.Runtime(url, clock=clock) as rt:  # read back from the database
        kept = rt.get_schedule("acme")
        assert (kept.queue, kept.priority, kept.partition_key) == ("sched-tenants", 5, "acme")
        clock.advance(60)
        rt.run_until_idle()
        assert rt.status(other).state.value == "waiting"  # another partition: a line of its own
        acme, urgent = _tick(1, "acme"), _tick(1, "urgent")
        assert [rt.status(i).queue_position for i in (urgent, acme)] == [1, 2]  # lower priority number first
        rt.send_event(blocker, "stop")
        rt.run_until_idle()
        assert rt.status(urgent).state.value == "waiting" and rt.status(acme).state.value == "enqueued"


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"queue": "sched-lane", "priority": 1}, "does not order by priority"),
        ({"queue": "sched-lane", "partition_key": "acme"}, "is not partitioned"),
        ({"queue": "sched-tenants"}, "needs partition_key="),
        ({"queue": "sched-tenants", "partition_key": "a", "priority": -1}, "a priority is a whole number"),
        ({"priority": 1}, "no queue= was given"),
        ({"queue": "nowhere"}, "no queue 'nowhere' is declared"),
        ({"queue": 7}, "queue= takes a wfc.Queue"),
    ],
)
def test_bad_queue_options_are_refused_where_the_schedule_is_made(url: str, options: dict[str, Any],
                                                                   fragment: str) -> None:  # fmt: skip
    with wfc.Runtime(url) as rt:
        with pytest.raises(wfc.WfcError) as bad:
            rt.schedule("s", flows.report, every=60, **options)
        assert bad.value.code == "WFC445" and fragment in str(bad.value), str(bad.value)
        with pytest.raises(wfc.WfcError) as start:  # the same error a start with these options gets
            rt.start(flows.report, **options)
        assert (start.value.code, str(start.value).split(" (")[0]) == ("WFC445", str(bad.value).split(" (")[0])
        assert rt.schedules() == []


def test_a_queue_declared_again_without_what_the_schedule_asks_skips_its_ticks(url: str) -> None:
    from wfc.runtime.store.protocol import QueueRow

    clock = _clock()
    with wfc.Runtime(url, clock=clock) as rt:
        with rt.store.transaction():  # a queue another deployment declares (not this process)
            rt.store.put_queue(QueueRow("elsewhere", 1, None, None, None, 0, 0, 0.0, 0.0))
        rt.schedule("q", flows.report, every=60, queue="elsewhere")
        with rt.store.transaction():  # that deployment declares it partitioned now
            rt.store.put_queue(QueueRow("elsewhere", 1, None, None, None, 0, 1, 0.0, 0.0))
        clock.advance(60)
        rt.run_until_idle()
        assert [s.id for s in rt.list(limit=10)] == []
        assert rt.get_schedule("q").next_at == T0 + dt.timedelta(seconds=120)  # moved on, nothing started


@pytest.fixture
def declared() -> Iterator[str]:
    """A schedule on a queue declared with ``@wfc.schedule`` (removed afterwards: a declaration is process-wide)."""

    @wfc.schedule(every=60, name="declared-on-a-queue", queue=flows.tenant_lanes, priority=3, partition_key="t")
    @wfc.workflow(name="declared-queued")
    def declared_queued() -> wfc.Workflow[str]:
        return (yield from flows.stamp("declared"))

    yield "declared-on-a-queue"
    schedules._DECLARED.pop("declared-on-a-queue", None)


def test_the_decorator_takes_the_queue_options(url: str, declared: str) -> None:
    clock = _clock()
    with wfc.Runtime(url, clock=clock) as rt:
        rt.install_schedules()
        mine = rt.get_schedule(declared)
        assert (mine.queue, mine.priority, mine.partition_key) == ("sched-tenants", 3, "t")
        clock.advance(60)
        rt.run_until_idle()
        rt.run_until_idle()
        iid = _tick(1, declared)
        assert rt.result(iid) == "ran declared" and rt.status(iid).queue == "sched-tenants"


def test_a_bad_declaration_is_refused_where_it_is_declared() -> None:
    with pytest.raises(wfc.WfcError) as bad:
        wfc.schedule(every=60, name="bad-declared", queue=flows.lane, priority=2)(flows.report)
    assert bad.value.code == "WFC445" and "does not order by priority" in str(bad.value)
    with pytest.raises(wfc.WfcError) as loose:
        wfc.schedule(every=60, name="bad-declared", partition_key="x")(flows.report)
    assert loose.value.code == "WFC445" and "no queue= was given" in str(loose.value)
    assert "bad-declared" not in schedules._DECLARED


def _wfc(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_makes_and_shows_a_schedule_on_a_queue(url: str) -> None:
    with wfc.Runtime(url) as rt:
        rt.schedule("x", flows.report, every=60)  # the queues are recorded (a worker would do it at start)
        from wfc.runtime import queues

        queues.install(rt.store, 0.0)
    code, out, err = _wfc("schedule", "add", "acme", "long-job", "--every", "60", "--queue", "sched-tenants",
                          "--priority", "4", "--partition-key", "acme", "--db", url, "--json")  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert (made["queue"], made["priority"], made["partition_key"]) == ("sched-tenants", 4, "acme")
    code, out, _ = _wfc("schedule", "add", "plain", "long-job", "--every", "60", "--queue", "sched-lane", "--db", url)
    assert code == 0 and "(on queue sched-lane)" in out, out
    code, out, _ = _wfc("schedule", "list", "--db", url)
    assert code == 0 and "queue" in out and "sched-tenants (priority 4, partition acme)" in out, out
    code, _, err = _wfc("schedule", "add", "bad", "long-job", "--every", "60", "--queue", "sched-lane",
                        "--priority", "1", "--db", url)  # fmt: skip
    assert code == 2 and err.startswith("error[WFC445]: queue 'sched-lane' does not order by priority"), err
    assert "Traceback" not in err


def _forget_the_columns(url: str) -> None:
    """Make the database one of a wfc before schedules on queues: no columns, the migration not recorded."""
    columns = ("queue", "queue_priority", "queue_partition")
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            for column in columns:
                conn.execute(f"ALTER TABLE schedules DROP COLUMN {column}")
            conn.execute("DELETE FROM wfc_migrations WHERE version=16")
        return
    import psycopg

    from wfc.runtime.store.postgres.connection import parse_url

    conninfo, schema, _ = parse_url(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for column in columns:
            conn.execute(f'ALTER TABLE "{schema}".schedules DROP COLUMN {column}')
        conn.execute(f'DELETE FROM "{schema}".wfc_migrations WHERE version=17')


def test_a_database_from_before_gets_the_columns(url: str) -> None:
    clock = _clock()
    with wfc.Runtime(url, clock=clock) as rt:
        rt.schedule("old", flows.report, every=60)
    _forget_the_columns(url)
    with wfc.Runtime(url, clock=clock) as rt:  # migrated when opened for writing
        old = rt.get_schedule("old")
        assert old.queue is None and old.every == 60
        assert rt.schedule("new", flows.report, every=60, queue=flows.lane).queue == "sched-lane"


def test_a_declared_schedule_on_a_queue_no_process_declared_is_not_installed(url: str, declared: str) -> None:
    schedules.declare("declared-on-nothing", flows.report, args=(), kwargs=None, cron=None, every=60,
                      timezone="UTC", overlap="skip", catch_up="latest", queue="undeclared-queue")  # fmt: skip
    try:
        with wfc.Runtime(url, clock=_clock()) as rt:
            with pytest.raises(wfc.WfcError) as refused:
                rt.install_schedules()
            assert refused.value.code == "WFC445" and "'undeclared-queue'" in str(refused.value)
            # The others are installed (in a whole run, other test modules have declared schedules too).
            names = {s.name for s in rt.schedules()}
            assert declared in names and "declared-on-nothing" not in names
            assert names == set(schedules._DECLARED) - {"declared-on-nothing"}
    finally:
        schedules._DECLARED.pop("declared-on-nothing", None)
