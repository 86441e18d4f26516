"""Workflows whose values are pydantic models, msgspec Structs and a user type with its own codec
(``wfc.register_type(cls, encode=..., decode=...)``): arguments, step arguments and results, live variables
across suspensions, child workflows, return values. Used by both runners and by fresh processes."""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from typing import Any

import msgspec
import pydantic

import wfc

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


class Money:
    """A user type of no kind the codec knows (a plain class with slots): persisted through its own codec."""

    __slots__ = ("cents", "currency")

    def __init__(self, cents: int, currency: str) -> None:
        self.cents, self.currency = cents, currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (self.cents, self.currency) == (other.cents, other.currency)

    def __hash__(self) -> int:
        return hash((self.cents, self.currency))

    def __repr__(self) -> str:
        return f"Money({self.cents}, {self.currency!r})"


def _money(data: Any) -> Money:
    """From what the encoder wrote (``"12.50 EUR"``), or from plain input for a ``Money`` argument."""
    if not isinstance(data, str) or data.count(" ") != 1:
        raise ValueError(f"expected '<amount> <currency>', got {data!r}")
    amount, currency = data.split(" ")
    return Money(int(decimal.Decimal(amount) * 100), currency)


wfc.register_type(Money, encode=lambda m: f"{decimal.Decimal(m.cents) / 100:.2f} {m.currency}", decode=_money,
                  name="tests.values.Money")  # fmt: skip


class Line(pydantic.BaseModel):
    sku: str
    qty: int = pydantic.Field(gt=0)
    price: decimal.Decimal


class Order(pydantic.BaseModel):
    id: str
    lines: list[Line]
    placed: dt.datetime
    tags: set[str] = set()
    note: str | None = None

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> decimal.Decimal:
        return sum((line.price * line.qty for line in self.lines), decimal.Decimal(0))


class Receipt(pydantic.BaseModel):
    order: str
    total: decimal.Decimal
    paid: Any  # a user value inside a model: Money, through its own codec


class Point(msgspec.Struct):
    x: int
    y: int
    at: dt.date


@wfc.step
def price(order: Order) -> Receipt:
    assert isinstance(order, Order) and isinstance(order.lines[0], Line)
    return Receipt(order=order.id, total=order.total, paid=Money(int(order.total * 100), "EUR"))


@wfc.step
def move(p: Point, dx: int) -> Point:
    assert isinstance(p, Point)
    return Point(p.x + dx, p.y, p.at)


@wfc.step
def double(m: Money) -> Money:
    assert isinstance(m, Money)
    return Money(m.cents * 2, m.currency)


@wfc.workflow(name="values_child")
def child(order: Order) -> wfc.Workflow[Receipt]:
    return (yield from price(order))


@wfc.workflow(name="values_checkout")
def checkout(order: Order, fee: Money, where: Point) -> wfc.Workflow[dict[str, Any]]:
    alias = order  # two names for one model: still one object after every suspension
    receipt = yield from child(order)
    yield from wfc.sleep(60)
    alias.note = "slept"  # a live model is mutable across suspensions, as in Python
    decision = yield from wfc.wait_event("approve", timeout=3600)
    moved = yield from move(where, 2)
    fees = yield from double(fee)
    return {"receipt": receipt, "order": order, "same": alias is order, "note": order.note,
            "decision": decision, "moved": moved, "fees": fees}  # fmt: skip


def sample_order() -> Order:
    return Order(
        id="o-1",
        lines=[Line(sku="book", qty=2, price=decimal.Decimal("12.50")), Line(sku="pen", qty=1, price=decimal.Decimal("1.20"))],
        placed=dt.datetime(2024, 3, 31, 1, 30, tzinfo=PARIS),
        tags={"gift"},
    )


def sample_json() -> dict[str, Any]:
    """The same arguments as plain JSON, as a web client sends them (``wfc.Client.start`` by name)."""
    return {
        "order": {"id": "o-1", "placed": "2024-03-31T01:30:00+01:00", "tags": ["gift"],
                  "lines": [{"sku": "book", "qty": 2, "price": "12.50"}, {"sku": "pen", "qty": "1", "price": 1.2}]},
        "fee": "3.00 EUR",
        "where": {"x": 1, "y": 2, "at": "2024-01-02"},
    }  # fmt: skip


@wfc.step
def parse_line(raw: dict[str, Any]) -> Line:
    return Line.model_validate(raw)  # a step that validates: its ValidationError fails the step


@wfc.workflow(name="values_parse")
def parse(raw: dict[str, Any]) -> wfc.Workflow[str]:
    try:
        line = yield from parse_line(raw)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError, and is re-raised as one
        assert isinstance(exc, wfc.StepFailed)
        return f"invalid: {exc.message.splitlines()[0]}"
    return f"ok: {line.sku}"
