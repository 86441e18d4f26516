"""What the runtime reports: an instance's :class:`Status`, its :class:`HistoryRecord`\\ s, pages of a listing,
and the :class:`Completion` an ``on_complete`` handler receives. Frozen values, safe to keep and compare."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs


class WorkflowState(enum.StrEnum):
    """Where an instance is: ``enqueued`` (started on a named queue, waiting for its limits to let it in: see
    :class:`wfc.Queue`), ``running`` (a step or transition is due or in progress), ``sleeping`` (only timers
    pending), ``waiting`` (for an event or a child workflow), or ended: ``completed``, ``failed``, ``canceled``.

    A ``str``: ``state == "waiting"`` holds, and it prints, formats and serializes (JSON) as its value."""

    ENQUEUED = "enqueued"
    RUNNING = "running"
    SLEEPING = "sleeping"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def finished(self) -> bool:
        return self in (WorkflowState.COMPLETED, WorkflowState.FAILED, WorkflowState.CANCELED)


@attrs.frozen
class Outstanding:
    """One command the instance waits on: a step, timer, event or child workflow.

    ``path`` is its place inside ``all_of``/``any_of`` (``"1.0"``; ``""`` for a lone command), ``due`` when it
    runs or times out, ``child_id`` the child instance of a child workflow call; ``last_error`` and ``traceback``
    are the last failed attempt's, while a step is retried."""

    kind: str
    name: str
    path: str
    attempts: int = 0
    due: dt.datetime | None = None
    last_error: str | None = None
    child_id: str | None = None
    traceback: str | None = None


@attrs.frozen
class Status:
    """An instance at one moment. ``state_id`` is the state it is suspended at (``None`` when not suspended);
    ``blocked`` says why it cannot move (a table version or step this deployment does not ship), ``error`` why it
    failed. ``updated_at``: when it last moved (a transition, or an outcome that arrived for it, such as an event).
    ``stalled`` says no live worker will move it: ``WFC437: ...`` when live workers serve the database but none
    serves its workflow or version (from the workers' registry), ``WFC436: ...`` when work of it has been due for
    a long time and nothing claimed it (a worker that lacks its workflow would have made it ``blocked``).
    ``traceback``: where a failed instance failed (its workflow code's own file and line, and the step's or
    child's traceback it did not catch). ``cancel_requested``: when a graceful ``cancel`` was asked for (the
    instance runs its cleanup until ``wfc.Canceled`` ends it). ``run``: which run of the instance this is (1, then
    one more each time it returned ``wfc.continue_as_new(...)``; the history holds the current run's records).
    ``queue``: the named queue it was started on; ``queue_position`` while it is ``enqueued``, its place in that
    queue's line (1: admitted next)."""

    id: str
    workflow: str
    state: WorkflowState
    state_id: str | None
    outstanding: tuple[Outstanding, ...]
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None = None
    table_hash: str = ""
    parent_id: str | None = None
    error: str | None = None
    blocked: str | None = None
    stalled: str | None = None
    traceback: str | None = None
    cancel_requested: dt.datetime | None = None
    run: int = 1
    queue: str | None = None
    queue_position: int | None = None

    @property
    def finished(self) -> bool:
        return self.state.finished

    @property
    def children(self) -> tuple[str, ...]:
        """The ids of the child workflows it waits for (they are running)."""
        return tuple(o.child_id for o in self.outstanding if o.child_id is not None)


@attrs.frozen
class AttemptRecord:
    """One failed attempt of a step: its number (from 1), what it raised (``ValueError: bad``), its traceback (the
    step's own frames), when it ended and when it started (``None`` for an attempt recorded by a wfc that did not
    keep it). See :attr:`HistoryRecord.failed_attempts`."""

    attempt: int
    error: str
    traceback: str | None = None
    finished_at: dt.datetime | None = None
    started_at: dt.datetime | None = None


@attrs.frozen
class HistoryRecord:
    """One step (or timer, event wait, child workflow) of an instance.

    ``seq`` numbers the instance's suspensions, ``path`` is the place inside ``all_of``/``any_of``; ``status`` is
    ``pending``, ``completed``, ``failed`` or ``canceled``. ``error`` describes the failure (``ValueError: bad``).
    ``state_id`` is where the workflow was suspended when it issued the command. ``child_id``: the instance a
    child workflow call started. ``started_at``: when its first attempt started (a child: when it was started).
    ``traceback``: the failed (last) attempt's traceback, in the step's own code.

    ``failed_attempts``: the step's attempts that failed (also when a later one succeeded), oldest first, each with
    its error, traceback, start and end. Kept bounded (a step retried for months does not grow its record): the
    first three and the last three in full, and ``failed_attempts_omitted`` counts those left out between them."""

    seq: int
    path: str
    kind: str
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    status: str
    result: Any = None
    error: str | None = None
    attempts: int = 0
    scheduled_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    state_id: str | None = None
    child_id: str | None = None
    traceback: str | None = None
    failed_attempts: tuple[AttemptRecord, ...] = ()
    failed_attempts_omitted: int = 0


@attrs.frozen
class Page:
    """A page of :meth:`Runtime.list`: ``items`` and the ``cursor`` for the next page (``None`` at the end)."""

    items: tuple[Status, ...]
    cursor: str | None = None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@attrs.frozen
class Completion:
    """What ``on_complete(workflow_id, completion, context)`` receives: ``state`` is ``completed`` (``value`` is
    the result), ``failed`` (``error`` describes it) or ``canceled``."""

    state: str
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "completed"
