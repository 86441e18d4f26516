"""``wfc run``: start a workflow and drive it to its end in this process, with a progress view."""

from __future__ import annotations

import hashlib
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click

from wfc.cli.common import (
    EXIT_FAILED,
    CliError,
    db_option,
    handle_errors,
    id_option,
    input_options,
    json_option,
    jsonable,
    load_workflow,
    log_to_stderr,
    open_runtime,
    parallelism_options,
    print_json,
    start_arguments,
    usage_errors,
)
from wfc.cli.progress import LineView, LiveView, Snapshot, duration, snapshot
from wfc.commands import WorkflowDef
from wfc.runtime.dburl import redact
from wfc.runtime.errors import UnknownInstance
from wfc.runtime.records import Status

EXIT_INTERRUPTED = 130
POLL = 0.1  # seconds between two looks at the instance


def default_id(defn: WorkflowDef, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``NAME-HASH``: HASH is the first 12 hex digits of the SHA-256 of the workflow's key and its arguments as
    canonical JSON (keys sorted, no spaces), so the same command always names the same instance."""
    text = json.dumps([defn.key, list(args), kwargs], sort_keys=True, separators=(",", ":"), default=str)
    return f"{defn.name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


@click.command(name="run")
@click.argument("target")
@input_options
@id_option
@parallelism_options
@db_option
@json_option
@handle_errors
def run(
    target: str,
    inputs: tuple[tuple[Any, ...], dict[str, Any]],
    instance_id: str | None,
    concurrency: int | None,
    max_parallelism: int,
    db_url: str,
    as_json: bool,
) -> None:
    """Start a workflow and run it to its end here, showing its progress.

    TARGET is PATH[:NAME] (a .py or .wf file, and the workflow's name when it has
    several) or MODULE:NAME. Its arguments are --input JSON and/or KEY=VALUE pairs.

    The instance is durable: it lives in the --db database, and when this process
    stops (Ctrl-C, a crash, a kill) running the same command again continues it
    where it stopped; steps that finished are not run again. Without --id the id is
    NAME-HASH, HASH being the first 12 hex digits of the SHA-256 of the workflow's
    key and its arguments as canonical JSON: the same command and arguments name
    the same instance (once it has ended, the command reports its outcome again).
    Give --id to run the same arguments as another instance. While it runs, this
    process is a worker of the database: it also runs other work that is due there.

    On a terminal the progress is a live table of every step, child workflow, sleep
    and event wait (state, attempts, last error, due time); otherwise it is one line
    per change. With --json, stdout is one object {"id", "status", "result" or
    "error"} and the progress lines go to stderr. Exit code: 0 completed, 1 failed
    or canceled, 2 bad arguments, 130 interrupted.

    \b
    Examples:
      wfc run examples/orders.py:fulfil_order order_id=A-1 'items={"book": 1}' \\
          address='1 Main St' amount=30
      wfc run flows/onboarding.wf --input '{"user": "ann"}' --db sqlite:///app.db --json
    """
    defn = load_workflow(target)
    args, kwargs = inputs
    iid = instance_id or default_id(defn, args, kwargs)
    started = time.monotonic()
    with log_to_stderr(), open_runtime(db_url, max_parallelism=max_parallelism) as rt:
        resumed = _exists(rt, iid)
        with usage_errors():
            given, named = start_arguments(defn, args, kwargs)
            rt.start(defn, *given, id=iid, **named)
        if as_json:
            view: Any = LineView(lambda line: click.echo(line, err=True), resumed=resumed)
        elif sys.stdout.isatty():
            view = LiveView()
        else:
            view = LineView(click.echo, resumed=resumed)
        try:
            with _interruptible(), view:
                status = drive(rt, iid, view, concurrency)
        except KeyboardInterrupt:
            _interrupted(rt, iid, db_url, as_json)
            raise SystemExit(EXIT_INTERRUPTED) from None
        _report(rt, status, as_json, time.monotonic() - started)
    if status.state.value != "completed":
        raise SystemExit(EXIT_FAILED)


def _exists(rt: Any, iid: str) -> bool:
    try:
        rt.status(iid)
    except UnknownInstance:
        return False
    return True


def drive(rt: Any, iid: str, view: LineView | LiveView, concurrency: int | None = None) -> Status:
    """Run the runtime's worker on a thread of this process until instance ``iid`` ends, showing each change.

    The worker claims whatever is due in the database (this instance's steps, timers and event deliveries, child
    workflows), like ``Runtime.run_until_complete``; this thread only looks at the instance and draws it."""
    worker = rt.worker(concurrency=concurrency, grace=10.0)
    thread = worker.run_in_thread()
    stop_now = True
    try:
        while True:
            snap: Snapshot = snapshot(rt, iid)
            view.update(snap)
            status = snap.status
            if status.finished:
                stop_now = False
                return status
            if status.blocked:
                from wfc.runtime.runtime import Blocked

                raise Blocked(
                    f"workflow {iid!r} cannot continue in this deployment: {status.blocked}",
                    hint="deploy what it needs (the message says what), then run the command again; nothing is lost",
                )
            if not thread.is_alive():
                if worker.fatal is not None:  # the database file gone, replaced or damaged
                    raise worker.fatal
                raise CliError("the worker thread stopped unexpectedly", hint="run again with --debug",
                               exit_code=EXIT_FAILED)  # fmt: skip
            time.sleep(POLL)
    finally:
        worker.stop(now=stop_now)
        thread.join(15.0)


@contextmanager
def _interruptible() -> Iterator[None]:
    """SIGTERM stops ``wfc run`` as Ctrl-C does (the instance stays durable)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(rt: Any, iid: str, db_url: str, as_json: bool) -> None:
    try:
        state = rt.status(iid).state.value
    except Exception:  # the database may be what failed
        state = "unknown"
    message = f"stopped: {iid} is saved in {redact(db_url)} ({state}); run the same command again to continue where it stopped"
    click.echo(message, err=True)
    if as_json:
        print_json(
            {"id": iid, "status": state, "error": "interrupted; run the same command again to continue"}
        )


def _report(rt: Any, status: Status, as_json: bool, elapsed: float) -> None:
    state = status.state.value
    if state == "completed":
        with usage_errors():
            result = rt.result(status.id)
        if as_json:
            print_json({"id": status.id, "status": state, "result": result})
        else:
            text = json.dumps(jsonable(result), ensure_ascii=False)
            click.echo(f"{status.id} completed in {duration(elapsed)}: {text}")
        return
    error = status.error or ("canceled" if state == "canceled" else "unknown error")
    if as_json:
        print_json({"id": status.id, "status": state, "error": error})
    else:
        click.echo(f"{status.id} {state}: {error}")
