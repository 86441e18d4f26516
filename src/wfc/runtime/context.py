"""What workflow code may ask between steps: the time, random numbers, ids and a logger — deterministically.

A transition can run more than once (a crash before commit, a restart or fork), so these helpers answer from the
transition's own context, not from the machine: ``wfc.now()`` is the transition's logical time (recorded with the
work that triggered it), ``wfc.random()`` and ``wfc.uuid4()`` come from a generator seeded by the workflow id and
the transition number, and ``wfc.log`` buffers records until the transition commits, so a re-run that never
committed never logged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random as _random
import uuid as _uuid
from collections.abc import Iterator
from contextvars import ContextVar, Token
from typing import Any

import attrs

from wfc.commands import RUNNING
from wfc.errors import WfcError

logger = logging.getLogger("wfc.workflow")


@attrs.define
class TransitionContext:
    workflow_id: str
    seq: int
    now: dt.datetime
    logs: list[tuple[int, str, tuple[Any, ...]]] = attrs.field(factory=list)
    _rng: _random.Random | None = None
    statuses: dict[str, str] | None = None  # wfc.set_status: encoded values, written with the transition
    limit: int | None = None  # the runtime's max_value_size, for those values

    @property
    def rng(self) -> _random.Random:
        if self._rng is None:
            # A str seed is hashed with sha512: the same in every process (unlike hash()).
            self._rng = _random.Random(f"wfc:{self.workflow_id}:{self.seq}")
        return self._rng

    def flush_logs(self) -> None:
        """Emit the buffered records; called once the transition has committed."""
        for level, msg, args in self.logs:
            logger.log(level, f"[{self.workflow_id}] {msg}", *args)
        self.logs.clear()


# Shared with wfc.commands (which sits below the runtime): a step call outside any transition is refused there.
_current: ContextVar[TransitionContext | None] = RUNNING


@contextlib.contextmanager
def transition(ctx: TransitionContext) -> Iterator[TransitionContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def activate(ctx: TransitionContext) -> Token[TransitionContext | None]:
    """Make ``ctx`` the current transition (the fast form of :func:`transition`); undo with :func:`deactivate`."""
    return _current.set(ctx)


def deactivate(token: Token[TransitionContext | None]) -> None:
    _current.reset(token)


def current() -> TransitionContext | None:
    return _current.get()


def require(what: str) -> TransitionContext:
    ctx = _current.get()
    if ctx is None:
        raise WfcError(
            f"{what} can only be called inside a running workflow",
            code="WFC406",
            hint="outside workflows use datetime.now() / random / uuid directly; in tests, run the workflow "
            "with wfc.testing.run()",
        )
    return ctx


def now() -> dt.datetime:
    """The current time as the workflow sees it (timezone-aware UTC); the same on every re-run of a transition."""
    return require("wfc.now()").now


def random() -> float:
    """A float in [0, 1), deterministic per workflow and transition."""
    return require("wfc.random()").rng.random()


def uuid4() -> _uuid.UUID:
    """A random (version 4) UUID, deterministic per workflow and transition."""
    return _uuid.UUID(int=require("wfc.uuid4()").rng.getrandbits(128), version=4)


class WorkflowLogger:
    """``wfc.log.info("charged %s", order_id)``: logs once per committed transition, never twice.

    Outside a workflow it logs immediately, so helpers that log can be used anywhere.
    """

    def _log(self, level: int, msg: object, args: tuple[Any, ...]) -> None:
        ctx = _current.get()
        if ctx is None:
            logger.log(level, str(msg), *args)
        else:
            ctx.logs.append((level, str(msg), args))

    def debug(self, msg: object, *args: Any) -> None:
        self._log(logging.DEBUG, msg, args)

    def info(self, msg: object, *args: Any) -> None:
        self._log(logging.INFO, msg, args)

    def warning(self, msg: object, *args: Any) -> None:
        self._log(logging.WARNING, msg, args)

    def error(self, msg: object, *args: Any) -> None:
        self._log(logging.ERROR, msg, args)


log = WorkflowLogger()
