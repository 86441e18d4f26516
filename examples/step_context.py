"""A step that asks which attempt it is: the last one takes a slower, surer way (docs/python-workflows.md)."""

from __future__ import annotations

import wfc

gateway_up = False  # the card gateway is down today


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=0.01))
def charge(order_id: str, amount: float) -> str:
    ctx = wfc.step_context()  # workflow_id, workflow, step, attempt (1, 2, ...), max_attempts (None: no limit)
    if ctx.attempt == ctx.max_attempts:
        return f"invoice {order_id} for {amount:.2f} ({ctx.workflow_id}, attempt {ctx.attempt})"
    if not gateway_up:
        raise ConnectionError("card gateway unreachable")
    return f"card {order_id}"


@wfc.workflow
def checkout(order_id: str, amount: float) -> wfc.Workflow[str]:
    receipt = yield from charge(order_id, amount)
    return receipt
