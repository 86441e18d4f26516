"""Random workflow programs for differential tests: compiled behaviour must equal Python's own.

A program is Python source defining steps and one ``@wfc.workflow`` generator ``wf(a, b)`` built from nested
if/elif/else, while, for (over ranges, lists, strings, dicts, ``.items()``, ``enumerate``, ``zip``), try/except/
else/finally, break, continue, return, raise, and steps that succeed or fail — with yields anywhere — and loops
that suspend over dicts their bodies mutate, ranges longer than ``sys.maxsize`` and ``zip(..., strict=True)``
(:func:`loop_programs` makes programs mostly of those). Loops are
bounded by construction, so every program terminates.

The Python semantics the compiler must keep are generated as classes, not examples: handlers (with yields) that
leave by plain control flow and bare ``raise`` (also in a nested plain ``finally`` and in a helper), the active
exception read in handlers and finallies (``sys.exc_info()``, ``traceback``), implicit chaining read through
``__context__``, ``except ... as`` names read after the handler was left in every way, closures defined before a
branch or loop that returns and called after it, walruses that bind only conditionally, ``x += yield`` with ``x``
unbound, ``locals()``, nested generator helpers, and durable pauses (``wfc.sleep``) at which the durable
differential test restarts the process.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from pathlib import Path
from types import ModuleType

from hypothesis import strategies as st

HEADER = """\
import sys
import traceback

import wfc


@wfc.step
def s(n):
    return (n * 7 + 3) % 11


@wfc.step
def f(n):
    if n % 3 == 0:
        raise ValueError(f"bad {n}")
    return n + 1


@wfc.step
def k(n):
    if n % 4 == 1:
        raise KeyError(n)
    return n * 2


def helper(x, y):
    return (x * 3 + y) % 13


def reraise():
    raise


def active():
    # What a helper called from a handler sees: the exception being handled, and its whole traceback (the
    # workflow's frames at the lines that raised, also after a resume in another process).
    info = sys.exc_info()[1]
    return (repr(info), traceback.format_exc())


def chain(e):
    return (type(e).__name__, repr(e.__context__), repr(e.__cause__), e.__suppress_context__)


