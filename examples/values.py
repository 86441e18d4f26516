"""Values from the ecosystem in a workflow: pydantic models, and a type of your own with its codec
(docs/values.md embeds this file; tests/values/test_examples.py runs it)."""

from __future__ import annotations

import datetime as dt
import decimal

import pydantic

import wfc


class Money:
    """A type of your own that wfc knows nothing about: give it a codec, once, where it is defined."""

    def __init__(self, cents: int, currency: str) -> None:
        self.cents, self.currency = cents, currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (self.cents, self.currency) == (other.cents, other.currency)

    def __hash__(self) -> int:
        return hash((self.cents, self.currency))


def money_from(data: object) -> Money:
    """Stored data (``[1250, "EUR"]``), or a workflow argument given as JSON."""
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int) and isinstance(data[1], str)):
        raise ValueError(f"expected [cents, currency], got {data!r}")
    return Money(data[0], data[1])


wfc.register_type(Money, encode=lambda m: [m.cents, m.currency], decode=money_from, name="shop.Money")


class Line(pydantic.BaseModel):  # pydantic models need no registration
    sku: str
    qty: int = pydantic.Field(gt=0)
    price: decimal.Decimal


class Order(pydantic.BaseModel):
    id: str
    lines: list[Line]
    placed: dt.datetime
    note: str | None = None


class Invoice(pydantic.BaseModel):
    order: str
    total: decimal.Decimal


@wfc.step
def bill(order: Order) -> Invoice:  # models as step arguments and results
    return Invoice(order=order.id, total=sum((x.price * x.qty for x in order.lines), decimal.Decimal(0)))


@wfc.step
def charge(invoice: Invoice, fee: Money) -> Money:
    return Money(int(invoice.total * 100) + fee.cents, fee.currency)


@wfc.workflow(name="invoice")
def invoice(order: Order, fee: Money) -> wfc.Workflow[tuple[Invoice, Money]]:
    bill_ = yield from bill(order)
    order.note = "billed"  # a live model, mutated: it is what the workflow sees after the wait
    yield from wfc.wait_event("confirmed", timeout=3600)
    assert order.note == "billed"
    paid = yield from charge(bill_, fee)
    return bill_, paid


if __name__ == "__main__":
    # Arguments as plain JSON, as a web client sends them: the worker validates them into the declared types.
    args = {"order": {"id": "o-1", "placed": "2024-03-01T10:00:00Z",
                      "lines": [{"sku": "book", "qty": 2, "price": "12.50"}]},
            "fee": [30, "EUR"]}  # fmt: skip
    bill_, paid = wfc.testing.run(invoice, **args, events={"confirmed": True})
    print(bill_.total, paid.cents, paid.currency)  # 25.00 2530 EUR
