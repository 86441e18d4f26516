"""Operating workflows: ``wfc worker``, ``start``, ``status``, ``list``, ``history`` and ``send-event``.

Each is a thin layer over one ``wfc.Runtime`` method; ``--json`` prints its result as one JSON document.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from wfc.cli.common import (
    LEASE_SECONDS,
    SECONDS,
    CliError,
    db_option,
    handle_errors,
    id_option,
    import_app,
    input_options,
    json_option,
    jsonable,
    load_workflow,
    open_runtime,
    parallelism_options,
    parse_value,
    print_json,
    start_arguments,
    usage_errors,
    workflows_in_module,
)
from wfc.cli.progress import clock, describe, instance_state, snapshot
from wfc.runtime import tracebacks
from wfc.runtime.attempts import FIRST
from wfc.runtime.dburl import redact
from wfc.runtime.records import HistoryRecord, Status, WorkflowState

_STATES = [s.value for s in WorkflowState]
_SCAN = 500  # instances read per page when --workflow is a bare name


def _console() -> Console:
    """Tables for people: the terminal's width, or a wide page when the output is a file or a pipe."""
    return Console(width=None if sys.stdout.isatty() else 160, soft_wrap=False, highlight=False)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(jsonable(value), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def app_option(fn: Any) -> Any:
    """``--app MODULE`` for the commands that only look: importing the application's modules lets values that
    are its classes (dataclasses, attrs classes, enums, registered errors) decode as themselves."""
    return click.option(
        "--app", "apps", metavar="MODULE", multiple=True,
        help="Import this module (dotted name or .py path) first, so values of its classes show decoded "
        "(repeatable). Without it such values show as stored.",
    )(fn)  # fmt: skip


def import_apps(apps: tuple[str, ...]) -> None:
    for app in apps:
        import_app(app)


def stored_value(rt: Any, instance_id: str) -> Any:
    """A completed instance's result; when this process cannot decode it (a class of the application that is
    not imported), the stored form, marked so, instead of an error."""
    from wfc.errors import WfcError

    try:
        return rt.result(instance_id)
    except WfcError as exc:
        if getattr(exc, "code", None) != "WFC404":
            raise
        inst = rt.store.get_instance(instance_id)
        raw = json.loads(inst.result) if inst is not None and inst.result else None
        return {"undecoded": raw, "why": f"{exc.args[0] if exc.args else exc}; give --app MODULE to decode it"}


_LEVELS = ["debug", "info", "warning", "error"]
_RECORD_FIELDS = ("instance_id", "workflow", "step", "attempt", "kind", "traceback")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the runtime's fields (``extra``) and the
    exception, if any."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in _RECORD_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                data[field] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


@contextlib.contextmanager
def worker_logging(level_name: str, fmt: str) -> Iterator[None]:
    """The worker's log on stderr at ``level_name`` (``--debug``: debug), as text or JSON lines — unless the
    application configured logging itself (the root logger has handlers once its modules are imported): then
    its handlers get wfc's records, and nothing of its configuration is replaced."""
    ctx = click.get_current_context(silent=True)
    debug = bool(ctx and ctx.find_root().params.get("debug"))
    level = logging.DEBUG if debug else getattr(logging, level_name.upper())
    root = logging.getLogger()
    wfc_logger = logging.getLogger("wfc")
    previous = wfc_logger.level
    handler: logging.Handler | None = None
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        if fmt == "json":
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
        handler.setLevel(level)
        wfc_logger.addHandler(handler)
        wfc_logger.propagate = False
    wfc_logger.setLevel(level)
    try:
        yield
    finally:
        wfc_logger.setLevel(previous)
        if handler is not None:
            wfc_logger.removeHandler(handler)
            wfc_logger.propagate = True


# ---- worker -----------------------------------------------------------------------------------------------------


@click.command()
@click.option("--app", "apps", metavar="MODULE", multiple=True, required=True,
              help="A dotted module name or a .py/.wf path that registers the workflows and steps to serve "
              "(repeatable).")  # fmt: skip
@parallelism_options
@click.option("--grace", type=SECONDS, default=30.0, show_default=True,
              help="Seconds the first SIGTERM/SIGINT waits for running steps before stopping.")  # fmt: skip
@click.option("--lease", type=LEASE_SECONDS, default=30.0, show_default=True, envvar="WFC_LEASE",
              help="Seconds a step this worker claimed stays reserved to it without a heartbeat (it heartbeats "
              "every lease/3): if it dies or stalls, other workers take its steps within this time. 1 to 86400. "
              "Env: WFC_LEASE.")  # fmt: skip
@click.option("--log-level", type=click.Choice(_LEVELS, case_sensitive=False), default="info", show_default=True,
              help="The least severe log records shown (--debug: debug).")  # fmt: skip
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per record; json: one JSON object per line, with the record's instance_id, "
              "workflow, step, attempt, kind and traceback.")  # fmt: skip
