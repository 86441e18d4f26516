"""The steps that the examples in ``docs/language.md`` import (``import shop``).

Each step is deterministic, so the documentation's examples can be run by the tests.
"""

from __future__ import annotations

import wfc


@wfc.register_error
class CardDeclined(Exception):
    """The payment provider refused the card."""


@wfc.register_error
class OutOfStock(Exception):
    """An item cannot be reserved."""


@wfc.step
def lookup(order_id: str) -> dict[str, object]:
    return {"id": order_id, "email": f"{order_id}@example.com", "items": ["book", "pen"], "total": 30.0}


@wfc.step
def reserve(item: str, qty: int = 1) -> str:
    if item == "unicorn":
        raise OutOfStock(f"no {item} left")
    return f"hold-{item}-{qty}"


@wfc.step
def charge(order_id: str, amount: float) -> str:
    if amount > 1000:
        raise CardDeclined(f"{amount} is over the card's limit")
    return f"receipt-{order_id}"


@wfc.step
def refund(receipt: str) -> None:
    return None


@wfc.step
def ship(order_id: str, address: str = "pickup") -> str:
    return f"parcel-{order_id}"


@wfc.step
def notify(email: str, message: str) -> None:
    return None


@wfc.step
def price(sku: str) -> float:
    return float(len(sku) * 3)


@wfc.workflow
def ship_and_notify(order_id: str, email: str):  # a Python workflow a .wf file can call as a child
    parcel = yield ship(order_id)
    yield notify(email, f"shipped as {parcel}")
    return parcel
