"""A workflow with a schedule declared on it (imported by one test only: a declaration is process-wide, and every
worker of this process would install it)."""

from __future__ import annotations

import wfc

from .flows import stamp


@wfc.schedule(every=30, name="declared-every-30s", args=["declared"])
@wfc.workflow(name="declared")
def declared(label: str) -> wfc.Workflow[str]:
    return (yield from stamp(label))