@db_option
@json_option
@handle_errors
def worker(
    apps: tuple[str, ...],
    concurrency: int | None,
    max_parallelism: int,
    grace: float,
    lease: float,
    log_level: str,
    log_format: str,
    db_url: str,
    as_json: bool,
) -> None:
    """Serve workflows: run their steps, timers and events until stopped.

    Imports each --app module (which defines or imports the workflows and steps),
    then claims due work from the --db database (instances started by `wfc start`,
    by other processes or by the workflows themselves) with leases, so any number of
    workers can share one database; one that dies or stalls loses its steps to the
    others after at most --lease seconds. The first SIGTERM or Ctrl-C stops claiming and
    waits up to --grace seconds for running steps; a second one stops at once (their
    leases are released and the steps run again elsewhere). Logs go to stderr (step
    failures, retries, workflow failures and work it cannot serve, each with its
    instance_id, workflow, step and attempt), unless the application configures
    logging itself: then they go to its handlers. With --json, stdout gets one
    object at the end {"worker", "steps_run", "workflows"}.

    \b
    Example:
      wfc worker --app myapp.workflows --db sqlite:///app.db --max-parallelism 50
      wfc worker --app examples/orders.py --db sqlite:///wfc.db
      wfc worker --app myapp.workflows --log-level warning --log-format json
      WFC_DB=postgresql://app@db/app wfc worker --app myapp.workflows --lease 10
    """
    served: list[str] = []
    for app in apps:
        loaded = import_app(app)
        defns = loaded if isinstance(loaded, list) else workflows_in_module(loaded)
        served.extend(d.key for d in defns)
    if not served:
        raise CliError(f"{', '.join(apps)} defines no workflow",
                       hint="give the module that defines them (@wfc.workflow), or one that imports them")  # fmt: skip
    runtime = open_runtime(db_url, max_parallelism=max_parallelism, lease=lease)
    with worker_logging(log_level, log_format), runtime as rt:
        w = rt.worker(concurrency=concurrency, grace=grace)
        threads = concurrency or max_parallelism
        click.echo(f"worker {rt.owner} serving {', '.join(served)} from {redact(db_url)} (up to {threads} steps at once, "
                   f"lease {lease:g}s); SIGTERM or Ctrl-C stops it", err=True)  # fmt: skip
        w.run()
        click.echo(f"worker {rt.owner} stopped after running {w.steps_run} steps", err=True)
        if as_json:
            print_json({"worker": rt.owner, "steps_run": w.steps_run, "workflows": served})


# ---- start ------------------------------------------------------------------------------------------------------


@click.command()
@click.argument("target")
@input_options
@id_option
@click.option("--queue", "queue_name", metavar="NAME",
              help="Start it on this named queue (declared by the app): admitted when its limits allow.")
@click.option("--priority", type=int, help="Its priority on a queue that orders by priority (lower first).")
@click.option("--partition-key", "partition_key", metavar="KEY", help="Its partition on a partitioned queue.")
@click.option("--dedup-id", "dedup_id", metavar="ID",
              help="Refused (WFC446) while an instance of the queue with this id has not ended.")  # fmt: skip
