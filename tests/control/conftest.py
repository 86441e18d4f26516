from __future__ import annotations

from collections.abc import Iterator

import pytest

import wfc
from wfc.testing import FakeClock

from . import flows


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rt(clock: FakeClock) -> Iterator[wfc.Runtime]:
    flows.reset()
    runtime = wfc.Runtime("sqlite:///:memory:", clock=clock)
    with runtime.db() as db:
        db.execute("CREATE TABLE ledger (key TEXT, value INTEGER)")
    yield runtime
    runtime.close()
