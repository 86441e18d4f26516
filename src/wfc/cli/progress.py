"""The progress view of ``wfc run``: every step, child workflow, sleep and event wait of an instance with its state,
attempts, last error and due time.

:func:`snapshot` reads an instance (and its child workflows) through the public ``wfc.Runtime`` API into
:class:`Row` values. :class:`LiveView` draws them as a ``rich`` table that redraws in place (on a terminal);
:class:`LineView` prints one line per change instead (when the output is a file or a pipe).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

import attrs
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from wfc.cli.common import jsonable
from wfc.runtime.records import HistoryRecord, Outstanding, Status

_MAX_DEPTH = 4  # child workflows of child workflows of ... are shown this deep
_STYLES = {
    "completed": "green",
    "failed": "bold red",
    "canceled": "dim",
    "retrying": "yellow",
    "running": "cyan",
    "sleeping": "magenta",
    "waiting": "magenta",
    "ready": "cyan",
    "scheduled": "blue",
    "enqueued": "blue",
}


@attrs.frozen
class Row:
    """One command of the instance (or of one of its child workflows, ``depth`` > 0).

    ``state``: completed, failed, canceled, running (a step being run, a child workflow under way), ready (due,
    not yet picked up), retrying (an attempt failed; the next is due at ``due``), scheduled (due later), sleeping
    (a timer, until ``due``), waiting (for an event; it times out at ``due``)."""

    key: str
    depth: int
    kind: str
    name: str
    path: str
    state: str
    attempts: int = 0
    error: str | None = None
    due: dt.datetime | None = None
    finished: dt.datetime | None = None
    child_id: str | None = None
    value: str | None = None

    @property
    def label(self) -> str:
        """``step charge_card``, ``step reserve_item[1]`` inside an ``all_of``."""
        what = self.name if self.kind == "sleep" else f"{self.kind} {self.name}"  # a sleep's name: "sleep 5s"
        return what + (f"[{self.path}]" if self.path else "")


@attrs.frozen
class Snapshot:
    """An instance at one moment: its status and its rows, in the order the commands were issued."""

    status: Status
    rows: tuple[Row, ...]
    taken: dt.datetime

    @property
    def next_due(self) -> dt.datetime | None:
        dues = [
            r.due for r in self.rows if r.due is not None and r.state in ("retrying", "scheduled", "sleeping")
        ]
        return min(dues) if dues else None


def snapshot(rt: Any, instance_id: str) -> Snapshot:
    """Read instance ``instance_id`` and its child workflows from runtime ``rt``."""
    status = rt.status(instance_id)
    now = dt.datetime.now(dt.UTC)
    return Snapshot(status, tuple(_rows(rt, status, "", 0, now)), now)


def _rows(rt: Any, status: Status, prefix: str, depth: int, now: dt.datetime) -> list[Row]:
    records: list[HistoryRecord] = list(rt.history(status.id))
    children: dict[str, Status] = {}
    if depth < _MAX_DEPTH and any(r.kind == "child" for r in records):
        children = {c.id: c for c in rt.list(parent=status.id, limit=1000)}
    waiting = {(o.path, o.kind, o.name): o for o in status.outstanding}
    out: list[Row] = []
    for rec in records:
        key = f"{prefix}{rec.seq}" + (f".{rec.path}" if rec.path else "")
        child_id = (
            f"{status.id}/{rec.seq}" + (f".{rec.path}" if rec.path else "") if rec.kind == "child" else None
        )
        child = children.get(child_id) if child_id else None
        out.append(_row(rec, waiting.get((rec.path, rec.kind, rec.name)), key, depth, now, child))
        if child is not None:
            out.extend(_rows(rt, child, f"{key}/", depth + 1, now))
    return out


def _row(
    rec: HistoryRecord,
    waiting: Outstanding | None,
    key: str,
    depth: int,
    now: dt.datetime,
    child: Status | None,
) -> Row:
    # status() and history() are two reads: for an open command, trust the status's (one read) numbers
    due, attempts, error = None, rec.attempts, rec.error
    if waiting is not None and rec.status == "pending":
        due, attempts, error = waiting.due, waiting.attempts, waiting.last_error
    if rec.status != "pending":
        state = rec.status
    elif rec.kind == "sleep":
        state = "sleeping"
    elif rec.kind == "event":
        state = "waiting"
    elif rec.kind == "child":
        state = "running" if child is None or child.state.value == "running" else child.state.value
    elif due is not None and due > now:
        state = "retrying" if attempts else "scheduled"
    elif rec.started_at is not None:
        state = "running"
    else:
        state = "ready"
    if rec.status != "pending":
        due = None
    child_id = child.id if child is not None else None
    value = None
    if rec.kind == "event" and rec.status == "completed":
        value = _short(json.dumps(jsonable(rec.result), ensure_ascii=False))
    return Row(
        key,
        depth,
        rec.kind,
        rec.name,
        rec.path,
        state,
        attempts,
        error,
        due,
        rec.finished_at,
        child_id,
        value,
    )


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- text -------------------------------------------------------------------------------------------------------


def clock(when: dt.datetime | None) -> str:
    """A time of day in the local zone (``14:03:07``), with the date when it is not today."""
    if when is None:
        return ""
    try:
        local = when.astimezone()
    except OverflowError:  # the earliest or latest datetime (a clamped out-of-range time) in a zone past it
        return f"{when:%Y-%m-%d %H:%M:%S} UTC"
    today = dt.datetime.now().astimezone().date()
    return f"{local:%H:%M:%S}" if local.date() == today else f"{local:%Y-%m-%d %H:%M:%S}"


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def describe(row: Row) -> str:
    """What a row's state means, as a phrase: ``attempt 1 failed (ConnectionError: ...); retry at 14:03:09``."""
    if row.state == "completed" and row.value is not None:
        return f"received {row.value}"
    if row.state == "completed":
        return "completed" + (f" (attempt {row.attempts})" if row.attempts > 1 else "")
    if row.state == "failed":
        tries = f" after {row.attempts} attempt{'s' * (row.attempts != 1)}" if row.attempts else ""
        return f"failed{tries}: {row.error or 'unknown error'}"
    if row.kind == "child" and row.state not in ("completed", "failed", "canceled"):
        return f"{row.state} as {row.child_id}" if row.child_id else row.state
    if row.state == "retrying":
        return f"attempt {row.attempts} failed ({row.error}); retry at {clock(row.due)}"
    if row.state == "sleeping":
        return f"sleeping until {clock(row.due)}"
    if row.state == "waiting" and row.kind == "event":
        return "waiting" + (f" (times out at {clock(row.due)})" if row.due else "")
    if row.state == "scheduled":
        return f"scheduled for {clock(row.due)}"
    if row.state == "running" and row.attempts:
        return f"running (attempt {row.attempts + 1})"
    return row.state


