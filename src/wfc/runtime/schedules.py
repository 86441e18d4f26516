"""Durable schedules: start a workflow on a cron expression or at a fixed interval, from every worker at once.

``rt.schedule("nightly", report, cron="0 2 * * *", timezone="Europe/Berlin")`` (or ``@wfc.schedule(...)`` on a
workflow) records the schedule in the store. Every worker — and ``run_until_idle`` — fires due ticks: in one
transaction it takes the schedules whose next tick has come (locked, so other workers skip them), starts an
instance per tick and moves the schedule to its next tick. Each instance's id names the schedule and its tick
(``nightly@2026-12-02T01:00:00Z``), so one tick starts one instance however many workers look at it, even if a
crash made one tick be handled twice. Instances start by the workflow's name, as ``wfc.Client`` starts them, so
the process that created the schedule need not serve the workflow.

Policies, when a tick comes:

* ``overlap`` — the instance of the previous tick is still running: ``"skip"`` this tick (the default),
  ``"queue"`` it (it starts once the previous one has ended; later ticks wait behind it, each in turn) or
  ``"allow"`` both to run.
* ``catch_up`` — ticks were missed (no worker ran, the schedule was paused): start only the ``"latest"`` of them
  (the default), ``"all"`` of them (at most :data:`MAX_CATCH_UP`, the most recent), or ``"none"`` (only a tick at
  most :data:`GRACE` seconds late starts).

``queue`` (with ``priority`` and ``partition_key``): each tick's instance starts enqueued on that named queue, as
``rt.start(..., queue=)`` starts one (:mod:`wfc.runtime.queues`); an instance still enqueued counts as running for
``overlap``. The options are checked against the queue where the schedule is made (``WFC445``) and again at each
tick, under the queue's lock (a queue whose declaration changed since: the tick is skipped and logged).

Interval ticks fall on whole multiples of ``every`` seconds since the Unix epoch (``every=3600``: at the top of
each hour, UTC), so a schedule made again has the same ticks.

Cron expressions are read by ``cronsim`` (five fields, ``L``, ``#``, ranges and steps; days of month and of week
as cron has them) in the schedule's time zone, so "9:00 on Mondays" stays 9:00 local across daylight-saving
changes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import cronsim

from wfc.commands import WorkflowDef
from wfc.errors import WfcError
from wfc.runtime import queues
from wfc.runtime.admit import call_text, check_json_arguments, insert_named_start
from wfc.runtime.clock import to_datetime
from wfc.runtime.errors import QueueError
from wfc.runtime.queues import Queue
from wfc.runtime.store.protocol import ControlStore, ScheduleRow

log = logging.getLogger("wfc.schedules")

OVERLAP = ("skip", "queue", "allow")
CATCH_UP = ("latest", "all", "none")
MAX_CATCH_UP = 1000
"""At most this many missed ticks are started by ``catch_up="all"`` (the most recent ones)."""
GRACE = 60.0
"""Seconds a tick may be late and still start under ``catch_up="none"``."""
MIN_EVERY = 1.0
_FINISHED = ("completed", "failed", "canceled")
_HINT_WHEN = 'give cron="0 9 * * MON" (minute hour day-of-month month day-of-week) or every=seconds'


@attrs.frozen
class ScheduleInfo:
    """A schedule as ``Runtime.schedules()`` lists it: its spec, and its progress (``next_at``: the next tick
    not yet handled, ``None`` when the cron expression has no more; ``last_id``: the instance its last tick
    started). ``queue``, ``priority``, ``partition_key``: the named queue each tick's instance is enqueued on."""

    name: str
    workflow: str
    cron: str | None
    every: float | None
    timezone: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    overlap: str
    catch_up: str
    paused: bool
    next_at: dt.datetime | None
    last_at: dt.datetime | None
    last_id: str | None
    queue: str | None = None
    priority: int | None = None
    partition_key: str | None = None


