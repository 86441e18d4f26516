"""Steps for the order examples (``order.wf`` and its Python twin ``order_twin.py``)."""

from __future__ import annotations

import wfc


@wfc.register_error
class CardDeclined(Exception):
    """The payment provider refused the card."""


@wfc.step
def reserve(order_id: str, items: list[str]) -> dict[str, object]:
    return {"order": order_id, "reserved": len(items)}


@wfc.step
def charge(order_id: str, amount: float) -> str:
    if amount > 1000:
        raise CardDeclined(f"amount {amount} over the limit")
    return f"receipt-{order_id}"


@wfc.step
def release(order_id: str) -> None:
    return None


@wfc.step
def ship(order_id: str, address: str) -> str:
    return f"parcel-{order_id}"


@wfc.step
def notify(order_id: str, message: str) -> None:
    return None
