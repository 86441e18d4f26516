"""How far a started child (``wfc.start_child``, not joined) moves at the moment its parent runs on and ends, in
both runners: once a difference (kept here as a strict ``xfail`` until ``wfc.testing`` ordered the work of one
moment by the durable runtime's cycles).

The durable runtime works in cycles, each one transaction: first the outcomes of the steps leased by the cycle
before (in lease order), then, when the cycle before leased nothing, a claim of every row due (transactional steps
run and start rows make their instance's first transition there); a step row a transition writes is leased to the
same process at once and runs before the next cycle. Traced for ``starts_then_a_transaction`` below: cycle 1 runs
the parent's start (writing the child's start row and the parent's ``noted`` row); cycle 2 claims both: ``noted``
runs and the parent leases its ``seven``, the child starts and leases its own ``seven``; both steps run; cycle 3
delivers the parent's ``seven`` (the parent ends and cancels the child) and then the child's (it ran: ``canceled``
with 1 attempt). With a plain step right after the start the parent's step is delivered and ends it before the
child's start is claimed: the child never moves. ``wfc.testing`` labels each move with its cycle (claim round,
delivery depth) and moves a started child up to its parent's label before the parent moves (docs/testing.md,
"Moments and ties")."""

from __future__ import annotations

from typing import Any

import wfc

from .harness import both


@wfc.step
def seven(n: int) -> int:
    return n + 7


@wfc.transaction
def noted(db: Any, n: int) -> int:
    return n


@wfc.workflow
def started_kid(n: int) -> wfc.Workflow[int]:
    return (yield seven(n))


@wfc.workflow
def starts_then_a_step() -> wfc.Workflow[int]:
    yield wfc.start_child(started_kid, 0)
    return (yield seven(1))


@wfc.workflow
def starts_then_a_transaction() -> wfc.Workflow[int]:
    yield wfc.start_child(started_kid, 0)
    yield noted(0)
    return (yield seven(1))


def test_a_step_after_the_start_agrees() -> None:
    assert both(starts_then_a_step).outcome == ("ok", 8)


def test_a_transaction_after_the_start() -> None:
    both(starts_then_a_transaction)