"""

VARS = ("a", "b", "c")
_counter = itertools.count()


@st.composite
def expressions(draw: st.DrawFn) -> str:
    v = draw(st.sampled_from(VARS))
    w = draw(st.sampled_from(VARS))
    n = draw(st.integers(0, 9))
    return draw(
        st.sampled_from(
            [
                f"{v} + {n}",
                f"{v} * 2 - {w}",
                f"({v} + {w}) % 7",
                f"helper({v}, {n})",
                f"len(trace) + {n}",
                str(n),
                f"sum([x * {n} for x in range({v} % 4)])",
            ]
        )
    )


@st.composite
def conditions(draw: st.DrawFn) -> str:
    v = draw(st.sampled_from(VARS))
    w = draw(st.sampled_from(VARS))
    n = draw(st.integers(0, 6))
    return draw(
        st.sampled_from(
            [f"{v} > {w}", f"{v} % 2 == 0", f"{v} < {n}", f"len(trace) > {n}", f"{v} == {w} or {v} > {n}"]
        )
    )


class Ctx:
    """``use_locals``: the program calls ``locals()``, so it defines no functions (one bound across a step would
    be shown by ``locals()`` after it, which a persisted cursor cannot do: the compiler refuses it, WFC104)."""

    def __init__(self, loops: int = 0, handlers: int = 0, use_locals: bool = False) -> None:
        self.loops = loops
        self.handlers = handlers
        self.use_locals = use_locals


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


@st.composite
def blocks(draw: st.DrawFn, depth: int, ctx: Ctx) -> list[str]:
    n = draw(st.integers(1, 3 if depth > 0 else 2))
    out: list[str] = []
    for _ in range(n):
        out.extend(draw(statements(depth, ctx)))
    return out


@st.composite
def statements(draw: st.DrawFn, depth: int, ctx: Ctx) -> list[str]:
    kinds = ["assign", "step", "step", "bare", "trace"]
    if depth > 0:
        kinds += ["if", "while", "for", "try", "try"]
    if ctx.loops:
        kinds += ["break", "continue"]
    kinds += ["return", "raise", "alias", "parallel", "race", "augyield", "walrus", "dictmut"]
    kinds += ["walrus_cond", "aug_unbound", "pause"]
    kinds += ["locals"] if ctx.use_locals else ["closure", "closure_branch", "genhelper"]
    kinds += ["dictloop", "bigrange", "zipstrict", "tracedyield"]
    kind = draw(st.sampled_from(kinds))
    v = draw(st.sampled_from(VARS))
    e = draw(expressions())
    n = draw(st.integers(0, 5))
    tag = next(_counter) % 1000
    if kind == "assign":
        return [f"{v} = {e}"]
    if kind == "trace":
        return [f"trace.append(({tag}, {v}))"]
    if kind == "step":
        step = draw(st.sampled_from(["s", "f", "k"]))
        return [f"{v} = yield {step}({e})", f"trace.append(({tag}, {v}))"]
    if kind == "bare":
        return [f"yield s({e})"]
    if kind == "alias":
        # Two names for one list, across a suspension: both must still see each other's changes.
        return [f"al{tag} = trace", f"yield s({e})", f"al{tag}.append(('alias', {tag}))"]
    if kind == "parallel":
        # Also written over several lines: a failure thrown in there is positioned as Python positions it.
        split = draw(st.booleans())
        head = [f"p{tag}, q{tag} = yield wfc.all_of(", f"    s({e}),", f"    f({v}),", ")"]
        return [
            *(head if split else [f"p{tag}, q{tag} = yield wfc.all_of(s({e}), f({v}))"]),
            f"{v} = p{tag} + q{tag}",
            f"trace.append(({tag}, {v}))",
        ]
    if kind == "tracedyield":
        # A failure thrown in at a yield (one line or several) and the handler's traceback.format_exc(): the
        # frames and their positions must be Python's, also for `yield from` (the command's own frame).
        split = draw(st.booleans())
        site = [f"    p{tag}, q{tag} = yield wfc.all_of(", f"        s({e}),", f"        f({v}),", "    )"]
        if not split:
            site = [f"    p{tag}, q{tag} = yield wfc.all_of(s({e}), f({v}))"]
        return ["try:", *site, "except ValueError:", f"    trace.append(('tb', {tag}, active()))"]
    if kind == "race":
        return [
            f"w{tag}, r{tag} = yield wfc.any_of(wfc.sleep({draw(st.integers(1, 5))}), k({e}))",
            f"trace.append(({tag}, w{tag}, r{tag}))",
        ]
    if kind == "augyield":
        return [f"{v} += yield s({e})"]
    if kind == "walrus":
        return [f"if (m{tag} := {e}) > 4:", f"    {v} = yield s(m{tag})", f"trace.append(({tag}, m{tag}))"]
    if kind == "closure":
        # A function used within one transition only: allowed, and must see current values.
        return [f"def g{tag}(z):", f"    return z + {v}", f"{v} = g{tag}({n})", f"trace.append(({tag}, {v}))"]
    if kind == "dictmut":
        # Changing a dict's size while a loop that suspends iterates it: RuntimeError in both.
        return [
            f"d{tag} = {{'u': 1, 'v': 2}}",
            f"for key{tag} in d{tag}:",
            f"    yield s({n})",
            f"    if {draw(conditions())}:",
            f"        d{tag}['w{tag}'] = 3",
            f"trace.append(({tag}, sorted(d{tag})))",
        ]
    if kind == "closure_branch":
        # Defined before control flow that may return (several states, one transition), called after it.
        w = draw(st.sampled_from(VARS))
        between = draw(st.sampled_from(["if", "for", "while"]))
        out = [f"def lb{tag}(z):", f"    return (z, {v}, {w})"]
        if between == "if":
            out += [f"if {draw(conditions())}:", f"    return ('closure-early', {tag}, trace)"]
        elif between == "for":
            out += [
                f"for i{tag} in range(3):",
                f"    if {draw(conditions())}:",
                f"        return ('closure-loop', {tag}, lb{tag}(i{tag}), trace)",
                f"    {w} = {w} + i{tag}",
            ]
        else:
            out += [
                f"wc{tag} = 0",
                f"while wc{tag} < 2:",
                f"    wc{tag} += 1",
                f"    if {draw(conditions())}:",
                "        break",
                f"    {w} = {w} * 2",
            ]
        out.append(f"{v} = {e}")
        if draw(st.booleans()):
            out.append(f"trace.append(('closure', {tag}, lb{tag}({n})))")
        else:
            out += [f"{v} = yield s(len(lb{tag}({n})) + {v})", f"trace.append(({tag}, {v}))"]
        return out
    if kind == "walrus_cond":
        # A walrus that may not run does not make its name definitely assigned.
        bound = draw(st.booleans())
        how = draw(
            st.sampled_from(
                [
                    f"{v} > {n} or (x{tag} := {e})",
                    f"{v} < {n} and (x{tag} := {e})",
                    f"[(x{tag} := q) for q in range({v} % 2)]",
                    f"assert {v} == {v}, (x{tag} := {e})",
                    *([] if ctx.use_locals else [f"lw{tag} = lambda: (x{tag} := {e})"]),
                    f"y{tag} = {e} if {v} > {n} else (x{tag} := {n})",
                ]
            )
        )
        out = [f"x{tag} = {n}"] if bound else []
        out += [how, f"yield s({n})"]
        return [
            *out,
            "try:",
            f"    trace.append(('walrus', {tag}, x{tag}))",
            "except NameError as gone:",
            f"    trace.append(('walrus-unbound', {tag}, type(gone).__name__))",
        ]
    if kind == "aug_unbound":
        # Python reads the target before it runs the step: an unbound target raises first.
        out = [f"if {draw(conditions())}:", f"    u{tag} = {n}"]
        return [
            *out,
            "try:",
            f"    u{tag} += yield s({e})",
            f"    trace.append(('aug', {tag}, u{tag}))",
            "except UnboundLocalError:",
            f"    trace.append(('aug-unbound', {tag}))",
        ]
    if kind == "locals":
        # `locals()` alone, in the statement that assigns the name it is bound to (from a loop's second round on
        # it shows that name), or in a compound statement that assigns after it (a finally, an else): every
        # user variable bound so far is shown, however long ago the cursor last saved it.
        shape = draw(st.sampled_from(["plain", "self", "finally", "else"]))
        if shape == "self":
            return [f"lv{tag} = list(locals())", f"trace.append(('locals', {tag}, lv{tag}))"]
        show = f"trace.append(('locals', {tag}, list(locals())))"
        if shape == "finally":
            return ["try:", f"    {show}", "finally:", f"    {v} = {e}"]
        if shape == "else":
            return [f"if {draw(conditions())}:", f"    {show}", "else:", f"    {v} = {e}", f"    lv{tag} = {n}"]
        return [show]
    if kind == "genhelper":
        # A nested generator used within one transition is ordinary code in its own scope.
        return [
            f"def pairs{tag}(xs):",
            "    for q in xs:",
            "        yield (q * 2)",
            f"trace.append(('gen', {tag}, list(pairs{tag}([{v}, {n}]))))",
        ]
    if kind == "pause":
        # A durable timer: the durable differential test restarts the process while workflows wait here.
        return [f"yield wfc.sleep({10 + n})"]
    if kind in LOOP_KINDS:
        return draw(LOOP_KINDS[kind](tag))
    if kind == "break":
        return [f"if {draw(conditions())}:", "    break"]
    if kind == "continue":
        return [f"if {draw(conditions())}:", "    continue"]
    if kind == "return":
        return [f"if {draw(conditions())}:", f"    return ('early', {tag}, trace, a, b, c)"]
    if kind == "raise":
        exc = draw(st.sampled_from(["ValueError", "KeyError", "RuntimeError"]))
        cause = draw(st.sampled_from(["", " from None", " from ValueError('cause')"]))
        return [f"if {draw(conditions())}:", f"    raise {exc}({tag}){cause}"]
    inner = Ctx(ctx.loops, ctx.handlers, ctx.use_locals)
    if kind == "if":
        out = [f"if {draw(conditions())}:", *_indent(draw(blocks(depth - 1, inner)))]
        if draw(st.booleans()):
            out += [f"elif {draw(conditions())}:", *_indent(draw(blocks(depth - 1, inner)))]
        if draw(st.booleans()):
            out += ["else:", *_indent(draw(blocks(depth - 1, inner)))]
        return out
    if kind == "while":
        counter = f"w{tag}"
        inner.loops += 1
        limit = draw(st.integers(1, 3))
        out = [
            f"{counter} = 0",
            f"while {counter} < {limit}:",
            f"    {counter} += 1",
            *_indent(draw(blocks(depth - 1, inner))),
        ]
        if draw(st.booleans()):
            out += ["else:", f"    trace.append(('while-else', {tag}))"]
        return out
    if kind == "for":
        inner.loops += 1
        target, iterable = draw(
            st.sampled_from(
                [
                    ("i", f"range({draw(st.integers(0, 3))})"),
                    ("i", "[3, 1, 4]"),
                    ("i", "'ab'"),
                    ("i", "{'x': 1, 'y': 2}"),
                    ("(key, val)", "{'p': 5, 'q': 6}.items()"),
                    ("(idx, val)", "enumerate([7, 8])"),
                    ("(l, r)", "zip([1, 2, 3], 'xy')"),
                    ("i", "reversed([1, 2])"),
                ]
            )
        )
        out = [
            f"for {target} in {iterable}:",
            f"    trace.append(({tag}, {target}))",
            *_indent(draw(blocks(depth - 1, inner))),
        ]
        if draw(st.booleans()):
            out += ["else:", f"    trace.append(('for-else', {tag}))"]
        return out
    # try
    out = ["try:", *_indent(draw(blocks(depth - 1, inner)))]
    handlers = draw(
        st.lists(
            st.sampled_from(["ValueError", "KeyError", "wfc.StepFailed", "Exception"]),
            max_size=2,
            unique=True,
        )
    )
    h_inner = Ctx(inner.loops, inner.handlers + 1, inner.use_locals)
    for h in handlers:
        name = f"e{tag}" if draw(st.integers(0, 4)) else ""
        if name:
            out += [f"except {h} as {name}:", f"    trace.append(({tag}, type({name}).__name__, str({name})))"]
        else:
            out += [f"except {h}:", f"    trace.append(({tag}, 'caught'))"]
        body = draw(blocks(depth - 1, h_inner))
        out += _indent(body + _handler_ending(draw, tag, name))
    has_finally = draw(st.booleans()) or not handlers
    if handlers and draw(st.booleans()):
        out += ["else:", *_indent(draw(blocks(depth - 1, inner)))]
    if has_finally:
        out += ["finally:", f"    trace.append(('finally', {tag}))", *_indent(draw(blocks(depth - 1, inner)))]
        look = draw(st.integers(0, 4))
        if look == 0:
            # A finally entered by an exception runs with it active; a bare raise re-raises it.
            out += [f"    trace.append(('finally-exc', {tag}, repr(sys.exc_info()[1])))"]
        elif look == 1:
            out += [f"    if sys.exc_info()[1] is not None and {draw(conditions())}:", "        raise"]
        escape = draw(st.integers(0, 8))
        if escape == 0:
            out += [f"    if {draw(conditions())}:", f"        return ('from finally', {tag}, trace)"]
        elif escape == 1 and inner.loops:
            out += [f"    if {draw(conditions())}:", "        break"]
        elif escape == 2 and inner.loops:
            out += [f"    if {draw(conditions())}:", "        continue"]
    if handlers and draw(st.integers(0, 2)) == 0:
        # The `as` name is unbound after its handler, as Python deletes it.
        out += [
            "try:",
            f"    trace.append(str(e{tag}))",
            "except NameError as gone:",
            f"    trace.append(('unbound', {tag}, type(gone).__name__))",
        ]
    return out


def _handler_ending(draw: st.DrawFn, tag: int, name: str) -> list[str]:
    """How a handler body ends: falls through, re-raises (bare, under plain control flow, from a plain finally,
    from a helper), raises something new (implicitly chained to the handled exception), or looks at it."""
    cond = draw(conditions())
    ending = draw(st.integers(0, 12))
    if ending == 0:
        return ["raise"]
    if ending == 1 and name:
        return [f"raise RuntimeError('wrapped {tag}') from {name}"]
    if ending == 2:
        return [f"if {cond}:", "    raise"]
    if ending == 3:
        return ["try:", f"    trace.append(('plain-try', {tag}))", "finally:", f"    if {cond}:", "        raise"]
    if ending == 4:
        return [f"if {cond}:", "    reraise()"]
    if ending == 5:
        return [f"trace.append(('active', {tag}, active()))"]
    if ending == 6:
        return [f"raise KeyError('chained {tag}')"]
    if ending == 7:
        return [f"yield s({tag % 7})", f"trace.append(('active', {tag}, active()))", f"raise ValueError({tag})"]
    if ending == 8:
        return [f"yield s({tag % 5})", "if len(trace) % 2 == 0:", "    raise"]
    return []


# ---- loops whose body suspends over builtin iterables (issue 9, classes 7, 8, 11b) -------------------------------


@st.composite
def dict_loops(draw: st.DrawFn, tag: int, sleepy: bool = False) -> list[str]:
    """A loop that suspends over a dict (or a view of it, or ``reversed``) while its body deletes keys and then
    inserts new ones (never one it deleted in the same round), updates values, or changes the dict's size:
    Python's iteration order, and its ``RuntimeError`` where it raises one."""
    size = draw(st.integers(1, 7))
    ints = draw(st.booleans())
    keys = [str(i * 3 % 11) if not ints else str(i * 5 % 13) for i in range(size)]
    keys = [k if ints else repr("k" + k) for k in keys]
    build = draw(st.sampled_from(["literal", "comprehension", "inserts"]))
    d = f"d{tag}"
    if build == "literal":
        setup = [f"{d} = {{{', '.join(f'{k}: {i}' for i, k in enumerate(keys))}}}"]
    elif build == "comprehension":
        setup = [f"{d} = {{k: i for i, k in enumerate([{', '.join(keys)}])}}"]
    else:
        setup = [f"{d} = {{}}", *(f"{d}[{k}] = {i}" for i, k in enumerate(keys))]
    target, over = draw(
        st.sampled_from(
            [
                (f"key{tag}", d),
                (f"key{tag}", f"{d}.keys()"),
                (f"(key{tag}, val{tag})", f"{d}.items()"),
                (f"val{tag}", f"{d}.values()"),
                (f"key{tag}", f"reversed({d})"),
                (f"(idx{tag}, key{tag})", f"enumerate({d})"),
            ]
        )
    )
    new_key = f"'n{tag}_' + str(c{tag})" if not ints else f"100 + c{tag}"
    rounds: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        deletes = draw(
            st.lists(
                st.sampled_from(
                    [f"next(iter({d}))", f"list({d})[-1]", f"list({d})[len({d}) // 2]", f"list({d})[r{tag} % len({d})]"]
                ),
                max_size=2,
            )
        )
        lines = [f"if {d}:", f"    del {d}[{deletes[0]}]"] if deletes else []
        lines += [f"if {d}:", f"    del {d}[{deletes[1]}]"] if len(deletes) > 1 else []
        inserts = draw(st.integers(0, 3))
        for _ in range(inserts):
            lines += [f"c{tag} += 1", f"{d}[{new_key}] = c{tag}"]
        if draw(st.booleans()):
            lines += [f"if {d}:", f"    {d}[next(iter({d}))] = -c{tag}"]  # a value changes, the keys do not
        rounds.append(lines)
    body = [
        f"    yield s(r{tag})",
        *_nap(sleepy),
        f"    trace.append(({tag}, {target}))",
        f"    r{tag} += 1",
    ]
    for i, lines in enumerate(rounds):
        body += [f"    {'if' if i == 0 else 'elif'} r{tag} % {len(rounds) + 1} == {i + 1}:"]
        body += [f"        {line}" for line in lines or ["pass"]]
    out = [*setup, f"c{tag} = r{tag} = 0", "try:", f"    for {target} in {over}:", *_indent(body)]
    out += ["except RuntimeError as err:", f"    trace.append(({tag}, 'RuntimeError', str(err)))"]
    return [*out, f"trace.append(({tag}, list({d}.items())))"]


