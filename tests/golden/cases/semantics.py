"""Constructs whose Python semantics the lowering keeps exactly (issue 9); tests/golden/semantics.*.ir hold their
tables. See docs/python-workflows.md ("What holds exactly")."""

import sys

import wfc


@wfc.step
def s(n=0):
    return n


@wfc.step
def f(n=0):
    raise ValueError(f"bad {n}")


@wfc.workflow
def handler_reraise(x):
    # A bare raise under plain control flow in a handler that suspends; the handled exception stays live.
    try:
        yield f(x)
    except ValueError:
        yield s(1)
        if x > 0:
            raise
        seen = repr(sys.exc_info()[1])
    return seen


@wfc.workflow
def except_as_jumps(xs):
    # `e` is unbound by the handler's own finally however the handler is left.
    out = []
    for x in xs:
        try:
            yield f(x)
        except ValueError as e:
            if x:
                continue
            out.append(str(e))
            break
        finally:
            yield s("cleanup")
    return out


@wfc.workflow
def finally_active(x):
    # The finally runs with the propagating exception active (handling: its completion variable).
    try:
        yield f(x)
    finally:
        yield s(2)
        if sys.exc_info()[1] is not None:
            raise


@wfc.workflow
def closure_before_branch(mode):
    def label(v):
        return f"{prefix}:{v}"

    if mode == "skip":
        return None
    prefix = "P"
    r = yield s(label(1))
    return r


@wfc.workflow
def aug_yield(n):
    # The target is read before the step runs.
    total = n
    total += yield s(1)
    return total


@wfc.workflow
def locals_in_compound(a):
    # `locals()` inside a statement that assigns after it (the finally's `a`, the loop's `snap`): every user
    # variable is live before that statement, so each is kept across the `yield` before it (IR format 3).
    trace = []
    c = yield s(a)
    try:
        trace.append(sorted(locals()))
    finally:
        a = c + 1
    for k in range(2):
        snap = sorted(locals())
        trace.append(snap)
        yield s(k)
    return trace

