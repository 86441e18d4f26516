"""The typing contract of wfc's public API, checked by mypy --strict and pyright (tests/typing/test_typing.py).

Not run: read by type checkers only. ``assert_type`` pins what is inferred with no annotation; each expected
error carries an ignore comment for both checkers (mypy's ``# type: ignore[code]``, pyright's
``# pyright: ignore[rule]``), and both are told to fail on an ignore that is not needed, so every line marked
here must really be an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, assert_type

import attrs

import wfc
from wfc import Handle
from wfc.commands import Sleep, StepCall


@attrs.frozen
class Receipt:
    order: str
    cents: int


@wfc.step
def charge(order: str, cents: int, *, currency: str = "EUR") -> Receipt:
    return Receipt(order, cents)


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3))
async def lookup(sku: str) -> int:
    return len(sku)


@wfc.step(name="notify")
def notify(user: str) -> None:
    del user


@wfc.transaction
def reserve(db: Any, sku: str, n: int) -> bool:
    del db, sku, n
    return True


@wfc.transaction(inline=True)
def log_row(db: Any, text: str) -> int:
    del db, text
    return 1


@wfc.workflow
def ship(order: str) -> wfc.Workflow[dt.datetime]:
    yield from wfc.sleep(1)
    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@wfc.workflow
def tax(amount: float) -> float:  # a workflow with no steps
    return amount * 0.2


@wfc.workflow(name="taxed")
def taxed(amount: float) -> wfc.Workflow[float]:
    extra = yield from tax(amount)
    assert_type(extra, float)
    return amount + extra


@wfc.workflow(name="checkout")
def checkout(order: str, skus: list[str]) -> wfc.Workflow[dict[str, object]]:
    receipt = yield from charge(order, 1200)
    assert_type(receipt, Receipt)
    count = yield from lookup(skus[0])  # an async step's result is what it awaits to
    assert_type(count, int)
    ok = yield from reserve(skus[0], 2)  # the database handle is not passed
    assert_type(ok, bool)
    assert_type((yield from log_row("x")), int)
    yield from notify(order)
    assert_type(notify(order), StepCall[None])
    shipped = yield from ship(order)  # a child workflow: its return type
    assert_type(shipped, dt.datetime)
    pair = yield from wfc.all_of(charge(order, 1), lookup("a"))  # fixed arity: a tuple, position by position
    assert_type(pair, tuple[Receipt, int])
    a, b, c = yield from wfc.all_of(lookup("a"), notify(order), ship(order))
    assert_type(a, int)
    assert_type(b, None)
    assert_type(c, dt.datetime)
    counts = yield from wfc.all_of([lookup(s) for s in skus])  # one list: a list
    assert_type(counts, list[int])
    more = yield from wfc.all_of(*[lookup(s) for s in skus])  # *args: a tuple of one type
    assert_type(more, tuple[int, ...])
    index, first = yield from wfc.any_of(lookup("a"), wfc.sleep(5))
    assert_type(index, int)
    assert_type(first, int | None)
    yield from wfc.sleep(dt.timedelta(minutes=1))
    assert_type(wfc.sleep(1), Sleep)
    assert_type((yield from wfc.sleep(1)), None)
    assert_type((yield from wfc.sleep_until(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))), None)
    event = yield from wfc.wait_event("approved", timeout=60)
    assert_type(event, Any)
    quick = yield from charge(order, 5).options(retry=False, name="charge quickly")
    assert_type(quick, Receipt)
    legacy = yield charge(order, 1)  # plain `yield` stays valid: the generator's send type
    assert_type(legacy, Any)
    return {"receipt": receipt, "n": count + len(counts) + len(more) + index}


@wfc.workflow
def wrong_arguments(order: str) -> wfc.Workflow[None]:
    yield from charge(order, "12")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    yield from charge(order)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    yield from charge(order, 1, currency=3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    yield from charge(order, 1, colour="red")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    yield from reserve("sku", 1, 2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    yield from ship(3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    yield from wfc.all_of(charge(order, 1), 3)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue,reportArgumentType]
    receipt = yield from charge(order, 1)
    receipt.cents.upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue,reportUnknownMemberType]


def start_and_read(rt: wfc.Runtime) -> None:
    handle = rt.start(checkout, "o-1", ["book"])
    assert_type(handle, Handle[dict[str, object]])
    assert_type(handle.id, str)
    assert_type(rt.result(handle), dict[str, object])
    assert_type(handle.result(), dict[str, object])
    assert_type(rt.run_until_complete(handle), dict[str, object])
    assert_type(rt.status(handle), wfc.Status)
    assert isinstance(handle, str)  # a handle is its id
    assert_type(rt.result(str(handle)), Any)
    named = rt.start("checkout", "o-2", ["lamp"])
    assert_type(named, Handle[Any])
    with_options = rt.start(checkout, "o-3", ["x"], id="order-3")
    assert_type(with_options, Handle[dict[str, object]])
    rt.start(checkout, "o-4")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    rt.start(checkout, 4, ["x"])  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType,reportCallIssue]
    rt.start(ship, order="o-5")
    rt.start(ship, orders="o-5")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]


def steps_keep_their_functions() -> None:
    assert_type(charge.fn("o", 1), Any)  # the undecorated function, for unit tests
    assert_type(charge.name, str)


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents


class Temperature:
    def __init__(self, degrees: float) -> None:
        self.degrees = degrees


def codecs() -> None:
    money = wfc.register_type(Money, encode=lambda m: m.cents, decode=lambda data: Money(int(data)), name="x.Money")
    assert_type(money, type[Money])
    assert_type(wfc.register_type(Receipt), type[Receipt])  # a name only (here: the default)

    def build(cls: type[Temperature], data: Any) -> Temperature:
        return cls(float(data))

    family = wfc.register_type(Temperature, encode=lambda t: t.degrees, decode=build, subclasses=True)
    assert_type(family, type[Temperature])
    wfc.register_type(Money, encode=lambda m: m.degrees, decode=Money)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue,reportUnknownMemberType,reportUnknownLambdaType]
    wfc.register_type(Money, encode=str)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
