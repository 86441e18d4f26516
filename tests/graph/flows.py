"""Small workflows, one per construct the graph draws (tests/graph/test_graph.py renders each of them)."""

from __future__ import annotations

import wfc
from wfc import sleep as nap


class Declined(Exception):
    pass


wfc.register_error(Declined)


@wfc.step
def fetch(key: str) -> int:
    return len(key)


@wfc.step
def store(key: str, value: object) -> None:
    return None


@wfc.step
def sleep(seconds: int) -> None:
    """A user step that happens to be called `sleep`: the graph must call it a step, not a timer."""


@wfc.workflow
def straight(key: str):
    value = yield fetch(key)
    yield store(key, value).options(retry=False)
    return value


@wfc.workflow
def branches(n: int):
    if n > 10:
        a = yield fetch("big")
    elif n > 5:
        a = yield fetch("medium")
    else:
        a = 0
    if a:
        yield store("a", a)
    return a


@wfc.workflow
def loops(n: int):
    total = 0
    for i in range(n):
        if i % 2:
            continue
        got = yield fetch(str(i))
        if got > 3:
            break
        total += got
    while total < 20:
        total += yield fetch("more")
    while True:
        extra = yield fetch("again")
        if extra:
            break
    return total


@wfc.workflow
def guarded(key: str):
    try:
        value = yield fetch(key)
        try:
            yield store(key, value)
        except KeyError:
            yield store("inner", None)
    except Declined as e:
        yield store("declined", str(e))
        value = -1
    except (ValueError, TypeError):
        raise
    else:
        yield store("ok", value)
    finally:
        yield store("audit", key)
    return value


@wfc.workflow
def parallel(keys: list[str]):
    a, b = yield wfc.all_of(fetch("a"), fetch("b"))
    which, value = yield wfc.any_of(wfc.wait_event("stop"), nap(60))
    every = yield wfc.all_of(*[fetch(k) for k in keys])
    listed = yield wfc.all_of([fetch("x"), store("y", 1)])
    return a, b, which, value, every, listed


@wfc.workflow
def waits(key: str):
    yield wfc.sleep(30)
    approved = yield wfc.wait_event("approval", timeout=3600)
    yield sleep(5)
    return approved


@wfc.workflow
def child(key: str):
    value = yield fetch(key)
    return value


@wfc.workflow
def parent(keys: list[str]):
    first = yield child(keys[0])
    rest = yield wfc.all_of(child(keys[1]), child(keys[2]))
    return first, rest


@wfc.workflow
def early_return(n: int):
    for i in range(n):
        try:
            if i == 3:
                return i
            if i == 5:
                break
            yield fetch(str(i))
        finally:
            yield store("seen", i)
    return -1


@wfc.workflow
def escaping(key: str):
    """Source text full of characters DOT, Mermaid and HTML treat specially."""
    yield store('say "hi" <b> & #1 | {x} [y] `z` \\ ;', key)
    if key == "a|b" or key == '"':
        raise ValueError('bad <key> & "quote"')
    return {"k": key}
