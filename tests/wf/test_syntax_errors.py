"""Syntax errors come out as WFC12x diagnostics in words, with a position, the source line and a caret."""

from __future__ import annotations

import pytest

import wfc.dsl
from wfc.dsl.syntax_errors import EXAMPLES, example_key, expected_words
from wfc.errors import CompileError

from .support import diagnostics


def first(source: str) -> tuple[str, str, int, int, str | None]:
    found = diagnostics(source)
    assert found, source
    d = found[0]
    assert d.span is not None
    return d.code, d.message, d.span.line, d.span.col, d.hint


# (source, code, words in the message, line, col)
CASES = [
    ("workflow w() {\n  if x = 1 {\n  }\n}", "WFC123", "`==`", 2, 8),
    ("workflow w() {\n  x = 1\n", "WFC122", "expected `}` to close the block opened at 1:14", 2, 8),
    ("workflow w() {\n  x = (1 + 2]\n}", "WFC122", "`]` does not close the parenthesis `(`", 2, 13),
    ("workflow w() {\n  x = 1)\n}", "WFC122", "`)` does not close the block `{`", 2, 8),
    ("workflow w() {\n}\n)", "WFC122", "`)` closes nothing", 3, 1),
    (
        "workflow w() {\n  if true {\n    x = 1\n\nworkflow v() {}",
        "WFC122",
        "before the next declaration",
        5,
        10,
    ),
    ("workflow w(x: int) {\n  if x {\n  }\n  else {\n  }\n}", "WFC125", "`else` must follow the `}`", 4, 8),
    ("workflow w() {\n  try {\n  }\n  catch {\n  }\n}", "WFC125", "`catch` must follow", 4, 3),
    ('workflow w() {\n  x = "abc\n}', "WFC124", "unterminated string", 2, 7),
    ("workflow w() {\n  def foo():\n}", "WFC129", "`def` is Python", 2, 7),
    ("workflow w(x: int) {\n  if x:\n  }\n}", "WFC129", "Python-style `:` block", 2, 7),
    ("workflow w()\n{\n}", "WFC120", "a `{` must be on the same line", 1, 13),
    ("workflow w() {\n  x = 1 +\n}", "WFC120", "an expression is missing", 3, 1),
    ("workflow w() {\n  x = 5 $ 3\n}", "WFC121", "unexpected character `$`", 2, 9),
    ("workflow w() {\n  x = 1 && 2\n}", "WFC121", "unexpected character `&`", 2, 9),
    ('workflow w() {\n  x = "a {y +} b"\n}', "WFC124", "incomplete expression in `{...}`", 2, 14),
    ('workflow w() {\n  x = "a } b"\n}', "WFC124", "a single `}`", 2, 10),
    ('workflow w() {\n  x = "a \\q b"\n}', "WFC124", "unknown escape `\\q`", 2, 10),
    ('workflow w() {\n  x = "a {} b"\n}', "WFC124", "empty `{}`", 2, 10),
    ('workflow w() {\n  x = "\\u12"\n}', "WFC124", "invalid `\\u` escape", 2, 8),
    ("workflow w() {\n  x = 1 2\n}", "WFC120", "unexpected number `2`; expected an operator", 2, 9),
    ("workflow w() {\n  x = = 1\n}", "WFC120", "expected an expression or a command", 2, 7),
    ("workflow w() {\n  first = 1\n}", "WFC136", "`first` is a keyword", 2, 9),
    ("workflow w() {\n  sleep 3days\n}", "WFC126", "invalid number or duration `3days`", 2, 9),
    ("workflow w() {\n  x = 1.5e\n}", "WFC126", "`1.5e`", 2, 7),
    ("workflow w() {\n  x = f(a = 1, 2)\n}", "WFC143", "positional argument after a keyword argument", 2, 16),
]


@pytest.mark.parametrize(("source", "code", "words", "line", "col"), CASES)
def test_syntax_error(source: str, code: str, words: str, line: int, col: int) -> None:
    got = first(source)
    assert got[0] == code, got
    assert words in got[1], got
    assert (got[2], got[3]) == (line, col), got


def test_rendering_has_position_source_line_caret_and_hint() -> None:
    with pytest.raises(CompileError) as info:
        wfc.dsl.parse("workflow w(x: int) {\n    if x = 1 {\n    }\n}\n", "flow.wf")
    text = str(info.value)
    assert text.splitlines()[:4] == [
        "flow.wf:2:10: error[WFC123]: `=` is assignment; a comparison is written `==`",
        " 2 |     if x = 1 {",
        "   |          ^",
        "  = hint: write `==` to compare, e.g. `if x == 1 {`",
    ]


def test_one_error_per_broken_declaration() -> None:
    source = (
        "workflow a() {\n  x = = 1\n}\n"
        "workflow b() {\n  y = 1 2\n}\n"
        "workflow c() { z = 3 }\n"
        "workflow d() {\n  if z = 2 {}\n}\n"
    )
    found = [(d.code, d.span.line if d.span else 0) for d in diagnostics(source)]
    assert found == [("WFC120", 2), ("WFC120", 5), ("WFC123", 9)]


@pytest.mark.parametrize(
    ("code", "snippet"), [(code, s) for code, _, _, snippets in EXAMPLES for s in snippets]
)
def test_every_known_mistake_example_fails_and_is_recognised(code: str, snippet: str) -> None:
    assert example_key(snippet) is not None, "the snippet must be a syntax error"
    assert code in [d.code for d in diagnostics(snippet)]


def test_expected_words_never_show_terminal_names() -> None:
    from wfc.dsl.parser import parser

    names = {t.name for t in parser().terminals}
    words = expected_words(names)
    assert "a statement" in words
    for name in ("__ANON", "LBRACE", "RPAR", "NAME", "_NL"):
        assert name not in words
