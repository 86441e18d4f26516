"""Semantic checks: each problem is a WFC13x–WFC15x diagnostic at the right place, with a useful hint, and all
problems of a file are reported at once."""

from __future__ import annotations

import pytest

from .support import codes, diagnostics


def wf(body: str, params: str = "order: dict, xs: list, n: int") -> str:
    return f"import shop\n\nworkflow w({params}) {{\n{body}\n}}\n"


# (body, expected codes in order, words in the first message, words in its hint)
CASES = [
    ("return ordr", ["WFC140"], "undefined variable `ordr`", "did you mean `order`?"),
    ('shop.chrage("o", 1.0)', ["WFC141"], "has no step or workflow `chrage`", "did you mean `charge`?"),
    ("x = lenn(xs)", ["WFC142"], "unknown function `lenn`", "did you mean `len`?"),
    ("x = shop.chrge", ["WFC141"], "`chrge`", "`charge`"),
    ('shop.charge("o")', ["WFC143"], "wrong arguments for `shop.charge`", "its parameters"),
    ('shop.charge("o", 1.0, 2)', ["WFC143"], "too many positional arguments", None),
    ("x = len(xs, 2)", ["WFC143"], "`len()` takes 1 argument, not 2", None),
    ("x = sorted(xs, key = 1)", ["WFC143"], "`sorted()` has no argument `key`", "reverse"),
    ("x = helper(1, 2)", ["WFC143"], "wrong arguments for `helper`", None),
    ("break", ["WFC146"], "`break` outside a loop", None),
    ("continue", ["WFC146"], "`continue` outside a loop", None),
    ("return 1\nx = 2\ny = 3", ["WFC147"], "unreachable code", None),
    ('if n { return 1 } else { fail "x" }\nx = 2', ["WFC147"], "unreachable", None),
    ("raise", ["WFC149"], "only allowed in a `catch`", None),
    ('raise "boom"', ["WFC148"], "only errors can be raised", "fail"),
    ("try { x = 1 } catch ValueErr { x = 2 }", ["WFC148"], "unknown error type `ValueErr`", "ValueError"),
    ("try { x = 1 } catch shop.Nope { x = 2 }", ["WFC148"], "no error type `Nope`", None),
    ("try { x = 1 } catch nomod.E { x = 2 }", ["WFC148"], "`nomod` is not an import", None),
    ("x = len(shop.lookup(1))", ["WFC145"], "suspends the workflow", "assign its result"),
    ("x = helper(1) + 1", ["WFC145"], "suspends the workflow", None),
    ("x = [sleep 1]", ["WFC120"], "", None),
    ("n == 1", ["WFC151"], "no effect", "`=` instead of `==`"),
    ("len(xs)", ["WFC151"], "no effect", "only computes a value"),
    ("x = shop", ["WFC152"], "the import `shop` is not a value", None),
    ("x = helper", ["WFC152"], "the workflow `helper` can only be called", None),
    ("x = len", ["WFC152"], "the built-in `len` can only be called", None),
    ("x = ValueError", ["WFC152"], "error type", None),
    ('order.status = "x"', ["WFC153"], "cannot assign to the attribute `.status`", 'd["key"]'),
    ("xs[1:2] = [1]", ["WFC153"], "cannot assign to a slice", None),
    ("x = all of ()", ["WFC154"], "runs nothing", None),
    ('x = first of (shop.ship("o"), 1)', ["WFC155"], "not a command", None),
    ("x = all of (all of (sleep 1))", ["WFC120"], "unexpected `of`", None),
    ("x = len(xs) with no retry", ["WFC155"], "options after `with`", None),
    ('shop.ship("o") with retry(tries = 3)', ["WFC150"], "retry has no setting `tries`", None),
    ('shop.ship("o") with retry(max_attempts = 0)', ["WFC150"], "invalid retry policy", None),
    ('shop.ship("o") with retry(3)', ["WFC150"], "keyword arguments only", None),
    ('shop.ship("o") with name "a", name "b"', ["WFC150"], "given twice", None),
    ('shop.ship("o") with run_after -5', ["WFC156"], "must not be negative", None),
    ('sleep "soon"', ["WFC156"], "a number of seconds", None),
    ("wait 5", ["WFC156"], "non-empty string", None),
    ('shop.ship("o") with run_at 5', ["WFC156"], "run_at takes a time", None),
    ("x = order.__class__", ["WFC144"], "`.__class__` is not allowed", None),
    ("x = order.gi_frame", ["WFC144"], "`.gi_frame` is not allowed", None),
    ("x = order.items()", ["WFC142"], "is a method call", None),
    ("x = order.upper()", ["WFC142"], "is a method call", "`upper(...)`"),
    ("x = xs(1)", ["WFC142"], "`xs` is a variable, not a function", None),
    ("items = [1]\nx = items(order)", ["WFC142"], "`items` is a variable", "hides the built-in"),
    ("x = ValueError(1)", ["WFC142"], "can only be raised", None),
    ("shop = 1", ["WFC158"], "would hide the import `shop`", None),
    ("list = 1", ["WFC158"], "would hide the built-in `list()`", None),
    ("helper = 1", ["WFC158"], "would hide the workflow `helper`", None),
    ("_x = 1", ["WFC136"], "`_x` cannot name a variable", None),
    ("class = 1", ["WFC136"], "reserved word", None),
    ("x = [1 for _y in xs]", ["WFC136"], "`_y` cannot name a variable", None),
]

