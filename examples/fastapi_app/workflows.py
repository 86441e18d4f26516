"""The order service's workflows, values pydantic models (docs/integration.md embeds this file). The web layer
(app.py) starts them by name and never calls them: only the worker imports this module's code paths."""

from __future__ import annotations

import pydantic

import wfc

PRICES = {"book": 1250, "lamp": 4000, "desk": 25000}  # cents
APPROVAL_OVER = 20000  # orders over this many cents wait for a person's approval


class Item(pydantic.BaseModel):
    sku: str
    qty: int = pydantic.Field(gt=0, le=100)


class Order(pydantic.BaseModel):
    customer: str = pydantic.Field(min_length=1)
    items: list[Item] = pydantic.Field(min_length=1)


class Receipt(pydantic.BaseModel):
    customer: str
    total_cents: int
    charge_id: str | None = None
    approved_by: str | None = None
    status: str


@wfc.step
def price(order: Order) -> int:
    missing = [i.sku for i in order.items if i.sku not in PRICES]
    if missing:
        raise LookupError(f"unknown products: {', '.join(missing)}")
    return sum(PRICES[i.sku] * i.qty for i in order.items)


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=0.5))
def charge(customer: str, cents: int) -> str:
    return f"ch_{customer}_{cents}"  # a payment provider's call, retried on failure


@wfc.workflow(name="place_order")
def place_order(order: Order) -> wfc.Workflow[Receipt]:
    total = yield from price(order)
    approver = None
    if total > APPROVAL_OVER:
        decision = yield from wfc.wait_event("approval", timeout=24 * 3600)
        if not decision["approved"]:
            return Receipt(customer=order.customer, total_cents=total, status="rejected")
        approver = decision["by"]
    charge_id = yield from charge(order.customer, total)
    return Receipt(customer=order.customer, total_cents=total, charge_id=charge_id, approved_by=approver,
                   status="paid")  # fmt: skip