@db_option
@json_option
@handle_errors
def start(
    target: str,
    inputs: tuple[tuple[Any, ...], dict[str, Any]],
    instance_id: str | None,
    queue_name: str | None,
    priority: int | None,
    partition_key: str | None,
    dedup_id: str | None,
    db_url: str,
    as_json: bool,
) -> None:
    """Start a workflow instance and print its id; a worker runs it.

    TARGET is PATH[:NAME] or MODULE:NAME, as for `wfc run`; the arguments are --input
    JSON and/or KEY=VALUE pairs, checked against the workflow's type hints. Without
    --id a new random id is made; with --id, starting is idempotent (the same id
    names the same instance). Nothing runs here: `wfc worker --app MODULE` (or
    `wfc run` with the same --id) runs it. With --queue it is enqueued on that
    named queue (with --priority, --partition-key, --dedup-id as the queue takes
    them; `wfc queue list` shows the queues). --json prints {"id", "workflow"}.

    \b
    Example:
      wfc start examples/orders.py:fulfil_order --id A-1 order_id=A-1 'items={"book": 1}' \\
          address='1 Main St' amount=30 --db sqlite:///wfc.db
      wfc start examples/queues.py:send_newsletter --queue newsletters \\
          --partition-key acme --dedup-id acme-2026-12 tenant=acme --db sqlite:///wfc.db
    """
    defn = load_workflow(target)
    args, kwargs = inputs
    queued = {k: v for k, v in (("queue", queue_name), ("priority", priority), ("partition_key", partition_key),
                                ("dedup_id", dedup_id)) if v is not None}  # fmt: skip
    with open_runtime(db_url) as rt, usage_errors():
        given, named = start_arguments(defn, args, kwargs)
        iid = rt.start(defn, *given, id=instance_id, **named, **queued)
    if as_json:
        print_json({"id": iid, "workflow": defn.key})
    else:
        click.echo(iid)


# ---- status -----------------------------------------------------------------------------------------------------


