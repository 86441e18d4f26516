"""wfc.continue_as_new in both runners, record for record (tests/twin/harness): the same run numbers, the same
last run's history (seq numbers going on), the same results; and yielding it is WFC117."""

from __future__ import annotations

from pathlib import Path

import pytest

import wfc
from wfc.testing import Cancel, Event

from ..programgen import load_module
from ..twin.harness import ID, both
from . import flows


def test_a_counter() -> None:
    seen = both(flows.counter, 0, 6)
    assert seen.outcome == ("ok", 6) and seen.runs == ((ID, 6),)
    assert [r[:4] for r in seen.instances[0][2]] == [(11, "", "step", "tick")]  # run k ticks at seq 2k - 1


def test_events_are_carried_over() -> None:
    events = [Event("msg", "a"), Event("msg", "b", at=0.5), Event("msg", "c", at=7.0)]
    seen = both(flows.inbox, [], until=3, events=events)
    assert seen.outcome == ("ok", ["a", "b", "c"]) and seen.runs == ((ID, 3),)


def test_a_parent_waits_for_its_childs_final_run() -> None:
    seen = both(flows.parent_of_counter, 3)
    assert seen.outcome == ("ok", [3, 13])
    assert dict(seen.runs) == {ID: 1, f"{ID}/1": 3, f"{ID}/2": 3}


def test_started_children_end_with_the_run() -> None:
    seen = both(flows.starts_and_continues, 0)
    assert seen.outcome == ("ok", f"{ID}/4 {ID}/5")
    states = {iid: state for iid, state, _ in seen.instances}
    assert states == {ID: "completed", f"{ID}/1": "completed", f"{ID}/2": "canceled", f"{ID}/4": "completed",
                      f"{ID}/5": "canceled"}  # fmt: skip


def test_each_run_draws_anew() -> None:
    a, b = both(flows.draws, 0).outcome, both(flows.draws, 3).outcome
    assert a[0] == b[0] == "ok" and a[1] != b[1]


def test_refused_arguments_fail_the_instance() -> None:
    seen = both(flows.bad_continuation, 1)
    assert seen.outcome[0] == "error" and seen.runs == ((ID, 1),)


def test_a_cancel_request_belongs_to_its_run() -> None:
    # canceled while its second run waits: Canceled ends that run (a cleanup-free workflow)
    seen = both(flows.inbox, [], until=5, events=[Event("msg", "a", at=1.0), Cancel(at=3.0)])
    assert seen.outcome[:2] == ("error", "Canceled") and seen.runs == ((ID, 2),)


def test_yielding_it_is_a_compile_error(tmp_path: Path) -> None:
    source = "import wfc\n\n\n@wfc.workflow\ndef wrong(n):\n    yield wfc.continue_as_new(n + 1)\n"
    module = load_module(source, tmp_path)
    with pytest.raises(wfc.CompileError) as info:
        wfc.compile(module.wrong)
    assert [d.code for d in info.value.diagnostics] == ["WFC117"]
    assert "return wfc.continue_as_new" in (info.value.diagnostics[0].hint or "")


def test_the_graph_shows_a_terminal_continue_node() -> None:
    from wfc.compiler.graph import build_graph

    graph = build_graph(wfc.compile(flows.counter), flows.counter.namespace)
    titles = [(n.kind, n.title) for n in graph.nodes if n.kind == "return"]
    assert ("return", "continue as new(n, until) → start") in titles and ("return", "return n") in titles


def test_both_runners_make_the_same_spans_across_runs() -> None:
    from ..twin.test_tracing import _provider, _shape

    memory, memory_spans = _provider()
    assert wfc.testing.execute(flows.counter, 0, 3, workflow_id=ID, tracing=memory).value == 3
    durable, durable_spans = _provider()
    with wfc.Runtime("sqlite:///:memory:", clock=wfc.testing.FakeClock(), tracing=durable) as rt:
        assert rt.run_until_complete(rt.start(flows.counter, 0, 3, id=ID)) == 3
    got, want = _shape(list(durable_spans.get_finished_spans())), _shape(list(memory_spans.get_finished_spans()))
    assert got == want, f"durable only: {got - want}\nin memory only: {want - got}"
    outcomes = [dict(k[1]).get("wfc.outcome") for k in want.elements()]
    assert outcomes.count("continued") == 2
