"""Workflows frozen at IR format 2: the database next to this file holds instances in flight on their format-2
tables. Never edit this module: its tables must stay the ones the fixture recorded.

``inspect`` calls ``locals()`` where format 3 cuts it differently (a ``try`` whose ``finally`` assigns ``a``
after the body's ``locals()``; a loop body's ``snap = sorted(locals())``): format 2 did not keep ``a`` across
the first ``yield`` nor ``snap`` across the loop's, so its ``locals()`` misses them. ``plain`` calls no
``locals()``: its format-2 table is its format-3 table relabelled."""

import wfc


@wfc.step
def echo(n: int) -> int:
    return n


@wfc.workflow
def inspect(a: int, b: int):
    trace = []
    c = yield echo(a)
    got = yield wfc.wait_event("go")
    try:
        for i in [1, 2]:  # noqa: B007 - `i` is what locals() shows
            trace.append(sorted(locals()))
    finally:
        a = b + got
    d = yield echo(c)
    for k in range(2):
        snap = sorted(locals())
        trace.append(snap)
        e = yield echo(k)
    return a, trace


@wfc.workflow
def plain(n: int):
    out = []
    while n > 0:
        out.append(n)
        n -= 1
        if n == 1:
            yield wfc.wait_event("go")
        yield echo(n)
    return out
