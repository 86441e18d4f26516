"""The shapes the dashboard's graph drawing is made of, shared by the layout and the edge router."""

from __future__ import annotations

import attrs

W, H = 210, 46  # a state's box
GX, GY = 34, 40  # least gaps between boxes side by side, and between rows
PAD = 20  # margin around the drawing

Point = tuple[float, float]


@attrs.frozen
class Box:
    """A state's box: its top-left corner (the size is always ``W`` × ``H``)."""

    x: float
    y: float


@attrs.frozen
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float


@attrs.frozen
class Drawing:
    """A laid-out graph: state boxes by state id, try-region boxes by region id, each drawn edge's route (a
    polyline of axis-parallel segments, by index into ``Graph.edges``) and which edges close a loop."""

    boxes: dict[str, Box]
    regions: dict[str, Rect]
    routes: dict[int, list[Point]]
    width: float
    height: float
    back: frozenset[int] = frozenset()


__all__ = ["GX", "GY", "PAD", "Box", "Drawing", "H", "Point", "Rect", "W"]