def info(row: ScheduleRow) -> ScheduleInfo:
    call = json.loads(row.args)
    return ScheduleInfo(
        row.name,
        row.workflow,
        row.cron,
        row.every,
        row.timezone,
        tuple(call["args"]),
        dict(call["kwargs"]),
        row.overlap,
        row.catch_up,
        bool(row.paused),
        None if row.next_at is None else to_datetime(row.next_at),
        None if row.last_at is None else to_datetime(row.last_at),
        row.last_id,
        row.queue,
        row.queue_priority,
        row.queue_partition,
    )


def _bad(message: str, hint: str) -> WfcError:
    return WfcError(message, code="WFC402", hint=hint)


def make_row(
    name: object,
    workflow: WorkflowDef | str,
    *,
    args: Sequence[Any],
    kwargs: Mapping[str, Any] | None,
    cron: str | None,
    every: float | dt.timedelta | None,
    timezone: str,
    overlap: str,
    catch_up: str,
    now: float,
    queue: Queue | str | None = None,
    priority: int | None = None,
    partition_key: str | None = None,
) -> ScheduleRow:
    """A new schedule's row, its spec checked (each problem a ``WFC402`` with a hint; queue options without a
    queue ``WFC445``); its first tick is the first after ``now``. The queue options are checked against the
    queue by :func:`placement`, where there is a store."""
    if not isinstance(name, str) or not name or len(name) > 200 or "@" in name:
        raise _bad(
            f"a schedule's name is 1 to 200 characters without '@', not {name!r}"[:200],
            "name it for what it starts: `nightly-report` (its instances are named <name>@<tick>)",
        )
    key = workflow.key if isinstance(workflow, WorkflowDef) else workflow  # its stable name or module path
    if not isinstance(key, str) or not key:
        raise _bad("a schedule starts a workflow: give its definition or its name", "schedule(name, my_workflow, ...)")
    if (cron is None) == (every is None):
        raise _bad("a schedule needs exactly one of cron= and every=", _HINT_WHEN)
    if isinstance(every, dt.timedelta):
        every = every.total_seconds()
    if every is not None and (
        not isinstance(every, int | float) or isinstance(every, bool) or not math.isfinite(every) or every < MIN_EVERY
    ):
        raise _bad(f"every= is a number of seconds >= {MIN_EVERY:g}, not {every!r}", _HINT_WHEN)
    if not isinstance(timezone, str):
        raise _bad(f"timezone= is a zone name such as 'Europe/Berlin', not {timezone!r}", "use an IANA zone name")
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _bad(f"unknown time zone {timezone!r}", "use an IANA zone name: 'UTC', 'Europe/Berlin'") from None
    if cron is not None:
        if not isinstance(cron, str):
            raise _bad(f"cron= is a cron expression, not {cron!r}", _HINT_WHEN)
        try:
            cronsim.CronSim(cron, dt.datetime.fromtimestamp(now, zone))
        except cronsim.CronSimError as exc:
            raise _bad(f"cron expression {cron!r} is not valid: {exc}", _HINT_WHEN) from None
    if overlap not in OVERLAP:
        raise _bad(f"overlap= is one of {', '.join(OVERLAP)}, not {overlap!r}", "the default is 'skip'")
    if catch_up not in CATCH_UP:
        raise _bad(f"catch_up= is one of {', '.join(CATCH_UP)}, not {catch_up!r}", "the default is 'latest'")
    arguments = tuple(args)
    options = dict(kwargs or {})
    check_json_arguments(f"schedule {name!r}", arguments, options)
    if queue is None:
        queues.no_queue_options(priority, partition_key, None)
    elif not isinstance(queue, Queue | str) or not queue:
        raise QueueError(f"queue= takes a wfc.Queue or a queue's name, not {queue!r}")
    row = ScheduleRow(
        name, key, call_text(arguments, options), cron, None if every is None else float(every), timezone,
        overlap, catch_up, 0, None, None, None, now, now,
        queue.name if isinstance(queue, Queue) else queue, priority, partition_key,
    )  # fmt: skip
    row.next_at = next_tick(row, now)
    return row


