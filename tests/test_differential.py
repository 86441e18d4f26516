"""Differential test: random workflow programs behave the same compiled as they do as plain Python generators."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import wfc
from wfc.compiler.verify import verify
from wfc.testing import RunResult

from .programgen import load_module, programs, shadowing_programs


def observed(result: RunResult) -> tuple[Any, ...]:
    calls = [(c.name, c.args, c.attempt, c.error) for c in result.calls]
    if result.error is not None:
        return ("raised", type(result.error).__name__, str(result.error), calls)
    return ("returned", result.value, calls)


def assert_same(module: Any, *args: Any) -> None:
    native = wfc.testing.execute(module.wf, *args, native=True)
    compiled = wfc.testing.execute(module.wf, *args)
    assert observed(compiled) == observed(native)


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("programs")


@settings(
    max_examples=int(os.environ.get("WFC_DIFF_EXAMPLES", "300")),
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(source=programs())
def test_random_programs_match_python(source: str, program_dir: Path) -> None:
    module = load_module(source, program_dir)
    table = wfc.compile(module.wf)
    assert verify(table) == []
    for args in [(0, 1), (2, 5), (4, 3)]:
        assert_same(module, *args)


@settings(
    max_examples=int(os.environ.get("WFC_DIFF_EXAMPLES", "60")),
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(source=shadowing_programs())
def test_programs_binding_builtin_exception_names_match_python(source: str, program_dir: Path) -> None:
    """A module-level name, class, import alias, parameter or local named ``KeyError``, ``Exception``... changes
    what ``except`` and ``raise`` mean exactly as in Python, and never the compiled code's own machinery."""
    module = load_module(source, program_dir)
    for args in [(0, 1), (2, 5), (4, 3)]:
        assert_same(module, *args)
