"""The server-side graph layout (wfc.ui.layout) on generated workflows — nested loops, try/except/finally,
break/continue/return — and on a long one: boxes never overlap, the entry is on top, every edge but a loop's back
edge goes down, the code after a loop sits below its body, a try region's box holds its states and nothing else
(two region boxes are nested or apart), no edge runs through a state, and the SVG is well-formed XML whatever the
source text."""

from __future__ import annotations

import itertools
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import wfc.ui
from wfc.compiler.driver import compile_workflow
from wfc.compiler.graph import Graph, build_graph
from wfc.errors import WfcError
from wfc.ui import ranking
from wfc.ui.geometry import Rect
from wfc.ui.layout import H, W, draw, layout, render_svg

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
    drawing = draw(graph)
    for c in graph.clusters:  # nothing else inside a region's box
        rect = drawing.regions.get(c.id)
        if rect is None:
            continue
        inside = set(_members(graph, c.id))
        for n, p in drawing.boxes.items():
            if n not in inside:
                assert not _meets(rect, Rect(p.x, p.y, p.x + W, p.y + H)), f"{n} lies in region {c.id}"
    for a, b in itertools.combinations(drawing.regions.values(), 2):
        assert _nested_or_apart(a, b), (a, b)
    for i, points in drawing.routes.items():  # no edge through a state (not even its own ends' boxes)
        e = graph.edges[i]
        assert all(x0 == x1 or y0 == y1 for (x0, y0), (x1, y1) in itertools.pairwise(points)), points
        for n, p in drawing.boxes.items():
            box = Rect(p.x + 1, p.y + 1, p.x + W - 1, p.y + H - 1)
            for seg in itertools.pairwise(points):
                assert not _crosses(seg, box), f"edge {e.src} -> {e.dst} runs through {n}"
    # The code after a loop sits below the whole loop body.
    back = ranking.back_edges(graph)
    rank = ranking.ranks(graph, back)
    preds: dict[str, set[str]] = {n.id: set() for n in graph.nodes}
    for e in graph.edges:
        preds[e.dst].add(e.src)
    bodies: dict[str, set[str]] = {}
    for i in back:
        e = graph.edges[i]
        body, todo = bodies.setdefault(e.dst, {e.dst}), [e.src]
        while todo:
            n = todo.pop()
            if n not in body:
                body.add(n)
                todo.extend(preds[n])
    forward: dict[str, set[str]] = {n.id: set() for n in graph.nodes}
    for k, e in enumerate(graph.edges):
        if k not in back:
            forward[e.src].add(e.dst)
    for head, body in bodies.items():
        for k, e in enumerate(graph.edges):
            if k not in back and e.src in body and e.dst not in body:
                # below every state of the body that it cannot lead back to (a handler or finally that leaves
                # the loop can be entered from the body and lead into it again: no row is below all of it)
                after = _reachable(forward, e.dst)
                for n in body - after:
                    assert rank[e.dst] > rank[n], f"{e.dst}, after the loop at {head}, is beside its body ({n})"


def _reachable(succ: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for m in succ[todo.pop()]:
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def _meets(a: Rect, b: Rect) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _nested_or_apart(a: Rect, b: Rect) -> bool:
    def holds(o: Rect, i: Rect) -> bool:
        return o.x0 <= i.x0 and i.x1 <= o.x1 and o.y0 <= i.y0 and i.y1 <= o.y1

    return holds(a, b) or holds(b, a) or not _meets(a, b)


def _crosses(seg: tuple[tuple[float, float], tuple[float, float]], box: Rect) -> bool:
    (x0, y0), (x1, y1) = seg
    if x0 == x1:
        return box.x0 < x0 < box.x1 and min(y0, y1) < box.y1 and box.y0 < max(y0, y1)
    return box.y0 < y0 < box.y1 and min(x0, x1) < box.x1 and box.x0 < max(x0, x1)


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
    keep = os.environ.get("WFC_UI_SCREENSHOTS")
    if keep:  # docs/ui/long-graph.svg: this drawing, with the dashboard's style sheet inside
        css = (Path(wfc.ui.__file__).parent / "static" / "ui.css").read_text(encoding="utf-8")
        styled = svg.replace("<defs>", f"<style>{css}</style><rect width='100%' height='100%' fill='#fff'/><defs>", 1)
        Path(keep, "long-graph.svg").write_text(styled, encoding="utf-8")


def _shipped_workflows() -> list[tuple[str, object]]:
    """Every workflow in the repository's examples, wfc.stdlib and the tests' flow modules, .py and .wf."""
    from wfc.cli.common import load_workflows
    from wfc.cli.graph_cmd import graph_of

    root = Path(__file__).resolve().parents[2]
    patterns = ("examples/**/*.py", "examples/**/*.wf", "src/wfc/stdlib/*.py", "tests/**/*flows*.py")
    files = sorted(p for pattern in patterns for p in root.glob(pattern))
    out = []
    for path in files:
        try:
            defns = load_workflows(path, execute_imports=False)
        except Exception:  # a module that is not a workflow file (a helper, an app)
            continue
        for d in defns:
            try:
                out.append((f"{path.relative_to(root)}:{d.name}", graph_of(d)))
            except WfcError:  # a flow the tests keep broken on purpose
                continue
    return out


def test_every_shipped_workflow_lays_out_cleanly() -> None:
    shipped = _shipped_workflows()
    assert len(shipped) >= 60, len(shipped)  # the glob still finds the repository's workflows
    for name, graph in shipped:
        try:
            check_layout(graph)  # type: ignore[arg-type]
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc
