"""The README's two set-up commands stay the ones CI runs, and the demo works end to end: it completes, prints the
path of its graph, and resumes after being interrupted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import wfc

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert "\n" not in commands[0] and commands[0].endswith("python -m examples.demo")
    assert "pip install" in commands[0]
    assert "pytest" in commands[1] and "mypy" in commands[1] and "ruff" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == readme_commands()[1]


def test_readme_says_the_demo_resumes() -> None:
    text = (ROOT / "README.md").read_text()
    demo = text[text.index("## The demo") :]
    assert "Ctrl-C" in demo and "run the same command again" in demo and "resumes" in demo


def _demo(cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.pop("WFC_DB", None)
    return subprocess.Popen([sys.executable, "-m", "examples.demo", "--approve-after", "1"], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ctrl_c_works)  # fmt: skip


def _ctrl_c_works() -> None:
    """A process started in the background by a shell inherits SIGINT ignored (so does its Python): undo that,
    as a terminal's Ctrl-C would reach the demo."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_demo_completes_and_resumes_after_ctrl_c(tmp_path: Path) -> None:
    # First run: interrupted (SIGINT, as Ctrl-C sends) during the durable sleep.
    first = _demo(tmp_path)
    assert first.stdout is not None
    seen: list[str] = []
    watchdog = threading.Timer(60, first.kill)  # a demo that hangs fails the test instead of hanging it
    watchdog.start()
    for line in first.stdout:
        seen.append(line)
        if "sleep 5s: sleeping until" in line:
            break
    else:
        raise AssertionError("the demo ended before its sleep:\n" + "".join(seen) + first.communicate()[1])
    first.send_signal(signal.SIGINT)
    rest, err = first.communicate(timeout=30)
    watchdog.cancel()
    out1 = "".join(seen) + rest
    assert first.returncode == 130, out1 + err
    assert "charge_card: attempt 1 failed" in out1 and "event approval: received true" in out1
    assert "run the same command again" in out1 and "Traceback" not in err, err

    # Second run: the same order continues from its sleep; nothing that finished runs again.
    second = _demo(tmp_path)
    out2, err2 = second.communicate(timeout=60)
    assert second.returncode == 0, out2 + err2
    assert "Resuming order A-1001" in out2 and "resuming A-1001" in out2
    assert "charge_card" not in out2 and "reserve_item" not in out2 and "event approval" not in out2
    assert "A-1001 completed" in out2 and '"status": "shipped"' in out2
    last = out2.strip().splitlines()[-1]
    assert last.startswith("graph of the run: ")
    page = Path(last.removeprefix("graph of the run: "))
    assert page == (tmp_path / ".wfc" / "A-1001.html").resolve() and page.read_text().startswith(
        "<!DOCTYPE html>"
    )

    with wfc.Runtime(f"sqlite:///{tmp_path / '.wfc' / 'demo.db'}") as rt:
        records = rt.history("A-1001")
        assert [(r.name, r.status, r.attempts) for r in records if r.kind == "step"] == [
            ("charge_card", "completed", 2),  # failed once, retried once: not run again by the second process
            ("reserve_item", "completed", 1),
            ("reserve_item", "completed", 1),
        ]
        assert [r.kind for r in records] == ["step", "step", "step", "event", "sleep", "child"]
        assert rt.status("A-1001").state is wfc.WorkflowState.COMPLETED
