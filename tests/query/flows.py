"""Workflows paused with interesting live variables (tests/query)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import wfc


@dataclasses.dataclass
class Order:
    sku: str
    qty: int


@wfc.step
def price(order: Order) -> float:
    return order.qty * 2.5


@wfc.workflow
def query_checkout(sku: str, qty: int) -> str:
    order = Order(sku, qty)
    total = yield price(order)
    seen = []
    for round_ in range(3):  # a loop cursor of the compiler's own is live here too
        seen.append(round_)
        approved = yield wfc.wait_event("approve", timeout=3600)
        if approved:
            break
    return f"{order.sku}:{total}:{seen}"


@wfc.workflow
def query_handling(n: int) -> str:
    try:
        raise KeyError(n)
    except KeyError as err:
        when = dt.date(2026, 1, 2)
        yield wfc.wait_event("go")
        return f"{err!r} {when}"
