from __future__ import annotations

from collections.abc import Iterator

import pytest

import wfc
from wfc.testing import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rt(clock: FakeClock) -> Iterator[wfc.Runtime]:
    runtime = wfc.Runtime("sqlite:///:memory:", clock=clock)
    yield runtime
    runtime.close()
