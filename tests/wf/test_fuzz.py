"""No input makes the .wf front end fail with anything but wfc diagnostics, and every diagnostic points inside
the input: random printable text, token soup, and mutations of valid programs (deletions, duplications, swaps,
truncations)."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wfc.dsl
from wfc.compiler.driver import compile_workflow
from wfc.dsl.loader import definitions
from wfc.errors import CompileError, Diagnostic

from .conftest import DOCS, EXAMPLES
from .support import analyze_text

SEEDS = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.wf"))]
SEEDS += [
    block.split("```", 1)[0]
    for block in (DOCS / "language.md").read_text(encoding="utf-8").split("```wf\n")[1:]
]

TOKENS = [
    "workflow", "import", "if", "elif", "else", "while", "for", "in", "break", "continue", "try", "catch",
    "finally", "return", "fail", "raise", "log", "sleep", "wait", "timeout", "all", "first", "of", "with",
    "retry", "no", "run_after", "run_at", "name", "id", "detached", "queue", "priority", "partition_key",
    "dedup_id", "async", "await", "and", "or", "not", "true", "false", "null", "as", "debug",
    "shop", "shop.charge", "x", "y", "_", "__class__", "wfc", "len", "items", "range", "ValueError",
    "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "==", "!=", "<", "<=", "+", "-", "*", "/", "//", "%",
    "**", "+=", "->", "|", "\n", " ", "  ", "#", "0", "1_0", "1.5", "10s", "2h", "\"s\"", "'q'", "\"{x}\"",
    "\"{\"", "\"\\u12\"", "\"", "'", "\\", "$", "@", "!", "\t", "\r\n", "é", "\x00",
    # inputs that once passed `check` and broke `compile`, or broke the checker itself
    ".class", ".if", ".get", ".upper", ".year", "9" * 4400, "1e400", "1e308", "1e308s", "\"{'\\n'}\"",
    "\"{x:%Y}\"", "Exception", "KeyError", "NameError", "nan", "inf", "non_retryable", "[1]",
]  # fmt: skip

SETTINGS = settings(
    max_examples=int(os.environ.get("WFC_FUZZ_EXAMPLES", "300")),
    derandomize=True,  # a fixed seed: CI runs the same bounded set every time
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_only_diagnostics(text: str) -> None:
    try:
        wfc.dsl.parse(text, "fuzz.wf")
    except CompileError as exc:
        _assert_inside(text, exc.diagnostics)
    analysis = analyze_text(text)  # parse, imports, checks and lowering: never raises
    _assert_inside(text, analysis.diagnostics)
    assert not any(d.code == "WFC159" for d in analysis.diagnostics), [
        d.render() for d in analysis.diagnostics
    ]
    if analysis.ok:  # what `check` accepts, `compile` compiles: the two agree
        for defn in definitions(analysis).values():
            compile_workflow(defn)


def _assert_inside(text: str, diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
    lines = text.splitlines() or [""]
    for d in diagnostics:
        assert d.code.startswith("WFC"), d
        d.render()
        if d.span is None:
            continue
        assert 1 <= d.span.line <= len(lines) + 1, d.render()
        line = lines[d.span.line - 1] if d.span.line <= len(lines) else ""
        assert 1 <= d.span.col <= len(line) + 2, d.render()


@SETTINGS
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_random_text(text: str) -> None:
    assert_only_diagnostics(text)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=80))
def test_token_soup(tokens: list[str]) -> None:
    assert_only_diagnostics(" ".join(tokens))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        n = len(text)
        i = draw(st.integers(0, n - 1))
        j = draw(st.integers(i, min(n, i + 40)))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "insert"]))
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif kind == "swap":
            k = draw(st.integers(j, n))
            text = text[:i] + text[j:k] + text[i:j] + text[k:]
        elif kind == "truncate":
            text = text[:i]
        else:
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
    return text


@SETTINGS
@given(mutated())
def test_mutated_programs(text: str) -> None:
    assert_only_diagnostics(text)


def test_deep_nesting_is_a_diagnostic() -> None:
    for text in [
        "workflow w() { x = " + "(" * 500 + "1" + ")" * 500 + " }",
        "workflow w() { x = " + "[" * 500 + "]" * 500 + " }",
        "workflow w() { x = " + " + ".join(["1"] * 3000) + " }",
        "workflow w() { x = " + "not " * 3000 + "1 }",
        "workflow w() { x = " + "- " * 3000 + "1 }",
        "workflow w() { x = " + " ** ".join(["2"] * 3000) + " }",
        "workflow w() { x = a" + ".b" * 3000 + " }",
        "workflow w() { x = a" + "[0]" * 3000 + " }",
        "workflow w() {" + " if true {" * 300 + "}" * 300 + "}",
        'workflow w() { x = "{' + "a + " * 2000 + 'a}" }',
    ]:
        analysis = analyze_text(text)
        assert [d.code for d in analysis.diagnostics if d.is_error] == ["WFC128"], [
            d.render() for d in analysis.diagnostics
        ]


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    binary = tmp_path / "bad.wf"
    binary.write_bytes(b"\xff\xfe\x00workflow")
    assert [d.code for d in wfc.dsl.check(binary)] == ["WFC127"]
    assert [d.code for d in wfc.dsl.check(tmp_path / "missing.wf")] == ["WFC127"]
    assert [d.code for d in wfc.dsl.check(tmp_path)] == ["WFC127"]