def instance_state(status: Status) -> str:
    text = status.state.value
    if status.blocked:
        text += f" (blocked: {status.blocked})"
    elif getattr(status, "stalled", None):
        text += f" (stalled: {status.stalled})"
    elif status.error:
        text += f": {status.error}"
    return text


# ---- the live table ---------------------------------------------------------------------------------------------


class _Board:
    """The renderable :class:`LiveView` shows; rich redraws it a few times a second (the elapsed time moves)."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.snap: Snapshot | None = None

    def __rich__(self) -> Group:
        snap = self.snap
        elapsed = duration(time.monotonic() - self.started)
        if snap is None:
            return Group(Text(f"starting…  {elapsed}"))
        st = snap.status
        head = Text()
        head.append(st.id, style="bold")
        head.append(f"  {st.workflow}  ")
        head.append(instance_state(st), style=_STYLES.get(st.state.value, "bold"))
        head.append(f"  elapsed {elapsed}", style="dim")
        table = Table(box=None, pad_edge=False, header_style="bold dim", expand=False)
        for column in ("#", "command", "state", "tries", "due", "last error"):
            table.add_column(column, no_wrap=column != "last error", overflow="fold")
        for row in snap.rows:
            table.add_row(
                row.key,
                "  " * row.depth + row.label,
                Text(row.state, style=_STYLES.get(row.state, "")),
                str(row.attempts or ""),
                clock(row.due),
                Text(row.error or "", style="red" if row.state == "failed" else "yellow"),
            )
        if not snap.rows:
            table.add_row("", "(nothing issued yet)", "", "", "", "")
        return Group(head, table)


class LiveView:
    """A table redrawn in place on the terminal (``rich.live.Live``); the final table stays on screen."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self.board = _Board(time.monotonic())
        self.live = Live(self.board, console=self.console, refresh_per_second=8, transient=False)

    def __enter__(self) -> LiveView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)

    def update(self, snap: Snapshot) -> None:
        changed = self.board.snap is None or self.board.snap.rows != snap.rows
        self.board.snap = snap
        if changed:
            self.live.refresh()


class LineView:
    """One line per change (``14:03:07  step charge_card: completed (attempt 2)``), for pipes and files."""

    def __init__(self, echo: Callable[[str], None], *, resumed: bool = False) -> None:
        self.echo = echo
        self.resumed = resumed
        self.seen: dict[str, Row] | None = None
        self.state: str | None = None

    def __enter__(self) -> LineView:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def update(self, snap: Snapshot) -> None:
        st = snap.status
        when = clock(snap.taken)
        if self.seen is None:
            self.seen = {}
            done = [r for r in snap.rows if r.depth == 0 and r.state in ("completed", "failed", "canceled")]
            if self.resumed:
                self.echo(f"{when}  resuming {st.id} ({st.workflow}): {instance_state(st)}, "
                          f"{len(done)} command{'s' * (len(done) != 1)} done before")  # fmt: skip
                self.seen = {r.key: r for r in snap.rows if r.state in ("completed", "failed", "canceled")}
            else:
                self.echo(f"{when}  started {st.id} ({st.workflow})")
        for row in snap.rows:
            before = self.seen.get(row.key)
            if before is None or (before.state, before.attempts, before.error) != (
                row.state,
                row.attempts,
                row.error,
            ):
                if before is None and row.state in ("ready", "running") and not row.attempts:
                    self.seen[row.key] = row  # not worth a line: the next one says how it went
                    continue
                self.echo(f"{when}  {'  ' * row.depth}{row.label}: {describe(row)}")
            self.seen[row.key] = row
        if st.blocked and self.state != f"blocked {st.blocked}":
            self.echo(f"{when}  blocked: {st.blocked}")
        self.state = f"blocked {st.blocked}" if st.blocked else st.state.value
