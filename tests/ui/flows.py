"""Workflows the dashboard's tests run (the browser tests' worker imports this file: ``--app``)."""

from __future__ import annotations

import wfc


@wfc.step
def prepare(order: str) -> dict[str, str]:
    return {"order": order, "note": "<script>window.__xss = 1</script>"}


@wfc.step
def ship(order: str, how: str) -> str:
    return f"{order} shipped by {how}"


@wfc.step
def explode(order: str) -> str:
    raise ValueError(f"cannot pack {order}")


@wfc.workflow
def approval(order: str):
    prepared = yield prepare(order)
    how = yield wfc.wait_event("approved")
    receipt = yield ship(order, how)
    confirm = yield wfc.wait_event("confirmed")
    return {"prepared": prepared, "receipt": receipt, "confirm": confirm}


@wfc.workflow
def broken(order: str):
    try:
        yield explode(order)
    except KeyError:
        return "never"
    return "never either"


@wfc.workflow
def batch(orders: list[str]):
    results = []
    for order in orders:
        result = yield approval(order)
        results.append(result)
    return results


@wfc.workflow
def approval_v2(order: str):
    """``approval`` as its next version might be: one more step before shipping (the versions' diff test)."""
    prepared = yield prepare(order)
    how = yield wfc.wait_event("approved")
    checked = yield prepare(how)
    receipt = yield ship(order, how)
    confirm = yield wfc.wait_event("confirmed")
    return {"prepared": prepared, "receipt": receipt, "confirm": confirm, "checked": checked}


@wfc.step
def ask_payment(order: str) -> str:
    from wfc.ui import webhook_url

    return webhook_url("paid")  # handed to the payment provider, which POSTs to it once paid


@wfc.workflow
def paying(order: str) -> wfc.Workflow[object]:
    yield from ask_payment(order)
    paid = yield from wfc.wait_event("paid")
    return paid


FLAKY_CALLS: list[int] = []


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=1.0, jitter=0.0))
def unreliable(order: str) -> str:
    FLAKY_CALLS.append(1)
    if len(FLAKY_CALLS) % 3:
        raise ConnectionError(f"attempt {len(FLAKY_CALLS) % 3} lost")
    return f"{order} done"


@wfc.workflow
def retried(order: str):
    return (yield unreliable(order))


@wfc.step
def ask_scoped_payment(order: str, attempt: int) -> object:
    from wfc.ui import webhook

    return webhook("paid")  # a URL for this wait only: its delivery is the event hook.event


@wfc.workflow
def paying_once_per_link(order: str) -> wfc.Workflow[object]:
    for attempt in range(3):  # a payment link that expires is replaced by a new one
        hook = yield from ask_scoped_payment(order, attempt)
        try:
            return (yield from wfc.wait_event(hook.event, timeout=60))
        except wfc.Timeout:
            continue
    return "no payment"


# Named queues the queue pages show (every runtime and worker importing this file records them).
one_at_a_time = wfc.Queue("ui-line", concurrency=1)
lanes = wfc.Queue("ui-lanes", concurrency=2, rate_limit=(3, 60.0), priority=True, partitioned=True)


@wfc.workflow
def queued(order: str):
    """Holds its queue slot until it is sent ``go``."""
    how = yield wfc.wait_event("go")
    return f"{order}: {how}"
