"""Untrusted .wf files stay contained: checking, compiling and drawing run no Python the file imports unless
asked, and what the source reading finds gives the same checks and the same tables as importing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import wfc.dsl
from wfc.compiler import serialize
from wfc.compiler.driver import compile_workflow
from wfc.compiler.python.static import read_module

from .conftest import EXAMPLES, ROOT

EVIL = """\
import pathlib
import wfc
pathlib.Path(__file__).with_name("PWNED").write_text("ran")

@wfc.step
def lookup(order_id: str, *, urgent: bool = False) -> dict:
    return {}

@wfc.transaction(name="reserve-it")
def reserve(db, sku: str) -> None: ...

@wfc.workflow
def child(n: int):
    yield lookup(str(n))
    return n

class Declined(Exception):
    pass

class Worse(Declined):
    pass

async def _private(): ...
"""

FLOW = """\
import "./evil.py" as evil

workflow w(order_id: str) -> int {
    try {
        r = evil.lookup(order_id, urgent = true)
        evil.reserve("pen")
    } catch evil.Worse as e {
        return 1
    }
    n = evil.child(3)
    return n
}
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "evil.py").write_text(EVIL)
    flow = tmp_path / "flow.wf"
    flow.write_text(FLOW)
    return flow


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wfc.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_check_reads_imports_without_running_them(tmp_path: Path) -> None:
    flow = _project(tmp_path)
    assert wfc.dsl.check(flow) == []
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    "command",
    [["check", "flow.wf"], ["check", "."], ["compile", "flow.wf"], ["graph", "flow.wf"]],
    ids=["check", "check-dir", "compile", "graph"],
)
def test_cli_runs_no_imported_code(tmp_path: Path, command: list[str]) -> None:
    _project(tmp_path)
    done = _cli(*command, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "PWNED").exists()


def test_allow_imports_runs_them(tmp_path: Path) -> None:
    _project(tmp_path)
    done = _cli("check", "--allow-imports", "flow.wf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "PWNED").exists()


def test_static_members_are_what_the_source_declares(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text(EVIL)
    found = read_module("evil_static", tmp_path / "evil.py")
    assert sorted(found.members) == ["Declined", "Worse", "child", "lookup", "reserve"]
    assert found.members["reserve"].name == "reserve-it"
    assert list(found.members["reserve"].signature.parameters) == ["sku"]
    assert list(found.members["lookup"].signature.parameters) == ["order_id", "urgent"]
    assert issubclass(found.members["Worse"], Exception)
    assert found.dynamic  # its top-level code might make more: only importing can tell
    assert not (tmp_path / "PWNED").exists()


def test_static_reading_checks_arity_like_importing(tmp_path: Path) -> None:
    _project(tmp_path)
    bad = tmp_path / "bad.wf"
    bad.write_text('import "./evil.py" as evil\nworkflow w() { r = evil.lookup(1, 2) \n return r }\n')
    static = [(d.code, d.span and d.span.line) for d in wfc.dsl.check(bad)]
    assert static == [("WFC143", 2)]
    assert not (tmp_path / "PWNED").exists()
    imported = [(d.code, d.span and d.span.line) for d in wfc.dsl.check(bad, execute_imports=True)]
    assert imported == static


def test_a_dynamic_module_says_importing_would_tell(tmp_path: Path) -> None:
    (tmp_path / "dyn.py").write_text(
        "import wfc\nfor name in ['a', 'b']:\n    globals()[name] = wfc.step(lambda: 1)\n"
    )
    flow = tmp_path / "flow.wf"
    flow.write_text('import "./dyn.py" as dyn\nworkflow w() { r = dyn.a()\n return r }\n')
    [d] = wfc.dsl.check(flow)
    assert d.code == "WFC141" and "--allow-imports" in (d.hint or "")


def test_re_exports_are_followed(tmp_path: Path) -> None:
    pkg = tmp_path / "shopx"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .steps import charge as pay\nfrom .errors import Declined\n")
    (pkg / "steps.py").write_text("from wfc import step\n@step(retry=True)\ndef charge(amount: float): ...\n")
    (pkg / "errors.py").write_text("import wfc\nclass Declined(wfc.StepFailed): ...\n")
    sys.path.insert(0, str(tmp_path))
    try:
        found = read_module("shopx")
    finally:
        sys.path.remove(str(tmp_path))
    assert sorted(found.members) == ["Declined", "pay"]
    assert found.members["pay"].key == "shopx.steps:charge"


def test_unreadable_module_is_a_clean_error(tmp_path: Path) -> None:
    flow = tmp_path / "flow.wf"
    (tmp_path / "broken.py").write_text("def (:\n")
    flow.write_text('import "./broken.py" as b\nimport no_such_module_here\nworkflow w() { return 1 }\n')
    found = [(d.code, d.span and d.span.line) for d in wfc.dsl.check(flow)]
    assert found == [("WFC132", 1), ("WFC132", 2)]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.wf")), ids=lambda p: p.name)
def test_static_and_imported_give_the_same_tables(path: Path) -> None:
    imported = wfc.dsl.load(path)
    static = wfc.dsl.load(path, execute_imports=False)
    assert sorted(imported) == sorted(static)
    for name, defn in imported.items():
        assert serialize.to_json(compile_workflow(static[name])) == serialize.to_json(compile_workflow(defn))
    assert [d.render() for d in wfc.dsl.check(path)] == [
        d.render() for d in wfc.dsl.check(path, execute_imports=True)
    ]


def test_docs_examples_check_the_same_either_way() -> None:
    # The language guide's programs import the examples' modules: static reading agrees with importing.
    from .support import analyze_text

    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    for block in text.split("```wf\n")[1:]:
        source = block.split("```", 1)[0]
        executed = analyze_text(source)
        from wfc.dsl.loader import analyze

        static = analyze(source, "t.wf", EXAMPLES, None, key_base="t.wf", execute_imports=False)
        assert [d.render() for d in static.diagnostics] == [d.render() for d in executed.diagnostics], source
