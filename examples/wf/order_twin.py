"""The hand-written Python twin of ``order.wf``: it must compile to the same state table."""

from __future__ import annotations

import order_steps as steps

import wfc


@wfc.workflow
def process_order(order_id: str, items: list[str], amount: float, address: str = "pickup") -> dict:
    reservation = yield steps.reserve(order_id, items)
    try:
        receipt = yield steps.charge(order_id, amount).options(
            retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=2)
        )
    except steps.CardDeclined as e:
        yield steps.release(order_id)
        raise wfc.WorkflowFailed(f"payment declined for {order_id}: {e}")  # noqa: B904
    parcel = yield steps.ship(order_id, address)
    yield steps.notify(order_id, f"your order ships as {parcel}")
    wfc.log.info(f"order {order_id} done")
    return {"receipt": receipt, "parcel": parcel, "reserved": reservation["reserved"]}


# Inputs the tests run both versions with (workflow, args, keyword arguments incl. test options).
CASES = [
    ("process_order", ("o-1", ["book", "pen"], 25.0), {}),
    ("process_order", ("o-2", ["piano"], 5000.0), {"address": "home"}),
]
