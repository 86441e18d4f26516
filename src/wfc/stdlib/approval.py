"""Waiting for a person: ``decision = yield from wait_for_approval(notify=email_approver, remind_every=...)``.

A child workflow, :func:`approval`, calls ``notify`` (a step of yours) with a :class:`Notice` of kind
``"request"``, waits for the approval event, calls ``notify`` again with a ``"reminder"`` every ``remind_every``
seconds (counted from the start, so a slow ``notify`` does not push the reminders later), and gives up at the
timeout. It returns a :class:`Decision` either way: a timeout is an outcome of waiting for a person, not an error.

**Where the approver sends the event.** The event goes to the approval's own instance (a child workflow waits for
events sent to it, never for its parent's): inside ``notify``, ``wfc.step_context().workflow_id`` is that id —
put it in the link you send. ``rt.status(parent).children`` shows it too, and ``rt.start(approval, ...)`` runs an
approval on its own.

The event's value decides: ``True`` or ``{"approved": True, ...}`` approves, anything else rejects; the value is
kept in ``Decision.value`` (a comment, who decided).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs

import wfc
from wfc.commands import ChildCall, StepDef
from wfc.errors import WfcError
from wfc.stdlib import _checks

CODE = "WFC482"


@attrs.frozen
class Notice:
    """What ``notify`` is called with: the first request (``number`` 0) or reminder ``number`` 1, 2, ..."""

    kind: Literal["request", "reminder"]
    number: int
    event: str
    """The event name the approval waits for."""
    subject: Any
    """What is to be approved, as the workflow gave it."""
    deadline: dt.datetime


@attrs.frozen
class Decision:
    approved: bool
    value: Any
    """The event's value (``None`` when it timed out)."""
    timed_out: bool
    reminders: int
    """How many reminders were sent."""
    at: dt.datetime
    """When it was decided (or timed out)."""


def approved(value: Any) -> bool:
    """``True``, or a mapping whose ``"approved"`` is ``True``: anything else (``False``, a refusal, a typo)
    does not approve."""
    return value is True or (isinstance(value, dict) and value.get("approved") is True)


def wait_for_approval(
    *,
    timeout: float | dt.timedelta,
    notify: StepDef[[Notice], Any] | None = None,
    remind_every: float | dt.timedelta | None = None,
    event: str = "approval",
    subject: Any = None,
) -> ChildCall[Decision]:
    """The command that waits up to ``timeout`` for the event ``event``, calling ``notify`` once at the start
    and every ``remind_every`` seconds after (no reminders when ``None``); gives a :class:`Decision`."""
    where = "wfc.stdlib.wait_for_approval()"
    limit = _checks.seconds(timeout, "timeout", CODE, where=where)
    every = None if remind_every is None else _checks.seconds(remind_every, "remind_every", CODE, where=where)
    if notify is not None:
        notify = _checks.step_def(notify, "notify", CODE, where=where)
    elif every is not None:
        raise WfcError(
            f"{where}: remind_every needs a notify step to send the reminders",
            code=CODE,
            hint="pass notify=your_step (called with a wfc.stdlib.Notice), or leave remind_every out",
        )
    if not isinstance(event, str) or not event:
        raise WfcError(f"{where}: event must be a non-empty event name, not {event!r}", code=CODE,
                       hint='for example event="approval"')  # fmt: skip
    return approval(limit, notify, every, event, subject)


@wfc.workflow(name="wfc.stdlib.approval")
def approval(
    timeout: float, notify: StepDef[[Notice], Any] | None, remind_every: float | None, event: str, subject: Any
) -> wfc.Workflow[Decision]:
    """Wait for an approval; see :func:`wait_for_approval`."""
    start = wfc.now()
    deadline = start + dt.timedelta(seconds=timeout)
    if notify is not None:
        yield from notify(Notice("request", 0, event, subject, deadline))
    sent = 0
    while True:
        wake = deadline
        if remind_every is not None:
            wake = min(deadline, start + dt.timedelta(seconds=remind_every * (sent + 1)))
        try:
            value = yield from wfc.wait_event(event, timeout=max(0.0, (wake - wfc.now()).total_seconds()))
        except wfc.Timeout:
            if wfc.now() >= deadline:
                return Decision(False, None, True, sent, wfc.now())
            sent += 1
            if notify is not None:
                yield from notify(Notice("reminder", sent, event, subject, deadline))
            continue
        return Decision(approved(value), value, False, sent, wfc.now())
