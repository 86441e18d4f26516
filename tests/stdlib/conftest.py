from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg import store_urls

from .server import Server, serving

url = store_urls("stdlib")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serving() as s:
        yield s
