"""The server-side graph layout (wfc.ui.layout) on generated workflows — nested loops, try/except/finally,
break/continue/return — and on a long one: boxes never overlap, the entry is on top, every edge but a loop's back
edge goes down, try-region boxes hold their states, and the SVG is well-formed XML whatever the source text."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from wfc.compiler.driver import compile_workflow
from wfc.compiler.graph import Graph, build_graph
from wfc.ui.layout import H, W, layout, render_svg

from ..programgen import load_module, programs


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("layout_programs")


def check_layout(graph: Graph) -> None:
    boxes, width, height = layout(graph)
    assert set(boxes) == {n.id for n in graph.nodes}
    for (a, pa), (b, pb) in itertools.combinations(boxes.items(), 2):
        apart = pa.x + W <= pb.x or pb.x + W <= pa.x or pa.y + H <= pb.y or pb.y + H <= pa.y
        assert apart, f"{a} and {b} overlap"
    for p in boxes.values():
        assert p.x >= 0 and p.x + W <= width and p.y >= 0 and p.y + H <= height
    top = min(p.y for p in boxes.values())
    assert boxes[graph.entry].y == top
    reach = _reachability(graph)
    for e in graph.edges:
        if not e.back and e.src != e.dst and boxes[e.dst].y <= boxes[e.src].y:
            assert e.src in reach[e.dst], f"{e.src} -> {e.dst} goes up (or sideways) without closing a cycle"
    svg = render_svg(graph)
    root = ET.fromstring(svg)  # well-formed: every title escaped
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{ns}g[@data-state]")) == len(graph.nodes)
    for g in root.findall(f".//{ns}g[@data-region]"):  # a try region's box holds its states
        rect = g.find(f"{ns}rect")
        assert rect is not None
        x, y, w, h = (float(rect.get(k) or 0) for k in ("x", "y", "width", "height"))
        for n in _members(graph, g.get("data-region") or ""):
            p = boxes[n]
            assert x <= p.x and p.x + W <= x + w and y <= p.y and p.y + H <= y + h, (g.get("data-region"), n)


def _members(graph: Graph, cluster: str) -> list[str]:
    out = [n.id for n in graph.members(cluster)]
    for child in graph.children(cluster):
        out += _members(graph, child.id)
    return out


def _reachability(graph: Graph) -> dict[str, set[str]]:
    succ: dict[str, set[str]] = {n.id: set() for n in graph.nodes}
    for e in graph.edges:
        succ[e.src].add(e.dst)
    out = {}
    for n in succ:
        seen, todo = set(), [n]
        while todo:
            for m in succ[todo.pop()]:
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        out[n] = seen
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=programs(depth=3))
def test_generated_workflows_lay_out_cleanly(source: str, program_dir: Path) -> None:
    module = load_module(source, program_dir)
    check_layout(build_graph(compile_workflow(module.wf)))


LONG = """
import wfc


@wfc.step
def work(n):
    return n + 1


@wfc.workflow
def long(items, limit):
    total = 0
    for i in items:
        try:
            total = yield work(i)
            if total > limit:
                break
            while total % 3:
                total = yield work(total)
                if total > 100:
                    continue
        except ValueError as exc:
            total = yield work(-1)
        finally:
            yield work(0)
    for j in range(3):
        try:
            x = yield work(j)
            y = yield work(x)
        except KeyError:
            y = yield work(-2)
    <step>
    return total + y
"""


def test_a_long_workflow_with_loops_and_try_regions(program_dir: Path) -> None:
    steps = "\n    ".join(f"total = yield work(total + {k})  # <b>&</b>" for k in range(12))
    module = load_module(LONG.replace("<step>", steps), program_dir, "wfc_layout_long")
    graph = build_graph(compile_workflow(module.long))
    assert len(graph.nodes) >= 30 and graph.clusters and any(e.back for e in graph.edges)
    check_layout(graph)
    svg = render_svg(graph)
    assert svg.count('class="cluster"') == len(graph.clusters)
