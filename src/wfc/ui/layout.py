"""A server-side SVG drawing of a workflow's :class:`~wfc.compiler.graph.Graph`, without Graphviz.

A layered layout that keeps the shape of structured code:

* **Rows** come from :mod:`~wfc.ui.ranking`: the entry on top, every edge that does not close a loop pointing
  down, the code after a loop below its body, a handler below its try region.
* **Columns** are packed region by region. A try region is laid out first as a block of its own (its states,
  and its nested regions as smaller blocks), then placed in the enclosing region like one wide state spanning
  its rows. Every item goes where its predecessors are, shifted sideways only as far as it must to clear what is
  already there. So a region's box holds exactly its states — no other state ever falls inside it, and two boxes
  are nested or apart — and a straight run of code stays one column.
* **Edges** are routed by :mod:`~wfc.ui.routing` through the empty bands between rows and the free lanes
  between columns: no edge crosses a state.

Every text is escaped (state titles are source text). Each node is a ``<g class="node ..." data-state="ID">``
so the page can make it clickable and highlight it.
"""

from __future__ import annotations

from html import escape

import attrs

from wfc.compiler.graph import Cluster, Graph, Highlight, Node
from wfc.ui import ranking, routing
from wfc.ui.geometry import GX, GY, PAD, Box, Drawing, H, Rect, W

PX = 12  # a region's box: room on each side of what it holds
TOP_STEP, BOTTOM_STEP = 18, 8  # a region's box: room above (its label) and below, per nesting level
CHARS = 30  # characters of a title that fit in a box


@attrs.define
class _Block:
    """A region laid out on its own: positions relative to its left edge, and the rows it spans."""

    width: float
    r0: int
    r1: int
    nodes: dict[str, float]
    regions: dict[str, tuple[float, float]]


def draw(graph: Graph) -> Drawing:
    """Where everything goes: state boxes, region boxes, row bands and edge routes."""
    back = ranking.back_edges(graph)
    rank = ranking.ranks(graph, back)
    preds: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for i, e in enumerate(graph.edges):
        if i not in back and e.src in preds and e.dst in preds and e.src != e.dst:
            preds[e.dst].append(e.src)
    order = {n.id: i for i, n in enumerate(graph.nodes)}
    root = _pack(graph, None, rank, preds, order)
    spans = {c: _span(graph, c.id, rank) for c in graph.clusters}
    top_level: dict[str, int] = {}
    bottom_level: dict[str, int] = {}
    for c in reversed(_by_depth(graph)):  # innermost first: a region's level counts the regions inside it
        span = spans[c]
        if span is None:
            continue
        inner = [(d.id, s) for d in graph.children(c.id) if (s := spans[d]) is not None]
        top_level[c.id] = 1 + max((top_level[d] for d, s in inner if s[0] == span[0]), default=0)
        bottom_level[c.id] = 1 + max((bottom_level[d] for d, s in inner if s[1] == span[1]), default=0)
    rows = max(rank.values(), default=0) + 1
    above = [0.0] * (rows + 1)
    below = [0.0] * (rows + 1)
    for c in graph.clusters:
        span = spans[c]
        if span is not None:
            above[span[0]] = max(above[span[0]], 6 + TOP_STEP * top_level[c.id])
            below[span[1]] = max(below[span[1]], 4 + BOTTOM_STEP * bottom_level[c.id])
    tops: list[float] = []
    y = PAD + 14 + above[0]  # room for a back edge that enters the first row
    for r in range(rows):
        tops.append(y)
        y += H + max(GY, 24 + below[r] + above[r + 1])
    boxes = {n: Box(PAD + x, tops[rank[n]]) for n, x in root.nodes.items()}
    regions: dict[str, Rect] = {}
    for c in graph.clusters:
        span = spans[c]
        if span is None or c.id not in root.regions:
            continue
        x0, x1 = root.regions[c.id]
        regions[c.id] = Rect(
            PAD + x0,
            tops[span[0]] - 6 - TOP_STEP * top_level[c.id],
            PAD + x1,
            tops[span[1]] + H + 4 + BOTTOM_STEP * bottom_level[c.id],
        )
    bands = [
        (
            tops[r] + H + below[r],
            (tops[r + 1] - above[r + 1]) if r + 1 < rows else tops[r] + H + below[r] + 36,
        )
        for r in range(rows)
    ]
    routes = routing.route(graph, back, rank, boxes, regions, {c.id: s for c, s in spans.items() if s}, bands)
    right = max([b.x + W for b in boxes.values()] + [r.x1 for r in regions.values()], default=W)
    right = max([right] + [x for pts in routes.values() for x, _ in pts])
    bottom = bands[-1][1] if bands else PAD + H
    return Drawing(boxes, regions, routes, right + PAD + 8, bottom + PAD, frozenset(back))


