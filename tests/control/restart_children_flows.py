"""Workflows that start and join children, for restarting and forking from those suspensions
(tests/control/test_restart_children.py)."""

from __future__ import annotations

import wfc

STARTED: list[int] = []


@wfc.step
def times_ten(n: int) -> int:
    STARTED.append(n)
    return n * 10


@wfc.workflow
def kid(n: int) -> wfc.Workflow[int]:
    return (yield from times_ten(n))


@wfc.workflow
def slow_kid(n: int) -> wfc.Workflow[int]:
    extra = yield from wfc.wait_event("go")
    return n + int(extra)


@wfc.workflow
def parent(n: int) -> wfc.Workflow[list[object]]:
    handle = yield from wfc.start_child(kid, n)
    first = yield from times_ten(1)
    got = yield from wfc.join(handle)
    return [first, got, handle.id]


@wfc.workflow
def waits_for_slow(n: int) -> wfc.Workflow[list[object]]:
    handle = yield from wfc.start_child(slow_kid, n)
    got = yield from wfc.join(handle)
    return [got, handle.id]


@wfc.workflow
def named_child(n: int) -> wfc.Workflow[int]:
    handle = yield from wfc.start_child(kid.options(id=f"chosen-{n}"), n)
    return (yield from wfc.join(handle))


@wfc.workflow
def detached_parent(n: int) -> wfc.Workflow[str]:
    handle = yield from wfc.start_child(slow_kid.options(detached=True), n)
    return handle.id


@wfc.workflow
def joins_or_says(n: int) -> wfc.Workflow[object]:
    handle = yield from wfc.start_child(slow_kid, n)
    yield from times_ten(2)
    try:
        return (yield from wfc.join(handle))
    except wfc.WfcError as exc:
        return ["join refused", exc.code]
