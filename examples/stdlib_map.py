"""Thumbnails for many images, five at a time, and a search index fed in batches (docs/stdlib.md embeds this
file)."""

from __future__ import annotations

import wfc
from wfc.stdlib import map_batches, map_window

FIVE_AT_ONCE = map_window(5)  # module level: every worker importing this module knows the window


@wfc.step
def thumbnail(image: str) -> str:
    return f"{image}.thumb"


@wfc.step
def index(docs: list[str]) -> list[int]:  # a bulk API: one call per batch, one result per item
    return [len(d) for d in docs]


@wfc.workflow
def publish(images: list[str]) -> wfc.Workflow[dict[str, list[object]]]:
    thumbs = yield from FIVE_AT_ONCE.map(thumbnail, images)  # in the images' order
    sizes = yield from map_batches(index, thumbs, batch_size=100)
    return {"thumbs": list(thumbs), "sizes": list(sizes)}