@st.composite
def big_ranges(draw: st.DrawFn, tag: int, sleepy: bool = False) -> list[str]:
    """``range`` objects longer than ``sys.maxsize`` (``len()`` of them raises ``OverflowError``)."""
    over = draw(
        st.sampled_from(
            [
                "range(10**20)",
                "range(10**20, 0, -3)",
                "range(-10**19, 10**20, 10**18)",
                "reversed(range(10**20))",
                "range(2**63 - 2, 2**64)",
            ]
        )
    )
    target = f"i{tag}"
    wrapped = draw(st.sampled_from(["{}", "enumerate({})", "zip({}, 'abc')"]))
    if wrapped != "{}":
        target = f"(j{tag}, i{tag})"
    limit = draw(st.integers(1, 3))
    return [
        f"n{tag} = 0",
        f"for {target} in {wrapped.format(over)}:",
        f"    yield s(n{tag})",
        *_nap(sleepy),
        f"    trace.append(({tag}, {target}))",
        f"    n{tag} += 1",
        f"    if n{tag} >= {limit}:",
        "        break",
    ]


@st.composite
def strict_zips(draw: st.DrawFn, tag: int, sleepy: bool = False) -> list[str]:
    """``zip(..., strict=True)`` over sequences of equal or different lengths: Python's ``ValueError`` at the
    round where Python raises it, after the bodies of the rounds before."""
    lengths = draw(st.lists(st.integers(0, 3), min_size=2, max_size=3))
    seqs = [draw(st.sampled_from([f"list(range({n}))", repr("xyz"[:n]), f"[{tag}] * {n}"])) for n in lengths]
    names = [f"z{tag}_{i}" for i in range(len(seqs))]
    strict = draw(st.sampled_from(["True", "True", "len(trace) >= 0", "False"]))
    grows = draw(st.booleans())
    body = ["    yield s(len(trace))", *_nap(sleepy), f"    trace.append(({tag}, {', '.join(names)}))"]
    if grows:
        body += ["    if len(trace) % 2:", f"        zl{tag}.append(len(trace))"]  # lists are iterated live
    return [
        f"zl{tag} = list({seqs[0]})",
        "try:",
        f"    for {', '.join(names)} in zip(zl{tag}, {', '.join(seqs[1:])}, strict={strict}):",
        *_indent(body),
        "except ValueError as err:",
        f"    trace.append(({tag}, 'ValueError', str(err)))",
    ]


