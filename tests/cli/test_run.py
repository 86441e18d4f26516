"""``wfc run``: driving an instance to its end with progress, --json, exit codes, errors, and resuming after a kill."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
from pathlib import Path

import pytest

import wfc
from wfc.cli.common import CliError, parse_input
from wfc.cli.run_cmds import default_id

from . import flows
from .helpers import FLOWS, FLOWS_REL, ROOT, env, invoke, read_until, run_wfc, spawn, wfc_cmd


def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'run.db'}"


def test_run_prints_one_line_per_change_and_the_result(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    result = invoke("run", f"{FLOWS}:retried", f"flag={flag}", "--db", db(tmp_path), "--id", "r-1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d  started r-1 \(tests\.cli\.flows:retried\)", lines[0])
    body = "\n".join(lines)
    assert re.search(
        r"step flaky: attempt 1 failed \(ConnectionError: try again\); retry at \d\d:\d\d:\d\d", body
    )
    assert "step flaky: completed (attempt 2)" in body
    assert "step hello[0]: completed" in body and "step hello[1]: completed" in body
    assert re.fullmatch(r'r-1 completed in 0:0\d: \["ok", "hello a", "hello b"\]', lines[-1])
    assert "\x1b[" not in result.stdout  # not a terminal: no live view


def test_run_json_prints_exactly_one_object(tmp_path: Path) -> None:
    result = invoke("run", f"{FLOWS}:greet", "name=ann", "--db", db(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == {
        "id": default_id(flows.greet, (), {"name": "ann"}),
        "status": "completed",
        "result": "hello ann",
    }
    assert "started" in result.stderr and "completed" in result.stderr  # the progress went to stderr


def test_a_failed_workflow_exits_1(tmp_path: Path) -> None:
    result = invoke("run", f"{FLOWS}:doomed", "--db", db(tmp_path), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == "failed" and "ValueError: boom" in data["error"] and "result" not in data
    text = invoke("run", f"{FLOWS}:doomed", "reason=bad", "--db", db(tmp_path))
    assert text.exit_code == 1
    assert "step explode: failed after 1 attempt: ValueError: bad" in text.stdout
    assert text.stdout.strip().splitlines()[-1].startswith("doomed-") and " failed: " in text.stdout


def test_the_same_command_names_the_same_instance(tmp_path: Path) -> None:
    first = invoke("run", f"{FLOWS}:greet", "name=bo", "--db", db(tmp_path), "--json")
    again = invoke("run", f"{FLOWS}:greet", "--input", '{"name": "bo"}', "--db", db(tmp_path), "--json")
    other = invoke("run", f"{FLOWS}:greet", "name=cy", "--db", db(tmp_path), "--json")
    ids = [json.loads(r.stdout)["id"] for r in (first, again, other)]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0] == default_id(flows.greet, (), {"name": "bo"}) and ids[0].startswith("greet-")
    assert (
        "resuming" in again.stderr and "started" not in again.stderr
    )  # the ended instance is reported again
    # positional and named arguments are different input, hence different instances
    assert default_id(flows.greet, ("bo",), {}) != ids[0]


def test_inputs() -> None:
    assert parse_input(None, ("a=1", "b=x y", 'c={"k": [1, 2]}', "d=true", "e=")) == (
        (), {"a": 1, "b": "x y", "c": {"k": [1, 2]}, "d": True, "e": ""}
    )  # fmt: skip
    assert parse_input('["p", 2]', ("k=v",)) == (("p", 2), {"k": "v"})
    assert parse_input('{"a": 1}', ("b=2",)) == ((), {"a": 1, "b": 2})
    for bad_json, pairs in [
        ("[1", ()),
        ('"text"', ()),
        (None, ("novalue",)),
        (None, ("1x=2",)),
        ('{"a": 1}', ("a=2",)),
    ]:
        with pytest.raises(CliError):
            parse_input(bad_json, pairs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["n=notanumber"], "error[WFC405]: argument 'n' of workflow typed: expected int, got str"),
        (["m=1"], "error[WFC405]: cannot start workflow typed: missing a required argument: 'n'"),
        (["--input", "[1"], "error[WFC460]: --input is not valid JSON"),
        (["--input", "3"], "error[WFC460]: --input must be a JSON object or list"),
        (["just-text"], "error[WFC460]: expected an argument as key=value"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = invoke("run", f"{FLOWS}:typed", *args, "--db", db(tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message), result.stderr
    assert (
        "Traceback" not in result.output and len(result.stderr.strip().splitlines()) <= 2
    )  # the line, a hint
    assert result.stdout == ""


def test_bad_targets_exit_2(tmp_path: Path) -> None:
    for target, message in [
        (str(tmp_path / "missing.py"), "no such file"),
        (FLOWS, "defines 7 workflows; name the one to run as PATH:NAME"),
        (f"{FLOWS}:nothere", "has no workflow named 'nothere'"),
        ("tests.cli.nomodule:greet", "no module named 'tests.cli.nomodule'"),
    ]:
        result = invoke("run", target, "--db", db(tmp_path))
        assert result.exit_code == 2 and message in result.stderr, (target, result.output)
        assert "Traceback" not in result.output


def test_a_module_name_as_target(tmp_path: Path) -> None:
    result = invoke("run", "tests.cli.flows:greet", "name=mo", "--db", db(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"] == "hello mo"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    plain = run_wfc("run", f"{FLOWS_REL}:typed", "n=x", "--db", db(tmp_path))
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.startswith("error[WFC405]")
    debug = run_wfc("--debug", "run", f"{FLOWS_REL}:typed", "n=x", "--db", db(tmp_path))
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert "TypeMismatch" in debug.stderr


def test_run_continues_after_the_process_is_killed(tmp_path: Path) -> None:
    log = tmp_path / "ran.log"
    # long enough to still be asleep when the second process has started on a loaded machine (2 s and more)
    command = ("run", f"{FLOWS_REL}:nap", f"log={log}", "seconds=6", "--db", db(tmp_path))
    first = spawn(*command)
    lines = read_until(first, lambda line: "sleeping until" in line)
    first.send_signal(signal.SIGKILL)  # no chance to clean up: leases and all stay behind
    first.wait(10)
    assert log.read_text() == "before\n"
    iid = re.search(r"started (\S+)", lines[0])[1]  # type: ignore[index]

    second = run_wfc(*command)
    assert second.returncode == 0, second.stdout + second.stderr
    out = second.stdout
    # asleep still, or (a second process slower to start than the nap on a loaded machine) the nap is over
    resumed = rf"resuming {re.escape(iid)} \(tests.cli.flows:nap\): (sleeping, 1 command|running, 2 commands) done"
    assert re.search(resumed, out), out
    assert "step mark: completed" in out and f"{iid} completed in" in out and '"rested"' in out
    assert log.read_text() == "before\nafter\n"  # the first step did not run again


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path) -> None:
    log = tmp_path / "ran.log"
    proc = spawn("run", f"{FLOWS_REL}:nap", f"log={log}", "seconds=30", "--db", db(tmp_path), "--json")
    read_until(
        proc, lambda line: "sleeping until" in line, stderr=True
    )  # with --json the progress is on stderr
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "is saved in" in err and "run the same command again" in err and "Traceback" not in err
    data = json.loads(out)
    assert data["status"] == "sleeping" and data["error"].startswith("interrupted")


def test_send_event_from_another_process_reaches_a_waiting_run(tmp_path: Path) -> None:
    waiting = spawn("run", f"{FLOWS_REL}:gate", "--id", "g-1", "--db", db(tmp_path), "--json")
    seen = read_until(waiting, lambda line: "event go: waiting" in line, stderr=True)
    sent = run_wfc("send-event", "g-1", "go", "--value", '{"n": 5}', "--db", db(tmp_path))
    assert sent.returncode == 0 and sent.stdout.strip() == "sent go to g-1", sent.stderr
    out, err = waiting.communicate(timeout=15)
    assert waiting.returncode == 0, err
    assert json.loads(out) == {"id": "g-1", "status": "completed", "result": {"got": {"n": 5}}}
    assert 'event go: received {"n": 5}' in "".join(seen) + err


def test_the_live_view_on_a_terminal(tmp_path: Path) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: wfc run, its stdout a terminal
        os.chdir(ROOT)
        os.execve(wfc_cmd()[0], wfc_cmd("run", f"{FLOWS_REL}:parent", "name=tty", "--db", db(tmp_path)),
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
    assert "command" in screen and "state" in screen and "tries" in screen  # the table's header
    assert re.search(r"child greet\s+completed", screen) and re.search(r"step hello\s+completed", screen)
    assert "elapsed" in screen and "HELLO TTY" in screen


def test_the_instance_is_durable_in_the_database(tmp_path: Path) -> None:
    invoke("run", f"{FLOWS}:greet", "name=db", "--id", "d-1", "--db", db(tmp_path))
    with wfc.Runtime(db(tmp_path)) as rt:
        assert rt.result("d-1") == "hello db"
