"""wfc cancel, restart (--fork), watch, diff, migrate and cleanup: output, --json, exit codes, one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import wfc
from wfc.testing import FakeClock

from ..cli.helpers import invoke
from . import flows
from .test_migrate import STEPS, V_NEEDS, V_NEEDS_2, load

FLOWS = str(Path(flows.__file__))
CONTROL = ["cancel", "restart", "watch", "diff", "migrate", "cleanup"]


@pytest.fixture
def db(tmp_path: Path) -> str:
    """``wait`` waits for event ``go`` after two steps; ``done`` has completed."""
    url = f"sqlite:///{tmp_path / 'control.db'}"
    with wfc.Runtime(url) as rt:
        rt.start(flows.steps_then_wait, id="wait")
        rt.run_until_complete(rt.start(flows.chain, 3, id="done"))
        rt.run_until_idle()
    return url


@pytest.mark.parametrize("name", CONTROL)
def test_help_shows_an_example(name: str) -> None:
    result = invoke(name, "--help")
    assert result.exit_code == 0
    assert f"wfc {name} " in result.stdout.split("Example", 1)[1]
    assert "--db TEXT" in result.stdout and "--json" in result.stdout


def test_cancel(db: str) -> None:
    done = invoke("cancel", "wait", "--force", "--db", db)  # the graceful kind: test_graceful_cancel.py
    assert done.exit_code == 0 and done.stdout == "canceled wait\n"
    again = invoke("cancel", "wait", "--db", db, "--json")
    assert again.exit_code == 1 and again.stderr.startswith(
        "error[WFC433]: cannot cancel workflow 'wait': it was"
    )
    assert "Traceback" not in again.output
    ghost = invoke("cancel", "ghost", "--db", db)
    assert ghost.exit_code == 2 and ghost.stderr.startswith("error[WFC420]")
    with wfc.Runtime(db) as rt:
        assert rt.status("wait").state is wfc.WorkflowState.CANCELED


def test_restart_and_fork(db: str) -> None:
    out = invoke("restart", "done", "--from-step", "2", "--db", db)
    assert out.exit_code == 0 and out.stdout == "done\n"
    fork = invoke("restart", "wait", "--from-step", "echo", "--fork", "--new-id", "w2", "--db", db, "--json")
    assert fork.exit_code == 0 and json.loads(fork.stdout) == {"id": "w2", "from_step": "echo", "fork": True}
    bad = invoke("restart", "done", "--from-step", "77", "--db", db)
    assert bad.exit_code == 1 and bad.stderr.startswith("error[WFC434]: step 77 is not in the history")
    usage = invoke("restart", "done", "--from-step", "1", "--new-id", "x", "--db", db)
    assert usage.exit_code == 2 and "--new-id goes with --fork" in usage.stderr
    with wfc.Runtime(db) as rt:
        assert rt.run_until_complete("done") == 3
        assert [r.seq for r in rt.history("done")] == [1, 4, 5]
        rt.run_until_idle()
        assert [r.result for r in rt.history("w2")][:2] == ["one", "two"]


def test_watch_prints_a_line_per_change_and_json_lines(db: str) -> None:
    lines = invoke("watch", "wait", "--timeout", "0.1", "--db", db)
    assert lines.exit_code == 0
    text = lines.stdout.splitlines()
    assert text[0].endswith("wait: waiting at " + text[0].rsplit(" ", 1)[1])
    assert any("#3 event go: pending" in line for line in text)
    assert any('#1 step echo: completed -> "one"' in line for line in text)
    data = [
        json.loads(line)
        for line in invoke("watch", "wait", "--timeout", "0.1", "--db", db, "--json").stdout.splitlines()
    ]
    assert data[0]["kind"] == "status" and data[0]["status"]["state"] == "waiting"
    assert [d["record"]["seq"] for d in data if d["kind"] == "step"] == [1, 2, 3]
    finished = invoke("watch", "done", "--db", db)
    assert finished.exit_code == 0 and "done: completed" in finished.stdout
    invoke("cancel", "wait", "--force", "--db", db)
    assert invoke("watch", "wait", "--db", db).exit_code == 1  # it was canceled


def _versions(tmp_path: Path) -> tuple[str, str, str, str]:
    """Two versions of one workflow in two files; instances started on the first. Returns the database, the
    first version's hash and the two files."""
    name = f"wfc_cli_mig_{tmp_path.name.replace('-', '_')}"
    url = f"sqlite:///{tmp_path / 'mig.db'}"
    v1 = load(name, tmp_path / "v1", STEPS + V_NEEDS)
    with wfc.Runtime(url, clock=FakeClock(), workflows=[v1.flow]) as rt:
        rt.start(v1.flow, id="at-event")
        rt.run_until_idle()
        rt.start(v1.flow, id="at-start")
        old_hash = rt.status("at-event").table_hash
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / f"{name}.py").write_text(STEPS + V_NEEDS_2)
    del sys.modules[name]  # the command imports the new code under the same name
    return url, old_hash, str(tmp_path / "v1" / f"{name}.py"), str(tmp_path / "v2" / f"{name}.py")