def _by_depth(graph: Graph) -> list[Cluster]:
    parent = {c.id: c.parent for c in graph.clusters}

    def depth(c: str | None) -> int:
        d = 0
        while c is not None:
            c, d = parent.get(c), d + 1
        return d

    return sorted(graph.clusters, key=lambda c: depth(c.id))


def _span(graph: Graph, cluster: str, rank: dict[str, int]) -> tuple[int, int] | None:
    rows = [rank[n.id] for n in graph.members(cluster)]
    for child in graph.children(cluster):
        inner = _span(graph, child.id, rank)
        if inner is not None:
            rows += list(inner)
    return (min(rows), max(rows)) if rows else None


def _pack(
    graph: Graph,
    container: str | None,
    rank: dict[str, int],
    preds: dict[str, list[str]],
    order: dict[str, int],
) -> _Block:
    """Lay out ``container``'s states and nested regions (``None``: the whole graph) as one block."""
    items: list[tuple[int, int, _Block, str | None]] = []
    for child in graph.children(container):
        block = _pack(graph, child.id, rank, preds, order)
        if block.nodes:
            items.append((block.r0, min(order[n] for n in block.nodes), block, child.id))
    for n in graph.members(container):
        items.append((rank[n.id], order[n.id], _Block(W, rank[n.id], rank[n.id], {n.id: 0.0}, {}), None))
    items.sort(key=lambda item: (item[0], item[1]))
    nodes: dict[str, float] = {}
    regions: dict[str, tuple[float, float]] = {}
    placed: list[tuple[float, float, int, int]] = []
    for _, _, block, region in items:
        wishes = [
            nodes[p] - inner
            for n, inner in block.nodes.items()
            for p in preds[n]
            if p in nodes and p not in block.nodes
        ]
        x = _fit(placed, block, sum(wishes) / len(wishes) if wishes else 0.0)
        placed.append((x, x + block.width, block.r0, block.r1))
        nodes.update({n: x + inner for n, inner in block.nodes.items()})
        regions.update({c: (x + a, x + b) for c, (a, b) in block.regions.items()})
        if region is not None:
            regions[region] = (x, x + block.width)
    if not placed:
        return _Block(0.0, 0, 0, {}, {})
    left = min(p[0] for p in placed)
    width = max(p[1] for p in placed) - left
    pad = PX if container is not None else 0.0
    return _Block(
        width + 2 * pad,
        min(p[2] for p in placed),
        max(p[3] for p in placed),
        {n: x - left + pad for n, x in nodes.items()},
        {c: (a - left + pad, b - left + pad) for c, (a, b) in regions.items()},
    )


def _fit(placed: list[tuple[float, float, int, int]], block: _Block, wish: float) -> float:
    """The left edge nearest ``wish`` where ``block`` clears everything placed on the rows it spans."""
    near = [p for p in placed if p[2] <= block.r1 and block.r0 <= p[3]]
    candidates = [wish] + [p[1] + GX for p in near] + [p[0] - GX - block.width for p in near]

    def free(x: float) -> bool:
        return all(x + block.width + GX <= p[0] + 1e-6 or p[1] + GX <= x + 1e-6 for p in near)

    return min((c for c in candidates if free(c)), key=lambda c: (abs(c - wish), -c))


