"""docs/language.md is executable: every ```wf example loads without a diagnostic and runs to the result its
`# =>` line states; every ```wf-error example produces its code; every diagnostic code is documented."""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest

import wfc
from wfc.dsl.codes import CODES
from wfc.dsl.loader import definitions

from .conftest import DOCS
from .support import analyze_text

TEXT = (DOCS / "language.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(wf|wf-error (WFC\d+))\n(.*?)^```", TEXT, re.MULTILINE | re.DOTALL)
PROGRAMS = [body for kind, _, body in BLOCKS if kind == "wf"]
ERRORS = [(code, body) for kind, code, body in BLOCKS if kind != "wf"]


def test_the_document_has_examples() -> None:
    assert len(PROGRAMS) >= 15
    assert len(ERRORS) >= 30


@pytest.mark.parametrize("source", PROGRAMS, ids=lambda s: s.split("workflow ", 1)[-1].split("(", 1)[0])
def test_program_loads_cleanly_and_runs(source: str) -> None:
    analysis = analyze_text(source)
    assert [d.render() for d in analysis.diagnostics] == []
    run = re.search(r"^# run: (.*)$", source, re.MULTILINE)
    expected = re.search(r"^# => (.*)$", source, re.MULTILINE)
    assert run and expected, "every example says how to run it and what it gives"
    call = ast.parse(run.group(1), mode="eval").body
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
    args = [ast.literal_eval(a) for a in call.args]
    kwargs: dict[str, Any] = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    workflow = definitions(analysis)[call.func.id]
    result = wfc.testing.execute(workflow, *args, **kwargs)
    want = expected.group(1)
    if want.startswith("raises "):
        kind, _, message = want.removeprefix("raises ").partition(": ")
        assert result.error is not None, result.value
        assert (type(result.error).__name__, str(result.error)) == (kind, message)
    else:
        assert result.error is None, result.error
        assert result.value == ast.literal_eval(want)


@pytest.mark.parametrize(("code", "source"), ERRORS, ids=[code for code, _ in ERRORS])
def test_error_example_reports_its_code(code: str, source: str) -> None:
    found = [d.code for d in analyze_text(source).diagnostics]
    assert code in found, found


def test_every_code_is_documented() -> None:
    documented = re.findall(r"^### (WFC\d+) — ", TEXT, re.MULTILINE)
    assert documented == sorted(CODES)
