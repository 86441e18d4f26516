"""``wfc queue list|show``: the database's named queues, their declared limits and load (a thin layer over
``Runtime.queues``; the logic is :mod:`wfc.runtime.queues`)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from wfc.cli.common import db_option, handle_errors, json_option, open_runtime, print_json, usage_errors
from wfc.runtime.queues import QueueInfo


@click.group()
def queue() -> None:
    """Named queues: their limits and how many instances wait and run.

    A queue is declared in code (wfc.Queue(name, concurrency=..., ...)); every worker
    and runtime that imports it records it in the database, so clients can start
    instances on it by name (wfc start --queue NAME).

    \b
    Examples:
      wfc queue list --db sqlite:///wfc.db
      wfc queue show emails --db sqlite:///wfc.db
    """


def _limits(i: QueueInfo) -> str:
    q = i.queue
    parts = []
    if q.concurrency is not None:
        parts.append(f"concurrency {q.concurrency}")
    if q.worker_concurrency is not None:
        parts.append(f"{q.worker_concurrency} per worker")
    if q.rate_limit is not None:
        parts.append(f"{q.rate_limit[0]} per {q.rate_limit[1]:g}s")
    if q.priority:
        parts.append("by priority")
    if q.partitioned:
        parts.append("per partition")
    return ", ".join(parts) or "no limits"


@queue.command(name="list")
@db_option
@json_option
@handle_errors
def list_(db_url: str, as_json: bool) -> None:
    """List the database's queues: limits, enqueued and active instances.

    Active instances were admitted and have not ended (running, sleeping or
    waiting). --json prints a list of queues.

    \b
    Example:
      wfc queue list --db sqlite:///wfc.db
    """
    with open_runtime(db_url, existing=True) as rt, usage_errors():
        rows = rt.queues()
    if as_json:
        print_json([r.as_data() for r in rows])
        return
    if not rows:
        click.echo("no queues")
        return
    table = Table(box=None, header_style="bold dim")
    for column in ("name", "limits", "enqueued", "active"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.name, _limits(r), str(r.enqueued), str(r.active))
    Console(width=160, soft_wrap=False, highlight=False).print(table)


@queue.command(name="show")
@click.argument("name")
@db_option
@json_option
@handle_errors
def show(name: str, db_url: str, as_json: bool) -> None:
    """Show queue NAME: its declared limits, enqueued and active instances.

    --json prints the queue as `wfc queue list --json` does.

    \b
    Example:
      wfc queue show emails --db sqlite:///wfc.db
    """
    with open_runtime(db_url, existing=True) as rt, usage_errors():
        info = rt.queue(name)
    if as_json:
        print_json(info.as_data())
        return
    click.echo(f"queue {info.name}: {_limits(info)}")
    click.echo(f"  enqueued {info.enqueued}, active {info.active}")
