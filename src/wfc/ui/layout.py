"""A server-side SVG drawing of a workflow's :class:`~wfc.compiler.graph.Graph`, without Graphviz.

A layered layout (the Sugiyama scheme, simplified): back edges — those :func:`~wfc.compiler.graph.build_graph`
flagged as closing a loop — are left out of the ranking, so a loop does not stretch the drawing and the entry is
at the top; each state's rank is its longest distance from the entry over the other edges; states of one rank
are ordered by the mean position of their predecessors (one sweep down, which untangles most crossings of
structured code), table order breaking ties. Back edges are drawn as curves on the right of the states they
join; try regions are dashed boxes around their states. Every text is escaped: state titles are source text.
Each node is a ``<g class="node ..." data-state="ID">`` so the page can make it clickable and highlight it.
"""

from __future__ import annotations

from html import escape

import attrs

from wfc.compiler.graph import Graph, Highlight, Node

W, H = 210, 46  # a node's box
GX, GY = 34, 40  # gaps between boxes and between ranks
PAD = 20
CHARS = 30  # characters of a title that fit in a box


@attrs.frozen
class Box:
    x: float
    y: float


def _ranks(graph: Graph) -> dict[str, int]:
    """Longest distance from the entry over the edges that do not close a loop. ``build_graph`` flags back edges
    by a search that does not follow the exception edges of try regions, so a cycle through one (a handler that
    continues its loop) is left; when no state is free, the first one in table order that something ranked
    reaches is ranked anyway, and its edges from unranked states are drawn as back edges (they close that cycle)."""
    order = {n.id: i for i, n in enumerate(graph.nodes)}
    succ: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    preds: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    indeg = dict.fromkeys(succ, 0)
    for e in graph.edges:
        if e.back or e.src not in succ or e.dst not in succ or e.src == e.dst:
            continue
        succ[e.src].append(e.dst)
        preds[e.dst].append(e.src)
        indeg[e.dst] += 1
    rank = dict.fromkeys(succ, 0)
    ready = sorted((n for n, d in indeg.items() if d == 0), key=lambda n: (n != graph.entry, order[n]))
    seen: set[str] = set()
    while len(seen) < len(succ):
        if not ready:
            forced = _cycle_entry(succ, preds, seen, order)
            rank[forced] = max([0] + [rank[p] + 1 for p in preds[forced] if p in seen])
            indeg[forced] = 0
            ready.append(forced)
        n = ready.pop(0)
        if n in seen:
            continue
        seen.add(n)
        for m in succ[n]:
            if m in seen:
                continue  # an edge that closes a cycle: drawn as a back edge
            rank[m] = max(rank[m], rank[n] + 1)
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
    return rank


def _cycle_entry(
    succ: dict[str, list[str]], preds: dict[str, list[str]], seen: set[str], order: dict[str, int]
) -> str:
    """Where to break the cycles that stop the ranking: a state whose unranked predecessors all lie on a cycle
    with it (a first state of a strongly connected group that nothing else unranked leads into), so that only
    edges closing a cycle are reversed; the first such in table order, preferring one that something ranked
    reaches."""
    rest = [n for n in succ if n not in seen]

    def reach(start: str) -> set[str]:
        found: set[str] = set()
        todo = [start]
        while todo:
            for m in succ[todo.pop()]:
                if m not in seen and m not in found:
                    found.add(m)
                    todo.append(m)
        return found

    reaches = {n: reach(n) for n in rest}
    entries = [n for n in rest if all(p in seen or (n in reaches[p] and p in reaches[n]) for p in preds[n])]
    entries = entries or rest  # (cannot happen: a first group of the condensation always has one)
    return min(entries, key=lambda n: (not any(p in seen for p in preds[n]), order[n]))


