"""Types flow through wfc's API: tests/typecheck/check_api.py passes mypy --strict and pyright (basedpyright: it
bundles its Node.js runtime, so it runs offline, unlike the `pyright` wrapper, which downloads pyright on first
use), and the examples the docs teach pass mypy --strict as written."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
HERE = Path(__file__).parent
# Files whose Python examples are complete programs (docs that show fragments of a session are not listed).
DOC_EXAMPLES = ["README.md", "docs/client.md"]
# Example files the docs embed (python-workflows.md: tour.py; ir.md: ir_example.py; testing.md: testing_suite;
# values.md: values.py; integration.md: tracing_setup.py, fastapi_app, django_app: django-stubs types it).
EXAMPLES = ["examples/tour.py", "examples/orders.py", "examples/ir_example.py", "examples/testing_suite/shop.py",
            "examples/testing_suite/test_shop.py", "examples/values.py", "examples/tracing_setup.py",
            "examples/fastapi_app/workflows.py", "examples/fastapi_app/app.py", "examples/step_context.py",
            "examples/published_status.py",
            "examples/django_app/settings.py", "examples/django_app/urls.py", "examples/django_app/manage.py",
            "examples/django_app/shop/workflows.py", "examples/django_app/shop/views.py",
            "examples/django_app/shop/management/commands/wfc_worker.py"]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def _doc_blocks(tmp_path: Path) -> list[str]:
    files = []
    for doc in DOC_EXAMPLES:
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", (ROOT / doc).read_text(), re.S)):
            path = tmp_path / f"{Path(doc).stem.lower().replace('-', '_')}_{i}.py"
            path.write_text(block)
            files.append(str(path))
    return files


def test_api_and_examples_pass_mypy_strict(tmp_path: Path) -> None:
    docs = _doc_blocks(tmp_path)
    assert docs, "README has a Python example"
    result = _run(sys.executable, "-m", "mypy", "--strict", str(HERE / "check_api.py"), *EXAMPLES, *docs)
    assert result.returncode == 0, result.stdout + result.stderr


def test_api_passes_pyright_strict() -> None:
    exe = Path(sys.executable).parent / "basedpyright"
    if not exe.exists():
        pytest.fail("basedpyright is not installed: pip install -e '.[dev]'")
    result = _run(str(exe), "-p", str(HERE / "pyrightconfig.json"), "--pythonpath", sys.executable)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout


def test_an_expected_error_that_disappears_fails_both_checkers(tmp_path: Path) -> None:
    """The ignore comments of check_api.py are proof only because an unneeded one is an error."""
    source = (HERE / "check_api.py").read_text().replace('charge(order, "12")', "charge(order, 12)")
    (tmp_path / "check_api.py").write_text(source)
    (tmp_path / "pyrightconfig.json").write_text((HERE / "pyrightconfig.json").read_text())
    mypy = _run(sys.executable, "-m", "mypy", "--strict", str(tmp_path / "check_api.py"))
    assert mypy.returncode != 0 and "unused-ignore" in mypy.stdout
    exe = Path(sys.executable).parent / "basedpyright"
    pyright = _run(str(exe), "-p", str(tmp_path / "pyrightconfig.json"), "--pythonpath", sys.executable)
    assert pyright.returncode != 0 and "reportUnnecessaryTypeIgnoreComment" in pyright.stdout


def _definition_problems(source: str) -> list[str]:
    """What mypy --strict would reject in a docs fragment's own definitions, whatever the fragment leaves to the
    prose around it (names defined elsewhere): a ``@wfc.*`` function with an unannotated parameter or return, or
    a generator workflow annotated as anything but ``wfc.Workflow[T]``."""
    out = []
    for node in ast.walk(ast.parse(source)):  # parses fragments too (a `yield` outside a function)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not any(ast.unparse(d).startswith("wfc.") for d in node.decorator_list):
            continue
        a = node.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(p for p in (a.vararg, a.kwarg) if p)]
        out += [f"{node.name}: parameter {p.arg} is not annotated" for p in params if p.annotation is None]
        if node.returns is None:
            out.append(f"{node.name}: no return annotation")
        elif any(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(node)) and not re.match(
            r"(wfc\.)?Workflow\[", ast.unparse(node.returns)
        ):
            out.append(f"{node.name}: a generator workflow annotated {ast.unparse(node.returns)}")
    return out


def test_every_docs_fragment_annotates_its_workflows_and_steps() -> None:
    """The docs' fragments (blocks that use names from the prose or an earlier block) cannot be checked alone; what
    they define must still be what mypy --strict accepts, so a reader who copies one keeps a clean checker."""
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)):
            found += [f"{doc.name} block {i}: {p}" for p in _definition_problems(block)]
    assert not found, "\n".join(found)
    assert _definition_problems("@wfc.workflow\ndef w(a):\n    return (yield from s(a))\n") == [
        "w: parameter a is not annotated", "w: no return annotation",
    ]  # fmt: skip
    assert _definition_problems("@wfc.workflow\ndef w(a: int) -> int:\n    yield from s(a)\n") == [
        "w: a generator workflow annotated int"
    ]