@click.command()
@click.argument("instance_id", metavar="ID")
@click.option(
    "--vars",
    "show_vars",
    is_flag=True,
    help="Also show the live variables of its cursor (what it will continue with), read without running it.",
)
@app_option
@db_option
@json_option
@handle_errors
def status(instance_id: str, show_vars: bool, apps: tuple[str, ...], db_url: str, as_json: bool) -> None:
    """Show where an instance is and what it waits for.

    Its state (enqueued, running, sleeping, waiting, completed, failed, canceled),
    its queue and place in line while enqueued, the state it is suspended at, and each step, timer, event or child workflow it waits on,
    with attempts, due time and last error. --json prints the status object with
    its "outstanding" list (and "result" once completed). What the workflow
    published with wfc.set_status is shown too ("statuses"). --vars adds the live
    variables its cursor holds, decoded without running any workflow code (values
    of classes that --app does not import show as their stored JSON form).

    \b
    Example:
      wfc status A-1 --db sqlite:///wfc.db
      wfc status A-1 --vars --app myapp.models --json
    """
    import_apps(apps)
    with open_runtime(db_url, existing=True, read_only=True) as rt, usage_errors():
        st: Status = rt.status(instance_id)
        result = stored_value(rt, instance_id) if st.state is WorkflowState.COMPLETED else None
        variables = rt.query(instance_id) if show_vars else None
        published = rt.statuses(instance_id)
    if as_json:
        data = jsonable(st)
        data["statuses"] = jsonable(published)
        if st.state is WorkflowState.COMPLETED:
            data["result"] = jsonable(result)
        if variables is not None:
            data["vars"] = jsonable(variables)
        print_json(data)
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("id", st.id)
    grid.add_row("workflow", st.workflow + (f"  (version {st.table_hash[:12]})" if st.table_hash else ""))
    grid.add_row("state", instance_state(st) + (f"  at {st.state_id}" if st.state_id else ""))
    if st.queue:
        grid.add_row("queue", st.queue + (f"  (position {st.queue_position} in line)" if st.queue_position else ""))
    if st.parent_id:
        grid.add_row("parent", st.parent_id)
    grid.add_row("created", clock(st.created_at))
    grid.add_row("updated", clock(st.updated_at))
    if st.finished_at:
        grid.add_row("finished", clock(st.finished_at))
    if st.state is WorkflowState.COMPLETED:
        grid.add_row("result", json.dumps(jsonable(result), ensure_ascii=False))
    if st.traceback:
        grid.add_row("failed at", tracebacks.where(st.traceback) or "")
    for key, value in published.items():
        grid.add_row(Text(f"status {key}"), Text(json.dumps(jsonable(value), ensure_ascii=False)))
    console = _console()
    console.print(grid)
    if st.outstanding:
        table = Table(title="waiting on", title_justify="left", box=None, header_style="bold dim")
        for column in ("kind", "name", "path", "tries", "due", "last error", "child"):
            table.add_column(column)
        for o in st.outstanding:
            error = (o.last_error or "") + (f" (at {tracebacks.where(o.traceback)})" if o.traceback else "")
            table.add_row(o.kind, o.name, o.path, str(o.attempts or ""), clock(o.due), error,
                          o.child_id or "")  # fmt: skip
        console.print(table)
    if variables is not None:
        if variables:
            values = Table(title="live variables", title_justify="left", box=None, header_style="bold dim")
            values.add_column("name")
            values.add_column("value", overflow="fold")
            for name, value in variables.items():
                values.add_row(Text(name), Text(json.dumps(jsonable(value), ensure_ascii=False)))
            console.print(values)
        else:
            console.print("live variables: none" + (" (finished)" if st.state.finished else ""))
    _print_tracebacks([("workflow", st.traceback), *((f"{o.name} (last attempt)", o.traceback) for o in st.outstanding)])


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("debug"))


def _print_tracebacks(items: list[tuple[str, str | None]]) -> None:
    """With ``--debug``: each failure's traceback in full (without: where it failed, in the tables)."""
    if not _debug():
        return
    for what, text in items:
        if text:
            click.echo(f"\n{what}:\n{text.rstrip()}")


# ---- list -------------------------------------------------------------------------------------------------------


@click.command(name="list")
@click.option(
    "--workflow", "workflow", metavar="W", help="Only instances of this workflow (its name or key)."
)
@click.option("--state", type=click.Choice(_STATES), help="Only instances in this state.")
@click.option("--parent", metavar="ID", help="Only the child workflows of this instance.")
@click.option(
    "--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="At most this many."
)
@click.option("--cursor", metavar="CURSOR", help="Continue a listing where the previous page ended.")
@db_option
@json_option
@handle_errors
def list_(
    workflow: str | None,
    state: str | None,
    parent: str | None,
    limit: int,
    cursor: str | None,
    db_url: str,
    as_json: bool,
) -> None:
    """List workflow instances, newest first.

    --workflow takes a workflow's key (module:qualname, as `wfc status` shows it) or
    its bare name. When there are more, the last line (or "cursor" in --json) gives
    the --cursor of the next page. --json prints {"items": [status...], "cursor"}.

    \b
    Example:
      wfc list --state waiting --db sqlite:///wfc.db
      wfc list --workflow fulfil_order --limit 10 --json
    """
    with open_runtime(db_url, existing=True, read_only=True) as rt, usage_errors():
        if workflow is not None and ":" not in workflow:
            if cursor is not None:
                raise CliError("--cursor needs --workflow as a key (module:qualname)",
                               hint="`wfc list --json` shows the keys in \"workflow\"")  # fmt: skip
            items, next_cursor = _scan(rt, workflow, state, parent, limit), None
        else:
            page = rt.list(workflow=workflow, state=state, limit=limit, cursor=cursor, parent=parent)
            items, next_cursor = list(page.items), page.cursor
    if as_json:
        print_json({"items": items, "cursor": next_cursor})
        return
    if not items:
        click.echo("no instances")
        return
    table = Table(box=None, header_style="bold dim")
    for column in ("id", "workflow", "state", "at", "created", "updated"):
        table.add_column(column, no_wrap=column != "state")
    for st in items:
        table.add_row(st.id, st.workflow, instance_state(st), st.state_id or "", clock(st.created_at),
                      clock(st.updated_at))  # fmt: skip
    console = _console()
    console.print(table)
    if next_cursor:
        console.print(f"more: --cursor {next_cursor}")


