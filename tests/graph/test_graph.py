"""The graph model and its DOT, Mermaid, SVG and HTML renderings, on one small workflow per construct.

Golden DOT: regenerate with ``WFC_UPDATE_GOLDEN=1 pytest tests/graph`` after an intended change; review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import attrs
import pytest

import wfc
from wfc.cli.graph_cmd import graph_of
from wfc.commands import WorkflowDef
from wfc.compiler import ir
from wfc.compiler.graph import Highlight, build_graph, classify_command
from wfc.compiler.graph_path import highlight_path
from wfc.compiler.render_dot import CURRENT_FILL, PATH_COLOR, render_dot, render_svg
from wfc.compiler.render_html import InstanceInfo, render_html
from wfc.compiler.render_mermaid import render_mermaid
from wfc.errors import WfcError
from wfc.runtime.context import TransitionContext, transition
from wfc.runtime.link import bind_arguments, machine_for
from wfc.runtime.machine import Suspended

from . import dotparse, flows
from .helpers import HAVE_DOT, check_mermaid, dot_canon, flow_defs, parse_svg, svg_node_classes

FLOWS = flow_defs()
GOLDEN = Path(__file__).with_name("golden")


@pytest.mark.parametrize(("name", "defn"), FLOWS, ids=[n for n, _ in FLOWS])
def test_every_state_is_a_node_in_every_format(name: str, defn: WorkflowDef) -> None:
    table = wfc.compile(defn)
    graph = graph_of(defn)
    assert [n.id for n in graph.nodes] == [s.id for s in table.states]
    for n, s in zip(graph.nodes, table.states, strict=True):
        assert n.line == s.pos.line if s.pos else n.line is None
        assert f"line {n.line}" in n.caption
    dot = dotparse.parse(render_dot(graph))
    assert set(dot.nodes) == {s.id for s in table.states}
    labels = check_mermaid(render_mermaid(graph), graph)
    for n in graph.nodes:
        assert labels[n.id].startswith(n.title), (labels[n.id], n.title)
        assert labels[n.id].endswith(n.caption)


@pytest.mark.parametrize(("name", "defn"), FLOWS, ids=[n for n, _ in FLOWS])
def test_edges_follow_the_table(name: str, defn: WorkflowDef) -> None:
    table = wfc.compile(defn)
    graph = graph_of(defn)
    drawn = {(e.src, e.dst) for e in graph.edges if e.cluster is None}
    for s in table.states:
        for target in ir.successors(table, s):
            assert (s.id, target) in drawn, f"{s.id} -> {target} missing"
    dot = dotparse.parse(render_dot(graph))
    assert [(a, b) for a, b, _ in dot.edges] == [(e.src, e.dst) for e in graph.edges]


def test_loops_have_back_edges_and_heads() -> None:
    graph = graph_of(flows.loops)
    back = {(e.src, e.dst) for e in graph.edges if e.back}
    heads = {n.id for n in graph.nodes if n.loop_head}
    # for (continue and end of body), while, and `while True:` whose head is the step it starts with
    assert back == {("L54.body", "L54.for"), ("L58.endif", "L54.for"), ("L62.resume", "L61.while"),
                    ("L64.resume", "L63.body")}  # fmt: skip
    assert heads == {"L54.for", "L61.while", "L63.body"}
    assert graph.node("L54.for").kind == "loop" and graph.node("L63.body").kind == "step"
    assert not any(e.back for e in graph_of(flows.guarded).edges), "no loop, no back edge"
    dot = dotparse.parse(render_dot(graph))
    colored = {(a, b) for a, b, at in dot.edges if at.get("color") == "#7b3fbf"}
    assert colored == back


def test_back_edge_through_a_finally() -> None:
    graph = graph_of(flows.early_return)
    back = [e for e in graph.edges if e.back]
    assert [(e.src, e.dst, e.kind) for e in back] == [("L130.resume", "L122.for", "completion")]


def test_try_regions_are_nested_clusters_with_dashed_exception_edges() -> None:
    table = wfc.compile(flows.guarded)
    graph = graph_of(flows.guarded)
    assert [(c.id, c.parent) for c in graph.clusters] == [(r.id, r.parent) for r in table.regions]
    # `except Declined as e:` runs its body in a try/finally that unbinds `e`, as CPython compiles it.
    assert [c.label for c in graph.clusters] == [
        "try (line 72)",
        "except/else (line 72)",
        "try (line 74)",
        "try/finally (line 78)",
    ]
    dot = dotparse.parse(render_dot(graph))
    assert dot.subgraphs["cluster_T2"][0] == "cluster_T1", "inner try drawn inside the outer one"
    for s in table.states:
        expected = f"cluster_{s.region}" if s.region else None
        assert dot.node_parent[s.id] == expected
    # One edge per region and handler (not one per state), dashed, drawn from the region's box.
    exc = [(a, b, at) for a, b, at in dot.edges if at.get("ltail")]
    expected_targets = []
    for r in table.regions:
        expected_targets += [(f"cluster_{r.id}", h.target) for h in r.handlers]
        expected_targets += [(f"cluster_{r.id}", r.finally_entry)] if r.finally_entry else []
    assert sorted((at["ltail"], b) for _, b, at in exc) == sorted(expected_targets)
    assert all("dashed" in dotparse.styles(at) for _, _, at in exc)
    labels = {at["label"][1:-1] for _, _, at in exc}  # <text>: an HTML-like label
    assert {"Declined", "(ValueError, TypeError)", "KeyError", "finally"} <= labels
    mermaid = render_mermaid(graph)
    assert 'r_T1 -.->|"Declined"| s_L78_except' in mermaid
    assert 'r_T2 -.->|"KeyError"| s_L76_except' in mermaid
    inner = mermaid.index("subgraph r_T2")
    assert (
        mermaid.index("subgraph r_T1 ") < inner < mermaid.index("  end\n", inner) < mermaid.index("\n  end\n")
    )


def test_finally_edges_are_dashed() -> None:
    graph = graph_of(flows.early_return)
    kinds = {(e.src, e.dst): e.kind for e in graph.edges}
    assert kinds[("L124.then", "L123.finally")] == "finally"  # return inside try/finally
    assert kinds[("L130.resume", "L122.endfor")] == "completion"
    assert graph.node("L124.then").title == "return i → finally"
    dot = dotparse.parse(render_dot(graph))
    for a, b, at in dot.edges:
        assert ("dashed" in dotparse.styles(at)) == (kinds.get((a, b)) != "normal"), (a, b)


def test_suspensions_are_classified_by_their_command() -> None:
    kinds = {n.id: (n.kind, n.lanes, n.fanout) for n in graph_of(flows.parallel).nodes}
    assert kinds["start"] == ("all_of", ("fetch('a')", "fetch('b')"), None)
    assert kinds["L92.resume"] == ("any_of", ("wfc.wait_event('stop')", "nap(60)"), None)
    assert kinds["L93.resume"] == ("all_of", (), "fetch(k)")
    assert kinds["L94.resume"] == ("all_of", ("fetch('x')", "store('y', 1)"), None)
    assert graph_of(flows.parallel).node("L93.resume").title == "every = wfc.all_of(… for k in keys)"
    waits = {n.id: n.kind for n in graph_of(flows.waits).nodes}
    assert waits == {"start": "sleep", "L101.resume": "event", "L102.resume": "step", "L103.resume": "return"}
    parent = {n.id: n.kind for n in graph_of(flows.parent).nodes}
    assert parent["start"] == "child"
    straight = graph_of(flows.straight)
    assert straight.node("L33.resume").kind == "step", "`.options(...)` keeps the step"
    assert straight.node("start").caption == "start: step · line 33"


@pytest.mark.parametrize(
    ("source", "ns", "kind"),
    [
        ("wfc.sleep(5)", {}, "sleep"),
        ("sleep(5)", {}, "sleep"),
        ("nap(5)", {"nap": wfc.sleep}, "sleep"),
        ("sleep(5)", {"sleep": flows.sleep}, "step"),
        ("wfc.wait_event('x')", {"wfc": wfc}, "event"),
        ("x.any_of(a(), b())", {}, "any_of"),
        ("flows.child('k')", {"flows": flows}, "child"),
        ("commands[0]", {}, "step"),
        ("cmd", {}, "step"),
        ("not python (", {}, "step"),
    ],
)
def test_classify_command(source: str, ns: dict[str, Any], kind: str) -> None:
    assert classify_command(source, ns)[0] == kind


def test_graph_without_namespace_or_positions() -> None:
    """A table loaded from JSON: no labels, no positions, no namespace; the graph still reads well, from the
    loop heads and command shapes the table records."""
    from wfc.compiler import serialize
    from wfc.compiler.driver import normalize

    table = normalize(serialize.from_json(serialize.to_json(wfc.compile(flows.loops))))
    table = attrs.evolve(table, states=tuple(attrs.evolve(s, label="") for s in table.states))
    graph = build_graph(table)
    assert all(n.line is None for n in graph.nodes)
    assert [n.title for n in graph.nodes if n.kind == "loop"] == ["for i in range(n)", "while total < 20"]
    assert sorted(e.label for e in graph.edges if graph.node(e.src).kind == "loop") == [
        "exit",
        "exit",
        "loop",
        "loop",
    ]
    assert sum(e.back for e in graph.edges) == 4
    check_mermaid(render_mermaid(graph), graph)
    dotparse.parse(render_dot(graph))


def test_labels_are_escaped() -> None:
    graph = graph_of(flows.escaping)
    dot_text = render_dot(graph)
    dotparse.parse(dot_text)  # parses every HTML-like label as XML too
    labels = check_mermaid(render_mermaid(graph), graph)
    assert labels["start"].startswith('store(\'say "hi" <b> & #1 | {x}')
    if HAVE_DOT:
        dot_canon(dot_text)
        svg = parse_svg(render_svg(graph))
        texts = "".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
        assert 'say "hi" <b> & #1' in texts


def test_dot_output_has_a_golden_copy() -> None:
    text = render_dot(graph_of(flows.guarded))
    path = GOLDEN / "guarded.dot"
    if os.environ.get("WFC_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), "DOT output changed: rerun with WFC_UPDATE_GOLDEN=1 and review the diff"
    assert render_dot(graph_of(flows.guarded)) == text, "output is stable"


# ---- highlighting -----------------------------------------------------------------------------------------------


def _run(defn: WorkflowDef, args: tuple[Any, ...], results: list[Any]) -> list[str]:
    """The suspensions a real run passes, feeding ``results`` (an exception is raised at the yield)."""
    machine = machine_for(defn)
    ctx = TransitionContext("graph-test", 0, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    with transition(ctx):  # workflow code calls steps only inside a transition, as both runners run it
        outcome = machine.start(bind_arguments(defn, args, {}))
        path = []
        for result in results:
            assert isinstance(outcome, Suspended)
            path.append(outcome.state)
            if isinstance(result, BaseException):
                outcome = machine.resume(outcome.state, outcome.vars, error=result)
            else:
                outcome = machine.resume(outcome.state, outcome.vars, value=result)
    assert isinstance(outcome, Suspended)
    return [*path, outcome.state]


def test_highlight_follows_a_real_run() -> None:
    path = _run(flows.loops, (4,), [1, 1])  # i=0 fetch, i=2 fetch, then the while loop's step
    assert path == ["L55.endif", "L55.endif", "L61.body"]
    graph = graph_of(flows.loops)
    hl = highlight_path(graph, path[:-1], current=[path[-1]])
    assert hl.current == {"L61.body"}
    # entry → first suspension has one route; so has the second iteration (the skipped i=1 goes the same way)
    assert {("start", "L54.for"), ("L54.for", "L54.body"), ("L54.body", "L55.endif"),
            ("L57.resume", "L58.endif"), ("L58.endif", "L54.for")} <= hl.visited_edges  # fmt: skip
    # from the loop to the while there are two routes (break, or the loop running out): none is guessed
    assert ("L61.while", "L61.body") not in hl.visited_edges
    assert set(path) <= hl.visited
    dot = dotparse.parse(render_dot(graph, hl))
    assert dot.nodes["L61.body"]["fillcolor"] == CURRENT_FILL["running"]
    assert "wfc-current" in dot.nodes["L61.body"]["class"]
    assert [n for n, at in dot.nodes.items() if "wfc-current" in at["class"]] == ["L61.body"]
    marked = {(a, b) for a, b, at in dot.edges if at.get("color") == PATH_COLOR}
    assert marked == hl.visited_edges
    mermaid = render_mermaid(graph, hl)
    assert "class s_L61_body wfc_current" in mermaid
    if HAVE_DOT:
        classes = svg_node_classes(parse_svg(render_svg(graph, hl)))
        assert [s for s, c in classes.items() if "wfc-current" in c.split()] == ["L61.body"]
        assert "wfc-visited" in classes["L55.endif"].split()


def test_highlight_through_an_exception_edge() -> None:
    path = _run(flows.guarded, ("k",), [flows.Declined("no")])
    assert path == ["L72.try", "L78.except"]
    graph = graph_of(flows.guarded)
    hl = highlight_path(graph, path, current=["L78.except"], status="failed")
    assert ("T1", "L78.except") in hl.visited_edges  # drawn from the try box
    dot = dotparse.parse(render_dot(graph, hl))
    exc = [at for a, b, at in dot.edges if b == "L78.except" and at.get("ltail") == "cluster_T1"]
    assert exc and exc[0]["color"] == PATH_COLOR
    assert dot.nodes["L78.except"]["fillcolor"] == CURRENT_FILL["failed"]


def test_highlight_ignores_states_of_another_version() -> None:
    graph = graph_of(flows.straight)
    hl = highlight_path(graph, ["L999.gone", "start"], current=["L999.gone"])
    assert hl.current == frozenset() and "L999.gone" not in hl.visited


# ---- SVG and HTML -----------------------------------------------------------------------------------------------


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz is not installed (.ci/run installs it)")
@pytest.mark.parametrize(("name", "defn"), FLOWS, ids=[n for n, _ in FLOWS])
def test_svg_is_well_formed_and_graphviz_accepts_the_dot(name: str, defn: WorkflowDef) -> None:
    graph = graph_of(defn)
    dot_canon(render_dot(graph))
    classes = svg_node_classes(parse_svg(render_svg(graph)))
    assert set(classes) == {n.id for n in graph.nodes}


def test_svg_without_graphviz_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    with pytest.raises(WfcError) as info:
        render_svg(graph_of(flows.straight))
    assert info.value.code == "WFC410"
    assert "apt-get install graphviz" in (info.value.hint or "")
    assert "brew install graphviz" in (info.value.hint or "")


def test_html_page_is_self_contained() -> None:
    graph = graph_of(flows.loops)
    hl = Highlight(current=frozenset({"L61.body"}), visited=frozenset({"start"}))
    info = InstanceInfo("run-1", "running", "L61.body", ("state_id", "note"), (("L55.endif", "a <b>"),))
    page = render_html(graph, hl, info, use_graphviz=False)
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "flowchart TD" in page and "install Graphviz" in page
    assert "run-1" in page and "a &lt;b&gt;" in page and "Legend" in page
    if HAVE_DOT:
        page = render_html(graph, hl, info)
        svg = page[page.index("<svg") : page.index("</svg>") + 6]
        classes = svg_node_classes(parse_svg(svg))
        assert "wfc-current" in classes["L61.body"].split()
        assert "<!DOCTYPE svg" not in page and "<?xml" not in page
