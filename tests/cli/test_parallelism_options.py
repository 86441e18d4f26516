"""`wfc run` and `wfc worker` set the runtime's workpool with --max-parallelism."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from wfc.cli.main import cli

FLOW = textwrap.dedent(
    """
    import time
    import wfc

    @wfc.step
    def slow(n: int) -> int:
        time.sleep(0.05)
        return n

    @wfc.workflow
    def fan(n: int):
        values = yield wfc.all_of(*[slow(i) for i in range(n)])
        return sum(values)
    """
)


def test_run_respects_max_parallelism(tmp_path: Path) -> None:
    path = tmp_path / "fan_flows.py"
    path.write_text(FLOW)
    db = f"sqlite:///{tmp_path / 'fan.db'}"
    runner = CliRunner()
    result = runner.invoke(cli, ["run", f"{path}:fan", "n=6", "--max-parallelism", "2", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["result"] == 15
    history = json.loads(runner.invoke(cli, ["history", outcome["id"], "--db", db, "--json"]).stdout)
    spans = [(h["started_at"], h["finished_at"]) for h in history if h["kind"] == "step"]
    assert len(spans) == 6
    for start, _ in spans:
        running = sum(1 for s, f in spans if s <= start < f)
        assert running <= 2, spans


def test_bad_parallelism_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["worker", "--app", "x", "--max-parallelism", "0"])
    assert result.exit_code == 2 and "max-parallelism" in result.output
