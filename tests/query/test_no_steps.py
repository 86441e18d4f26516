"""A workflow with no steps (a plain function under ``@wfc.workflow``) runs in one transition, alone or as a
child, the same in wfc.testing (compiled and native) and the durable runtime; its type is inferred too."""

from __future__ import annotations

from pathlib import Path

import pytest

import wfc
from wfc.testing import FakeClock

from . import nostep_flows as flows


@pytest.mark.parametrize("native", [False, True])
def test_in_wfc_testing(native: bool) -> None:
    assert wfc.testing.execute(flows.nostep_total, [1.0, 2.0], native=native).value == 3.6
    assert wfc.testing.execute(flows.nostep_invoice, 3, native=native).value == [3.6, "no credit for 3.6"]
    failed = wfc.testing.execute(flows.refuse, "x", native=native).error
    assert isinstance(failed, PermissionError) and str(failed) == "x"


def test_in_the_durable_runtime(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path / 'n.db'}", clock=FakeClock()) as rt:
        assert rt.run_until_complete(rt.start(flows.nostep_total, [1.0, 2.0])) == 3.6
        wid = rt.start(flows.nostep_invoice, 3)
        assert rt.run_until_complete(wid) == [3.6, "no credit for 3.6"]
        children = rt.list(parent=wid).items
        assert sorted(c.state.value for c in children) == ["completed", "failed"]


def test_it_compiles_to_one_state_and_checks_clean() -> None:
    table = wfc.compile(flows.nostep_total)
    assert len(table.states) == 1
