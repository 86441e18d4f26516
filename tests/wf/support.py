"""Helpers for the .wf tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wfc.commands import WorkflowDef
from wfc.compiler import syntax
from wfc.compiler.python.frontend import translate
from wfc.compiler.python.source import function_source
from wfc.dsl.loader import Analysis, analyze
from wfc.errors import Diagnostic
from wfc.testing import RunResult


def analyze_text(
    text: str, base_dir: Path | None = None, allowed_imports: list[str] | None = None
) -> Analysis:
    from tests.wf.conftest import EXAMPLES

    return analyze(text, "t.wf", base_dir or EXAMPLES, allowed_imports, key_base="t.wf")


def diagnostics(text: str, **kwargs: Any) -> list[Diagnostic]:
    return list(analyze_text(text, **kwargs).diagnostics)


def codes(text: str, **kwargs: Any) -> list[str]:
    return [d.code for d in diagnostics(text, **kwargs)]


def python_syntax(defn: WorkflowDef) -> syntax.Workflow:
    """What the Python front end makes of a twin workflow."""
    assert defn.fn is not None
    src = function_source(defn.fn)
    workflow, problems = translate(dict(defn.namespace), src.tree, src.map, defn.key)
    assert workflow is not None and not [p for p in problems if p.is_error], problems
    return workflow


def observed(result: RunResult) -> tuple[Any, ...]:
    """What a run shows from outside: its outcome and every step attempt."""
    calls = [(c.name, c.args, dict(c.kwargs), c.attempt, c.error) for c in result.calls]
    if result.error is not None:
        return ("raised", type(result.error).__name__, str(result.error), calls)
    return ("returned", result.value, calls)
