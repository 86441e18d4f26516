"""Every example in examples/wf: it loads cleanly, and it is equivalent to its hand-written Python twin —
equal front-end ASTs, equal tables up to source positions, and equal runs (results and step calls)."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

import wfc
import wfc.dsl
from wfc.compiler.driver import normalize

from .conftest import EXAMPLES
from .support import observed, python_syntax

PROGRAMS = sorted(EXAMPLES.glob("*.wf"))


def twin(path: Path) -> ModuleType:
    return importlib.import_module(f"{path.stem}_twin")


def test_there_are_examples() -> None:
    assert len(PROGRAMS) >= 3


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_example_checks_clean(path: Path) -> None:
    assert wfc.dsl.check(path) == []


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_front_end_ast_equals_twin(path: Path) -> None:
    defs = wfc.dsl.load(path)
    module = twin(path)
    assert set(defs) <= set(vars(module)), "every workflow has a twin of the same name"
    for name, defn in defs.items():
        ours = defn.syntax
        theirs = python_syntax(getattr(module, name))
        assert ours.frontend == "wf"
        assert ours.params == theirs.params
        assert ours.returns == theirs.returns
        assert ours.locals == theirs.locals
        assert ours.body == theirs.body


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_table_equals_twin(path: Path) -> None:
    defs = wfc.dsl.load(path)
    module = twin(path)
    for name, defn in defs.items():
        assert normalize(wfc.compile(defn)) == normalize(wfc.compile(getattr(module, name)))


def _cases() -> list[tuple[str, str, tuple[object, ...], dict[str, object]]]:
    out = []
    for path in PROGRAMS:
        for name, args, kwargs in twin(path).CASES:
            out.append((path.stem, name, args, kwargs))
    return out


@pytest.mark.parametrize(("stem", "name", "args", "kwargs"), _cases())
def test_runs_like_twin(stem: str, name: str, args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    ours = wfc.dsl.load(EXAMPLES / f"{stem}.wf")[name]
    theirs = getattr(importlib.import_module(f"{stem}_twin"), name)
    a = wfc.testing.execute(ours, *args, **kwargs)
    b = wfc.testing.execute(theirs, *args, **kwargs)
    assert observed(a) == observed(b)
    assert a.calls, "every case runs at least one step"


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_every_example_has_cases_for_each_workflow_entry(path: Path) -> None:
    names = {case[0] for case in twin(path).CASES}
    assert names, "each example's twin lists CASES to run"
    assert names <= set(wfc.dsl.load(path))
