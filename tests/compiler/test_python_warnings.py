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
from typing import Any, cast

import pytest

import wfc
import wfc.testing
from wfc.compiler.driver import compile_workflow, diagnose
from wfc.compiler.pywarnings import _FILTERS, quietly
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


def test_compiling_on_many_threads_beside_threads_with_their_own_catch_warnings(tmp_path: Path) -> None:
    """A worker compiles on threads while steps (and libraries) use ``warnings.catch_warnings`` on others, under
    ``-W error``: each compile reports exactly its own warnings and raises none, the other thread records exactly
    its own and has its own raised, and the process's warnings state is intact afterwards. ``catch_warnings``
    inside wfc fails this: an overlapping block records another thread's warning (and shows it again from the
    compiling thread, where the error filter raises it), and blocks that end out of order leave the process
    recording into a list nobody reads."""
    mod = _quiet_import(_program(["if y is 1:", "    return 'one'"]), tmp_path, "warned_threads")
    wf = _wf(tmp_path, 'workflow w() -> any {\n    if "a" == null { return 1 }\n    return 2\n}\n')
    table = compile_workflow(mod.w)
    # one other thread: catch_warnings is not safe between two threads that both use it, wfc or not
    rounds, compilers, others = 40, 3, 1
    many = "".join(f"x{i} = y is {i}\n" for i in range(200))  # a long compile, warned throughout
    failures: list[str] = []
    barrier = threading.Barrier(compilers + others)
    compiled = threading.Event()

    def compiler(k: int) -> None:
        barrier.wait()
        for r in range(rounds):
            try:
                _, diags = diagnose(mod.w)
                py = [d.code for d in diags if d.code.startswith("WFC1")]
                found = [d.code for d in wfc.dsl.check(wf)]
                Machine(table, mod.w.namespace)  # linking compiles the table's code (warned, silently)
                _, own = quietly(lambda: compile(many, f"<many {k}>", "exec"), f"<many {k}>")
                if py != ["WFC116"] or found != ["WFC160"] or len(own) != 200:
                    failures.append(f"compiler {k} round {r}: {py} {found} {len(own)}")
            except Exception as exc:  # a warning made an error in this thread, or lost its filters
                failures.append(f"compiler {k} round {r}: {type(exc).__name__}: {exc}")

    def other(k: int) -> None:
        barrier.wait()
        r = 0
        while not compiled.is_set():
            r += 1
            text = f"other {k} round {r}"
            with warnings.catch_warnings(record=True) as log:
                warnings.simplefilter("always")
                warnings.warn(text, UserWarning, stacklevel=1)
                warnings.warn_explicit(text, SyntaxWarning, "<other>", 1)  # a SyntaxWarning of its own
            got = [str(w.message) for w in log]
            if got != [text, text]:
                failures.append(f"{text}: recorded {got}")
            try:
                warnings.warn(text, UserWarning, stacklevel=1)  # the process's filter: error, in this thread
                failures.append(f"{text}: the process's error filter did not raise")
            except UserWarning:
                pass

    original = warnings._showwarnmsg  # type: ignore[attr-defined]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: the blocks of the threads interleave every way
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("error")  # the process says -W error: no compile may fail for it
        before = [f for f in warnings.filters if f not in _FILTERS]
        threads = [threading.Thread(target=compiler, args=(k,)) for k in range(compilers)]
        threads += [threading.Thread(target=other, args=(k,)) for k in range(others)]
        try:
            for t in threads:
                t.start()
            for t in threads[:compilers]:
                t.join(120)
            compiled.set()
            for t in threads[compilers:]:
                t.join(120)
        finally:
            sys.setswitchinterval(interval)
        left = [f for f in warnings.filters if f in _FILTERS]
        assert [f for f in warnings.filters if f not in _FILTERS] == before  # the process's own, as they were
        assert warnings._showwarnmsg is original  # type: ignore[attr-defined]
        warnings.simplefilter("always")
        warnings.warn("after", UserWarning, stacklevel=1)  # the process still records its own warnings
    assert failures == [], failures[:10]
    assert [str(w.message) for w in shown] == ["after"], [f"{w.filename}:{w.lineno}: {w.message}" for w in shown]
    # what is left: wfc's filters, which match only inside a compile, in its thread
    assert [f[0] for f in left] == ["always", "always"] and all("wfc" in repr(f[3]) for f in left), left
    assert not any(cast(Any, f[3]).match(m) for f in left for m in ("<many 0>", "<other>", str(wf), "")), left


def test_a_filter_another_thread_puts_in_front_during_a_compile_makes_it_run_again() -> None:
    """Python applies a filter one thread adds to every thread; one put in front of wfc's while a compile runs
    (here by the compile itself, the first time) would make its warning an error: the compile runs again."""
    runs = []

    def action() -> object:
        runs.append(1)
        if len(runs) == 1:
            warnings.filterwarnings("error", category=SyntaxWarning)
        return compile("x = y is 1", "<again>", "exec")

    with warnings.catch_warnings():
        _, own = quietly(action, "<again>")
    assert len(runs) == 2 and [str(w.message) for w in own] == ['"is" with a literal. Did you mean "=="?']
