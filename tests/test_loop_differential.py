"""Loops whose bodies suspend over dicts they mutate, ranges longer than ``sys.maxsize`` and
``zip(..., strict=True)``: compiled behaviour equals Python's, in ``wfc.testing`` and in the durable runtime with
a fresh runtime (its tables linked again, every value read back from the database) for every slice.

``WFC_LOOP_EXAMPLES`` raises the number of programs (each is run with three argument sets), e.g. for the local
run reported in the issue: ``WFC_LOOP_EXAMPLES=5000 .venv/bin/pytest tests/test_loop_differential.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import wfc
from wfc.compiler.verify import verify
from wfc.testing import FakeClock

from .programgen import load_module, loop_programs
from .test_differential import observed

EXAMPLES = int(os.environ.get("WFC_LOOP_EXAMPLES", "150"))
DURABLE_EXAMPLES = int(os.environ.get("WFC_LOOP_DURABLE_EXAMPLES", str(max(EXAMPLES // 3, 50))))
ARGS = [(0, 1), (2, 5), (4, 3)]
_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loop_programs")


@settings(max_examples=EXAMPLES, **_SETTINGS)
@given(source=loop_programs())
def test_loops_match_python_in_wfc_testing(source: str, program_dir: Path) -> None:
    module = load_module(source, program_dir)
    assert verify(wfc.compile(module.wf)) == []
    for args in ARGS:
        native = wfc.testing.execute(module.wf, *args, native=True)
        compiled = wfc.testing.execute(module.wf, *args)
        assert observed(compiled) == observed(native), source


def _sliced(module: Any, args: tuple[int, int], db: Path) -> tuple[Any, ...]:
    """Run on a fresh runtime per slice: a slice ends when only a timer is left to wait for."""
    clock = FakeClock()
    url = f"sqlite:///{db}"
    rt = wfc.Runtime(url, clock=clock, workflows=[module.wf])
    try:
        wid = rt.start(module.wf, *args)
    finally:
        rt.close()
    for _ in range(10_000):
        rt = wfc.Runtime(url, clock=clock, workflows=[module.wf])
        try:
            rt.run_until_idle()
            status = rt.status(wid)
            if status.state in ("completed", "failed"):
                calls = [(h.name, h.args, h.attempts, h.error) for h in rt.history(wid) if h.kind == "step"]
                try:
                    return ("returned", rt.result(wid), calls)
                except Exception as exc:
                    return ("raised", type(exc).__name__, str(exc), calls)
        finally:
            rt.close()
        clock.advance(1)
    raise AssertionError("the program did not finish")


@settings(max_examples=DURABLE_EXAMPLES, **_SETTINGS)
@given(source=loop_programs(sleepy=True))
def test_loops_match_python_in_the_durable_runtime_across_restarts(
    source: str, program_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    module = load_module(source, program_dir)
    for args in ARGS:
        native = wfc.testing.execute(module.wf, *args, native=True)
        calls = [(c.name, c.args, c.attempt, c.error) for c in native.calls]
        expected = (
            ("raised", type(native.error).__name__, str(native.error), calls)
            if native.error
            else ("returned", native.value, calls)
        )
        db = tmp_path_factory.mktemp("db") / "wf.db"
        assert _sliced(module, args, db) == expected, source


def test_the_issue_examples() -> None:
    """Issue 9: ``del d["b"]; d["c"] = 3`` visits ``['a', 'c']``; ``range(10**20)``; ``zip(strict=True)``."""
    import tempfile
    import textwrap

    source = textwrap.dedent(
        """
        import wfc

        @wfc.step
        def s(n):
            return n

        @wfc.workflow
        def wf(a, b):
            d = {"a": 1, "b": 2}
            seen = []
            for k in d:
                yield s(k)
                seen.append(k)
                if k == "a":
                    del d["b"]
                    d["c"] = 3
            for i in range(10**20):
                r = yield s(i)
                seen.append(r)
                if i == 2:
                    break
            try:
                for x, y in zip([1, 2, 3], "ab", strict=True):
                    r = yield s(x)
                    seen.append(r + a)
            except ValueError as exc:
                seen.append(str(exc))
            return seen
        """
    )
    with tempfile.TemporaryDirectory() as d:
        module = load_module(source, Path(d))
        expected = ["a", "c", 0, 1, 2, 1, 2, "zip() argument 2 is shorter than argument 1"]
        assert wfc.testing.execute(module.wf, 0, 0, native=True).value == expected
        assert wfc.testing.execute(module.wf, 0, 0).value == expected
        assert _sliced(module, (0, 0), Path(d) / "wf.db")[1] == expected
