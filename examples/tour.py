"""A tour of what a Python workflow may contain (docs/python-workflows.md embeds this file)."""

from __future__ import annotations

import wfc


class PaymentDeclined(Exception):
    """An application error type: registered, so a step raising it is caught by `except PaymentDeclined`."""


wfc.register_error(PaymentDeclined)


@wfc.step
def quote(sku: str) -> float:
    return {"book": 12.5, "lamp": 40.0}.get(sku, 99.0)


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=1.0))
def pay(customer: str, amount: float) -> str:
    if amount > 500:
        raise PaymentDeclined(f"{customer}: limit exceeded")
    return f"receipt-{customer}-{amount:.2f}"


@wfc.step
def email(customer: str, text: str) -> None:
    wfc.log.info("email to %s: %s", customer, text)


def total_of(prices: list[float]) -> float:
    """A pure helper: called between steps, checked by `wfc check` like the workflow itself."""
    return round(sum(prices) * 1.2, 2)


@wfc.workflow
def checkout(customer: str, basket: dict[str, int]) -> wfc.Workflow[dict[str, object]]:
    prices: list[float] = []
    for sku, count in basket.items():              # a loop whose body yields keeps its place
        price = yield from quote(sku)
        prices.extend([price] * count)
    total = total_of(prices)                        # ordinary code between steps
    try:
        receipt = yield from pay(customer, total)
    except PaymentDeclined as declined:             # the step's own exception type
        yield from email(customer, f"payment declined: {declined}")
        return {"status": "declined"}
    finally:
        yield from email(customer, "thank you for shopping")   # yields inside finally too
    _sent, _slept = yield from wfc.all_of(               # parallel steps; results in argument order
        email(customer, f"paid {total}"),
        wfc.sleep(60),
    )
    which, _value = yield from wfc.any_of(                # a race: an event against a timer
        wfc.wait_event("delivered"),
        wfc.sleep(7 * 24 * 3600),
    )
    return {"status": "paid", "receipt": receipt, "total": total, "delivered": which == 0}
