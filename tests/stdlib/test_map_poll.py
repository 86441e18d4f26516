"""wfc.stdlib's map helpers and poll_until in both runners on both stores: order kept, the window holds (measured
on a real pool), batches flattened and checked; polls at the interval, a last one at the deadline, a timeout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import wfc
from examples import stdlib_map, stdlib_poll
from wfc.testing import EPOCH, FakeClock

from . import flows
from .harness import agree, both, in_memory, observe


def at(seconds: float) -> str:
    return (EPOCH + dt.timedelta(seconds=seconds)).isoformat()


def test_the_map_example(url: str) -> None:
    images = [f"img{i}" for i in range(12)]
    seen = both(url, stdlib_map.publish, images)
    assert seen.outcome[1]["thumbs"] == [f"{i}.thumb" for i in images]
    assert seen.outcome[1]["sizes"] == [len(f"{i}.thumb") for i in images]


def test_order_windows_and_batches(url: str) -> None:
    ns = list(range(7, 0, -1))
    seen = both(url, flows.doubled, ns, 3)
    assert seen.outcome[1] == ([2 * n for n in ns],) * 3
    assert [r[3] for r in seen.instances[3][2]] == ["doubles"] * 3  # 7 items in batches of 3
    assert both(url, flows.doubled, [], 1, wid="t2").outcome[1] == ([], [])


def test_a_batch_step_that_loses_results(url: str) -> None:
    seen = both(url, flows.doubled, [1, 2, 3], 99)
    assert seen.outcome[:2] == ("error", "StepFailed")  # the map child failed with the WfcError
    assert "short_batch returned 2 results for batch 0 of 3 items" in seen.outcome[2]


@pytest.mark.parametrize("what", ["items", "step", "batch", "undeclared window"])
def test_bad_map_arguments(url: str, what: str) -> None:
    seen = both(url, flows.bad_map, what)
    assert seen.outcome[:2] == ("error", "WfcError")
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(flows.bad_map, what)
    assert info.value.code == "WFC483" and info.value.hint


def test_the_window_holds_on_a_real_pool(tmp_path: Path) -> None:
    flows.MOST[0] = 0
    with wfc.Runtime(f"sqlite:///{tmp_path}/pool.db", max_parallelism=8) as rt:
        wid = rt.start(flows.squares, list(range(10)))
        assert rt.run_until_complete(wid, timeout=30) == [n * n for n in range(10)]
    assert flows.MOST[0] == 2  # the runtime's pool would run 8; the map's window runs 2


def reset_counts() -> None:
    flows.COUNTS.clear()


def test_poll_until_the_predicate(url: str) -> None:
    seen = both(url, flows.poll_counter, "a", 60.0, 3600.0, True, before=reset_counts)
    assert seen.outcome[1] == ("done", 3, at(120))
    assert [r[3] for r in seen.instances[1][2]][:3] == ["counter", "at_least_three", "sleep 60s"]


def test_poll_until_truthy_and_a_last_poll_at_the_deadline(url: str) -> None:
    seen = both(url, flows.poll_counter, "b", 60.0, 150.0, False, before=reset_counts)
    assert seen.outcome[1] == ("done", 1, at(0))
    late = both(url, flows.poll_counter, "c", 60.0, 150.0, True, before=reset_counts, wid="t2")
    assert late.outcome[1][:3] == ("done", 3, at(120))
    never = both(url, flows.poll_counter, "d", 100.0, 150.0, True, before=reset_counts, wid="t3")
    # polls at 0, 100 and 150 (the deadline): the third says 3, which is enough
    assert never.outcome[1] == ("done", 3, at(150))
    out = both(url, flows.poll_counter, "e", 100.0, 50.0, True, before=reset_counts, wid="t4")  # polls at 0, 50
    assert out.outcome[1][:3] == ("timed out", 2, 2) and out.outcome[1][4] == at(50)
    assert out.outcome[1][3] == "counter: not done after 2 poll(s) in 50 s"


@pytest.mark.parametrize("what", ["step", "predicate", "args", "every", "timeout"])
def test_bad_poll_arguments(url: str, what: str) -> None:
    seen = both(url, flows.bad_poll, what)
    assert seen.outcome[:2] == ("error", "WfcError") and "poll_until()" in seen.outcome[2]
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(flows.bad_poll, what)
    assert info.value.code == "WFC484" and info.value.hint


def test_the_poll_example_across_a_worker_restart(tmp_path: Path) -> None:
    def ready_after(polls: int) -> None:
        stdlib_poll.READY_AFTER.clear()
        stdlib_poll.READY_AFTER["R-1"] = polls

    ready_after(4)
    want = in_memory(stdlib_poll.fetch_report, "R-1")
    assert want.outcome == ("ok", "/reports/R-1")
    ready_after(4)
    db = f"sqlite:///{tmp_path}/poll.db"
    clock = FakeClock()
    rt = wfc.Runtime(db, clock=clock, max_parallelism=1)
    wid = rt.start(stdlib_poll.fetch_report, "R-1", id="test")
    rt.run_until_idle()
    clock.advance(60)
    rt.run_until_idle()  # two polls done, sleeping before the third
    rt.close()
    with wfc.Runtime(db, clock=clock, max_parallelism=1) as again:
        assert again.run_until_complete(wid, timeout=3600) == "/reports/R-1"
        agree(observe(again, wid), want)
    stdlib_poll.READY_AFTER["R-2"] = 1000  # never within the hour: PollTimedOut, caught
    assert wfc.testing.run(stdlib_poll.fetch_report, "R-2") is None
