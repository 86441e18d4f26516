"""The dashboard's tests: an app over a real store (SQLite file, or PostgreSQL in its own schema), a runtime that
runs the workflows of :mod:`tests.ui.flows` on the same database, and (for the browser) a real uvicorn server."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wfc
from wfc.testing import FakeClock

from .. import pg

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note that its TestClient will move to httpx2
    from starlette.testclient import TestClient


@pytest.fixture(params=["sqlite", "postgresql"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(store_kind: str, tmp_path: Path) -> Iterator[str]:
    if store_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'ui.db'}"
        return
    with pg.schema_url("ui") as u:
        yield u


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rt(url: str, clock: FakeClock) -> Iterator[wfc.Runtime]:
    runtime = wfc.Runtime(url, clock=clock)
    yield runtime
    runtime.close()


def client(app: Any, **kwargs: Any) -> TestClient:
    return TestClient(app, base_url=kwargs.pop("base_url", "http://127.0.0.1"), **kwargs)


def csrf_headers(c: TestClient, prefix: str = "") -> dict[str, str]:
    return {"X-WFC-CSRF": c.get(prefix + "/api/csrf").json()["csrf"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn serving ``app`` on a thread, at ``self.url``."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
