"""The public entry points (load, check, parse, load_text), workflow keys and registration, argument types, and
the parser's construction (package data, strict LALR)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import Lark

import wfc
import wfc.dsl
from wfc.commands import WORKFLOWS, WorkflowDef
from wfc.dsl import ast as wf
from wfc.dsl.layout import Layout
from wfc.errors import CompileError, WfcError

from .conftest import EXAMPLES


def test_public_names() -> None:
    assert wfc.dsl.__all__ == ["check", "load", "load_text", "parse"]


def test_grammar_is_package_data_and_strict_lalr_without_conflicts() -> None:
    # Strict mode checks terminal collisions with the optional `interegular` package (lark[interegular]).
    pytest.importorskip("interegular")
    parser = Lark.open_from_package(
        "wfc", "workflow.lark", ("grammar",), parser="lalr", lexer="contextual", strict=True,
        propagate_positions=True, postlex=Layout(), start=["start", "expr_start"], keep_all_tokens=True,
        maybe_placeholders=False,
    )  # fmt: skip
    assert parser.options.parser == "lalr"


def test_parser_is_built_once() -> None:
    from wfc.dsl.parser import parser

    assert parser() is parser()


def test_load_gives_registered_definitions_with_stable_keys() -> None:
    defs = wfc.dsl.load(EXAMPLES / "approval.wf")
    assert sorted(defs) == ["approve", "finish"]
    approve = defs["approve"]
    assert isinstance(approve, WorkflowDef)
    assert approve.fn is None and approve.frontend == "wf"
    assert approve.key == "approval.wf:approve"  # relative to the examples folder, which is on sys.path
    assert WORKFLOWS[approve.key] is approve
    assert approve.namespace["finish"] is defs["finish"]


def test_load_raises_compile_error_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.wf"
    path.write_text("workflow a() {\n    return x\n}\nworkflow b() {\n    return y\n}\n")
    with pytest.raises(CompileError) as info:
        wfc.dsl.load(path)
    assert [d.code for d in info.value.diagnostics] == ["WFC140", "WFC140"]
    assert wfc.dsl.check(path) == list(info.value.diagnostics)


def test_load_text_and_parse() -> None:
    defs = wfc.dsl.load_text("workflow double(n: int) -> int { return n * 2 }", "mem.wf")
    assert wfc.testing.run(defs["double"], 4) == 8
    module = wfc.dsl.parse("import shop\nworkflow w() { return 1 }")
    assert isinstance(module, wf.Module)
    assert [i.alias for i in module.imports] == ["shop"]
    with pytest.raises(CompileError):
        wfc.dsl.parse("workflow w( {")


def test_parse_ignores_layout_in_equality() -> None:
    a = wfc.dsl.parse("workflow w(x: int) {\n    if x > 1 { return [1,\n 2] }\n    return 0\n}\n")
    b = wfc.dsl.parse("workflow w(x: int) { if x > 1 { return [1, 2] }; return 0 }")
    assert a.workflows == b.workflows


def test_warnings_do_not_stop_loading(tmp_path: Path) -> None:
    path = tmp_path / "warn.wf"
    path.write_text("workflow w() -> int {\n    return 1\n    x = 2\n}\n")
    assert [d.code for d in wfc.dsl.check(path)] == ["WFC147"]
    assert wfc.testing.run(wfc.dsl.load(path)["w"]) == 1


TYPED = """\
workflow typed(n: int, x: float, s: str, b: bool, xs: list[int], d: dict[str, float], o: str | null = null,
               a: any = 1) -> any {
    return [n, x, s, b, xs, d, o, a]
}
workflow caller() -> any {
    r = typed(1, 2, "s", true, [1], {"k": 1.5})
    bad = typed("1", 2, "s", true, [1], {"k": 1.5})
    return r
}
"""


def test_arguments_are_checked_against_the_types_at_start_and_in_child_calls() -> None:
    defs = wfc.dsl.load_text(TYPED, "typed.wf")
    typed = defs["typed"]
    assert wfc.testing.run(typed, 1, 2, "s", True, [1, 2], {"k": 1.0}) == [
        1,
        2,
        "s",
        True,
        [1, 2],
        {"k": 1.0},
        None,
        1,
    ]
    bad_calls = [
        ((True, 2, "s", True, [], {}), "argument `n` must be int, not bool"),
        ((1, "2", "s", True, [], {}), "argument `x` must be float"),
        ((1, 2, "s", True, [1, "2"], {}), "argument `xs` must be list[int]"),
        ((1, 2, "s", True, [], {1: 1.0}), "argument `d` must be dict[str, float]"),
        ((1, 2, "s", True, [], {}, 5), "argument `o` must be str | null"),
    ]
    for args, message in bad_calls:
        with pytest.raises(WfcError) as info:
            wfc.testing.run(typed, *args)
        assert message in str(info.value)
    result = wfc.testing.execute(defs["caller"])
    assert isinstance(result.error, TypeError) and "argument `n` must be int" in str(result.error)
    assert typed.signature.parameters["o"].annotation == (str | None)
