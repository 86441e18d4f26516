"""``wfc schedule add|list|pause|resume|delete``: each a thin layer over the runtime's schedule methods, errors
one line with a code (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import wfc
from wfc.cli.main import cli


def _wfc(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_schedule_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    code, out, _ = _wfc("schedule", "add", "nightly", "report", "label=night", "--cron", "0 2 * * *",
                        "--timezone", "Europe/Berlin", "--db", db, "--json")  # fmt: skip
    assert code == 0, out
    made = json.loads(out)
    assert (made["workflow"], made["cron"], made["kwargs"], made["paused"]) == ("report", "0 2 * * *",
                                                                                 {"label": "night"}, False)  # fmt: skip
    code, out, _ = _wfc("schedule", "list", "--db", db)
    assert code == 0 and "nightly" in out and "cron 0 2 * * * (Europe/Berlin)" in out
    assert _wfc("schedule", "pause", "nightly", "--db", db)[:2] == (0, "paused nightly\n")
    listed = json.loads(_wfc("schedule", "list", "--db", db, "--json")[1])
    assert [s["paused"] for s in listed] == [True]
    assert _wfc("schedule", "resume", "nightly", "--db", db)[:2] == (0, "resumed nightly\n")
    with wfc.Runtime(db) as rt:
        assert not rt.get_schedule("nightly").paused
    code, _, err = _wfc("schedule", "add", "bad", "report", "--cron", "0 25 * * *", "--db", db)
    assert code == 2 and err.startswith("error[WFC402]: cron expression '0 25 * * *' is not valid")
    code, _, err = _wfc("schedule", "add", "both", "report", "--cron", "* * * * *", "--every", "5", "--db", db)
    assert code == 2 and "exactly one of cron= and every=" in err
    assert _wfc("schedule", "delete", "nightly", "--db", db)[:2] == (0, "deleted nightly\n")
    code, _, err = _wfc("schedule", "delete", "nightly", "--db", db)
    assert code == 2 and "error[WFC420]: no schedule 'nightly'" in err
    assert _wfc("schedule", "list", "--db", db)[1] == "no schedules\n"
