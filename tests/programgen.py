"""Random workflow programs for differential tests: compiled behaviour must equal Python's own.

A program is Python source defining steps and one ``@wfc.workflow`` generator ``wf(a, b)`` built from nested
if/elif/else, while, for (over ranges, lists, strings, dicts, ``.items()``, ``enumerate``, ``zip``), try/except/
else/finally, break, continue, return, raise, and steps that succeed or fail — with yields anywhere. Loops are
bounded by construction, so every program terminates.
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
    def __init__(self, loops: int = 0, handlers: int = 0) -> None:
        self.loops = loops
        self.handlers = handlers


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
    kinds += ["return", "raise", "alias", "parallel", "race", "augyield", "walrus", "closure", "dictmut"]
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
        return [
            f"p{tag}, q{tag} = yield wfc.all_of(s({e}), f({v}))",
            f"{v} = p{tag} + q{tag}",
            f"trace.append(({tag}, {v}))",
        ]
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
    inner = Ctx(ctx.loops, ctx.handlers)
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
    h_inner = Ctx(inner.loops, inner.handlers + 1)
    for h in handlers:
        name = f"e{tag}"
        out += [f"except {h} as {name}:", f"    trace.append(({tag}, type({name}).__name__, str({name})))"]
        body = draw(blocks(depth - 1, h_inner))
        ending = draw(st.integers(0, 6))
        if ending == 0:
            body.append("raise")
        elif ending == 1:
            body.append(f"raise RuntimeError('wrapped {tag}') from {name}")
        out += _indent(body)
    has_finally = draw(st.booleans()) or not handlers
    if handlers and draw(st.booleans()):
        out += ["else:", *_indent(draw(blocks(depth - 1, inner)))]
    if has_finally:
        out += ["finally:", f"    trace.append(('finally', {tag}))", *_indent(draw(blocks(depth - 1, inner)))]
        escape = draw(st.integers(0, 8))
        if escape == 0:
            out += [f"    if {draw(conditions())}:", f"        return ('from finally', {tag}, trace)"]
        elif escape == 1 and inner.loops:
            out += [f"    if {draw(conditions())}:", "        break"]
        elif escape == 2 and inner.loops:
            out += [f"    if {draw(conditions())}:", "        continue"]
    if handlers and draw(st.integers(0, 5)) == 0:
        # The `as` name is unbound after its handler, as Python deletes it.
        out += [
            "try:",
            f"    trace.append(str(e{tag}))",
            "except NameError as gone:",
            f"    trace.append(('unbound', {tag}, type(gone).__name__))",
        ]
    return out


@st.composite
def programs(draw: st.DrawFn, depth: int = 2) -> str:
    body = ["trace = []", "c = yield s(a)", *draw(blocks(depth, Ctx())), "return (trace, a, b, c)"]
    return HEADER + "@wfc.workflow\ndef wf(a, b):\n" + "\n".join(_indent(body)) + "\n"


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
    generated program yields a command)."""
    return re.sub(r"\byield (?!from\b)", "yield from ", source)
