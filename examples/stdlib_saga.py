"""A trip booked with a saga: what was booked is cancelled, newest first, when a later booking fails
(docs/stdlib.md embeds this file)."""

from __future__ import annotations

from typing import Any

import wfc
from wfc.stdlib import Saga


class SoldOut(Exception):
    pass


wfc.register_error(SoldOut)
UNDO = wfc.RetryPolicy(max_attempts=10, initial_backoff=1.0)  # a compensation should not give up easily


@wfc.step
def book(kind: str, trip: str, sold_out: list[str]) -> str:
    if kind in sold_out:
        raise SoldOut(f"no {kind} left for {trip}")
    return f"{kind}-{trip}"


@wfc.step(retry=UNDO)
def cancel(booking: str) -> str:
    return f"cancelled {booking}"


@wfc.workflow
def book_trip(trip: str, sold_out: list[str]) -> wfc.Workflow[dict[str, Any]]:
    saga = Saga()
    bookings: list[str] = []
    try:
        for kind in ["flight", "hotel", "car"]:
            booking = yield from book(kind, trip, sold_out)
            bookings.append(booking)
            saga = saga.push(cancel(booking))  # built, not run: run only if the saga unwinds
    except SoldOut as failure:
        undone = yield from saga.unwind()  # cancel(hotel), then cancel(flight): each a step
        return {"booked": [], "failed": str(failure), "undone": undone}
    return {"booked": bookings}
