# ruff: noqa: B904, F841, RUF018  (the Python semantics under test: implicit chaining, unbound names, walrus)
"""Workflows for tests/compiler/test_semantics.py: one or more per class of issue 9, each compared with the
plain Python generator. No ``from __future__ import annotations`` here: a nested function's annotations are
objects, as in Python (the generated code must not inherit wfc's own future flags)."""

import sys
import traceback

import wfc


@wfc.step
def s(n):
    return n


@wfc.step
def f(n):
    raise ValueError(f"bad {n}")


def reraiser():
    raise


@wfc.workflow
def bare_raise_under_if(x):
    try:
        yield f(x)
    except ValueError:
        if x > 0:
            raise
    return "kept"


@wfc.workflow
def bare_raise_in_plain_finally(x):
    try:
        yield f(x)
    except ValueError:
        try:
            pass
        finally:
            if x:
                raise
    return "kept"


@wfc.workflow
def active_exception_after_a_yield(x):
    try:
        yield f(x)
    except ValueError:
        yield s(2)
        info = repr(sys.exc_info()[1])
        last = traceback.format_exc().strip().splitlines()[-1]
        try:
            raise KeyError("x")
        except KeyError as k:
            context = repr(k.__context__)
        try:
            reraiser()
        except ValueError as again:
            helper = repr(again)
        return info, last, context, helper


@wfc.workflow
def chained_after_a_yield(x):
    try:
        yield f(x)
    except ValueError:
        yield s(2)
        raise KeyError("x")


@wfc.workflow
def finally_sees_the_exception(x):
    try:
        try:
            yield f(x)
        finally:
            yield s(1)
            got = repr(sys.exc_info()[1])
    except ValueError as e:
        return got, repr(e)


@wfc.workflow
def finally_reraises(x):
    try:
        yield f(x)
    finally:
        yield s(1)
        if x:
            raise


@wfc.workflow
def pending_raise_keeps_its_context(x):
    try:
        try:
            yield f(x)
        except ValueError:
            raise KeyError(x)
        finally:
            yield wfc.sleep(1)
    except KeyError as e:
        return repr(e.__context__)


@wfc.workflow
def except_as_unbound(x):
    out = []
    for i in range(2):
        try:
            try:
                yield f(i)
            except ValueError as e:
                if x == 1:
                    continue
                if x == 2:
                    break
                if x == 3:
                    raise KeyError(1)
        except KeyError:
            pass
        finally:
            try:
                out.append(e)
            except NameError:
                out.append("unbound")
    return out


@wfc.workflow
def closure_before_return(mode):
    def label(v):
        return f"{prefix}:{v}"

    if mode == 1:
        return None
    prefix = "P"
    r = yield s(label(1))
    return r


@wfc.workflow
def closure_through_a_loop(n):
    acc = []
    add = lambda v: acc.append((v, total))  # noqa: E731
    total = 0
    for i in range(n):
        total += i
        add(i)
        if i > 5:
            return "long"
    yield s(1)
    return acc


@wfc.workflow
def walruses_that_may_not_run(flag):
    x = 1
    flag or (x := 2)
    [(x := 5) for _ in []]
    assert True, (x := 3)
    g = lambda: (x := 4)  # noqa: E731
    yield s(0)
    return x


@wfc.workflow
def aug_yield_unbound(x):
    if x > 1:
        total = 0
    total += yield s(1)
    return total


@wfc.workflow
def locals_after_a_yield(flag):
    a = 1
    r = yield s(2)
    b = 3
    return list(locals().items())


@wfc.workflow
def nested_annotations(flag):
    def h(a: int) -> list:
        return [a]

    r = repr(h.__annotations__)
    yield s(0)
    return r


@wfc.workflow
def nested_generator_helper(flag):
    def pairs(xs):
        for i in range(0, len(xs), 2):
            yield xs[i : i + 2]

    out = list(pairs([1, 2, 3, 4, 5]))
    r = yield s(len(out))
    return out, r


@wfc.workflow
def iterator_within_a_transition(n):
    it = iter([1, 2, 3])
    first = next(it)
    rest = list(it)
    yield s(first)
    return rest
