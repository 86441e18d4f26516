"""A small shop whose tests (test_shop.py beside it) show wfc's pytest fixtures; docs/testing.md explains them."""

from __future__ import annotations

import wfc


class CardDeclined(Exception):
    pass


wfc.register_error(CardDeclined)


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=2.0, jitter=0, non_retryable=["CardDeclined"]))
def charge_card(order_id: str, cents: int) -> str:
    raise RuntimeError("the real payment provider is not reachable from tests")


@wfc.step
def send_receipt(order_id: str, receipt: str) -> None:
    wfc.log.info("receipt %s for %s", receipt, order_id)


@wfc.workflow(name="shop.checkout")
def checkout(order_id: str, cents: int) -> wfc.Workflow[dict[str, object]]:
    try:
        receipt = yield from charge_card(order_id, cents)
    except CardDeclined:
        return {"order": order_id, "status": "declined"}
    decision = yield from wfc.wait_event("ship", timeout=24 * 3600)
    yield from send_receipt(order_id, receipt)
    yield from wfc.sleep(3600)
    return {"order": order_id, "status": "paid", "receipt": receipt, "ship": decision}
