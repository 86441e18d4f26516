"""``wfc.sleep_until(datetime)``: a durable timer to an instant, measured from the workflow's clock — the same in
wfc.testing (compiled and native) and the durable runtime, across a restart; clear errors for bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import wfc
from wfc.testing import FakeClock

from . import sleep_flows as flows

EXPECTED = ["2025-01-03T09:00:00+01:00", "2025-01-03T09:00:00+01:00", "True", "True"]


@pytest.mark.parametrize("native", [False, True])
def test_in_wfc_testing(native: bool) -> None:
    assert wfc.testing.execute(flows.until_nine, 2, native=native).value == EXPECTED


def test_in_the_durable_runtime_across_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'until.db'}"
    clock = FakeClock(auto_advance=False)
    with wfc.Runtime(url, clock=clock) as rt:
        wid = rt.start(flows.until_nine, 2)
        rt.run_until_idle()
        st = rt.status(wid)
        assert st.state is wfc.WorkflowState.SLEEPING
        assert st.outstanding[0].due == dt.datetime(2025, 1, 3, 8, tzinfo=dt.UTC)  # 09:00 in Paris
    clock.set(dt.datetime(2025, 1, 3, 8, tzinfo=dt.UTC))
    with wfc.Runtime(url, clock=clock) as rt:
        assert rt.run_until_complete(wid) == EXPECTED


def test_the_compiler_sees_a_command() -> None:
    table = wfc.compile(flows.until_nine)
    shapes = [s.op.shape.kind for s in table.states if hasattr(s.op, "shape") and s.op.shape is not None]
    assert shapes.count("sleep") == 2


def test_bad_input_is_a_clear_error() -> None:
    run = wfc.testing.execute(flows.naive)
    assert isinstance(run.error, wfc.WfcError) and run.error.code == "WFC402"
    assert "timezone-aware" in str(run.error)
    with pytest.raises(wfc.WfcError, match="inside a running workflow") as info:
        wfc.sleep_until(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert info.value.code == "WFC406"
