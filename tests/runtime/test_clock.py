"""The runtime's clock keeps whole microseconds, so a timer's due time shows in ``wfc.now()`` exactly the
duration after the transition that set it (``sleep(0.2)`` is 0.2 s, never 0.200001 s)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from wfc.runtime.clock import SystemClock, to_datetime


def test_system_clock_reads_whole_microseconds() -> None:
    clock = SystemClock()
    for _ in range(1000):
        t = clock.now()
        assert round(t, 6) == t


@given(
    start=st.integers(min_value=1_600_000_000_000_000, max_value=2_100_000_000_000_000),
    micros=st.integers(min_value=0, max_value=40 * 86_400 * 1_000_000),
)
def test_a_duration_after_a_clock_reading_is_exact_in_datetimes(start: int, micros: int) -> None:
    at = round(start / 1e6, 6)  # what SystemClock.now() returns
    seconds = micros / 1e6  # a sleep in whole microseconds, as a user writes it (0.2, 1.5, 3600)
    due = at + seconds  # how a timer's due time is computed
    before, after = to_datetime(at), to_datetime(due)
    assert before is not None and after is not None
    assert after - before == dt.timedelta(microseconds=micros)