def layout(graph: Graph) -> tuple[dict[str, Box], float, float]:
    """Each node's top-left corner, and the drawing's width and height."""
    rank = _ranks(graph)
    order = {n.id: i for i, n in enumerate(graph.nodes)}
    preds: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for e in graph.edges:
        if not e.back and e.dst in preds and e.src in preds:
            preds[e.dst].append(e.src)
    layers: dict[int, list[str]] = {}
    for n in sorted(rank, key=order.__getitem__):
        layers.setdefault(rank[n], []).append(n)
    position: dict[str, float] = {}
    for r in sorted(layers):

        def key(n: str) -> tuple[float, int]:
            above = [position[p] for p in preds[n] if p in position]
            return (sum(above) / len(above) if above else float(order[n]), order[n])

        layers[r].sort(key=key)
        for i, n in enumerate(layers[r]):
            position[n] = float(i)
    widest = max((len(v) for v in layers.values()), default=1)
    width = widest * (W + GX) - GX + 2 * PAD + 60  # room on the right for back edges
    boxes: dict[str, Box] = {}
    for r, members in layers.items():
        offset = (widest - len(members)) * (W + GX) / 2
        for i, n in enumerate(members):
            boxes[n] = Box(PAD + offset + i * (W + GX), PAD + r * (H + GY))
    height = (max(layers, default=0) + 1) * (H + GY) - GY + 2 * PAD
    return boxes, width, height


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
    boxes, width, height = layout(graph)
    out = [
        f'<svg class="wfc-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(graph.name)} state graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
    ]
    out += _clusters(graph, boxes)
    for e in graph.edges:
        if e.src not in boxes or e.dst not in boxes:
            continue
        a, b = boxes[e.src], boxes[e.dst]
        classes = (
            ["edge", e.kind]
            + (["back"] if e.back else [])
            + (["visited"] if e.key in hl.visited_edges else [])
        )
        if e.back or b.y <= a.y:
            x1, y1 = a.x + W, a.y + H / 2
            x2, y2 = b.x + W, b.y + H / 2
            bend = max(x1, x2) + 40 + abs(y1 - y2) / 12
            d = f"M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2:.0f} {x2 + 2:.0f},{y2:.0f}"
            lx, ly = bend - 6, (y1 + y2) / 2
        else:
            x1, y1 = a.x + W / 2, a.y + H
            x2, y2 = b.x + W / 2, b.y
            mid = (y1 + y2) / 2
            d = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2 - 2:.0f}"
            lx, ly = (x1 + x2) / 2 + 4, mid
        out.append(f'<path class="{" ".join(classes)}" d="{d}" marker-end="url(#arrow)"/>')
        if e.label:
            out.append(
                f'<text class="edge-label" x="{lx:.0f}" y="{ly:.0f}">{escape(_clip(e.label, 18))}</text>'
            )
    for n in graph.nodes:
        out.append(_node(n, boxes[n.id], hl, counts.get(n.id, 0), (marks or {}).get(n.id)))
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


def _clusters(graph: Graph, boxes: dict[str, Box]) -> list[str]:
    """Try regions as dashed boxes around their states (and the regions inside them), outermost first."""
    out: list[str] = []

    def members(cluster: str) -> list[Box]:
        found = [boxes[n.id] for n in graph.members(cluster) if n.id in boxes]
        for child in graph.children(cluster):
            found += members(child.id)
        return found

    def depth(cluster: str | None) -> int:
        d = 0
        while cluster is not None:
            cluster = next((c.parent for c in graph.clusters if c.id == cluster), None)
            d += 1
        return d

    for c in sorted(graph.clusters, key=lambda c: depth(c.id)):
        inside = members(c.id)
        if not inside:
            continue
        pad = 14 - 4 * min(depth(c.id) - 1, 2)
        x0 = min(b.x for b in inside) - pad
        y0 = min(b.y for b in inside) - pad - 8
        x1 = max(b.x for b in inside) + W + pad
        y1 = max(b.y for b in inside) + H + pad
        out.append(
            f'<g class="cluster" data-region="{escape(c.id)}"><rect x="{x0:.0f}" y="{y0:.0f}" '
            f'width="{x1 - x0:.0f}" height="{y1 - y0:.0f}" rx="6"/>'
            f'<text x="{x0 + 6:.0f}" y="{y0 + 11:.0f}">{escape(_clip(c.label, 40))}</text></g>'
        )
    return out


__all__ = ["layout", "render_svg"]
