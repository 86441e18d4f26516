"""Controlling workflows: ``wfc cancel``, ``restart`` (``--fork``), ``watch``, ``diff``, ``migrate`` and ``cleanup``.

Each is a thin layer over one ``wfc.Runtime`` method (``diff`` over :mod:`wfc.compiler.diff`); ``--json`` prints
its result as one JSON document (``watch``: one JSON object per line, as changes happen).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from wfc.cli.common import (
    EXIT_FAILED,
    SECONDS,
    CliError,
    db_option,
    handle_errors,
    import_app,
    json_option,
    jsonable,
    load_workflow,
    open_runtime,
    print_json,
    usage_errors,
)
from wfc.cli.ops_cmds import app_option, import_apps
from wfc.cli.progress import LiveView, clock, instance_state, snapshot
from wfc.compiler import ir, serialize
from wfc.compiler.diff import diff_tables, plan_migration
from wfc.errors import WfcError
from wfc.runtime.records import WorkflowState

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 160, soft_wrap=False, highlight=False)


def parse_duration(text: str) -> float:
    """``90``, ``45s``, ``30m``, ``12h``, ``7d``, ``2w`` (or a sum: ``1d12h``) as seconds."""
    parts = re.fullmatch(r"(?:\d+(?:\.\d+)?[smhdw]?)+", text.strip())
    if parts is None:
        raise CliError(f"{text!r} is not a duration", hint="e.g. 30d, 12h, 90m, 45s or a number of seconds")
    return sum(
        float(number) * _UNITS.get(unit or "s", 1)
        for number, unit in re.findall(r"(\d+(?:\.\d+)?)([smhdw]?)", text)
    )


def _step(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _apps(apps: tuple[str, ...]) -> None:
    for app in apps:
        import_app(app)


_APP_HELP = (
    "A module or .py/.wf path defining the workflow and its steps (repeatable; lets a restarted fan-out keep "
    "its workflow's max_parallelism and child workflows start on the current code)."
)


# ---- cancel -----------------------------------------------------------------------------------------------------


@click.command()
@click.argument("instance_id", metavar="ID")
@click.option("--force", is_flag=True, help="End it at once: no more of its code runs (no cleanup).")
@db_option
@json_option
@handle_errors
def cancel(instance_id: str, force: bool, db_url: str, as_json: bool) -> None:
    """Cancel a running, sleeping or waiting instance.

    What it waits on is canceled (a step already running finishes, its result
    discarded; child workflows end at once) and wfc.Canceled is raised at its
    current yield: its `except wfc.Canceled` and `finally` blocks run their
    cleanup, by whichever worker serves it, and it ends "canceled". Asking again
    while the cleanup runs changes nothing; --force ends it at once (also one that
    has not started or is blocked). Its on_complete handler is called with a
    "canceled" completion. Canceling an instance that has ended is an error
    (WFC433, exit 1). --json prints {"id", "state", "cancel_requested"}.

    \b
    Examples:
      wfc cancel A-1 --db sqlite:///wfc.db
      wfc cancel A-1 --force --db sqlite:///wfc.db
    """
    with open_runtime(db_url, existing=True) as rt, usage_errors():
        outcome = rt.cancel(instance_id, force=force)
        state = str(rt.status(instance_id).state)
    if as_json:
        print_json({"id": instance_id, "state": state, "cancel_requested": outcome != "canceled"})
    elif outcome == "canceled":
        click.echo(f"canceled {instance_id}")
    elif outcome == "requested":
        click.echo(
            f"cancel requested for {instance_id}: it runs its cleanup when a worker serves it "
            f"(`wfc status {instance_id}` shows when it ends; --force ends it at once)"
        )
    else:
        click.echo(f"cancel already asked for {instance_id}: its cleanup runs on (--force ends it at once)")


# ---- restart / fork ---------------------------------------------------------------------------------------------


@click.command()
@click.argument("instance_id", metavar="ID")
@click.option("--from-step", "from_step", metavar="N|NAME", required=True,
              help="The step to run again: its number in `wfc history` (0: the start) or its name (the last "
              "one of that name).")  # fmt: skip
@click.option("--fork", is_flag=True, help="Run it as a new instance; leave ID untouched.")
@click.option("--new-id", metavar="ID", help="The id of the fork (default: a new random id).")
@click.option("--app", "apps", metavar="MODULE", multiple=True, help=_APP_HELP)
@db_option
@json_option
@handle_errors
def restart(
    instance_id: str,
    from_step: str,
    fork: bool,
    new_id: str | None,
    apps: tuple[str, ...],
    db_url: str,
    as_json: bool,
) -> None:
    """Run an instance again from one of its steps (no replay).

    The cursor recorded before that step (the state and live variables) is
    restored and the step is issued again; what the instance still runs is
    canceled, and the history after the step is archived, not deleted (`wfc
    history` shows the live history). Works for running, completed, failed and
    canceled instances. With --fork the same happens in a new instance and ID is
    left as it is. A worker runs it. Prints the id that runs (--json: {"id",
    "from_step", "fork"}).

    \b
    Example:
      wfc restart A-1 --from-step 5 --db sqlite:///wfc.db
      wfc restart A-1 --from-step charge_card --fork --new-id A-1-retry
    """
    if new_id is not None and not fork:
        raise CliError("--new-id goes with --fork", hint="a restart keeps the instance's id")
    _apps(apps)
    step = _step(from_step)
    with open_runtime(db_url, existing=True) as rt, usage_errors():
        out = rt.fork(instance_id, step, new_id=new_id) if fork else rt.restart(instance_id, step)
    if as_json:
        print_json({"id": out, "from_step": step, "fork": fork})
    else:
        click.echo(out)


# ---- watch ------------------------------------------------------------------------------------------------------


@click.command()
@click.argument("instance_id", metavar="ID")
@click.option("--timeout", type=SECONDS, metavar="SECONDS",
              help="Stop watching after this long (default: until the instance ends).")  # fmt: skip
@app_option
@db_option
@json_option
@handle_errors
def watch(instance_id: str, timeout: float | None, apps: tuple[str, ...], db_url: str, as_json: bool) -> None:
    """Follow an instance live: every status change and step.

    On a terminal a table redraws in place; otherwise one line per change
    (`14:03:07  #3 event go: completed`); with --json one JSON object per line,
    {"kind": "status", "status": {...}} or {"kind": "step", "record": {...}}.
    Changes made by any process on the database show within 50 ms. Exit code 0
    when the instance completed (or --timeout passed), 1 when it failed or was
    canceled.

    \b
    Example:
      wfc watch A-1 --db sqlite:///wfc.db
      wfc watch A-1 --json | jq .kind
    """
    live = sys.stdout.isatty() and not as_json
    final: Any = None
    import_apps(apps)
    with open_runtime(db_url, existing=True, read_only=True) as rt, usage_errors():
        changes = rt.watch(instance_id, timeout=timeout)
        if live:
            with LiveView(_console()) as view:
                for change in changes:
                    final = change.status or final
                    view.update(snapshot(rt, instance_id))
        else:
            try:
                for change in changes:
                    final = change.status or final
                    if as_json:
                        click.echo(json.dumps(jsonable(change), ensure_ascii=False, separators=(",", ":")))
                    else:
                        click.echo(_line(change))
            except BrokenPipeError:  # `wfc watch ID --json | head`: the reader has had enough
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return
    if final is not None and final.state in (WorkflowState.FAILED, WorkflowState.CANCELED):
        sys.exit(EXIT_FAILED)


def _line(change: Any) -> str:
    if change.status is not None:
        st = change.status
        where = f" at {st.state_id}" if st.state_id else ""
        return f"{clock(st.updated_at)}  {st.id}: {instance_state(st)}{where}"
    r = change.record
    key = f"#{r.seq}" + (f".{r.path}" if r.path else "")
    outcome = r.status
    if r.status == "completed" and r.kind not in ("sleep", "on_complete"):
        outcome += f" -> {json.dumps(jsonable(r.result), ensure_ascii=False)[:60]}"
    elif r.error:
        outcome += f" ({r.error})"
    if r.attempts > 1:
        outcome += f", {r.attempts} attempts"
    when = r.finished_at or r.started_at or r.scheduled_at
    return f"{clock(when)}  {key} {r.kind} {r.name}: {outcome}"


# ---- diff -------------------------------------------------------------------------------------------------------


def _load_table(ref: str, db_url: str) -> ir.Table:
    """A table from a JSON file, a stored hash (prefix) in --db, or code (PATH[:NAME], MODULE:NAME)."""
    path = Path(ref)
    if path.suffix == ".json" and path.is_file():
        try:
            return serialize.from_json(path.read_text())
        except (OSError, WfcError) as exc:
            raise CliError(f"cannot read {path}: {exc}") from None
    if re.fullmatch(r"[0-9a-fA-F]{4,64}", ref) and not path.exists():
        with open_runtime(db_url, existing=True, read_only=True) as rt, usage_errors():
            table: ir.Table = rt.table(ref)
            return table
    from wfc.compiler.driver import compile_workflow

    return compile_workflow(load_workflow(ref))


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            raise CliError(f"expected --map OLD=NEW, got {pair!r}", hint="e.g. --map L12.resume=L15.resume")
        out[old] = new
    return out


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--map", "pairs", metavar="OLD=NEW", multiple=True,
              help="Map an old suspension state id to a new one (repeatable), for the migration plan.")  # fmt: skip
@db_option
@json_option
@handle_errors
def diff(old: str, new: str, pairs: tuple[str, ...], db_url: str, as_json: bool) -> None:
    """Compare two versions of a workflow; plan the migration.

    OLD and NEW are each a table JSON file (`wfc compile --emit json`, or a file
    of a versions directory), a table hash or prefix stored in the --db database
    (every version an instance started on), or code: PATH[:NAME] or MODULE:NAME.
    Shows states unchanged ( ), changed (~), added (+) and removed (-), then for
    each suspension of OLD where its instances go (automatic, or given by --map)
    or why they cannot move. --json prints {"old", "new", "changes", "moves",
    "refusals"}.

    \b
    Example:
      wfc diff 3f2a9c1b examples/orders.py:fulfil_order --db sqlite:///wfc.db
      wfc diff old.json new.json --map L12.resume=L15.resume
    """
    old_table, new_table = _load_table(old, db_url), _load_table(new, db_url)
    if old_table.name != new_table.name:
        raise CliError(f"{old} is {old_table.name} and {new} is {new_table.name}",
                       hint="compare two versions of one workflow")  # fmt: skip
    changes = diff_tables(old_table, new_table)
    mapping = _mapping(pairs)
    plan = plan_migration(old_table, new_table, mapping)
    if as_json:
        print_json({"old": old_table.hash, "new": new_table.hash, "workflow": old_table.name,
                    "changes": changes.changes, "moves": plan.moves, "refusals": plan.refusals})  # fmt: skip
        return
    click.echo(f"workflow {old_table.name}")
    click.echo(changes.render())
    click.echo("")
    click.echo("migration plan (instances at each suspension of the old version):")
    for i, move in enumerate(plan.moves):
        how = "automatic" if move.automatic else "mapped"
        renames = ", ".join(f"{a}->{b}" for a, b in move.renames if a != b)
        old_state = "(not started)" if i == 0 else move.old  # the plan's first move: instances not started
        click.echo(f"  {old_state} -> {move.new}  ({how}{'; renames ' + renames if renames else ''})")
    for refusal in plan.refusals:
        click.echo(f"  {refusal.old}: refused: {refusal.reason}")


# ---- migrate ----------------------------------------------------------------------------------------------------


@click.command()
@click.argument("workflow")
@click.option("--from", "from_hash", metavar="HASH", required=True,
              help="The version its instances run now (a hash or unique prefix).")  # fmt: skip
@click.option("--to", "to_hash", metavar="HASH",
              help="The version to move them to: must be the current code's (the default).")  # fmt: skip
@click.option("--map", "pairs", metavar="OLD=NEW", multiple=True,
              help="Map an old suspension state id to a new one (repeatable) where the compiler cannot.")  # fmt: skip
@click.option(
    "--dry-run", is_flag=True, help="Report what would move and what would be refused; change nothing."
)
@db_option
@json_option
@handle_errors
def migrate(
    workflow: str,
    from_hash: str,
    to_hash: str | None,
    pairs: tuple[str, ...],
    dry_run: bool,
    db_url: str,
    as_json: bool,
) -> None:
    """Move in-flight instances to the current code's version.

    WORKFLOW is PATH[:NAME] or MODULE:NAME of the current code. Every unfinished
    instance on version --from moves in its own transaction to the state the
    compiler matches (or --map gives), keeping what it waits on; an instance whose
    new state needs a variable it does not have is refused, with the reason, and
    keeps its version. See docs/versioning.md. Exit code 1 when any instance was
    refused. --json prints the report {"workflow", "from_hash", "to_hash",
    "instances": [{"id", "outcome", "old_state", "new_state", "reason"}]}.

    \b
    Example:
      wfc migrate examples/orders.py:fulfil_order --from 3f2a9c1b --dry-run --db sqlite:///wfc.db
      wfc migrate myapp.flows:checkout --from 3f2a9c1b --map L12.resume=L15.resume
    """
    defn = load_workflow(workflow)
    mapping = _mapping(pairs)
    with open_runtime(db_url, existing=True) as rt, usage_errors():
        report = rt.migrate(defn, from_hash, to_hash, mapping, dry_run=dry_run)
    if as_json:
        data = jsonable(report)
        data.pop("plan", None)
        print_json(data)
    else:
        verb = "would move" if dry_run else "moving"
        click.echo(f"{report.workflow}: {verb} {report.from_hash[:12]} -> {report.to_hash[:12]}")
        if not report.instances:
            click.echo("no instance runs that version")
        table = Table(box=None, header_style="bold dim")
        for column in ("id", "outcome", "from", "to", "reason"):
            table.add_column(column, overflow="fold")
        for m in report.instances:
            table.add_row(m.id, m.outcome, m.old_state, m.new_state or "", m.reason or "")
        if report.instances:
            _console().print(table)
            click.echo(
                f"{len(report.moved)} {'would move' if dry_run else 'moved'}, {len(report.refused)} refused"
            )
    if report.refused:
        sys.exit(EXIT_FAILED)


# ---- cleanup ----------------------------------------------------------------------------------------------------


@click.command()
@click.option("--older-than", "older_than", metavar="DURATION", required=True,
              help="Purge instances that finished longer ago than this: 30d, 12h, 90m, 45s or seconds.")  # fmt: skip
@db_option
@json_option
@handle_errors
def cleanup(older_than: str, db_url: str, as_json: bool) -> None:
    """Delete finished instances and their history.

    Instances that completed, failed or were canceled longer ago than
    --older-than, with nothing left to run (their on_complete call done), go with
    their history and events; a child workflow goes once its parent has finished
    too. Running, sleeping and waiting instances are never touched. --json prints
    {"purged"}.

    \b
    Example:
      wfc cleanup --older-than 30d --db sqlite:///wfc.db
    """
    seconds = parse_duration(older_than)
    with open_runtime(db_url, existing=True) as rt, usage_errors():
        purged = rt.cleanup(older_than=seconds)
    if as_json:
        print_json({"purged": purged})
    else:
        click.echo(f"purged {purged} instance{'s' * (purged != 1)}")


COMMANDS = (cancel, cleanup, diff, migrate, restart, watch)
