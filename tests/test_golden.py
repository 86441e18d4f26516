"""Golden tests: each workflow in tests/golden/cases compiles to exactly the table in tests/golden/<case>.<name>.ir.

Regenerate after an intended change with ``WFC_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

import wfc
from wfc.commands import WorkflowDef
from wfc.compiler.pprint import format_table

HERE = Path(__file__).parent / "golden"


def _cases() -> list[tuple[str, WorkflowDef]]:
    out = []
    for path in sorted((HERE / "cases").glob("*.py")):
        name = f"golden_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        for value in vars(module).values():
            if isinstance(value, WorkflowDef):
                out.append((f"{path.stem}.{value.name}", value))
    return out


CASES = _cases()


@pytest.mark.parametrize(("case", "defn"), CASES, ids=[c for c, _ in CASES])
def test_golden_ir(case: str, defn: WorkflowDef) -> None:
    text = format_table(wfc.compile(defn)).replace(str(HERE), "<golden>")
    expected = HERE / f"{case}.ir"
    if os.environ.get("WFC_UPDATE_GOLDEN") or not expected.exists():
        expected.write_text(text)
        if not os.environ.get("WFC_UPDATE_GOLDEN"):
            pytest.fail(f"wrote new golden file {expected.name}; review and commit it")
    assert text == expected.read_text()


@pytest.mark.parametrize(("case", "defn"), CASES, ids=[c for c, _ in CASES])
def test_golden_cases_run_like_python(case: str, defn: WorkflowDef) -> None:
    args = {
        "child": (3,),
        "if_elif_else": (7,),
        "while_else": (9,),
        "for_kinds": ([1, 2], {"a": 1}),
        "nested_loops": ([[1, None, 2], [3]],),
        "try_everything": (4,),
        "return_through_finally": ([0, 5],),
        "binding_forms": (3,),
        "walrus_in_test": ([1, 2, 3],),
        "handler_reraise": (1,),
        "except_as_jumps": ([1, 0, 2],),
        "finally_active": (1,),
        "closure_before_branch": ("go",),
        "aug_yield": (3,),
        "locals_in_compound": (3,),
    }[defn.name]
    events = {"go": "yes"}
    compiled = wfc.testing.execute(defn, *args, events=events)
    native = wfc.testing.execute(defn, *args, events=events, native=True)
    assert (compiled.value, repr(compiled.error), compiled.step_names) == (
        native.value,
        repr(native.error),
        native.step_names,
    )
