"""Workflows that start children without waiting for them, name them, and fan them out under a window
(issue 14): shared by the twin comparisons and the durable tests (restart, PostgreSQL)."""

from __future__ import annotations

from typing import Any

import wfc


@wfc.step
def double(x: int) -> int:
    return 2 * x


@wfc.workflow
def kid(x: int, pause: float = 5.0) -> wfc.Workflow[int]:
    y = yield from double(x)
    yield from wfc.sleep(pause)
    return y


@wfc.workflow
def instant(x: int) -> int:
    """A workflow with no steps: it ends in its first transition."""
    return x + 1


@wfc.workflow
def fails(x: int) -> wfc.Workflow[int]:
    yield from wfc.sleep(1)
    raise ValueError(f"kid {x} failed")


@wfc.workflow
def start_then_join(x: int) -> wfc.Workflow[list[int]]:
    handle = yield from wfc.start_child(kid, x)
    mine = yield from double(x)  # runs while the child does
    theirs = yield from wfc.join(handle)
    return [mine, theirs]


@wfc.workflow
def join_after_it_ended(x: int) -> wfc.Workflow[list[int]]:
    quick = yield from wfc.start_child(instant, x)
    slow = yield from wfc.start_child(kid, x, 1.0)
    yield from wfc.sleep(10)  # both have ended by now
    a = yield from wfc.join(quick)
    b = yield from wfc.join(slow)
    again = yield from wfc.join(quick)  # a second join gives the same result
    return [a, b, again]


@wfc.workflow
def join_with_a_timeout(x: int) -> wfc.Workflow[list[Any]]:
    handle = yield from wfc.start_child(kid, x, 30.0)
    which, _ = yield from wfc.any_of(wfc.join(handle), wfc.sleep(5))  # the timer wins: the child runs on
    status = wfc.now()
    del status
    result = yield from wfc.join(handle)  # joined again: waits for its end
    return [which, result]


@wfc.workflow
def leaves_children(x: int) -> wfc.Workflow[str]:
    attached = yield from wfc.start_child(kid, x, 60.0)
    free = yield from wfc.start_child(kid.options(detached=True), x + 1, 60.0)
    yield from double(x)
    return f"{attached.id} {free.id}"  # ends: the attached child is canceled, the detached one runs on


@wfc.workflow
def named(x: int) -> wfc.Workflow[list[Any]]:
    started = yield from wfc.start_child(kid.options(id=f"started-{x}"), x, 1.0)
    called = yield from kid.options(id=f"called-{x}")(x + 1, 1.0)
    also = yield from kid(x + 2, 1.0).options(id=f"options-{x}")
    joined = yield from wfc.join(started)
    try:
        yield from kid.options(id=f"called-{x}")(x, 1.0)  # taken: raises at this yield
    except wfc.WfcError as exc:
        taken = f"{exc.code}"
    try:
        yield from wfc.all_of(instant.options(id="twin")(1), instant.options(id="twin")(2))
    except wfc.WfcError as exc:
        twice = f"{exc.code}"
    return [started.id, called, also, joined, taken, twice]


@wfc.workflow
def join_a_failure(x: int) -> wfc.Workflow[str]:
    handle = yield from wfc.start_child(fails, x)
    try:
        yield from wfc.join(handle)
    except ValueError as exc:
        return f"caught {exc}"
    return "not reached"


@wfc.workflow
def join_a_stranger(x: int) -> wfc.Workflow[str]:
    try:
        yield from wfc.join(wfc.ChildHandle("nobody", "x:y", "y"))
    except wfc.WfcError as exc:
        return f"{exc.code}"
    return "not reached"


@wfc.workflow
def children_without_steps(x: int) -> wfc.Workflow[list[int]]:
    called = yield from instant(x)
    handle = yield from wfc.start_child(instant, x + 1)
    started = yield from wfc.join(handle)
    both = yield from wfc.all_of(instant(1), instant(2))
    return [called, started, *both]


@wfc.workflow(max_parallelism=2)
def windowed(xs: list[int]) -> wfc.Workflow[list[int]]:
    results = yield from wfc.all_of(*[kid(x, float(x)) for x in xs])
    return list(results)


@wfc.workflow(max_parallelism=2)
def windowed_mixed(xs: list[int]) -> wfc.Workflow[list[int]]:
    results = yield from wfc.all_of(*[kid(x, 3.0) if x % 2 else double(x) for x in xs])
    return list(results)


@wfc.workflow
def started_fan_out(xs: list[int]) -> wfc.Workflow[list[int]]:
    handles = yield from wfc.all_of([wfc.start_child(kid, x, 2.0) for x in xs])
    return (yield from wfc.all_of([wfc.join(h) for h in handles]))


# ---- a parent's graceful cancel reaches its children (issue 14) ----------------------------------------------------

CLEANED: list[str] = []


@wfc.step
def clean(what: str) -> str:
    CLEANED.append(what)
    return what


@wfc.workflow
def careful_kid(x: int) -> wfc.Workflow[int]:
    try:
        yield from wfc.sleep(100)
    finally:
        yield from clean(f"kid {x}")
    return x


@wfc.workflow
def careful_parent(x: int) -> wfc.Workflow[list[int]]:
    handle = yield from wfc.start_child(careful_kid, x + 1)
    try:
        called = yield from careful_kid(x)
        joined = yield from wfc.join(handle)
        return [called, joined]
    finally:
        yield from clean("parent")
