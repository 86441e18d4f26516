"""The failed attempts of a step, kept beside its history row: what each raised, where, and when.

A step retried for months (``max_attempts=None``) must not grow without bound, so of a row's failed attempts the
store keeps the **first** :data:`FIRST` and the **last** :data:`LAST` in full and drops the ones in between as
newer ones fail (the first say how it started failing, the last how it fails now); the attempt numbers say how
many were dropped. Each kept attempt has when it started and ended, its error (``ValueError: bad``, at most :data:`ERROR_LIMIT` characters)
and its traceback (at most :data:`TRACEBACK_LIMIT` characters: its innermost frames, where it failed, and the
start of the exception's text), so a row's attempts take at most about 30 kB whatever their number.

Failed attempts are numbered from 1 without gaps (every attempt before the last one failed), so the number of
those dropped is the highest kept number minus the number kept. ``wfc.testing`` keeps them by the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from wfc.runtime import tracebacks
from wfc.runtime.clock import to_datetime
from wfc.runtime.records import AttemptRecord

FIRST = 3
"""Failed attempts kept from the start."""
LAST = 3
"""Failed attempts kept from the end."""
ERROR_LIMIT = 1_000
TRACEBACK_LIMIT = 4_000

Attempt = tuple[int, float | None, float, str, str | None]
"""A failed attempt as stored: (number, when it started, when it ended, error, traceback); the start is ``None``
for an attempt recorded before the schema kept it."""


def capped(error: str, traceback: str | None) -> tuple[str, str | None]:
    """An attempt's error and traceback within their limits: the error's start, the traceback's innermost frames
    and the start of its exception's text (a huge message must not push out where it failed)."""
    if len(error) > ERROR_LIMIT:
        error = error[:ERROR_LIMIT] + "…"
    if traceback is not None:
        traceback = tracebacks.cap(traceback, TRACEBACK_LIMIT, ERROR_LIMIT)
    return error, traceback


def dropped(attempt: int) -> int | None:
    """The attempt that recording failed attempt ``attempt`` pushes out of the kept ones (``None``: none)."""
    gone = attempt - LAST
    return gone if gone > FIRST else None


def keep(attempts: Sequence[Attempt]) -> list[Attempt]:
    """The ones of ``attempts`` (one row's, oldest first) the store keeps."""
    if len(attempts) <= FIRST + LAST:
        return list(attempts)
    return [*attempts[:FIRST], *attempts[-LAST:]]


def records(attempts: Iterable[Attempt]) -> tuple[tuple[AttemptRecord, ...], int]:
    """One row's kept attempts as records, oldest first, and how many failed attempts were dropped between them."""
    out = tuple(
        AttemptRecord(number, error, traceback, to_datetime(at), to_datetime(started))
        for number, started, at, error, traceback in sorted(attempts, key=lambda a: a[0])
    )
    return out, (out[-1].attempt - len(out) if out else 0)


__all__ = ["FIRST", "LAST", "Attempt", "capped", "dropped", "keep", "records"]
