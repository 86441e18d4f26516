"""Argument checks shared by the stdlib helpers.

The helpers are called inside a workflow, where a bad argument must fail at the call that made it (its line in
the workflow's traceback), not later inside a child workflow whose history nobody reads: so each public helper
checks what it is given before it builds its command, and raises a :class:`wfc.WfcError` whose code names the
helper (docs/errors.md, ``WFC480``-``WFC484``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from wfc.commands import StepDef, WorkflowDef
from wfc.errors import WfcError

MAX_SECONDS = 100 * 365 * 24 * 3600.0
"""The longest duration a helper accepts (the runtime's own limit on a timer)."""


def seconds(value: object, what: str, code: str, *, where: str, zero: bool = False) -> float:
    """``value`` (a number of seconds or a ``timedelta``) as a float; above zero unless ``zero`` allows it."""
    if isinstance(value, dt.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WfcError(
            f"{where}: {what} must be a number of seconds or a timedelta, not {type(value).__name__}",
            code=code,
            hint=f"for example {what}=60 or {what}=timedelta(minutes=1)",
        )
    number = float(value)
    low_ok = number >= 0 if zero else number > 0
    if math.isnan(number) or not low_ok or number > MAX_SECONDS:
        bound = "at least 0" if zero else "more than 0"
        raise WfcError(
            f"{where}: {what} must be {bound} seconds and at most about 100 years, not {value!r}",
            code=code,
            hint=f"give a real duration, e.g. {what}=60",
        )
    return number


def step_def(value: object, what: str, code: str, *, where: str) -> StepDef[..., Any]:
    """``value`` if it is a ``@wfc.step`` (or ``@wfc.transaction``); the helper will call it by its key."""
    if isinstance(value, StepDef):
        return value
    if isinstance(value, WorkflowDef):
        shown = f"workflow {value.name}"
    else:
        shown = type(value).__name__ if not callable(value) else f"the plain function {_name(value)}"
    raise WfcError(
        f"{where}: {what} must be a @wfc.step, not {shown}",
        code=code,
        hint="a helper persists what it calls, and a function cannot be persisted; a step is stored by its key: "
        f"decorate {what} with @wfc.step (module level) and pass the step itself, not a call of it",
    )


def whole(value: object, what: str, code: str, *, where: str, low: int = 1) -> int:
    """``value`` as a whole number ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise WfcError(
            f"{where}: {what} must be a whole number >= {low}, not {value!r}",
            code=code,
            hint=f"for example {what}={max(low, 10)}",
        )
    return value


def _name(fn: object) -> str:
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))
