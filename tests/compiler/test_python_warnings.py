"""Python's own warnings about a workflow's code (issue 11: ``wfc run`` printed raw SyntaxWarnings about generated
code): compiling and running never show a warning named after wfc's generated code; the warnings that are about
the user's code are diagnostics at the user's file and line (``WFC116``, ``.wf``: ``WFC160``); and the process's
warnings machinery is left alone, so an application's own warnings (``SyntaxWarning`` included) still show."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from types import ModuleType

import pytest

import wfc
import wfc.testing
from wfc.compiler.driver import compile_workflow, diagnose
from wfc.compiler.pywarnings import quietly
from wfc.dsl.loader import definitions
from wfc.errors import Severity
from wfc.runtime.machine import Machine

from ..programgen import load_module

# (a line of the workflow's body, what Python says about it)
WARNED = [
    ("n = 1 if y is 1 else 2", '"is" with a literal'),
    ("n = 1 if y is not 'a' else 2", '"is not" with a literal'),
    ('z = "\\d"', "invalid escape sequence"),
    ("assert (y, 'always')", "assertion is always true"),
    ("q = [1, 2][1.5] if y > 100 else 0", "list indices must be integers"),
    ("q = 1[0] if y > 100 else 0", "'int' object is not subscriptable"),
    ("q = (1, 2)(3) if y > 100 else 0", "'tuple' object is not callable"),
]


def _program(lines: list[str]) -> str:
    body = "".join(f"    {line}\n" for line in lines)
    return (
        "import warnings\n\nimport wfc\n\n\n@wfc.step\ndef s(x):\n    return x\n\n\n@wfc.workflow\n"
        f"def w(x: int):\n    y = yield s(x)\n{body}    return 'done'\n"
    )


FIRST_LINE = 14  # the line of the first body line in _program


@pytest.mark.parametrize(("line", "said"), WARNED, ids=[s for _, s in WARNED])
def test_each_warning_is_a_diagnostic_at_the_users_line_and_nothing_is_shown(
    tmp_path: Path, line: str, said: str
) -> None:
    source = _program(["n = 0", line])
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")  # anything wfc let through would be recorded here
        mod = load_module(source, tmp_path, f"warned_{WARNED.index((line, said))}")
        imported = len(shown)  # Python's own, while importing the user's module: at the user's file and line
        assert all(w.filename == mod.__file__ for w in shown), [str(w) for w in shown]
        table, diags = diagnose(mod.w)
        assert table is not None
        result = wfc.testing.run(mod.w, 3)
        Machine(table, mod.w.namespace)  # linking compiles the table's code once more
        assert result == "done"
        assert len(shown) == imported, [f"{w.filename}:{w.lineno}: {w.message}" for w in shown[imported:]]
    [diag] = [d for d in diags if d.code == "WFC116"]
    assert diag.severity is Severity.WARNING and said in diag.message and diag.hint
    assert diag.span is not None and diag.span.path == mod.__file__
    assert diag.span.line == FIRST_LINE + 1, diag.render()
    assert diag.source_line is not None and diag.source_line.strip() == line


def _quiet_import(source: str, directory: Path, name: str) -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Python's own, when it imports the user's module
        return load_module(source, directory, name)


def test_process_filters_that_make_warnings_errors_do_not_break_compiling(tmp_path: Path) -> None:
    mod = _quiet_import(_program(["if y is 1:", "    return 'one'"]), tmp_path, "warned_errors")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wfc.testing.run(mod.w, 1) == "one"
        compile_workflow(mod.w)


def test_the_applications_own_syntax_warnings_still_show(tmp_path: Path) -> None:
    source = _program(["warnings.warn('from the app', SyntaxWarning)", "if y is 1:", "    n = 1"])
    mod = _quiet_import(source, tmp_path, "warned_app")
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        assert wfc.testing.run(mod.w, 1) == "done"
    mine = [w for w in shown if "from the app" in str(w.message)]
    assert len(mine) == 1 and mine[0].category is SyntaxWarning
    assert mine[0].filename == mod.__file__ and mine[0].lineno == FIRST_LINE, (mine[0].filename, mine[0].lineno)
    assert not [w for w in shown if "with a literal" in str(w.message)]


def test_another_threads_warnings_during_a_compile_are_shown() -> None:
    seen: list[str] = []
    started, done = threading.Event(), threading.Event()

    def other() -> None:
        started.wait()
        warnings.warn("other thread", UserWarning, stacklevel=1)
        done.set()

    def compile_while_warned() -> object:
        started.set()
        done.wait(5)
        return compile("x = 1", "<t>", "exec")

    thread = threading.Thread(target=other)
    thread.start()
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        _, own = quietly(compile_while_warned, "<t>")
        seen = [str(w.message) for w in shown]
    thread.join()
    assert own == [] and seen == ["other thread"]


def _wf(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "w.wf"
    path.write_text(text)
    return path


def test_wf_code_python_would_warn_about_is_a_wf_diagnostic(tmp_path: Path) -> None:
    text = (
        "workflow w(x: int) -> any {\n    if 5 == null { return 1 }\n    if x > 100 { return [1, 2][1.5] }\n"
        '    return "ok"\n}\n'
    )
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        found = wfc.dsl.check(_wf(tmp_path, text))
        [defn] = definitions(wfc.dsl.loader.analyze_file(_wf(tmp_path, text))).values()
        assert wfc.testing.run(defn, 1) == "ok"
    assert shown == [], [f"{w.filename}:{w.lineno}: {w.message}" for w in shown]
    assert [(d.code, d.span.line if d.span else 0) for d in found] == [("WFC160", 2), ("WFC160", 3)]
    assert "always false" in found[0].message and "indices" in found[1].message


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONWARNINGS": "always", "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "wfc", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_cli_check_and_run_show_no_warning_about_generated_code(tmp_path: Path) -> None:
    flow = tmp_path / "warns.py"
    flow.write_text(_program(["if y is 1:", "    return 'one'", "warnings.warn('app says', SyntaxWarning)"]))
    checked = _cli("check", "warns.py", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    out = checked.stdout + checked.stderr
    assert f"warns.py:{FIRST_LINE}:8: warning[WFC116]: Python warns: \"is\" with a literal" in out, out
    assert "SyntaxWarning:" not in out  # reading the file runs nothing, and wfc's compilations warn nothing
    ran = _cli("run", "warns.py", "x=2", "--db", f"sqlite:///{tmp_path / 'w.db'}", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    lines = [line for line in ran.stderr.splitlines() if re.search(r"\w+Warning: ", line)]
    # Python's own when it imports the module, and the application's own: both at the user's file and line
    assert any(f"warns.py:{FIRST_LINE}: SyntaxWarning: \"is\" with a literal" in line for line in lines), lines
    assert any(f"warns.py:{FIRST_LINE + 2}: SyntaxWarning: app says" in line for line in lines), lines
    assert all("warns.py:" in line for line in lines), lines
    wf = _wf(tmp_path, 'workflow w() -> any {\n    if "a" == null { return 1 }\n    return 2\n}\n')
    for command in (["check", str(wf)], ["run", str(wf), "--db", f"sqlite:///{tmp_path / 'v.db'}"]):
        done = _cli(*command, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "Warning:" not in done.stdout + done.stderr, done.stderr
