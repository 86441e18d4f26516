"""`wfc check` and `wfc compile`: exit codes, output, and one clear line instead of a traceback."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from wfc.cli.main import cli

ROOT = Path(__file__).parent.parent
GOOD = textwrap.dedent(
    """
    import wfc

    @wfc.step
    def s(n):
        return n

    @wfc.workflow
    def good(n):
        r = yield s(n)
        return r

    @wfc.workflow
    def other(n):
        yield s(n)
    """
)
BAD = textwrap.dedent(
    """
    import time
    import wfc

    @wfc.step
    def s(n):
        return n

    @wfc.workflow
    def bad(n):
        t = time.time()
        x = 1 + (yield s(n))
        yield 5
        return t
    """
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_check_clean_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "good_flows.py", GOOD)
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "checked 2 workflows in 1 file: 0 errors, 0 warnings" in result.output


def test_check_reports_everything_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "bad_flows.py", BAD)
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    for code in ("WFC201", "WFC101", "WFC107"):
        assert f"error[{code}]" in result.output
    assert "hint:" in result.output and "^" in result.output
    assert "Traceback" not in result.output


def test_check_json(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "bad_json_flows.py", BAD)
    result = runner.invoke(cli, ["check", "--json", str(path)])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["errors"] == 3
    assert {d["code"] for d in data["diagnostics"]} == {"WFC201", "WFC101", "WFC107"}
    assert all(d["line"] and d["path"].endswith("bad_json_flows.py") for d in data["diagnostics"])


def test_check_directory_skips_virtualenvs(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path, "dir_good.py", GOOD)
    (tmp_path / ".venv").mkdir()
    write(tmp_path / ".venv", "dir_bad.py", BAD)
    result = runner.invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output


def test_check_examples_are_clean(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["check", str(ROOT / "examples")])
    assert result.exit_code == 0, result.output


def test_check_unimportable_module(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "broken_import.py", "import wfc\nimport no_such_module_anywhere\n@wfc.workflow\n")
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert "WFC100" in result.output and "Traceback" not in result.output


def test_compile_emits_ir_and_json(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "compile_flows.py", GOOD)
    ir_out = runner.invoke(cli, ["compile", f"{path}:good", "--emit", "ir"])
    assert ir_out.exit_code == 0, ir_out.output
    assert ir_out.output.startswith("workflow compile_flows:good(n)")
    js = runner.invoke(cli, ["compile", f"{path}:good", "--emit", "json"])
    assert json.loads(js.output)["name"] == "compile_flows:good"
    both = runner.invoke(cli, ["compile", str(path), "--emit", "json"])
    assert [t["name"] for t in json.loads(both.output)] == ["compile_flows:good", "compile_flows:other"]


def test_compile_versions_directory(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "versioned_flows.py", GOOD)
    out = tmp_path / "versions"
    result = runner.invoke(
        cli, ["compile", f"{path}:good", "--versions", str(out), "-o", str(tmp_path / "t.ir")]
    )
    assert result.exit_code == 0, result.output
    stored = list(out.rglob("*.json"))
    assert len(stored) == 1 and len(stored[0].stem) == 64


def test_compile_errors_are_one_clear_line(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(cli, ["compile", str(tmp_path / "nope.py")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output and "Traceback" not in missing.output
    path = write(tmp_path, "named_flows.py", GOOD)
    wrong = runner.invoke(cli, ["compile", f"{path}:nothere"])
    assert wrong.exit_code == 2
    assert "no workflow named 'nothere'" in wrong.output and "good, other" in wrong.output
    bad = write(tmp_path, "bad_compile_flows.py", BAD)
    failing = runner.invoke(cli, ["compile", str(bad)])
    assert failing.exit_code == 1 and "WFC101" in failing.output


def test_every_command_help_shows_an_example(runner: CliRunner) -> None:
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output, f"`wfc {name} --help` shows no example"


def test_cli_docs_are_generated_from_the_help_text() -> None:
    from wfc.cli.docs_cmds import render_cli_docs

    doc = (ROOT / "docs" / "cli.md").read_text()
    assert doc == render_cli_docs(cli), "regenerate: python -m wfc.cli.docs_cmds > docs/cli.md"
    for name in cli.commands:
        assert f"## wfc {name}\n" in doc, f"`wfc {name}` is not documented"


def test_completion_script(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["completion", "bash"])
    assert result.exit_code == 0 and "_WFC_COMPLETE" in result.output
    assert runner.invoke(cli, ["completion", "tcsh"]).exit_code == 2