def _scan(rt: Any, name: str, state: str | None, parent: str | None, limit: int) -> list[Status]:
    """Instances of the workflow called ``name`` (its key is ``...:name``), scanning the listing page by page."""
    found: list[Status] = []
    cursor = None
    while len(found) < limit:
        page = rt.list(state=state, limit=_SCAN, cursor=cursor, parent=parent)
        found.extend(s for s in page.items if s.workflow == name or s.workflow.rpartition(":")[2] == name)
        cursor = page.cursor
        if cursor is None:
            break
    return found[:limit]


# ---- history ----------------------------------------------------------------------------------------------------


@click.command()
@click.argument("instance_id", metavar="ID")
@app_option
@db_option
@json_option
@handle_errors
def history(instance_id: str, apps: tuple[str, ...], db_url: str, as_json: bool) -> None:
    """Show every step, timer, event wait and child workflow of an instance.

    One row per command, in the order they were issued: its number (the suspension,
    and its place inside all_of/any_of), kind, name, arguments, outcome, attempts and
    times; then the steps' failed attempts (also those a later attempt made good):
    when each started and ended, what it raised and where (--debug: each traceback
    in full).
    --json prints the list of records (arguments, result, error and failed_attempts).
    An instance that continued as new shows its current run, after a line saying how
    many runs preceded it.

    \b
    Example:
      wfc history A-1 --db sqlite:///wfc.db
      wfc history A-1 --app myapp.models --json
    """
    import_apps(apps)
    with open_runtime(db_url, existing=True, read_only=True) as rt, usage_errors():
        records: list[HistoryRecord] = rt.history(instance_id)
        snap = snapshot(rt, instance_id) if not as_json else None
        run = rt.status(instance_id).run
    if as_json:
        print_json(records)
        return
    if run > 1:  # the earlier runs' records are gone (wfc.continue_as_new keeps one run's history)
        click.echo(f"run {run}: {run - 1} earlier run{'s' if run > 2 else ''} continued as new")
    # (a cancel record shares its number with the yield it interrupted: the command's row is the one kept)
    rows = {r.key: r for r in snap.rows if r.depth == 0 and r.kind != "cancel"} if snap else {}
    table = Table(box=None, header_style="bold dim")
    for column in ("#", "kind", "name", "arguments", "outcome", "tries", "started", "finished"):
        table.add_column(column, overflow="fold", no_wrap=column in ("#", "kind", "tries"))
    for r in records:
        key = f"{r.seq}" + (f".{r.path}" if r.path else "")
        row = rows.get(key)
        args = ", ".join(
            [_short(a, 30) for a in r.args] + [f"{k}={_short(v, 30)}" for k, v in r.kwargs.items()]
        )
        if r.kind == "cancel":  # the request, delivered at the yield it shares its number with
            outcome = Text(f"raised {r.error}" if r.error else "cancel requested", style="yellow")
        elif r.status == "completed":
            outcome = Text(_short(r.result) if r.kind != "sleep" else "done", style="green")
        elif r.status == "failed":
            at = tracebacks.where(r.traceback)
            outcome = Text((r.error or "failed") + (f" (at {at})" if at else ""), style="red")
        else:
            outcome = Text(describe(row) if row else r.status, style="yellow" if r.error else "")
        name = r.name + (f" → {r.child_id}" if r.child_id else "")
        table.add_row(key, r.kind, name, args, outcome, str(r.attempts or ""), clock(r.started_at),
                      clock(r.finished_at))  # fmt: skip
    if not records:
        click.echo("no history yet")
        return
    console = _console()
    console.print(table)
    attempts = _failed_attempts(records)
    if attempts is not None:
        console.print(attempts)
    traces: list[tuple[str, str | None]] = []
    for r in records:
        key = f"#{r.seq}{'.' + r.path if r.path else ''} {r.name}"
        if r.failed_attempts:  # every failed attempt kept, the last one included
            traces.extend((f"{key} attempt {a.attempt}", a.traceback) for a in r.failed_attempts)
        else:
            traces.append((key, r.traceback))
    _print_tracebacks(traces)