def _nap(sleepy: bool) -> list[str]:
    """A durable timer in a loop body: where a sliced run stops (and a new runtime takes over)."""
    return ["    yield wfc.sleep(1)"] if sleepy else []


LOOP_KINDS = {"dictloop": dict_loops, "bigrange": big_ranges, "zipstrict": strict_zips}


@st.composite
def loop_programs(draw: st.DrawFn, sleepy: bool = False) -> str:
    """Programs made mostly of the loops above, nested in the other statements. ``sleepy``: every loop body
    also waits for a timer."""
    body = ["trace = []", "c = yield s(a)"]
    for _ in range(draw(st.integers(1, 3))):
        tag = next(_counter) % 1000
        kind = draw(st.sampled_from(sorted(LOOP_KINDS)))
        body.extend(draw(LOOP_KINDS[kind](tag, sleepy)))
        if draw(st.booleans()):
            body.extend(draw(statements(1, Ctx())))
    body.append("return (trace, a, b, c)")
    return HEADER + "@wfc.workflow\ndef wf(a, b):\n" + "\n".join(_indent(body)) + "\n"


@st.composite
def programs(draw: st.DrawFn, depth: int = 2) -> str:
    ctx = Ctx(use_locals=draw(st.integers(0, 3)) == 0)
    inner = ["c = yield s(a)", *draw(blocks(depth, ctx)), "return (trace, a, b, c)"]
    if draw(st.booleans()):
        # What escapes is observed with its chain, the way a caller reading __context__ would.
        inner = [
            "try:",
            *_indent(inner),
            "except Exception as top:",
            "    return ('escaped', trace, chain(top), str(top))",
        ]
    body = ["trace = []", *inner]
    return HEADER + "@wfc.workflow\ndef wf(a, b):\n" + "\n".join(_indent(body)) + "\n"


