"""run_until_complete runs an all_of's steps with the runtime's pool, max_parallelism at once (it ran them one
at a time), and still one step at a time in its own thread when there is one."""

from __future__ import annotations

import time

import wfc

from . import flows


def test_all_of_runs_in_parallel_up_to_max_parallelism() -> None:
    flows.PEAK.update(now=0, max=0)
    with wfc.Runtime(max_parallelism=4) as rt:
        wid = rt.start(flows.fan_out, 8)
        started = time.monotonic()
        assert rt.run_until_complete(wid) == list(range(8))
        elapsed = time.monotonic() - started
    assert flows.PEAK["max"] == 4, "as many at once as max_parallelism allows, never more"
    assert elapsed < 8 * 0.2 * 0.75, f"{elapsed:.2f}s: not one at a time"


def test_max_parallelism_one_runs_one_at_a_time() -> None:
    flows.PEAK.update(now=0, max=0)
    with wfc.Runtime(max_parallelism=1) as rt:
        assert rt.run_until_complete(rt.start(flows.fan_out, 3)) == [0, 1, 2]
    assert flows.PEAK["max"] == 1


def test_a_failing_step_among_parallel_ones_fails_the_all_of() -> None:
    with wfc.Runtime(max_parallelism=3) as rt:
        wid = rt.start(flows.fan_out_failing, 4)
        assert rt.run_until_complete(wid) == "refused: no account bad-in-fan-out"
        assert [r.status for r in rt.history(wid)].count("failed") == 1
