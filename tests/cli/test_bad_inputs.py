"""Every bad command-line input is one line ``error[CODE]: ...`` (plus a hint) and exit status 2, never a
traceback: the inputs an adversarial review found (issue 11), and a fuzz test of argument parsing."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wfc
from wfc.cli.main import main

from .helpers import FLOWS, one_json, run_wfc

LINE = re.compile(r"^error\[WFC\d{3}\]: [^\n]+\n(  hint: [^\n]+\n)?$")


def wfc_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 0), out, err


def assert_usage_error(result: tuple[int, str, str], code: str = "WFC460") -> None:
    status, _out, err = result
    assert status == 2, err
    assert LINE.match(err), err
    assert err.startswith(f"error[{code}]"), err
    assert "Traceback" not in err


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    rt = wfc.Runtime(url)
    rt.close()
    return url


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["list", "--cursor", "garbage"], "WFC402"),
        (["list", "--cursor", "9" * 400], "WFC402"),
        (["status", "bad\udcff"], "WFC460"),
        (["history", "\udcff\udcfe"], "WFC460"),
        (["send-event", "id", "bad\udcff"], "WFC460"),
        (["list", "--limit", "0"], "WFC460"),
    ],
    ids=["cursor", "cursor-long", "status-id", "history-id", "event-name", "limit"],
)
def test_bad_operating_inputs(
    capsys: pytest.CaptureFixture[str], db: str, args: list[str], code: str
) -> None:
    assert_usage_error(wfc_main(capsys, *args, "--db", db), code)


@pytest.mark.parametrize("value", ["1e999", "nan", "inf", "-1", "x"])
def test_busy_timeout_is_validated(capsys: pytest.CaptureFixture[str], db: str, value: str) -> None:
    assert_usage_error(wfc_main(capsys, "list", "--db", f"{db}?busy_timeout={value}"), "WFC429")


@pytest.mark.parametrize(
    "args",
    [
        ["run", FLOWS + ":greet", "--concurrency", "100000"],
        ["run", FLOWS + ":greet", "--max-parallelism", "99999999999999999999"],
        ["worker", "--app", FLOWS, "--concurrency", "100000"],
        ["worker", "--app", FLOWS, "--grace", "nan"],
        ["worker", "--app", FLOWS, "--grace", "inf"],
        ["watch", "some-id", "--timeout", "nan"],
        ["watch", "some-id", "--timeout", "1e999"],
        ["run", FLOWS + ":greet", "--no-such-option"],
        ["check"],
        ["no-such-command"],
    ],
    ids=[
        "concurrency",
        "max-parallelism",
        "worker-concurrency",
        "grace-nan",
        "grace-inf",
        "timeout-nan",
        "timeout-huge",
        "unknown-option",
        "missing-argument",
        "unknown-command",
    ],
)
def test_bad_option_values(capsys: pytest.CaptureFixture[str], db: str, args: list[str]) -> None:
    assert_usage_error(wfc_main(capsys, *args, "--db", db) if args[0] != "check" else wfc_main(capsys, *args))


def test_compile_versions_on_an_unwritable_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for target in (str(blocker / "sub"), "/proc/no-such-dir/versions"):
        assert_usage_error(wfc_main(capsys, "compile", FLOWS + ":greet", "--versions", target))


def test_a_100k_character_file_name(capsys: pytest.CaptureFixture[str]) -> None:
    name = "a" * 100_000 + ".wf"
    for command in ("check", "compile", "graph"):
        status, _out, err = wfc_main(capsys, command, name)
        assert status == 2 and LINE.match(err) and len(err) < 400, err[:500]


@pytest.mark.parametrize("suffix", [".wf", ".py"])
def test_checking_a_fifo_does_not_block(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    fifo = tmp_path / f"fifo{suffix}"
    os.mkfifo(fifo)
    for command in ("check", "compile", "graph"):
        assert_usage_error(wfc_main(capsys, command, str(fifo)))
    # found inside a directory, it is skipped, not read
    status, out, _err = wfc_main(capsys, "check", str(tmp_path))
    assert status == 0 and "0 workflows" in out


def test_runtime_start_refuses_ids_that_are_not_text(tmp_path: Path) -> None:
    from tests.cli import flows

    rt = wfc.Runtime(f"sqlite:///{tmp_path / 'ids.db'}")
    try:
        for bad in ("bad\udcff", "", "x" * 1001, "a\x00b", 12):
            with pytest.raises(wfc.WfcError) as err:
                rt.start(flows.greet, "mo", id=bad)  # type: ignore[arg-type]
            assert err.value.code == "WFC402"
        assert rt.start(flows.greet, "mo", id="é-ok") == "é-ok"
    finally:
        rt.close()


@pytest.mark.parametrize("param", ["id", "context", "on_complete"])
def test_a_parameter_named_like_a_start_option_is_the_workflows(tmp_path: Path, param: str) -> None:
    flow = tmp_path / "named.wf"
    flow.write_text(f"workflow w(n: int = 1, {param}: str = \"none\") -> any {{\n    return [n, {param}]\n}}\n")
    url = f"sqlite:///{tmp_path / 'n.db'}"
    done = run_wfc("run", str(flow), f"{param}=given", "--db", url, "--json")
    assert done.returncode == 0, done.stderr
    assert one_json(done.stdout)["result"] == [1, "given"]
    started = run_wfc("start", str(flow), f"{param}=later", "--id", "mine", "--db", url)
    assert started.returncode == 0 and started.stdout.strip() == "mine", started.stderr


def test_a_keyword_only_parameter_named_like_a_start_option_is_a_clean_error(tmp_path: Path) -> None:
    flow = tmp_path / "kwonly.py"
    flow.write_text("import wfc\n\n@wfc.step\ndef s(x):\n    return x\n\n@wfc.workflow\n"
                    "def w(*, id: str):\n    return (yield s(id))\n")  # fmt: skip
    done = run_wfc("run", str(flow), "id=x", "--db", f"sqlite:///{tmp_path / 'k.db'}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "error[WFC405]" in done.stderr and "keyword-only parameter `id`" in done.stderr, done.stderr


def test_stored_rows_with_a_bad_id_do_not_break_list(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    from tests.cli import flows

    rt = wfc.Runtime(url)
    rt.start(flows.greet, "mo", id="fine")
    rt.close()
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("SELECT count(*) FROM instances").fetchone()[0] == 1
    done = run_wfc("list", "--db", url)
    assert done.returncode == 0 and "fine" in done.stdout, done.stderr


def test_run_shows_no_syntax_warning_about_compiled_code(tmp_path: Path) -> None:
    flow = tmp_path / "warns.py"
    flow.write_text(
        "import wfc\n\n@wfc.step\ndef s(x):\n    return x\n\n@wfc.workflow\ndef w(x: int):\n"
        "    y = yield s(x)\n    if y is 1:\n        return 'one'\n    return 'other'\n"
    )
    done = run_wfc("run", str(flow), "x=1", "--db", f"sqlite:///{tmp_path / 'w.db'}")
    assert done.returncode == 0, done.stderr
    assert '"one"' in done.stdout
    # Python's own warning when it imports the file names the user's line; none names wfc's generated code
    warned = [line for line in done.stderr.splitlines() if "SyntaxWarning" in line]
    assert all(line.startswith(f"{flow}:10: ") for line in warned), warned


# ---- fuzz: argument parsing only ever gives clean errors --------------------------------------------------------

COMMANDS = ["check", "compile", "graph", "list", "status", "history", "send-event", "start", "completion",
            "cancel", "restart", "fork", "result", "diff", "migrate", "--debug", "--help", "--version"]  # fmt: skip
WORDS = [
    "--json", "--db", "--cursor", "--limit", "--state", "--workflow", "--input", "--id", "--emit", "--versions",
    "-o", "--format", "--instance", "--allow-imports", "--from-step", "--timeout", "--parent", "-f", "-h",
    "0", "-1", "1e999", "nan", "inf", "99999999999999999999", "x", "", "{}", "[1", '{"a": 1}', "a=1", "=",
    "bad\udcff", "\x00", "é", "sqlite:///:memory:", "sqlite:///?busy_timeout=nan", "postgresql://", "::",
    FLOWS, FLOWS + ":greet", FLOWS + ":nope", "missing.wf", "/", "/proc/x", "a" * 5000, "ir", "json", "svg",
]  # fmt: skip


@settings(max_examples=int(os.environ.get("WFC_FUZZ_EXAMPLES", "150")), derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.sampled_from(COMMANDS), st.lists(st.sampled_from(WORDS), max_size=6))
def test_fuzz_arguments_give_clean_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, words: list[str]
) -> None:
    args = [command, *words]
    if "--db" not in args:
        args += ["--db", f"sqlite:///{tmp_path / 'fuzz.db'}"]
    try:
        status, _out, err = wfc_main(capsys, *args)
    finally:
        for leftover in tmp_path.glob("*.svg"):
            leftover.unlink()
    assert status in (0, 1, 2), (args, status, err)
    debug = "--debug" in args
    if not debug:
        assert "Traceback" not in err and "internal error" not in err and "WFC499" not in err, (args, err)
    if status == 2 and not debug:
        assert err.startswith("error"), (args, err)
