"""Random concurrent programs (``tests/concurrentgen.py``: steps, retries with jittered backoff, sleeps, event waits
with timeouts, child workflows, nested ``all_of``/``any_of``) under random event schedules, to the workflow and
to its children, run through both runners: the same outcome and the same history, record for record, of every
instance — and through ``wfc.testing`` driving the plain generator (``native=True``), which must agree too. ``WFC_TWIN_EXAMPLES`` sets how many programs (default 300, about 15 s on a quiet machine; started children included; the examples are the same on every
run, ``derandomize``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wfc

from ..concurrentgen import concurrent_programs, events, schedules
from ..programgen import load_module
from .harness import ID, both, in_memory, without_state_ids


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("twin_programs")


@settings(
    max_examples=int(os.environ.get("WFC_TWIN_EXAMPLES", "300")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(source=concurrent_programs(), data=st.data())
def test_random_concurrent_programs_agree(source: str, data: st.DataObject, program_dir: Path) -> None:
    module = load_module(source, program_dir)
    args = data.draw(st.sampled_from([(0, 1), (3, 2)]))
    try:  # the children a run starts, so that events can be addressed to them
        probe = wfc.testing.execute(module.wf, *args, workflow_id=ID, tracing=False)
        children = sorted(i for i in probe.histories if i != ID)
    except wfc.WfcError as exc:
        assert exc.code == "WFC408", f"a generated program must compile and start: {exc}\n{source}"
        children = []  # it waits for an event never sent
    schedule = data.draw(schedules(len(children)))
    note = f"{source}\nargs={args}\nevents={events(schedule, children)}"
    try:
        compiled = both(module.wf, *args, events=events(schedule, children))
        # the plain generator, driven by the same runner: the same records but for the states it has not
        native = in_memory(module.wf, *args, events=events(schedule, children), native=True)
        assert without_state_ids(native) == without_state_ids(compiled), "native != compiled"
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{note}") from None
