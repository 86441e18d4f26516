"""Order fulfilment: the example the README's demo runs.

A retried flaky step (payment), a parallel fan-out (reserving every item at once), a child workflow (shipping),
a durable sleep (the cooling-off period) and an approval event sent from outside — in plain Python.
"""

from __future__ import annotations

import wfc

# A flaky payment provider: it fails the first time it sees an order, then succeeds.
_seen: set[str] = set()


@wfc.step(retry=wfc.RetryPolicy(max_attempts=4, initial_backoff=0.2, max_backoff=2))
def charge_card(order_id: str, amount: float) -> str:
    if order_id not in _seen:
        _seen.add(order_id)
        raise ConnectionError("payment provider timed out")
    return f"pay-{order_id}-{amount:.2f}"


@wfc.step
def reserve_item(sku: str, quantity: int) -> dict[str, object]:
    return {"sku": sku, "quantity": quantity, "bin": f"B{sum(map(ord, sku)) % 40:02d}"}


@wfc.step
def print_label(order_id: str, address: str) -> str:
    return f"label-{order_id}"


@wfc.step
def notify(order_id: str, message: str) -> None:
    wfc.log.info("notify %s: %s", order_id, message)


@wfc.workflow
def ship(order_id: str, address: str) -> wfc.Workflow[str]:
    """A child workflow: print the label, then hand over to the carrier."""
    label = yield from print_label(order_id, address)
    yield from notify(order_id, f"shipped with {label}")
    return label


@wfc.workflow
def fulfil_order(order_id: str, items: dict[str, int], address: str, amount: float) -> wfc.Workflow[dict[str, object]]:
    payment = yield from charge_card(order_id, amount)
    reservations = yield from wfc.all_of(*[reserve_item(sku, qty) for sku, qty in items.items()])
    if amount > 100:
        try:
            approved = yield from wfc.wait_event("approval", timeout=24 * 3600)
        except wfc.Timeout:
            approved = False
        if not approved:
            yield from notify(order_id, "order not approved")
            return {"order": order_id, "status": "rejected"}
    yield from wfc.sleep(5)  # cooling-off period: the customer may still cancel
    label = yield from ship(order_id, address)
    return {"order": order_id, "status": "shipped", "payment": payment, "label": label,
            "bins": [r["bin"] for r in reservations]}
