"""Calling an HTTP API from a workflow with wfc.stdlib.http (docs/stdlib.md embeds this file)."""

from __future__ import annotations

from typing import Any

import wfc
from wfc.stdlib import http

PATIENT = wfc.RetryPolicy(max_attempts=4, initial_backoff=2.0, jitter=0)  # used when no Retry-After comes


@wfc.workflow
def create_invoice(invoices: str, discounts: str, order_id: str, cents: int) -> wfc.Workflow[dict[str, Any]]:
    # A POST retried on 429/5xx/no answer after a durable sleep, every attempt with one Idempotency-Key header.
    created = yield from http.request("POST", invoices, json={"order": order_id, "cents": cents}, retry=PATIENT)
    try:
        found = yield from http.request("GET", discounts, params={"order": order_id})
    except http.HTTPStatusError as missing:  # a 4xx other than 429 is final: not retried
        return {"invoice": created.json(), "discount": None, "lookup": missing.status}
    return {"invoice": created.json(), "discount": found.json(), "lookup": found.status}
