"""The application's workflows, served by a worker; the client tests never import this module in the client."""

from __future__ import annotations

import attrs

import wfc


@attrs.frozen
class Order:
    id: str
    cents: int


@wfc.step
def hello(name: str) -> str:
    return f"hello {name}"


@wfc.step
def total(order: Order, tip: int) -> int:
    return order.cents + tip


@wfc.workflow(name="greet")
def greet(name: str) -> wfc.Workflow[str]:
    return (yield from hello(name))


@wfc.workflow(name="bill")
def bill(order: Order, tip: int = 0) -> wfc.Workflow[dict[str, object]]:
    cents = yield from total(order, tip)
    return {"order": order.id, "cents": cents}


@wfc.workflow(name="approval")
def approval(who: str) -> wfc.Workflow[str]:
    decision = yield from wfc.wait_event("decision", timeout=600)
    return f"{who}: {decision}"
