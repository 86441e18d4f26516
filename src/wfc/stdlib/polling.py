"""Polling: ``status = yield from poll_until(job_status, (job_id,), predicate=is_finished, every=60, timeout=3600)``.

A child workflow, :func:`polling`, calls the step, asks the predicate, and sleeps ``every`` seconds (a durable
timer: a worker restart loses nothing, a long poll costs a row, not a thread) until the predicate says yes or the
time is up. It polls at once, then every ``every`` seconds, and a last time at the deadline.

The predicate is a step too: it is an argument of the child workflow, so it must be persisted, and a function
cannot be (a step is stored by its key). Without one, a truthy result ends the polling. A pure predicate costs
one more step per poll; when that matters, let the polled step return the decision itself (``None`` until done).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

import wfc
from wfc.commands import ChildCall, StepDef
from wfc.errors import WfcError
from wfc.stdlib import _checks

CODE = "WFC484"
R = TypeVar("R")


class PollTimedOut(Exception):
    """The predicate never said yes before the timeout. ``polls`` is how many polls ran, ``last`` the last
    result the step returned."""

    def __init__(self, message: str, polls: int, last: Any) -> None:
        super().__init__(message, polls, last)
        self.polls, self.last = polls, last

    def __str__(self) -> str:
        return str(self.args[0])


wfc.register_error(PollTimedOut)


def poll_until(
    step: StepDef[..., R],
    args: Sequence[Any] = (),
    *,
    predicate: StepDef[..., bool] | None = None,
    every: float | dt.timedelta,
    timeout: float | dt.timedelta,
) -> ChildCall[R]:
    """The command that polls ``step(*args)`` until ``predicate(result)`` (a step) is true — or, without a
    predicate, until the result is truthy — and gives that result; :class:`PollTimedOut` after ``timeout``."""
    where = "wfc.stdlib.poll_until()"
    polled = _checks.step_def(step, "step", CODE, where=where)
    if predicate is not None:
        predicate = _checks.step_def(predicate, "predicate", CODE, where=where)
    if not isinstance(args, list | tuple):
        raise WfcError(
            f"{where}: args must be a tuple or list of the step's arguments, not {type(args).__name__}",
            code=CODE,
            hint="for example poll_until(job_status, (job_id,), every=60, timeout=3600)",
        )
    interval = _checks.seconds(every, "every", CODE, where=where)
    limit = _checks.seconds(timeout, "timeout", CODE, where=where, zero=True)
    return polling(polled, list(args), predicate, interval, limit)


@wfc.workflow(name="wfc.stdlib.poll_until")
def polling(
    step: StepDef[..., Any], args: list[Any], predicate: StepDef[..., bool] | None, every: float, timeout: float
) -> wfc.Workflow[Any]:
    """Poll; see :func:`poll_until`."""
    deadline = wfc.now() + dt.timedelta(seconds=timeout)
    polls = 0
    while True:
        polls += 1
        value = yield from step(*args)
        if predicate is None:
            done = bool(value)
        else:
            done = yield from predicate(value)
        if done:
            return value
        left = (deadline - wfc.now()).total_seconds()
        if left <= 0:
            raise PollTimedOut(f"{step.name}: not done after {polls} poll(s) in {timeout:g} s", polls, value)
        yield from wfc.sleep(min(every, left))