HELPER = 'workflow helper(k: int) -> int {\n    shop.ship("o")\n    return k\n}\n'


@pytest.mark.parametrize(("body", "expected", "words", "hint"), CASES, ids=[c[0] for c in CASES])
def test_check(body: str, expected: list[str], words: str, hint: str | None) -> None:
    found = diagnostics(wf(body) + HELPER)
    assert [d.code for d in found] == expected, [d.render() for d in found]
    assert words in found[0].message
    if hint is not None:
        assert found[0].hint is not None and hint in found[0].hint, found[0].hint
    span = found[0].span
    assert span is not None and span.line >= 4 and found[0].source_line is not None


def test_all_problems_at_once() -> None:
    source = wf("x = undefined_one\nshop.chrage(1)\nbreak\ny = order.__dict__") + HELPER
    assert codes(source) == ["WFC140", "WFC141", "WFC146", "WFC147", "WFC144"]


DECLARATIONS = [
    ("workflow a() { return 1 }\nworkflow a() { return 2 }", ["WFC130"]),
    ("import shop\nimport shop\nworkflow a() { return 1 }", ["WFC131"]),
    ("import shop\nworkflow shop() { return 1 }", ["WFC131"]),
    ("import shop as wfc\nworkflow a() { return 1 }", ["WFC136"]),
    ("import shop as len\nworkflow a() { return 1 }", ["WFC158"]),
    ("workflow len() { return 1 }", ["WFC158"]),
    ("workflow a(x: integer) { return x }", ["WFC134"]),
    ("workflow a(x: list[int, str]) { return x }", ["WFC134"]),
    ("workflow a(x: int[str]) { return x }", ["WFC134"]),
    ("workflow a() -> strr { return 1 }", ["WFC134"]),
    ("workflow a(x: int, x: int) { return x }", ["WFC135"]),
    ("workflow a(x: int = 1, y: int) { return x }", ["WFC135"]),
    ("workflow a(x: int = len([])) { return x }", ["WFC135"]),
    ('workflow a(x: int = "1") { return x }', ["WFC157"]),
    ("workflow a(x: list[int] = [1, null]) { return x }", ["WFC157"]),
    ("workflow a(x: int | null = null, y: float = 1) { return x }", []),
    ("import no_such_module_xyz\nworkflow a() { return 1 }", ["WFC132"]),
    ('import "nope.txt" as n\nworkflow a() { return 1 }', ["WFC139"]),
    ('import "./nope.py" as n\nworkflow a() { return 1 }', ["WFC139"]),
    ("import string\nworkflow a() { return 1 }", ["WFC137"]),
    ("import shop", ["WFC138"]),
]


@pytest.mark.parametrize(("source", "expected"), DECLARATIONS, ids=[s for s, _ in DECLARATIONS])
def test_declarations(source: str, expected: list[str]) -> None:
    assert codes(source) == expected


def test_import_failure_does_not_cascade() -> None:
    source = "import no_such_module_xyz as m\nworkflow a() {\n    r = m.step(1)\n    return r\n}\n"
    assert codes(source) == ["WFC132"]


def test_a_failing_module_is_reported_not_raised(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    (tmp_path / "broken_steps.py").write_text("raise SystemExit('no')\n")
    source = 'import "./broken_steps.py" as b\nworkflow a() { return 1 }'
    found = diagnostics(source, base_dir=tmp_path)
    assert [d.code for d in found] == ["WFC132"]
    assert "SystemExit" in found[0].message
