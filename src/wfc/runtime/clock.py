"""Time as the runtime sees it: a :class:`Clock` gives the time (seconds since the epoch) and waits.

Timers, leases, backoffs and ``wfc.now()`` all read the runtime's clock. :class:`SystemClock` is the real one;
:class:`FakeClock` is for tests: time stands still until you :meth:`~FakeClock.advance` it, and waiting on it
(``run_until_complete`` waiting for a timer) moves it forward at once, so an hour-long sleep takes no time.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol, runtime_checkable

EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The wall clock (``time.time``), to the microsecond; :meth:`sleep` really waits."""

    def now(self) -> float:
        # Whole microseconds, as a datetime holds them: a timer due ``seconds`` after a transition then shows
        # exactly ``seconds`` later in ``wfc.now()`` (a time between two microseconds could round either way
        # once the duration is added, making ``sleep(0.2)`` look like 0.200001 s).
        return round(time.time(), 6)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


class FakeClock:
    """A clock for tests: ``FakeClock()`` starts at 2025-01-01 UTC (or ``start``) and only moves when told.

    ``advance(seconds)`` moves it forward; ``sleep(seconds)`` does the same when ``auto_advance`` is on (the
    default), so a runtime waiting for a timer jumps straight to it. Thread-safe.
    """

    def __init__(self, start: float | dt.datetime = EPOCH, *, auto_advance: bool = True) -> None:
        self._t = start.timestamp() if isinstance(start, dt.datetime) else float(start)
        self._lock = threading.Lock()
        self.auto_advance = auto_advance

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float | dt.timedelta) -> None:
        """Move the clock forward (never back)."""
        if isinstance(seconds, dt.timedelta):
            seconds = seconds.total_seconds()
        if seconds < 0:
            raise ValueError("a FakeClock only moves forward")
        with self._lock:
            self._t += seconds

    def set(self, when: float | dt.datetime) -> None:
        """Jump to ``when`` (not earlier than now)."""
        t = when.timestamp() if isinstance(when, dt.datetime) else float(when)
        with self._lock:
            if t < self._t:
                raise ValueError("a FakeClock only moves forward")
            self._t = t

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.auto_advance:
            self.advance(seconds)
        else:
            time.sleep(min(seconds, 0.01))  # let other threads move the clock

    @property
    def datetime(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._t, dt.UTC)

    def __repr__(self) -> str:
        return f"FakeClock({self.datetime.isoformat()})"


_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def to_datetime(t: float | None) -> dt.datetime | None:
    """A stored time as a datetime. A value no datetime can hold (written by an older wfc that accepted
    ``sleep(1e308)``, or damaged) shows as the latest or earliest datetime instead of breaking every reader."""
    if t is None:
        return None
    try:
        return dt.datetime.fromtimestamp(t, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return _EARLIEST if t < 0 else _LATEST  # nan compares false: shown as the latest