# Names of built-in exceptions the programs raise and catch, bound by the program itself, as Python allows: what
# `except KeyError`, `raise ValueError(...)` and the compiled code's own machinery then do must be what Python does.
SHADOWED = ["KeyError", "ValueError", "NameError", "UnboundLocalError", "RuntimeError", "Exception", "LookupError"]
_SHADOW_VALUES = [
    "ValueError", "KeyError", "LookupError", "RuntimeError", "TypeError", "ArithmeticError", "Exception",
    "BaseException", "int",
]  # fmt: skip


@st.composite
def shadowing_programs(draw: st.DrawFn) -> str:
    """:func:`programs` with built-in exception names bound by the program: module-level names (an assignment, a
    class, an import alias), a workflow parameter or a local. (``int`` bound to ``except`` names: catching it is
    Python's ``TypeError``.)"""
    source = draw(programs(depth=1))
    names = draw(st.lists(st.sampled_from(SHADOWED), min_size=1, max_size=3, unique=True))
    where = draw(st.sampled_from(["module", "class", "alias", "parameter", "local"]))
    values = [draw(st.sampled_from(_SHADOW_VALUES)) for _ in names]
    head, sep, body = source.partition("@wfc.workflow\ndef wf(a, b):\n")
    if where == "module":
        head += "".join(f"{n} = {v}\n" for n, v in zip(names, values)) + "\n\n"
    elif where == "class":
        head += "".join(f"class {n}(Exception):\n    pass\n\n\n" for n in names)
    elif where == "alias":
        head += "".join(f"from builtins import {v} as {n}\n" for n, v in zip(names, values)) + "\n\n"
    elif where == "parameter":
        params = ", ".join(f"{n}={v}" for n, v in zip(names, values))
        return head + f"@wfc.workflow\ndef wf(a, b, {params}):\n" + body
    else:
        body = "".join(f"    {n} = {v}\n" for n, v in zip(names, values)) + body
    return head + sep + body


_loaded = itertools.count()


def load_module(source: str, directory: Path, name: str | None = None) -> ModuleType:
    """Import ``source`` as a real module file, so ``inspect.getsource`` works on its functions. A given
    ``name`` (in a fresh ``directory``) replaces an earlier module of that name, its steps and workflows."""
    name = name or f"wfc_generated_{next(_loaded)}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def with_yield_from(source: str) -> str:
    """The same program written with ``x = yield from cmd`` wherever it has ``x = yield cmd`` (every yield of a
    generated program yields a command, except those of nested generator helpers, which yield ``(value)``)."""
    return re.sub(r"\byield (?!from\b|\()", "yield from ", source)