def layout(graph: Graph) -> tuple[dict[str, Box], float, float]:
    """Each node's top-left corner, and the drawing's width and height."""
    d = draw(graph)
    return d.boxes, d.width, d.height


def _clip(text: str, limit: int = CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(
    graph: Graph,
    highlight: Highlight | None = None,
    visits: dict[str, int] | None = None,
    marks: dict[str, str] | None = None,
) -> str:
    """The graph as one ``<svg>`` element (no external references), coloured by ``highlight``; ``marks`` add a
    class to nodes (a version diff: ``added``, ``changed``)."""
    hl = highlight or Highlight()
    counts = visits or {}
    d = draw(graph)
    out = [
        f'<svg class="wfc-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {d.width:.0f} {d.height:.0f}" '
        f'width="{d.width:.0f}" height="{d.height:.0f}" role="img" aria-label="{escape(graph.name)} state graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/>'
        "</marker></defs>",
    ]
    for c in _by_depth(graph):  # outermost first, so inner boxes draw on top
        rect = d.regions.get(c.id)
        if rect is not None:
            room = max(int((rect.x1 - rect.x0 - 12) / 6), 8)
            out.append(
                f'<g class="cluster" data-region="{escape(c.id)}"><rect x="{rect.x0:.0f}" y="{rect.y0:.0f}" '
                f'width="{rect.x1 - rect.x0:.0f}" height="{rect.y1 - rect.y0:.0f}" rx="6"/>'
                f'<text x="{rect.x0 + 6:.0f}" y="{rect.y0 + 12:.0f}">{escape(_clip(c.label, min(room, 40)))}</text></g>'
            )
    for i, e in enumerate(graph.edges):
        points = d.routes.get(i)
        if not points:
            continue
        classes = (
            ["edge", e.kind]
            + (["back"] if i in d.back else [])
            + (["visited"] if e.key in hl.visited_edges else [])
        )
        out.append(
            f'<path class="{" ".join(classes)}" d="{routing.path_data(points)}" marker-end="url(#arrow)"/>'
        )
        if e.label:
            (x, y), (_, y2) = points[0], points[1]
            ly = y + 11 if y2 >= y else y - 4
            out.append(
                f'<text class="edge-label" x="{x + 4:.0f}" y="{ly:.0f}">{escape(_clip(e.label, 14))}</text>'
            )
    for n in graph.nodes:
        out.append(_node(n, d.boxes[n.id], hl, counts.get(n.id, 0), (marks or {}).get(n.id)))
    out.append("</svg>")
    return "\n".join(out)


def _node(n: Node, box: Box, hl: Highlight, visits: int, mark: str | None = None) -> str:
    classes = ["node", n.kind] + ([mark] if mark else [])
    if n.id in hl.current:
        classes += ["current", hl.status]
    elif n.id in hl.visited:
        classes.append("visited")
    title = n.title if not n.fanout else f"{n.title} × N"
    parts = [
        f'<g class="{" ".join(classes)}" data-state="{escape(n.id)}" tabindex="0">',
        f"<title>{escape(n.id)}: {escape(n.title)}</title>",
        f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{W}" height="{H}" rx="{14 if n.kind in _ROUND else 4}"/>',
        f'<text class="title" x="{box.x + 8:.0f}" y="{box.y + 19:.0f}">{escape(_clip(title))}</text>',
        f'<text class="caption" x="{box.x + 8:.0f}" y="{box.y + 36:.0f}">{escape(_clip(n.caption, 34))}</text>',
    ]
    if visits:
        parts.append(
            f'<text class="visits" x="{box.x + W - 8:.0f}" y="{box.y + 36:.0f}" text-anchor="end">×{visits}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


_ROUND = frozenset({"start", "return", "raise"})

__all__ = ["H", "W", "draw", "layout", "render_svg"]
