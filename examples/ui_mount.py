"""The wfc dashboard mounted in your own ASGI service, under ``/wfc`` (docs/ui.md). Run it with
``WFC_DB=sqlite:///app.db uvicorn --factory examples.ui_mount:main``; ``tests/ui/test_mount.py`` serves it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from wfc.ui import create_app


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def build(db_url: str, token: str | None = None, read_only: bool = False) -> Starlette:
    # Behind your own authentication, a token still guards the dashboard if a route is ever exposed by mistake.
    dashboard = create_app(db_url, token=token, read_only=read_only)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # A mounted app's own lifespan does not run by itself: enter it, so the dashboard subscribes to the
        # store's wake-ups at startup and closes its database at shutdown.
        async with dashboard.router.lifespan_context(dashboard):
            yield

    return Starlette(routes=[Route("/health", health), Mount("/wfc", app=dashboard)], lifespan=lifespan)


def main() -> Starlette:
    """``uvicorn --factory examples.ui_mount:main``: the service over ``$WFC_DB``."""
    return build(os.environ.get("WFC_DB", "sqlite:///wfc.db"), token=os.environ.get("WFC_UI_TOKEN") or None)
