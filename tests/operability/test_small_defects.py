"""Small defects of the runtime's surface: each one fed the input it was observed with."""

from __future__ import annotations

import json

import pytest

import wfc
import wfc.testing
from wfc.errors import WfcError
from wfc.runtime.errors import DuplicateId

from . import flows


def test_workflow_state_is_a_str_enum(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.doubler, 2)
    state = rt.status(wid).state
    assert state == "running" and state is wfc.WorkflowState.RUNNING
    assert isinstance(state, str) and f"{state}" == "running" and json.dumps(state) == '"running"'
    rt.run_until_complete(wid)
    assert rt.status(wid).state == "completed"
    assert {s: 1 for s in wfc.WorkflowState}["completed"] == 1
    assert len(rt.list(state="completed")) == 1


@pytest.mark.parametrize("kind", ["step", "workflow"])
def test_calling_a_step_or_workflow_outside_a_workflow_is_a_clear_error(kind: str) -> None:
    defn = flows.double if kind == "step" else flows.doubler
    with pytest.raises(WfcError, match=f"{kind} double.*outside a running workflow") as info:
        defn(3)
    assert info.value.code == "WFC406"
    assert "nothing would run" in str(info.value)
    assert f"yield from {defn.name}(...)" in (info.value.hint or "") and ".fn(...)" in (info.value.hint or "")


def test_a_step_called_by_a_step_is_refused_in_both_runners(rt: wfc.Runtime) -> None:
    """Step code runs outside the workflow: a step call there would silently do nothing."""
    with pytest.raises(wfc.StepFailed, match="outside a running workflow"):
        wfc.testing.run(flows.nested_caller, 1)
    wid = rt.start(flows.nested_caller, 1)
    with pytest.raises(wfc.StepFailed, match="outside a running workflow"):
        rt.run_until_complete(wid)


def test_a_step_function_itself_still_runs_outside() -> None:
    assert flows.double.fn(3) == 6


def test_start_with_an_existing_id_and_other_arguments_is_refused(rt: wfc.Runtime) -> None:
    assert rt.start(flows.doubler, 2, id="d-1") == "d-1"
    assert rt.start(flows.doubler, 2, id="d-1") == "d-1", "the same arguments: idempotent"
    assert rt.start(flows.doubler, x=2, id="d-1") == "d-1", "the same arguments, spelled by keyword"
    with pytest.raises(
        DuplicateId, match=r"'d-1' names an instance of doubler started with other arguments \(x differ"
    ) as info:
        rt.start(flows.doubler, 3, id="d-1")
    assert info.value.code == "WFC430"
    assert rt.run_until_complete("d-1") == 4, "the existing instance is untouched"
    with pytest.raises(DuplicateId, match="other arguments"):
        rt.start(flows.doubler, 5, id="d-1")  # also once it has ended
    assert len(rt.list()) == 1
