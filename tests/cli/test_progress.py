"""The progress view: rows read from the runtime, one line per change, and the live table."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

import wfc
from wfc.cli.progress import LineView, LiveView, Row, Snapshot, describe, snapshot
from wfc.runtime.records import Status, WorkflowState

from . import flows

NOW = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(seconds=30)


def status(state: WorkflowState = WorkflowState.RUNNING, **kw: object) -> Status:
    return Status("w-1", "app:flow", state, None, (), NOW, NOW, **kw)  # type: ignore[arg-type]


def local(when: dt.datetime) -> str:
    return f"{when.astimezone():%Y-%m-%d %H:%M:%S}"


def msg(line: str) -> str:
    """A line without its time."""
    return line.split("  ", 1)[1]


def test_describe() -> None:
    assert describe(Row("1", 0, "step", "pay", "", "completed", 1)) == "completed"
    assert describe(Row("1", 0, "step", "pay", "", "completed", 3)) == "completed (attempt 3)"
    assert describe(Row("1", 0, "step", "pay", "", "failed", 2, "ValueError: no")) == (
        "failed after 2 attempts: ValueError: no"
    )
    retry = Row("1", 0, "step", "pay", "", "retrying", 1, "ConnectionError: down", LATER)
    assert describe(retry) == f"attempt 1 failed (ConnectionError: down); retry at {local(LATER)}"
    assert (
        describe(Row("2", 0, "sleep", "sleep 30s", "", "sleeping", due=LATER))
        == f"sleeping until {local(LATER)}"
    )
    assert (
        describe(Row("3", 0, "event", "go", "", "waiting", due=LATER))
        == f"waiting (times out at {local(LATER)})"
    )
    assert describe(Row("3", 0, "event", "go", "", "completed", value="true")) == "received true"
    assert describe(Row("4", 0, "child", "ship", "", "sleeping", child_id="w-1/4")) == "sleeping as w-1/4"
    assert describe(Row("5", 0, "step", "pay", "", "running", 1)) == "running (attempt 2)"
    assert Row("2.1", 0, "step", "reserve", "1", "ready").label == "step reserve[1]"
    assert Row("2", 0, "sleep", "sleep 5s", "", "sleeping").label == "sleep 5s"


def test_line_view_prints_changes_only() -> None:
    lines: list[str] = []
    view = LineView(lines.append)
    pay = Row("1", 0, "step", "pay", "", "running")
    view.update(Snapshot(status(), (pay,), NOW))
    assert [msg(line) for line in lines] == ["started w-1 (app:flow)"]  # a step just running: no line yet
    retrying = Row("1", 0, "step", "pay", "", "retrying", 1, "OSError: x", LATER)
    view.update(Snapshot(status(), (retrying,), NOW))
    view.update(Snapshot(status(), (retrying,), NOW))  # no change, no line
    done = Row("1", 0, "step", "pay", "", "completed", 2)
    nap = Row("2", 0, "sleep", "sleep 30s", "", "sleeping", due=LATER)
    view.update(Snapshot(status(WorkflowState.SLEEPING), (done, nap), NOW))
    blocked = status(WorkflowState.SLEEPING, blocked="step gone is not deployed")
    view.update(Snapshot(blocked, (done, nap), NOW))
    view.update(Snapshot(blocked, (done, nap), NOW))
    assert [msg(line) for line in lines[1:]] == [
        f"step pay: attempt 1 failed (OSError: x); retry at {local(LATER)}",
        "step pay: completed (attempt 2)",
        f"sleep 30s: sleeping until {local(LATER)}",
        "blocked: step gone is not deployed",
    ]
    assert all(line.startswith(local(NOW)) for line in lines)  # each starts with the time


def test_line_view_of_a_resumed_instance_skips_what_was_done() -> None:
    lines: list[str] = []
    rows = (
        Row("1", 0, "step", "a", "", "completed", 1),
        Row("2", 0, "sleep", "sleep 9s", "", "sleeping", due=LATER),
    )
    LineView(lines.append, resumed=True).update(Snapshot(status(WorkflowState.SLEEPING), rows, NOW))
    assert [msg(line) for line in lines] == [
        "resuming w-1 (app:flow): sleeping, 1 command done before",
        f"sleep 9s: sleeping until {local(LATER)}",
    ]


def test_snapshot_reads_children_and_groups() -> None:
    with wfc.Runtime() as rt:
        rt.start(flows.parent, "ann", id="p")
        rt.run_until_complete("p")
        snap = snapshot(rt, "p")
        assert [(r.key, r.depth, r.label, r.state, r.child_id) for r in snap.rows] == [
            ("1", 0, "child greet", "completed", "p/1"),
            ("1/1", 1, "step hello", "completed", None),
        ]
        rt.start(flows.retried, "/nonexistent/flag", id="r")
        rt.run_until_idle()  # the flaky step fails once (it cannot write its flag: it fails every time)
        rows = snapshot(rt, "r").rows
        assert [(r.label, r.state, r.attempts) for r in rows] == [("step flaky", "retrying", 1)]
        assert rows[0].error and rows[0].error.startswith("FileNotFoundError") and rows[0].due is not None
        assert snapshot(rt, "r").next_due == rows[0].due


def test_live_table() -> None:
    console = Console(record=True, width=120, force_terminal=False)
    view = LiveView(console)
    rows = (
        Row("1", 0, "step", "pay", "", "completed", 2),
        Row("2.0", 0, "step", "reserve", "0", "retrying", 1, "OSError: disk", LATER),
        Row("3", 0, "child", "ship", "", "running", child_id="w-1/3"),
        Row("3/1", 1, "step", "label", "", "running"),
    )
    view.board.snap = Snapshot(status(), rows, NOW)
    console.print(view.board)
    text = console.export_text()
    head, columns, *body = text.strip().splitlines()
    assert head.startswith("w-1  app:flow  running  elapsed 0:0")
    assert columns.split() == ["#", "command", "state", "tries", "due", "last", "error"]
    assert body[0].split() == ["1", "step", "pay", "completed", "2"]
    assert (
        body[1].split()[:5] == ["2.0", "step", "reserve[0]", "retrying", "1"] and "OSError: disk" in body[1]
    )
    assert local(LATER)[11:] in body[1]
    assert body[3].startswith("3/1    step label")  # a child's steps are indented under it
