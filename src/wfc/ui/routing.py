"""Edge routes of the dashboard's graph drawing: axis-parallel polylines that never cross a state.

Every edge leaves its source from the bottom and enters its target from the top. Between rows it runs
horizontally in the *band* under a row (the layout keeps bands free of states); to pass rows it runs vertically
in a *lane*, an x where no state of those rows is. An edge to the next row needs no lane; an edge that skips
rows takes the free lane nearest its two ends; an edge that goes back up (a loop) takes a lane free over every
row from its target's to its source's, so it runs beside the loop, not through it. Edges leaving one state are
spread along its bottom, edges entering one along its top, so they can be told apart, and edges sharing a band or
a lane are nudged apart by a few pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wfc.compiler.graph import Graph
from wfc.ui.geometry import GX, Box, H, Point, Rect, W

MARGIN = 6  # a lane keeps this far from every state's box
NUDGE = (0.0, 5.0, -5.0, 10.0, -10.0)  # offsets of successive edges sharing a band or a lane


def route(
    graph: Graph,
    back: set[int],
    rank: Mapping[str, int],
    boxes: Mapping[str, Box],
    regions: Mapping[str, Rect],
    spans: Mapping[str, tuple[int, int]],
    bands: list[tuple[float, float]],
) -> dict[int, list[Point]]:
    """Each drawable edge's route, by index into ``graph.edges``. ``bands[r]`` is the free band under row
    ``r`` (``bands[-1]`` doubles as the margin under the last row); the band above the first row is the 14 px
    the layout leaves above it."""
    rows: dict[int, list[Box]] = {}
    for n, box in boxes.items():
        rows.setdefault(rank[n], []).append(box)
    first_top = min((b.y for b in boxes.values()), default=H)

    def band(r: int) -> float:
        if r < 0:
            return first_top - 10
        a, b = bands[min(r, len(bands) - 1)]
        return (a + b) / 2

    sources: dict[int, tuple[str, float, float, float, int]] = {}  # edge -> (key, x0, x1, bottom y, row)
    targets: dict[int, str] = {}
    for i, e in enumerate(graph.edges):
        if e.dst not in boxes:
            continue
        if e.cluster is not None and e.cluster in regions:
            rect = regions[e.cluster]
            sources[i] = (f"region:{e.cluster}", rect.x0, rect.x1, rect.y1, spans[e.cluster][1])
        elif e.src in boxes:
            box = boxes[e.src]
            sources[i] = (e.src, box.x, box.x + W, box.y + H, rank[e.src])
        else:
            continue
        targets[i] = e.dst

    def centre(node: str) -> float:
        return boxes[node].x + W / 2

    out_port = _spread(
        {i: s[0] for i, s in sources.items()},
        lambda i: (i in back, centre(targets[i])),
        lambda i, k, n: sources[i][1] + (sources[i][2] - sources[i][1]) * (k + 1) / (n + 1),
    )
    in_port = _spread(
        targets,
        lambda i: ((sources[i][1] + sources[i][2]) / 2, i in back),
        lambda i, k, n: boxes[targets[i]].x + W * (k + 1) / (n + 1),
    )
    band_use: dict[int, int] = {}
    lane_use: dict[int, int] = {}
    routes: dict[int, list[Point]] = {}
    for i, (key, _, _, sy, src_row) in sources.items():
        dst = targets[i]
        if key == dst:  # a state that loops to itself: a small hook on its right
            b = boxes[dst]
            routes[i] = [
                (b.x + W, b.y + 14),
                (b.x + W + 14, b.y + 14),
                (b.x + W + 14, b.y + H - 14),
                (b.x + W, b.y + H - 14),
            ]
            continue
        sx, dx = out_port[i], in_port[i]
        dy, dst_row = boxes[dst].y, rank[dst]
        if dst_row == src_row + 1 and abs(sx - dx) < 0.5:
            routes[i] = [(sx, sy), (sx, dy)]  # (ends a rounding error apart: one straight line)
            continue
        y1 = band(src_row) + _nudge(band_use, src_row)
        if dst_row == src_row + 1:
            routes[i] = [(sx, sy), (sx, y1), (dx, y1), (dx, dy)]
            continue
        passed = range(src_row + 1, dst_row) if dst_row > src_row else range(dst_row, src_row + 1)
        in_the_way = [b for r in passed for b in rows.get(r, ())]
        lane = _lane(in_the_way, sx, dx, lane_use)
        y2 = band(dst_row - 1) + _nudge(band_use, dst_row - 1)
        routes[i] = [(sx, sy), (sx, y1), (lane, y1), (lane, y2), (dx, y2), (dx, dy)]
    return routes


def _spread(
    owner: Mapping[int, str], order_key: Callable[[int], Any], place: Callable[[int, int, int], float]
) -> dict[int, float]:
    """Spread the edges that share an end (``owner[i]``) along it, in ``order_key`` order."""
    groups: dict[str, list[int]] = {}
    for i, who in owner.items():
        groups.setdefault(who, []).append(i)
    out: dict[int, float] = {}
    for members in groups.values():
        members.sort(key=order_key)
        for k, i in enumerate(members):
            out[i] = place(i, k, len(members))
    return out


def _nudge(use: dict[int, int], key: int) -> float:
    k = use.get(key, 0)
    use[key] = k + 1
    return NUDGE[k % len(NUDGE)]


def _free(x: float, in_the_way: list[Box]) -> bool:
    return all(x <= b.x - MARGIN or b.x + W + MARGIN <= x for b in in_the_way)


def _lane(in_the_way: list[Box], sx: float, dx: float, use: dict[int, int]) -> float:
    """The x nearest both ends where a vertical run clears every box ``in_the_way`` (beside them all if need be)."""
    candidates = [sx, dx] + [x for b in in_the_way for x in (b.x - GX / 2, b.x + W + GX / 2)]
    lane = min((c for c in candidates if _free(c, in_the_way)), key=lambda c: (abs(c - sx) + abs(c - dx), -c))
    nudged = lane + _nudge(use, round(lane))
    return nudged if _free(nudged, in_the_way) else lane


def path_data(points: list[Point], radius: float = 6.0) -> str:
    """SVG path data for a polyline, its corners rounded."""
    pts: list[Point] = []
    for p in points:
        if pts and abs(p[0] - pts[-1][0]) < 0.01 and abs(p[1] - pts[-1][1]) < 0.01:
            continue
        if len(pts) >= 2 and _collinear(pts[-2], pts[-1], p):
            pts[-1] = p
            continue
        pts.append(p)
    if len(pts) < 2:
        return ""
    out = [f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"]
    for a, p, b in zip(pts, pts[1:], pts[2:]):
        r = min(radius, _dist(a, p) / 2, _dist(p, b) / 2)
        s = _towards(p, a, r)
        t = _towards(p, b, r)
        out.append(f"L{s[0]:.1f},{s[1]:.1f} Q{p[0]:.1f},{p[1]:.1f} {t[0]:.1f},{t[1]:.1f}")
    out.append(f"L{pts[-1][0]:.1f},{pts[-1][1]:.1f}")
    return " ".join(out)


def _collinear(a: Point, b: Point, c: Point) -> bool:
    return abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) < 0.01


def _dist(a: Point, b: Point) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)


def _towards(p: Point, q: Point, r: float) -> Point:
    d = _dist(p, q)
    return p if d == 0 else (p[0] + (q[0] - p[0]) * r / d, p[1] + (q[1] - p[1]) * r / d)


__all__ = ["path_data", "route"]
