from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .. import pg


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'timeouts.db'}"
        return
    with pg.schema_url("timeouts") as schema_url:
        yield schema_url