def placement(
    store: ControlStore, row: ScheduleRow, now: float, queue: Queue | None = None
) -> queues.Placement | None:
    """Where the schedule's instances go in its queue (``None``: no queue), the queue's row locked to this
    transaction (inside one): its options checked as ``rt.start`` checks them (``WFC445``). ``queue``: the
    :class:`Queue` the schedule was given, recorded as a start with it records it."""
    if row.queue is None:
        return None
    qrow = queues.resolve(store, queue if queue is not None else row.queue, now)
    return queues.place(qrow, row.queue_priority, row.queue_partition, None)


def next_tick(row: ScheduleRow, after: float) -> float | None:
    """The schedule's first tick strictly after ``after`` (``None``: a cron expression with no more)."""
    if row.every is not None:  # ticks at whole multiples of `every` since the epoch: every=60 on the minute
        tick = (math.floor(after / row.every) + 1) * row.every
        return tick if tick > after else tick + row.every
    assert row.cron is not None
    zone = zoneinfo.ZoneInfo(row.timezone)
    start = dt.datetime.fromtimestamp(math.floor(after), zone)
    try:
        nxt = next(cronsim.CronSim(row.cron, start))
    except StopIteration:
        return None
    return nxt.timestamp()


def tick_id(name: str, tick: float) -> str:
    """The id of the instance a tick starts: the schedule's name and the tick, in UTC."""
    return f"{name}@{dt.datetime.fromtimestamp(tick, dt.UTC):%Y-%m-%dT%H:%M:%SZ}"


def _missed(row: ScheduleRow, now: float) -> list[float]:
    """The due ticks, oldest first (at most ``MAX_CATCH_UP + 1``: the oldest ones are dropped)."""
    out: list[float] = []
    tick = row.next_at
    while tick is not None and tick <= now:
        out.append(tick)
        if len(out) > MAX_CATCH_UP:
            del out[0]
            if row.every is not None:  # jump ahead: the ticks of an interval are known without walking them
                skip = math.floor((now - tick) / row.every) - MAX_CATCH_UP
                if skip > 0:
                    tick += skip * row.every
        tick = next_tick(row, tick)
    return out


def fire(store: ControlStore, now: float, limit: int = 100) -> int:
    """Handle every due tick (call it outside a transaction); returns the instances started."""
    started = 0
    with store.transaction():
        for row in store.due_schedules(now, limit):
            started += _fire(store, row, now)
    return started


def _fire(store: ControlStore, row: ScheduleRow, now: float) -> int:
    due = _missed(row, now)
    if not due:
        return 0
    if row.catch_up == "latest":
        chosen = due[-1:]
    elif row.catch_up == "none":
        chosen = [t for t in due[-1:] if now - t <= GRACE]
    else:
        chosen = due[-MAX_CATCH_UP:]
    started = 0
    next_at = next_tick(row, due[-1])
    try:
        where = placement(store, row, now)
    except WfcError as exc:  # the queue was declared again since, without what the schedule asks of it
        log.error("schedule %s: its ticks up to %s start nothing: %s", row.name, tick_id(row.name, due[-1]), exc)
        chosen, where = [], None
    for tick in chosen:
        running = row.last_id is not None and store.instance_state(row.last_id) not in (None, *_FINISHED)
        if running and row.overlap == "skip":
            log.info("schedule %s: tick %s skipped, %s is still running", row.name, tick_id(row.name, tick),
                     row.last_id)  # fmt: skip
            continue
        if running and row.overlap == "queue":
            next_at = tick  # still due: it starts once the previous instance has ended, later ticks after it
            break
        iid = tick_id(row.name, tick)
        if insert_named_start(store, iid, row.workflow, row.args, now, queue=where) is not None:
            started += 1
        row.last_id, row.last_at = iid, tick
    row.next_at = next_at
    row.updated_at = now
    store.put_schedule(row)
    return started


