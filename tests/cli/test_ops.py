"""``wfc start``, ``status``, ``list``, ``history``, ``send-event`` and ``worker``: with and without --json, exit
codes, one-line errors, and a worker serving work started by another process."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

import wfc

from .helpers import FLOWS, FLOWS_REL, invoke, read_until, run_wfc, spawn, wait_for


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database with three instances: ``done`` completed, ``gate`` waiting for event ``go``, ``kid`` finished
    with a child workflow."""
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    assert invoke("run", f"{FLOWS}:greet", "name=ann", "--id", "done", "--db", url).exit_code == 0
    assert invoke("run", f"{FLOWS}:parent", "name=kim", "--id", "kid", "--db", url).exit_code == 0
    assert invoke("start", f"{FLOWS}:gate", "--id", "gate", "--db", url).exit_code == 0
    with wfc.Runtime(url) as rt:
        rt.run_until_idle()  # gate now waits for its event
    return url


def test_start_prints_the_id_and_is_idempotent_with_an_id(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    first = invoke("start", f"{FLOWS}:greet", "name=x", "--db", url)
    assert first.exit_code == 0 and len(first.stdout.strip()) == 32  # a new random id
    again = invoke("start", f"{FLOWS}:greet", "name=x", "--db", url)
    assert again.stdout != first.stdout
    named = [invoke("start", f"{FLOWS}:greet", "--input", '["x"]', "--id", "s-1", "--db", url, "--json")
             for _ in range(2)]  # fmt: skip
    assert [json.loads(r.stdout) for r in named] == [{"id": "s-1", "workflow": "tests.cli.flows:greet"}] * 2
    clash = invoke("start", f"{FLOWS}:gate", "--id", "s-1", "--db", url)
    assert clash.exit_code == 2 and clash.stderr.startswith(
        "error[WFC430]: workflow id 's-1' is already used"
    )
    bad = invoke("start", f"{FLOWS}:typed", "n=1.5", "--db", url)
    assert bad.exit_code == 2 and bad.stderr.startswith("error[WFC405]") and "Traceback" not in bad.output
    with wfc.Runtime(url) as rt:
        assert len(rt.list()) == 3 and rt.status("s-1").state is wfc.WorkflowState.RUNNING  # nothing ran


def test_status(db: str) -> None:
    text = invoke("status", "gate", "--db", db)
    assert text.exit_code == 0, text.output
    assert "workflow  tests.cli.flows:gate" in text.stdout and "state     waiting  at " in text.stdout
    assert "waiting on" in text.stdout and "event  go" in text.stdout
    data = json.loads(invoke("status", "gate", "--db", db, "--json").stdout)
    assert data["id"] == "gate" and data["state"] == "waiting" and "result" not in data
    assert [(o["kind"], o["name"]) for o in data["outstanding"]] == [("event", "go")]
    assert data["outstanding"][0]["due"].endswith("+00:00")  # ISO 8601 times
    done = json.loads(invoke("status", "done", "--db", db, "--json").stdout)
    assert done["state"] == "completed" and done["result"] == "hello ann" and done["outstanding"] == []
    assert 'result    "hello ann"' in invoke("status", "done", "--db", db).stdout


def test_list(db: str) -> None:
    data = json.loads(invoke("list", "--db", db, "--json").stdout)
    assert [s["id"] for s in data["items"]] == ["gate", "kid/1", "kid", "done"] and data["cursor"] is None
    assert {s["id"]: s["state"] for s in data["items"]}["gate"] == "waiting"
    only = json.loads(invoke("list", "--state", "waiting", "--db", db, "--json").stdout)
    assert [s["id"] for s in only["items"]] == ["gate"]
    by_name = json.loads(invoke("list", "--workflow", "greet", "--db", db, "--json").stdout)
    by_key = json.loads(invoke("list", "--workflow", "tests.cli.flows:greet", "--db", db, "--json").stdout)
    assert [s["id"] for s in by_name["items"]] == [s["id"] for s in by_key["items"]] == ["kid/1", "done"]
    kids = json.loads(invoke("list", "--parent", "kid", "--db", db, "--json").stdout)
    assert [s["id"] for s in kids["items"]] == ["kid/1"]
    page = json.loads(invoke("list", "--limit", "3", "--db", db, "--json").stdout)
    assert len(page["items"]) == 3 and page["cursor"]
    rest = json.loads(invoke("list", "--limit", "3", "--cursor", page["cursor"], "--db", db, "--json").stdout)
    assert [s["id"] for s in rest["items"]] == ["done"] and rest["cursor"] is None
    text = invoke("list", "--limit", "3", "--db", db)
    assert text.exit_code == 0 and f"more: --cursor {page['cursor']}" in text.stdout
    assert text.stdout.splitlines()[0].split() == ["id", "workflow", "state", "at", "created", "updated"]
    assert invoke("list", "--state", "failed", "--db", db).stdout.strip() == "no instances"
    assert invoke("list", "--state", "nonsense", "--db", db).exit_code == 2


def test_history(db: str) -> None:
    data = json.loads(invoke("history", "kid", "--db", db, "--json").stdout)
    assert [(r["kind"], r["name"], r["status"], r["result"]) for r in data] == [
        ("child", "greet", "completed", "hello kim")
    ]
    assert data[0]["args"] == ["kim"] and data[0]["finished_at"]
    text = invoke("history", "kid/1", "--db", db)
    assert text.exit_code == 0
    header, row = text.stdout.strip().splitlines()
    assert header.split() == ["#", "kind", "name", "arguments", "outcome", "tries", "started", "finished"]
    assert row.split()[:6] == ["1", "step", "hello", "kim", "hello", "kim"]
    waiting = invoke("history", "gate", "--db", db)
    assert "event" in waiting.stdout and "waiting (times out at" in waiting.stdout


def test_send_event(db: str) -> None:
    sent = invoke("send-event", "gate", "go", "--value", "[1, 2]", "--db", db, "--json")
    assert sent.exit_code == 0 and json.loads(sent.stdout) == {"id": "gate", "event": "go", "value": [1, 2],
                                                               "error": None, "sent": True}  # fmt: skip
    with wfc.Runtime(db) as rt:
        rt.run_until_idle()
        assert rt.result("gate") == {"got": [1, 2]}
    finished = invoke("send-event", "gate", "go", "--value", "again", "--db", db)
    assert finished.exit_code == 2 and finished.stderr.startswith("error[WFC421]: cannot send event 'go'")
    both = invoke("send-event", "gate", "go", "--value", "1", "--error", "no", "--db", db)
    assert both.exit_code == 2 and "give --value or --error, not both" in both.stderr


def test_send_event_with_an_event_id_drops_a_second_delivery(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dedup.db'}"
    assert invoke("start", f"{FLOWS}:gate", "--id", "g", "--db", url).exit_code == 0
    first = invoke("send-event", "g", "go", "--value", "1", "--event-id", "evt_1", "--db", url)
    assert first.exit_code == 0 and first.stdout == "sent go to g\n"
    again = invoke("send-event", "g", "go", "--value", "2", "--event-id", "evt_1", "--db", url, "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["sent"] is False
    with wfc.Runtime(url) as rt:
        rt.run_until_idle()
        assert rt.result("g") == {"got": 1}
    late = invoke("send-event", "g", "go", "--value", "3", "--event-id", "evt_1", "--db", url)
    assert late.exit_code == 0 and "dropped go for g: event id 'evt_1' was sent to it before" in late.stdout
    bad = invoke("send-event", "g", "go", "--event-id", "", "--db", url)
    assert bad.exit_code == 2 and "error[WFC402]: an event id must be a non-empty string" in bad.stderr


def test_send_event_error_makes_the_wait_raise(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    invoke("start", f"{FLOWS}:gate", "--id", "g", "--db", url)
    sent = invoke("send-event", "g", "go", "--error", "rejected by finance", "--db", url)
    assert sent.exit_code == 0 and sent.stdout.strip() == "sent go to g"
    result = invoke("run", f"{FLOWS}:gate", "--id", "g", "--db", url, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == "failed" and "rejected by finance" in data["error"]


@pytest.mark.parametrize("command", ["status", "history", "send-event"])
def test_unknown_instances_and_databases_are_one_line_errors(db: str, tmp_path: Path, command: str) -> None:
    extra = ["go"] if command == "send-event" else []
    unknown = invoke(command, "nope", *extra, "--db", db)
    assert unknown.exit_code == 2, unknown.output
    assert unknown.stderr.splitlines()[0].startswith("error[WFC420]:") and "'nope'" in unknown.stderr
    missing = invoke(command, "nope", *extra, "--db", f"sqlite:///{tmp_path / 'typo.db'}")
    assert missing.exit_code == 2 and missing.stderr.startswith(
        f"error[WFC460]: no database at {tmp_path / 'typo.db'}"
    )
    assert not (tmp_path / "typo.db").exists()  # a mistyped path does not create an empty database
    for result in (unknown, missing):
        assert "Traceback" not in result.output and result.stdout == ""


def test_bad_database_url_is_a_usage_error() -> None:
    result = invoke("list", "--db", "mysql://somewhere/db")
    assert result.exit_code == 2 and result.stderr.startswith("error[WFC429]: unsupported database URL")


def test_worker_needs_workflows(tmp_path: Path) -> None:
    empty = tmp_path / "nothing_here.py"
    empty.write_text("X = 1\n")
    result = invoke("worker", "--app", str(empty), "--db", f"sqlite:///{tmp_path / 'w.db'}")
    assert result.exit_code == 2 and "defines no workflow" in result.stderr
    result = invoke("worker", "--app", "no.such.module_x", "--db", f"sqlite:///{tmp_path / 'w.db'}")
    assert result.exit_code == 2 and "no module named 'no.such.module_x'" in result.stderr


def test_worker_serves_work_started_by_another_process_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    started = run_wfc("start", f"{FLOWS_REL}:retried", f"flag={tmp_path / 'flag'}", "--db", url)
    assert started.returncode == 0, started.stderr
    iid = started.stdout.strip()
    worker = spawn("worker", "--app", "tests.cli.flows", "--concurrency", "2", "--db", url, "--json")
    read_until(worker, lambda line: "serving" in line, stderr=True)
    with wfc.Runtime(url) as rt:
        wait_for(lambda: rt.status(iid).finished, what="the worker to run the instance")
        assert rt.result(iid) == ["ok", "hello a", "hello b"]
    late = run_wfc("start", f"{FLOWS_REL}:greet", "name=late", "--db", url, "--json")  # while it runs
    late_id = json.loads(late.stdout)["id"]
    with wfc.Runtime(url) as rt:
        wait_for(lambda: rt.status(late_id).finished, what="the worker to run the late instance")
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=15)
    assert worker.returncode == 0, err
    assert "stopped after running" in err and "Traceback" not in err
    summary = json.loads(out)
    assert summary["steps_run"] == 5 and summary["workflows"][0].startswith("tests.cli.flows:")
