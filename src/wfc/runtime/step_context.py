"""What a running step may know about itself: ``wfc.step_context()``.

A step is ordinary code run at least once; a step that calls an external API often needs to know which attempt
this is (to log it, to choose a fallback on the last try) and which workflow instance it works for.
The runners set the context around each attempt — in the worker's threads, on its event loop for ``async``
steps, inside the transition for ``@wfc.transaction`` steps, and in ``wfc.testing`` — and it is the same in all
of them. It is a context variable, so threads and tasks the step starts itself see it only if they copy the
context (``contextvars.copy_context().run``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import attrs

from wfc.errors import WfcError


class CancelFlag:
    """Whether the row an attempt runs for was canceled while it runs (its instance canceled, gracefully or not,
    or its race decided without it): set by the worker that runs the attempt, read through
    :attr:`StepContext.cancel_requested`. A plain attribute (a store of a bool is atomic): the flag costs a
    step nothing until it is set. ``on_set`` cancels what runs the attempt (an ``async`` step's task)."""

    __slots__ = ("on_set", "requested")

    def __init__(self) -> None:
        self.requested = False
        self.on_set: Callable[[], object] | None = None

    def set(self) -> None:
        if not self.requested:
            self.requested = True
            if self.on_set is not None:
                self.on_set()


@attrs.frozen
class StepContext:
    """The attempt of a step that is running now."""

    workflow_id: str
    """The id of the workflow instance that called the step."""
    workflow: str
    """That workflow's name."""
    step: str
    """The step's name as the workflow called it (with ``.options(name=...)``, that name)."""
    attempt: int
    """1 for the first attempt, 2 for the first retry..."""
    max_attempts: int | None
    """The retry policy's limit (``None``: unlimited); ``attempt == max_attempts`` is the last try."""
    deadline: dt.datetime | None = None
    """When this attempt is abandoned (the step's ``timeout``; ``None``: no limit). A plain function past it
    runs on in its thread, its result ignored: a long step can check the time and stop early."""
    _cancel: CancelFlag | None = attrs.field(default=None, repr=False, eq=False, alias="cancel")

    @property
    def cancel_requested(self) -> bool:
        """``True`` once the instance this attempt works for was canceled (``rt.cancel``, graceful or forced;
        also when the ``any_of`` it raced in was decided without it) after the attempt started: its result will
        be discarded, so a long step may stop early. Live, but not instant across processes: the worker running
        the attempt sees a cancel made in its own runtime at once, one made elsewhere (another process, the CLI,
        the dashboard) at its next lease heartbeat (every ``lease / 3`` seconds). An ``async`` step is also
        cancelled (``CancelledError`` at its ``await``). In ``wfc.testing`` it is always ``False``: virtual time
        does not pass during an attempt, so no cancel can arrive during one."""
        return self._cancel is not None and self._cancel.requested


_current: ContextVar[StepContext | None] = ContextVar("wfc_step_context", default=None)


def step_context() -> StepContext:
    """The running step's :class:`StepContext`; outside a step, ``WFC406``."""
    ctx = _current.get()
    if ctx is None:
        raise WfcError(
            "wfc.step_context() can only be called inside a running step",
            code="WFC406",
            hint="call it in a function decorated with @wfc.step or @wfc.transaction (not in the workflow: "
            "the workflow knows its own calls)",
        )
    return ctx


@contextlib.contextmanager
def running(ctx: StepContext) -> Iterator[StepContext]:
    """Make ``ctx`` the step context of the code run inside (this thread or task)."""
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
