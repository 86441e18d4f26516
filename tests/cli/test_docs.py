"""Every operating command has help with an example, is in docs/cli.md exactly as its help prints it, and
completes in the shell."""

from __future__ import annotations

import subprocess
import sys

import pytest

from wfc.cli.main import cli

from .helpers import ROOT, env, invoke

MINE = ["run", "worker", "start", "status", "list", "history", "send-event"]


@pytest.mark.parametrize("name", MINE)
def test_help_shows_an_example_and_the_shared_options(name: str) -> None:
    result = invoke(name, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout or "Examples:" in result.stdout
    assert f"wfc {name} " in result.stdout.split("Example", 1)[1]
    assert "--db TEXT" in result.stdout and "--json" in result.stdout


def test_every_command_is_documented_as_its_help_prints_it() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text()
    for name in cli.commands:
        assert f"## wfc {name}\n" in doc, f"`wfc {name}` is not in docs/cli.md"
    # generated in a fresh process: click caches help options once commands have run in this one
    fresh = subprocess.run([sys.executable, "-m", "wfc.cli.docs_cmds"], cwd=ROOT, env=env(), capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert doc == fresh, "regenerate: python -m wfc.cli.docs_cmds > docs/cli.md"


def test_shell_completion_knows_the_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wfc"],
        env={**env(), "_WFC_COMPLETE": "bash_complete", "COMP_WORDS": "wfc s", "COMP_CWORD": "1"},
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    words = {line.split(",", 1)[1] for line in done.stdout.split() if "," in line}
    assert {"start", "status", "send-event"} <= words
