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


# More of the class, each found by a probe of random programs while the cycle labels were made: a started child's
# failed attempt in the cycle before its parent's end, a parent that moves on after its own child call ended (the
# started child's called child ended in the same cycle), a join of a detached child with another started child.


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=0.5, jitter=0.0))
def flaky(n: int) -> int:
    if wfc.step_context().attempt <= 1:
        raise ConnectionError("flaky")
    return n


@wfc.workflow
def flaky_kid(n: int) -> wfc.Workflow[int]:
    return (yield flaky(n))


@wfc.workflow
def starts_a_flaky_one() -> wfc.Workflow[int]:
    yield wfc.start_child(flaky_kid, 0)
    yield noted(0)
    return (yield seven(1))


@wfc.workflow
def noted_kid(n: int) -> wfc.Workflow[int]:
    yield noted(n)
    return (yield seven(n))


@wfc.workflow
def calling_kid(n: int) -> wfc.Workflow[int]:
    yield noted_kid(n)
    yield wfc.any_of(seven(1), noted(2))
    return n


@wfc.workflow(max_parallelism=1)
def starts_then_calls() -> wfc.Workflow[int]:
    yield wfc.start_child(calling_kid, 1)
    yield wfc.all_of(seven(1), noted(2))
    yield noted_kid(1)
    return 2


@wfc.workflow
def busy_kid(n: int) -> wfc.Workflow[int]:
    yield wfc.all_of(seven(1), noted(2))
    yield seven(1)
    yield seven(1)
    yield wfc.any_of(seven(1), noted(2))
    return n


@wfc.workflow(max_parallelism=1)
def starts_two_joins_one() -> wfc.Workflow[int]:
    yield wfc.start_child(busy_kid, 1)
    h = yield wfc.start_child(noted_kid.options(detached=True), 1)
    yield noted(1)
    yield wfc.join(h)
    return 2


def test_a_failed_attempt_before_the_parent_ends() -> None:
    both(starts_a_flaky_one)


def test_the_parent_moves_on_after_its_child_call() -> None:
    both(starts_then_calls)


def test_a_join_with_another_started_child() -> None:
    both(starts_two_joins_one)
