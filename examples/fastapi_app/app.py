"""A FastAPI service in front of wfc (docs/integration.md embeds this file; tests/integration/test_fastapi_app.py
runs it over HTTP). Endpoints start workflows *by name* and read them through ``wfc.AsyncClient``, as a service
without the workflows' code would; a worker runs in the same process, started and stopped by the lifespan.

    WFC_DB=sqlite:///orders.db uvicorn examples.fastapi_app.app:app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import fastapi
import pydantic

import wfc

from . import workflows  # the worker below serves them; the endpoints only name them
from .workflows import Order, Receipt


class Started(pydantic.BaseModel):
    id: str


class OrderStatus(pydantic.BaseModel):
    id: str
    state: str
    receipt: Receipt | None = None
    error: str | None = None


class Approval(pydantic.BaseModel):
    approved: bool
    by: str


def create_app(url: str) -> fastapi.FastAPI:
    @asynccontextmanager
    async def lifespan(app: fastapi.FastAPI) -> AsyncIterator[None]:
        runtime = wfc.Runtime(url, workflows=[workflows.place_order])
        worker = runtime.worker(concurrency=4)
        worker.run_in_thread()
        app.state.client = wfc.AsyncClient(url)
        try:
            yield
        finally:
            await app.state.client.close()
            worker.stop()
            runtime.close()

    app = fastapi.FastAPI(title="orders", lifespan=lifespan)

    def client(request: fastapi.Request) -> wfc.AsyncClient:
        found: wfc.AsyncClient = request.app.state.client
        return found

    @app.post("/orders", status_code=201)
    async def place(order: Order, request: fastapi.Request) -> Started:
        # JSON in, JSON out: the worker validates the arguments into an Order again (wfc.Client sends JSON).
        handle = await client(request).start("place_order", order.model_dump(mode="json"))
        return Started(id=handle.id)

    @app.get("/orders/{order_id}")
    async def status(order_id: str, request: fastapi.Request) -> OrderStatus:
        try:
            found = await client(request).status(order_id)
        except wfc.WfcError as exc:
            raise fastapi.HTTPException(404, str(exc)) from None
        out = OrderStatus(id=order_id, state=found.state.value, error=found.error)
        if found.state.value == "completed":
            out.receipt = await client(request).result(order_id)
        return out

    @app.post("/orders/{order_id}/approval", status_code=202)
    async def approve(order_id: str, approval: Approval, request: fastapi.Request) -> dict[str, Any]:
        try:
            await client(request).send_event(order_id, "approval", approval.model_dump())
        except wfc.WfcError as exc:
            raise fastapi.HTTPException(409, f"{exc.code}: {exc}") from None
        return {"sent": True}

    return app


app = create_app(os.environ.get("WFC_DB", "sqlite:///orders.db"))