def _failed_attempts(records: list[HistoryRecord]) -> Table | None:
    """The failed attempts of every step (also those that then succeeded): which, when it started and ended, what it
    raised and where (``--debug`` adds their tracebacks); ``None`` when no attempt failed."""
    failing = [r for r in records if r.failed_attempts]
    if not failing:
        return None
    table = Table(title="failed attempts", title_justify="left", box=None, header_style="bold dim")
    for column in ("#", "name", "attempt", "started", "finished", "error"):
        table.add_column(column, overflow="fold", no_wrap=column in ("#", "attempt"))
    for r in failing:
        key = f"{r.seq}" + (f".{r.path}" if r.path else "")
        for i, a in enumerate(r.failed_attempts):
            if r.failed_attempts_omitted and i == FIRST:  # the dropped ones were between the first and the last
                n = r.failed_attempts_omitted
                table.add_row("", "", "…", "", "", Text(f"{n} more failed attempt{'s' if n != 1 else ''} not kept",
                                                        style="dim"))  # fmt: skip
            at = tracebacks.where(a.traceback)
            table.add_row(key if i == 0 else "", r.name if i == 0 else "", str(a.attempt), clock(a.started_at),
                          clock(a.finished_at), Text(a.error + (f" (at {at})" if at else ""), style="red"))  # fmt: skip
    return table


# ---- send-event -------------------------------------------------------------------------------------------------


@click.command(name="send-event")
@click.argument("instance_id", metavar="ID")
@click.argument("name")
@click.option("--value", metavar="JSON", help="The event's value (JSON when it parses as JSON, else text).")
@click.option("--error", metavar="MSG", help="Make the waiting wait_event raise, with this message.")
@click.option(
    "--event-id",
    metavar="KEY",
    help="The delivery's own id: an event with an id already sent to this instance is dropped (exit 0).",
)
@db_option
@json_option
@handle_errors
def send_event(
    instance_id: str,
    name: str,
    value: str | None,
    error: str | None,
    event_id: str | None,
    db_url: str,
    as_json: bool,
) -> None:
    """Send event NAME to instance ID.

    Its first wait_event(NAME) returns --value (or raises with --error), now if it
    is waiting, or later: an event sent before the wait is kept for it. An event for
    an instance that has ended is an error (exit 2). With --event-id, sending is
    idempotent: a second event of that id is dropped, also once the instance ended.
    --json prints {"id", "event", "value", "error", "sent"}.

    \b
    Example:
      wfc send-event A-1 approval --value true --db sqlite:///wfc.db
      wfc send-event A-1 approval --error "rejected by finance"
      wfc send-event A-1 paid --value '{"amount": 12}' --event-id evt_1Nq2
    """
    if value is not None and error is not None:
        raise CliError("give --value or --error, not both")
    payload = parse_value(value) if value is not None else None
    with open_runtime(db_url, existing=True) as rt, usage_errors():
        sent = rt.send_event(instance_id, name, payload, error, event_id=event_id)
    if as_json:
        print_json({"id": instance_id, "event": name, "value": payload, "error": error, "sent": sent})
    elif sent:
        click.echo(f"sent {name} to {instance_id}")
    else:
        click.echo(f"dropped {name} for {instance_id}: event id {event_id!r} was sent to it before")