# ---- schedules declared in code (@wfc.schedule) -----------------------------------------------------------------

_DECLARED: dict[str, dict[str, Any]] = {}

_SPEC = ("workflow", "args", "cron", "every", "timezone", "overlap", "catch_up", "queue", "queue_priority",
         "queue_partition")  # fmt: skip


def declare(name: str, workflow: WorkflowDef, **spec: Any) -> None:
    """Remember a schedule declared on a workflow; :func:`install` writes it when a worker starts."""
    row = make_row(name, workflow, now=0.0, **spec)  # its problems are reported where it is declared
    queue = spec.get("queue")
    if isinstance(queue, Queue | str) and (isinstance(queue, Queue) or queues.is_declared(queue)):
        # (a name this process does not declare is checked when a worker installs the schedule)
        queues.place(queues.declared_row(queue, 0.0), row.queue_priority, row.queue_partition, None)
    if name in _DECLARED and _DECLARED[name]["workflow"] is not workflow:
        raise _bad(f"two workflows declare schedule {name!r}", "give each @wfc.schedule its own name=")
    _DECLARED[name] = {"workflow": workflow, **spec}


def install(store: ControlStore, now: float) -> None:
    """Write the declared schedules: a new one, or one whose spec changed (its next tick counted from now; its
    paused flag and last instance kept); an unchanged one keeps its progress. One whose queue options the
    database's queue refuses (``WFC445``: a queue named, not declared, in this process) is not written; the others
    are, and then the first such error is raised."""
    refused: list[WfcError] = []
    for name, spec in sorted(_DECLARED.items()):
        row = make_row(name, now=now, **spec)
        try:
            _install(store, row, spec, now)
        except QueueError as exc:
            log.error("schedule %s is not installed: %s", name, exc)
            refused.append(exc)
    if refused:
        raise refused[0]


def _install(store: ControlStore, row: ScheduleRow, spec: dict[str, Any], now: float) -> None:
    name = row.name
    with store.transaction():
        old = store.get_schedule(name, lock=True)
        queue = spec.get("queue")
        placement(store, row, now, queue if isinstance(queue, Queue) else None)
        if old is not None and all(getattr(old, f) == getattr(row, f) for f in _SPEC):
            return
        if old is not None:
            row.paused, row.last_id, row.last_at, row.created_at = (
                old.paused, old.last_id, old.last_at, old.created_at
            )
            row.next_at = next_tick(row, now)
        store.put_schedule(row)


def schedule(
    cron: str | None = None,
    *,
    every: float | dt.timedelta | None = None,
    name: str | None = None,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    timezone: str = "UTC",
    overlap: str = "skip",
    catch_up: str = "latest",
    queue: Queue | str | None = None,
    priority: int | None = None,
    partition_key: str | None = None,
) -> Callable[[WorkflowDef], WorkflowDef]:
    """Declare a schedule on a workflow, above ``@wfc.workflow``: every worker that imports the module installs
    it when it starts (``name`` defaults to the workflow's name). See :meth:`wfc.Runtime.schedule`."""

    def apply(workflow: WorkflowDef) -> WorkflowDef:
        if not isinstance(workflow, WorkflowDef):
            raise _bad(
                "@wfc.schedule goes above @wfc.workflow", "@wfc.schedule('0 9 * * MON')\\n@wfc.workflow\\ndef report(): ..."
            )
        declare(
            name or workflow.name, workflow, args=args, kwargs=kwargs, cron=cron, every=every,
            timezone=timezone, overlap=overlap, catch_up=catch_up, queue=queue, priority=priority,
            partition_key=partition_key,
        )  # fmt: skip
        return workflow

    return apply
