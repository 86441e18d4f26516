"""A Python workflow file is checked, compiled and drawn from its source alone (nothing of it runs unless
``--allow-imports``), and what the source reading finds gives the same tables and diagnostics as importing."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests import programgen
from wfc.cli.common import import_file, workflows_in_module
from wfc.compiler import serialize
from wfc.compiler.driver import diagnose
from wfc.compiler.python.static import explain, read_module, static_workflows

ROOT = Path(__file__).resolve().parents[2]

EVIL = """\
import pathlib
import wfc

HERE = pathlib.Path(__file__).with_name("PWNED")
HERE.write_text("module body ran")


def _side(*args):
    pathlib.Path(__file__).with_name("PWNED").write_text("decorator ran")
    return lambda fn: fn


@wfc.step
def charge(amount: "float" = HERE.write_text("default ran")) -> str:
    return "ok"


@_side()
def helper(x: HERE.write_text("annotation ran") = 1):
    return x + 1


@wfc.workflow(name="pay")
def pay(amount: float = 1.5):
    receipt = yield charge(helper(amount))
    return receipt
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wfc.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "command",
    [["check", "evil.py"], ["check", "."], ["compile", "evil.py"], ["graph", "evil.py"]],
    ids=["check", "check-dir", "compile", "graph"],
)
def test_nothing_of_the_file_runs(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "evil.py").write_text(EVIL)
    done = _cli(*command, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "PWNED").exists()


def test_allow_imports_imports_the_file(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text(EVIL)
    done = _cli("check", "--allow-imports", "evil.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "PWNED").exists()


def test_static_definitions_are_what_the_decorators_make(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text(EVIL)
    [pay] = static_workflows(tmp_path / "evil.py")
    assert (pay.name, pay.key) == ("pay", "evil:pay")
    step = pay.namespace["charge"]
    assert step.key == "evil:charge" and list(step.signature.parameters) == ["amount"]
    assert not (tmp_path / "PWNED").exists()


def test_a_name_bound_at_run_time_is_explained(tmp_path: Path) -> None:
    (tmp_path / "dyn.py").write_text(
        "import wfc\n\ndef make():\n    return wfc.step(lambda x: x)\n\ncharge = make()\n\n"
        "@wfc.workflow\ndef w(x):\n    r = yield charge(x)\n    return r\n"
    )
    [w] = static_workflows(tmp_path / "dyn.py")
    _table, found = diagnose(w)
    [d] = explain(w, found)
    assert d.code == "WFC214" and "line 6" in d.message and "--allow-imports" in (d.hint or "")
    assert read_module("dyn", tmp_path / "dyn.py").dynamic


def _compare(path: Path) -> int:
    real = workflows_in_module(import_file(path))
    static = static_workflows(path)
    assert [w.key for w in static] == [w.key for w in real]
    for r, s in zip(real, static, strict=True):
        assert (s.name, list(s.signature.parameters)) == (r.name, list(r.signature.parameters))
        rt, rd = diagnose(r)
        st, sd = diagnose(s)
        assert [d.render() for d in sd] == [d.render() for d in rd], r.key
        assert (serialize.to_json(st) if st else None) == (serialize.to_json(rt) if rt else None), r.key
    return len(real)


def _files_with_workflows() -> list[Path]:
    out = []
    for path in sorted([*ROOT.glob("examples/**/*.py"), *ROOT.glob("tests/**/*.py")]):
        text = path.read_text(encoding="utf-8")
        if "\n@wfc.workflow" in text or "\n@workflow" in text:
            out.append(path)
    return out


@pytest.mark.parametrize("path", _files_with_workflows(), ids=lambda p: str(p.relative_to(ROOT)))
def test_reading_equals_importing_on_the_repository(path: Path) -> None:
    _compare(path)


_n = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(programgen.programs())
def test_reading_equals_importing_on_generated_programs(tmp_path_factory: pytest.TempPathFactory,
                                                        source: str) -> None:  # fmt: skip
    directory = tmp_path_factory.mktemp("static")
    path = directory / f"wfc_static_gen_{next(_n)}.py"
    path.write_text(source)
    assert _compare(path) == 1


def test_a_method_of_an_object_made_on_import_is_not_a_warning(tmp_path: Path) -> None:
    """``log = logging.getLogger(__name__)`` then ``log.info()`` in a workflow: imported, a library object's
    method is no warning; read from source it must not be one either (reading equals importing)."""
    (tmp_path / "logs.py").write_text(
        "import logging\nimport wfc\n\nlog = logging.getLogger(__name__)\n\n@wfc.step\ndef s(x):\n    return x\n\n"
        "@wfc.workflow\ndef w(x):\n    log.info('start %s', x)\n    r = yield s(x)\n    return r\n"
    )
    [w] = static_workflows(tmp_path / "logs.py")
    assert diagnose(w)[1] == []
    assert _compare(tmp_path / "logs.py") == 1
