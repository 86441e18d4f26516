"""One workflow per construct the compiler lowers; tests/golden/*.ir hold their expected tables."""

import wfc


@wfc.step
def s(n=0):
    return n


@wfc.step
def pair(a, b):
    return (a, b)


def helper(x):
    return x * 2


@wfc.workflow
def child(n):
    r = yield s(n)
    return r


@wfc.workflow
def if_elif_else(x):
    if x > 10:
        r = yield s(1)
    elif x > 5:
        r = yield s(2)
    else:
        r = 0
    return r


@wfc.workflow
def while_else(n):
    i = 0
    while i < n:
        i += 1
        if i == 3:
            continue
        yield s(i)
        if i > 7:
            break
    else:
        yield s(-1)
    return i


@wfc.workflow
def for_kinds(xs, d):
    total = 0
    for i in range(3):
        total += yield s(i)
    for c in "ab":
        yield s(c)
    for k, v in d.items():
        yield pair(k, v)
    for i, x in enumerate(xs, 1):
        yield pair(i, x)
    for a, b in zip(xs, reversed(xs)):
        yield pair(a, b)
    return total


@wfc.workflow
def nested_loops(rows):
    out = []
    for row in rows:
        for cell in row:
            if cell is None:
                break
            v = yield s(cell)
            out.append(v)
    return out


@wfc.workflow
def try_everything(x):
    try:
        r = yield s(x)
    except ValueError as e:
        r = yield s(str(e))
    except (KeyError, wfc.StepFailed):
        raise
    else:
        yield s("else")
    finally:
        yield s("finally")
    return r


@wfc.workflow
def return_through_finally(xs):
    for x in xs:
        try:
            if x:
                return (yield s(x))
        finally:
            yield s("cleanup")
    return None


@wfc.workflow
def binding_forms(n):
    x: int = yield s(n)
    a, b = yield wfc.all_of(s(1), s(2))
    yield s(a + b)
    first = yield wfc.any_of(wfc.wait_event("go", timeout=60), wfc.sleep(30))
    results = yield wfc.all_of(*[s(i) for i in range(n)])
    squares = [helper(r) for r in results if r]
    c = yield child(x)
    return (x, first, squares, c)


@wfc.workflow
def walrus_in_test(xs):
    if (n := len(xs)) > 2:
        yield s(n)
    return n
