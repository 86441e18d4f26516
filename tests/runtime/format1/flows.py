"""Workflows frozen at IR format 1: the fixture next to this file holds their tables (written by
``wfc compile --versions``) and a database with instances in flight on them. Never edit this module: its
tables must stay the ones the fixture recorded."""

import wfc


@wfc.step
def add(n: int) -> int:
    return n + 1


@wfc.workflow
def tally(items: dict):
    total = 0
    seen = []
    for key, value in items.items():
        total += yield add(value)
        seen.append(key)
        if key == "b":
            got = yield wfc.wait_event("go")
            total += got
    try:
        total += yield add(100)
    finally:
        seen.append("done")
    return total, seen


@wfc.workflow
def countdown(n: int):
    out = []
    while n > 0:
        out.append(n)
        n -= 1
        if n == 1:
            yield wfc.wait_event("go")
        yield add(n)
    return out
