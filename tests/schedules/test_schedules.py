"""Durable schedules on both stores, on a virtual clock: cron in a time zone (across a daylight-saving change),
intervals, one instance per tick named by the tick, the overlap and catch-up policies, pause/resume/delete, the
decorator, and every bad spec a clear error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

import wfc
from wfc.testing import FakeClock

from . import flows

UTC = dt.UTC


def _ids(rt: wfc.Runtime, prefix: str) -> list[str]:
    return sorted(s.id for s in rt.list(limit=1000) if s.id.startswith(prefix + "@"))


def _clock(at: dt.datetime) -> FakeClock:
    clock = FakeClock(auto_advance=False)
    clock.set(at.timestamp())
    return clock


def test_a_cron_schedule_starts_one_instance_per_tick_in_its_time_zone(url: str) -> None:
    clock = _clock(dt.datetime(2025, 3, 28, 12, 0, tzinfo=UTC))  # a Friday; Berlin moves to summer time Sunday
    with wfc.Runtime(url, clock=clock) as rt:
        made = rt.schedule("daily", flows.report, cron="0 9 * * *", timezone="Europe/Berlin", args=["x"])
        assert made.next_at == dt.datetime(2025, 3, 29, 8, 0, tzinfo=UTC)  # 9:00 CET
        rt.run_until_idle()
        assert _ids(rt, "daily") == []  # nothing due yet
        for _day in (29, 30, 31):
            clock.set(rt.get_schedule("daily").next_at.timestamp())  # type: ignore[union-attr]
            rt.run_until_idle()
            rt.run_until_idle()  # the second run is idle: the tick started once
        assert _ids(rt, "daily") == [
            "daily@2025-03-29T08:00:00Z",  # 9:00 CET
            "daily@2025-03-30T07:00:00Z",  # 9:00 CEST: the same local time after the change
            "daily@2025-03-31T07:00:00Z",
        ]
        assert rt.result("daily@2025-03-31T07:00:00Z") == "ran x"
        assert rt.get_schedule("daily").last_id == "daily@2025-03-31T07:00:00Z"


def test_an_interval_schedule_and_its_catch_up_policies(url: str) -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    clock = _clock(start)
    with wfc.Runtime(url, clock=clock) as rt:
        for policy in ("latest", "all", "none"):  # "all" with "allow": caught-up ticks run side by side
            rt.schedule(f"every-{policy}", "report", every=60, catch_up=policy, overlap="allow")
        clock.advance(60)
        rt.run_until_idle()
        for policy in ("latest", "all", "none"):  # on time: each starts its tick
            assert _ids(rt, f"every-{policy}") == ["every-" + policy + "@2025-01-01T00:01:00Z"]
        clock.advance(5 * 60 + 30)  # five ticks missed (no worker ran), the last one 30 s ago
        rt.run_until_idle()
        assert _ids(rt, "every-latest")[1:] == ["every-latest@2025-01-01T00:06:00Z"]
        assert len(_ids(rt, "every-all")) == 6
        assert _ids(rt, "every-none")[1:] == ["every-none@2025-01-01T00:06:00Z"]  # 30 s late: within the grace
        clock.advance(10 * 60)  # ten missed, the last one 30 s late again
        rt.run_until_idle()
        assert len(_ids(rt, "every-all")) == 16
        assert len(_ids(rt, "every-latest")) == 3
        assert len(_ids(rt, "every-none")) == 3
        rt.schedule("hourly-none", "report", every=3600, catch_up="none")
        rt.schedule("hourly-latest", "report", every=3600, catch_up="latest")
        clock.advance(3 * 3600 + 600)  # down for three hours: the last tick is 10 min late, past the grace
        rt.run_until_idle()
        assert _ids(rt, "hourly-none") == [] and len(_ids(rt, "hourly-latest")) == 1
        assert all(s.next_at is not None and s.next_at > to_dt(clock.now()) for s in rt.schedules())


def to_dt(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, UTC)


@pytest.mark.parametrize("overlap", ["skip", "queue", "allow"])
def test_the_overlap_policies(url: str, overlap: str) -> None:
    clock = _clock(dt.datetime(2025, 1, 1, tzinfo=UTC))
    with wfc.Runtime(url, clock=clock) as rt:
        rt.schedule("job", flows.long_job, every=60, overlap=overlap, catch_up="all")
        clock.advance(60)
        rt.run_until_idle()
        first = "job@2025-01-01T00:01:00Z"
        assert _ids(rt, "job") == [first] and not rt.status(first).finished
        clock.advance(120)  # two more ticks while the first still runs
        rt.run_until_idle()
        got = _ids(rt, "job")
        if overlap == "skip":
            assert got == [first]
        elif overlap == "queue":
            assert got == [first]  # they wait for it
        else:
            assert got == [first, "job@2025-01-01T00:02:00Z", "job@2025-01-01T00:03:00Z"]
        rt.send_event(first, "stop")
        rt.run_until_idle()
        rt.run_until_idle()
        got = _ids(rt, "job")
        if overlap == "skip":
            assert got == [first]  # the skipped ticks are gone; the next one is at 00:04
            assert rt.get_schedule("job").next_at == to_dt(clock.now()) + dt.timedelta(seconds=60)
        elif overlap == "queue":
            assert got == [first, "job@2025-01-01T00:02:00Z"]  # one at a time, in tick order
            rt.send_event("job@2025-01-01T00:02:00Z", "stop")
            rt.run_until_idle()
            rt.run_until_idle()
            assert _ids(rt, "job")[-1] == "job@2025-01-01T00:03:00Z"


def test_pause_resume_replace_delete_and_list(url: str) -> None:
    clock = _clock(dt.datetime(2025, 1, 1, tzinfo=UTC))
    with wfc.Runtime(url, clock=clock) as rt:
        rt.schedule("p", flows.report, every=60, args=["a"])
        assert rt.pause_schedule("p").paused
        clock.advance(600)
        rt.run_until_idle()
        assert _ids(rt, "p") == []  # paused: nothing starts
        replaced = rt.schedule("p", flows.report, every=120, args=["b"])
        assert replaced.paused and replaced.every == 120 and replaced.args == ("b",)  # still paused
        resumed = rt.resume_schedule("p")
        assert not resumed.paused and resumed.next_at is not None and resumed.next_at > to_dt(clock.now())
        clock.set(resumed.next_at.timestamp())
        rt.run_until_idle()
        assert len(_ids(rt, "p")) == 1  # the ticks while paused were not caught up
        assert [s.name for s in rt.schedules()] == ["p"]
        rt.delete_schedule("p")
        assert rt.schedules() == []
        with pytest.raises(wfc.WfcError) as gone:
            rt.pause_schedule("p")
        assert gone.value.code == "WFC420"


@pytest.fixture
def declared() -> Iterator[None]:
    """The schedule declared by ``declared_flows`` while the test runs (a declaration is process-wide: no other
    test's worker may install it)."""
    from wfc.runtime import schedules

    from . import declared_flows

    schedules._DECLARED["declared-every-30s"] = {
        "workflow": declared_flows.declared, "args": ["declared"], "kwargs": None, "cron": None, "every": 30,
        "timezone": "UTC", "overlap": "skip", "catch_up": "latest",
    }  # fmt: skip
    yield
    schedules._DECLARED.pop("declared-every-30s", None)


def test_a_declared_schedule_is_installed_by_the_runtime(url: str, declared: None) -> None:
    clock = _clock(dt.datetime(2025, 1, 1, tzinfo=UTC))
    with wfc.Runtime(url, clock=clock) as rt:
        rt.install_schedules()  # what a worker does when it starts: what the imported modules declare
        mine = rt.get_schedule("declared-every-30s")
        from .declared_flows import declared as workflow

        assert (mine.workflow, mine.every, mine.args) == (workflow.key, 30.0, ("declared",))
        clock.set(mine.next_at.timestamp())  # type: ignore[union-attr]
        rt.run_until_idle()
        rt.run_until_idle()
        (iid,) = _ids(rt, "declared-every-30s")
        assert rt.result(iid) == "ran declared"
    with wfc.Runtime(url, clock=clock) as again:  # installing again changes nothing: progress is kept
        again.install_schedules()
        assert again.get_schedule("declared-every-30s").last_id == iid


@pytest.mark.parametrize(
    ("spec", "code", "fragment"),
    [
        ({"cron": "61 * * * *"}, "WFC402", "cron expression '61 * * * *' is not valid"),
        ({"cron": "0 9 * * MON", "every": 60}, "WFC402", "exactly one of cron= and every="),
        ({}, "WFC402", "exactly one of cron= and every="),
        ({"every": 0.5}, "WFC402", "every= is a number of seconds >= 1"),
        ({"every": float("nan")}, "WFC402", "every= is a number of seconds"),
        ({"every": 60, "timezone": "Mars/Olympus"}, "WFC402", "unknown time zone 'Mars/Olympus'"),
        ({"every": 60, "overlap": "never"}, "WFC402", "overlap= is one of skip, queue, allow"),
        ({"every": 60, "catch_up": "some"}, "WFC402", "catch_up= is one of latest, all, none"),
        ({"every": 60, "args": [object()]}, "WFC405", "must be JSON values"),
    ],
)
def test_a_bad_spec_is_a_clear_error(url: str, spec: dict[str, Any], code: str, fragment: str) -> None:
    with wfc.Runtime(url) as rt:
        with pytest.raises(wfc.WfcError) as bad:
            rt.schedule("s", flows.report, **spec)
        assert bad.value.code == code and fragment in str(bad.value), str(bad.value)
        assert bad.value.hint
        with pytest.raises(wfc.WfcError) as name:
            rt.schedule("a@b", flows.report, every=60)
        assert "without '@'" in str(name.value)
        assert rt.schedules() == []


def test_a_schedule_of_a_workflow_no_worker_serves_yet_waits_for_one(url: str) -> None:
    clock = _clock(dt.datetime(2025, 1, 1, tzinfo=UTC))
    with wfc.Runtime(url, clock=clock, workflows=[]) as rt:
        rt.schedule("later", "report", every=60)
        clock.advance(60)
        rt.fire_schedules()
        (iid,) = _ids(rt, "later")
    with wfc.Runtime(url, clock=clock) as served:  # a deployment that has it admits the instance
        assert served.run_until_complete(iid) == "ran daily"


def test_the_documented_example(url: str) -> None:
    from examples import schedules as example
    from wfc.runtime import schedules

    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    source = (root / "examples" / "schedules.py").read_text().rstrip()
    assert f"```python\n{source}\n```" in (root / "docs" / "schedules.md").read_text()
    clock = _clock(dt.datetime(2026, 12, 6, 12, 0, tzinfo=UTC))  # a Sunday
    schedules.declare("weekly-report", example.weekly_report, args=["eu"], kwargs=None, cron="0 9 * * MON",
                      every=None, timezone="Europe/Berlin", overlap="skip", catch_up="latest")  # fmt: skip
    try:
        with wfc.Runtime(url, clock=clock) as rt:
            rt.install_schedules()
            example.install(rt)
            weekly = rt.get_schedule("weekly-report")
            assert weekly.next_at == dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 9:00 in Berlin
            clock.set(weekly.next_at.timestamp())
            rt.run_until_idle()
            rt.run_until_idle()
            assert rt.result("weekly-report@2026-12-07T08:00:00Z") == "report for eu"
            assert rt.result("every-minute@2026-12-07T08:00:00Z") == "report for ping"
    finally:
        schedules._DECLARED.pop("weekly-report", None)  # no other test's worker installs it


def test_a_misplaced_or_doubled_declaration_is_a_clear_error() -> None:
    from wfc.runtime import schedules

    with pytest.raises(wfc.WfcError) as misplaced:
        wfc.schedule(every=60)(flows.stamp)  # type: ignore[arg-type]
    assert misplaced.value.code == "WFC402" and "goes above @wfc.workflow" in str(misplaced.value)
    with pytest.raises(wfc.WfcError) as bad:
        wfc.schedule("not cron")(flows.report)
    assert "cron expression 'not cron' is not valid" in str(bad.value)
    try:
        wfc.schedule(every=60, name="doubled")(flows.report)
        with pytest.raises(wfc.WfcError) as doubled:
            wfc.schedule(every=60, name="doubled")(flows.long_job)
        assert doubled.value.code == "WFC402" and "two workflows declare schedule 'doubled'" in str(doubled.value)
    finally:
        schedules._DECLARED.pop("doubled", None)
    assert "doubled" not in schedules._DECLARED
