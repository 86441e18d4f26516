"""``wfc schedule add|list|pause|resume|delete``: durable schedules (a thin layer over ``Runtime.schedule`` and
its siblings; the logic is :mod:`wfc.runtime.schedules`)."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table

from wfc.cli.common import (
    db_option,
    handle_errors,
    input_options,
    json_option,
    open_runtime,
    print_json,
    usage_errors,
)
from wfc.cli.progress import clock
from wfc.runtime.schedules import CATCH_UP, OVERLAP, ScheduleInfo


@click.group()
def schedule() -> None:
    """Durable schedules: start a workflow on a cron expression or every N seconds.

    Every worker of the database starts the instances of due ticks, one per tick
    (named SCHEDULE@TICK, the tick in UTC), whatever the number of workers.

    \b
    Examples:
      wfc schedule add nightly report --cron "0 2 * * *" --timezone Europe/Berlin
      wfc schedule list --db sqlite:///wfc.db
    """


def _row(info: ScheduleInfo) -> dict[str, Any]:
    return {
        "name": info.name, "workflow": info.workflow, "cron": info.cron, "every": info.every,
        "timezone": info.timezone, "args": list(info.args), "kwargs": dict(info.kwargs), "overlap": info.overlap,
        "catch_up": info.catch_up, "paused": info.paused, "next_at": info.next_at, "last_at": info.last_at,
        "last_id": info.last_id, "queue": info.queue, "priority": info.priority,
        "partition_key": info.partition_key,
    }  # fmt: skip


def _queue(info: ScheduleInfo) -> str:
    if info.queue is None:
        return ""
    extra = [f"priority {info.priority}"] if info.priority is not None else []
    extra += [f"partition {info.partition_key}"] if info.partition_key is not None else []
    return info.queue + (f" ({', '.join(extra)})" if extra else "")


@schedule.command(name="add")
@click.argument("name")
@click.argument("workflow")
@input_options
@click.option("--cron", metavar="EXPR", help='Five cron fields: minute hour day-of-month month day-of-week.')
@click.option("--every", metavar="SECONDS", type=float, help="Or a tick every SECONDS (>= 1), on their multiples.")
@click.option("--timezone", default="UTC", show_default=True, help="The zone the cron expression is read in.")
@click.option("--overlap", type=click.Choice(OVERLAP), default="skip", show_default=True,
              help="A tick while the previous tick's instance runs: skip it, queue it, or allow both.")  # fmt: skip
@click.option("--catch-up", "catch_up", type=click.Choice(CATCH_UP), default="latest", show_default=True,
              help="Ticks missed while no worker ran: start the latest, all, or none.")  # fmt: skip
@click.option("--queue", "queue_name", metavar="NAME",
              help="Start each tick's instance on this named queue (declared by the app), as wfc start --queue.")
@click.option("--priority", type=int, help="Their priority on a queue that orders by priority (lower first).")
@click.option("--partition-key", "partition_key", metavar="KEY", help="Their partition on a partitioned queue.")
@db_option
@json_option
@handle_errors
def add(
    name: str,
    workflow: str,
    inputs: tuple[tuple[Any, ...], dict[str, Any]],
    cron: str | None,
    every: float | None,
    timezone: str,
    overlap: str,
    catch_up: str,
    queue_name: str | None,
    priority: int | None,
    partition_key: str | None,
    db_url: str,
    as_json: bool,
) -> None:
    """Create schedule NAME (or replace its spec) starting WORKFLOW.

    WORKFLOW is the workflow's name (@wfc.workflow(name=...)) or MODULE:QUALNAME, as
    wfc.Client starts it: this process needs none of its code. Its arguments are
    --input JSON and/or KEY=VALUE pairs (JSON values). A replaced schedule counts its
    next tick from now and stays paused if it was. With --queue each tick's instance
    is enqueued on that named queue (with --priority, --partition-key as the queue
    takes them). --json prints the schedule.

    \b
    Example:
      wfc schedule add weekly-report report region=eu --cron "0 9 * * MON" \\
          --timezone Europe/Berlin --db sqlite:///wfc.db
      wfc schedule add acme-news send_newsletter tenant=acme --every 3600 \\
          --queue newsletters --partition-key acme --db sqlite:///wfc.db
    """
    args, kwargs = inputs
    with open_runtime(db_url) as rt, usage_errors():
        info = rt.schedule(name, workflow, cron=cron, every=every, args=args, kwargs=kwargs, timezone=timezone,
                           overlap=overlap, catch_up=catch_up, queue=queue_name, priority=priority,
                           partition_key=partition_key)  # fmt: skip
    if as_json:
        print_json(_row(info))
    else:
        on = f" (on queue {_queue(info)})" if info.queue else ""
        click.echo(f"schedule {info.name}: next tick {clock(info.next_at) if info.next_at else 'none'}{on}")


@schedule.command(name="list")
@db_option
@json_option
@handle_errors
def list_(db_url: str, as_json: bool) -> None:
    """List the database's schedules: spec, next tick, last instance, queue.

    --json prints a list of schedules.

    \b
    Example:
      wfc schedule list --db sqlite:///wfc.db
    """
    with open_runtime(db_url, existing=True) as rt, usage_errors():
        rows = rt.schedules()
    if as_json:
        print_json([_row(r) for r in rows])
        return
    if not rows:
        click.echo("no schedules")
        return
    table = Table(box=None, header_style="bold dim")
    columns = ["name", "workflow", "when", "next tick", "last instance", "policies"]
    queued = any(r.queue for r in rows)
    for column in columns + (["queue"] if queued else []):
        table.add_column(column)
    for r in rows:
        when = f"cron {r.cron} ({r.timezone})" if r.cron else f"every {r.every:g}s"
        nxt = "paused" if r.paused else (clock(r.next_at) if r.next_at else "none")
        cells = [r.name, r.workflow, when, nxt, r.last_id or "", f"overlap={r.overlap} catch-up={r.catch_up}"]
        table.add_row(*cells, *([_queue(r)] if queued else []))
    Console(width=160, soft_wrap=False, highlight=False).print(table)


def _change(verb: str, doc: str) -> click.Command:
    @click.argument("name")
    @db_option
    @json_option
    @handle_errors
    def command(name: str, db_url: str, as_json: bool) -> None:
        with open_runtime(db_url, existing=True) as rt, usage_errors():
            if verb == "delete":
                rt.delete_schedule(name)
                info = None
            else:
                info = getattr(rt, f"{verb}_schedule")(name)
        if as_json:
            print_json({"name": name, "deleted": True} if info is None else _row(info))
        else:
            click.echo(f"{verb}d {name}" if verb != "resume" else f"resumed {name}")

    command.__doc__ = doc
    return schedule.command(name=verb)(command)


_change("pause", """Pause schedule NAME: no tick starts an instance until it is resumed.

    \b
    Example:
      wfc schedule pause nightly --db sqlite:///wfc.db
    """)  # fmt: skip
_change("resume", """Resume schedule NAME from its next tick after now (no catch-up of the pause).

    \b
    Example:
      wfc schedule resume nightly --db sqlite:///wfc.db
    """)  # fmt: skip
_change("delete", """Delete schedule NAME (the instances it started are untouched).

    \b
    Example:
      wfc schedule delete nightly --db sqlite:///wfc.db
    """)  # fmt: skip