def test_diff_tables_files_hashes_and_code(tmp_path: Path) -> None:
    url, old_hash, _v1, v2_file = _versions(tmp_path)
    out = invoke("diff", old_hash[:8], f"{v2_file}:flow", "--db", url)
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("workflow ") and f"--- {old_hash[:12]}" in out.stdout
    assert "\n+ " in out.stdout and "refused: the new state" in out.stdout and "needs `bonus`" in out.stdout
    data = json.loads(invoke("diff", old_hash, f"{v2_file}:flow", "--db", url, "--json").stdout)
    assert data["old"] == old_hash and {c["kind"] for c in data["changes"]} >= {"added", "unchanged"}
    assert len(data["refusals"]) == 1 and data["moves"][0]["old"] == "start"
    compiled = invoke("compile", f"{v2_file}:flow", "--emit", "json")
    (tmp_path / "new.json").write_text(compiled.stdout)
    same = invoke("diff", f"{v2_file}:flow", str(tmp_path / "new.json"))
    assert same.exit_code == 0 and "0 changed, 0 added, 0 removed" in same.stdout
    missing = invoke("diff", "abcdef12", f"{v2_file}:flow", "--db", url)
    assert missing.exit_code == 1 and missing.stderr.startswith("error[WFC435]: no table version")


def test_migrate_dry_run_and_for_real(tmp_path: Path) -> None:
    url, old_hash, _v1, v2_file = _versions(tmp_path)
    dry = invoke("migrate", f"{v2_file}:flow", "--from", old_hash[:10], "--dry-run", "--db", url)
    assert dry.exit_code == 1  # one instance would be refused
    assert (
        "would move" in dry.stdout
        and "needs `bonus`" in dry.stdout
        and "1 would move, 1 refused" in dry.stdout
    )
    real = invoke("migrate", f"{v2_file}:flow", "--from", old_hash[:10], "--db", url, "--json")
    report = json.loads(real.stdout)
    assert real.exit_code == 1 and report["from_hash"] == old_hash
    assert {(i["id"], i["outcome"]) for i in report["instances"]} == {
        ("at-event", "refused"),
        ("at-start", "moved"),
    }
    again = invoke("migrate", f"{v2_file}:flow", "--from", old_hash[:10], "--db", url)
    assert again.exit_code == 1 and "0 moved, 1 refused" in again.stdout
    bad = invoke("migrate", f"{v2_file}:flow", "--from", old_hash[:10], "--map", "nonsense", "--db", url)
    assert bad.exit_code == 2 and "expected --map OLD=NEW" in bad.stderr


def test_cleanup(db: str) -> None:
    assert invoke("cleanup", "--older-than", "1d", "--db", db).stdout == "purged 0 instances\n"
    out = invoke("cleanup", "--older-than", "0", "--db", db, "--json")
    assert out.exit_code == 0 and json.loads(out.stdout) == {"purged": 1}  # done; wait is still waiting
    bad = invoke("cleanup", "--older-than", "soon", "--db", db)
    assert bad.exit_code == 2 and "'soon' is not a duration" in bad.stderr


def test_watch_on_a_terminal_draws_the_live_table(db: str) -> None:
    import os
    import pty
    import re

    from ..cli.helpers import ROOT, env, wfc_cmd

    pid, fd = pty.fork()
    if pid == 0:  # the child: wfc watch, its stdout a terminal
        os.chdir(ROOT)
        os.execve(wfc_cmd()[0], wfc_cmd("watch", "done", "--db", db),
                  {**env(), "TERM": "xterm", "COLUMNS": "100", "LINES": "30"})  # fmt: skip
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode())
    assert "command" in screen and "tries" in screen  # the table's header
    assert re.search(r"step add\s+completed", screen) and "done" in screen
