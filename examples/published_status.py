"""A workflow that publishes its progress for readers outside it: wfc.set_status (docs/runtime.md)."""

from __future__ import annotations

import wfc


@wfc.step
def resize(image: str) -> str:
    return f"{image}@2x"


@wfc.workflow
def resize_all(images: list[str]) -> wfc.Workflow[list[str]]:
    done: list[str] = []
    for image in images:
        bigger = yield from resize(image)
        done.append(bigger)
        wfc.set_status("progress", {"done": len(done), "of": len(images)})  # readers see it once committed
    wfc.set_status("stage", "waiting for review")
    approved = yield from wfc.wait_event("reviewed")
    wfc.set_status("stage", "published" if approved else "discarded")
    return done if approved else []
