"""Every construct the compiler rejects gets its code, its line, a caret and a hint — all reported at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import wfc
from wfc.compiler.driver import diagnose

from .programgen import load_module

STEPS = """\
import wfc


@wfc.step
def s(n=0):
    return n


def plain_gen():
    yield 1


def make_cmd(n):
    return s(n)


"""


def diagnostics_of(tmp_path: Path, body: str) -> list[wfc.Diagnostic]:
    source = STEPS + "@wfc.workflow\n" + textwrap.dedent(body)
    module = load_module(source, tmp_path)
    _table, diags = diagnose(module.wf)
    return diags


def line_of(body: str, marker: str) -> int:
    """The file line of the first line of ``body`` containing ``marker``."""
    offset = STEPS.count("\n") + 1  # the decorator line
    for i, line in enumerate(textwrap.dedent(body).splitlines(), start=1):
        if marker in line:
            return offset + i
    raise AssertionError(marker)


CASES = [
    (
        "WFC101",
        "yield inside an expression",
        """
        def wf():
            x = 1 + (yield s(1))  # here
            return x
        """,
    ),
    (
        "WFC101",
        "yield in an if test",
        """
        def wf():
            if (yield s(1)):  # here
                pass
        """,
    ),
    (
        "WFC101",
        "yield in a call argument",
        """
        def wf():
            print((yield s(1)))  # here
        """,
    ),
    (
        "WFC102",
        "yield in a lambda",
        """
        def wf():
            f = lambda: (yield s(1))  # here
            yield s(2)
        """,
    ),
    (
        "WFC103",
        "with body yields",
        """
        def wf():
            with open("x") as fh:  # here
                yield s(1)
        """,
    ),
    (
        "WFC104",
        "lambda alive across a suspension",
        """
        def wf():
            f = lambda n: n + 1  # here
            yield s(1)
            return f(2)
        """,
    ),
    (
        "WFC115",
        "bound method alive across a suspension",
        """
        def wf():
            out = []
            add = out.append  # here
            yield s(1)
            add(2)
            return out
        """,
    ),
    (
        "WFC115",
        "iterator alive across a suspension",
        """
        def wf(xs):
            it = iter(xs)  # here
            yield s(next(it))
            return next(it)
        """,
    ),
    (
        "WFC115",
        "generator expression alive across a suspension",
        """
        def wf(xs):
            squares = (x * x for x in xs)  # here
            yield s(1)
            return list(squares)
        """,
    ),
    (
        "WFC115",
        "dict view alive across a suspension",
        """
        def wf():
            d = {"a": 1}
            keys = d.keys()  # here
            yield s(1)
            return list(keys)
        """,
    ),
    (
        "WFC104",
        "a function bound before a step is shown by locals() after it",
        """
        def wf():
            def g(n):  # here
                return n
            g(1)
            yield s(1)
            return sorted(locals())
        """,
    ),
    (
        "WFC104",
        "nested function alive across a suspension",
        """
        def wf():
            def g(n):  # here
                return n
            yield s(1)
            return g(2)
        """,
    ),
    (
        "WFC105",
        "loop over a generator expression",
        """
        def wf(xs):
            for x in (i for i in xs):  # here
                yield s(x)
        """,
    ),
    (
        "WFC105",
        "loop over map()",
        """
        def wf(xs):
            for x in map(str, xs):  # here
                yield s(x)
        """,
    ),
    (
        "WFC105",
        "loop over an undecorated generator",
        """
        def wf():
            for x in plain_gen():  # here
                yield s(x)
        """,
    ),
    (
        "WFC105",
        "enumerate of a generator",
        """
        def wf(xs):
            for i, x in enumerate(y for y in xs):  # here
                yield s(x)
        """,
    ),
    (
        "WFC106",
        "await",
        """
        async def wf():  # here
            await s(1)
        """,
    ),
    (
        "WFC107",
        "yield a constant",
        """
        def wf():
            yield 42  # here
        """,
    ),
    (
        "WFC107",
        "yield a tuple",
        """
        def wf():
            a, b = yield s(1), s(2)  # here
        """,
    ),
    (
        "WFC107",
        "yield a builtin call",
        """
        def wf(xs):
            n = yield len(xs)  # here
        """,
    ),
    (
        "WFC108",
        "yield an undecorated generator",
        """
        def wf():
            yield plain_gen()  # here
        """,
    ),
    (
        "WFC109",
        "yield from",
        """
        def wf():
            yield from plain_gen()  # here
        """,
    ),
    (
        "WFC110",
        "bare yield",
        """
        def wf():
            yield  # here
        """,
    ),
    (
        "WFC112",
        "match with yields",
        """
        def wf(x):
            match x:  # here
                case 1:
                    yield s(1)
        """,
    ),
    (
        "WFC113",
        "augmented assignment with yield",
        """
        def wf(order):
            order.total += yield s(1)  # here
        """,
    ),
    (
        "WFC114",
        "reserved name",
        """
        def wf():
            _wfc_mine = 1  # here
            yield s(_wfc_mine)
        """,
    ),
    (
        "WFC212",
        "global",
        """
        def wf():
            global counter  # here
            counter = yield s(1)
        """,
    ),
]


@pytest.mark.parametrize(("code", "what", "body"), CASES, ids=[f"{c}-{w}" for c, w, _ in CASES])
def test_rejected_construct(tmp_path: Path, code: str, what: str, body: str) -> None:
    diags = diagnostics_of(tmp_path, body)
    matching = [d for d in diags if d.code == code]
    assert matching, f"expected {code} for {what}, got {[d.render() for d in diags]}"
    d = matching[0]
    assert d.is_error
    assert d.span is not None
    assert d.span.line == line_of(body, "# here")
    assert d.hint, "every rejection says what to write instead"
    rendered = d.render()
    assert f"error[{code}]" in rendered and "^" in rendered and "hint:" in rendered


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        """
        def wf():
            x = 1 + (yield s(1))
            yield 42
            yield from plain_gen()
        """,
    )
    assert {"WFC101", "WFC107", "WFC109"} <= {d.code for d in diags}


def test_compile_raises_with_every_diagnostic(tmp_path: Path) -> None:
    module = load_module(STEPS + "@wfc.workflow\ndef wf():\n    yield 1\n    yield 2\n", tmp_path)
    with pytest.raises(wfc.CompileError) as info:
        wfc.compile(module.wf)
    assert [d.code for d in info.value.errors] == ["WFC107", "WFC107"]
    assert "WFC107" in str(info.value)


def test_command_from_helper_is_allowed(tmp_path: Path) -> None:
    """A helper that returns a command is fine: what it returns is checked when it runs."""
    diags = diagnostics_of(
        tmp_path,
        """
        def wf():
            r = yield make_cmd(3)
            return r
        """,
    )
    assert [d for d in diags if d.is_error] == []


def test_non_command_at_runtime_raises_at_the_yield(tmp_path: Path) -> None:
    module = load_module(
        STEPS
        + textwrap.dedent(
            """
            @wfc.workflow
            def wf(value):
                try:
                    yield value
                except wfc.WfcError as e:
                    return f"caught {e.code}"
            """
        ),
        tmp_path,
    )
    assert wfc.testing.run(module.wf, 5) == "caught WFC403"
    assert wfc.testing.run_native(module.wf, 5) == "caught WFC403"
