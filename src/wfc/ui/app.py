"""The dashboard as an ASGI application: :func:`create_app` (what ``wfc ui`` serves, and what a service mounts).

Routes: the HTML pages (:mod:`wfc.ui.pages`), the JSON API under ``/api`` (schema: ``/api/openapi.json``), live
updates as server-sent events (``/api/live``, :mod:`wfc.ui.live`) and the packaged assets under ``/static``.
Every store call runs on a worker thread (``anyio.to_thread``), never on the event loop.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from wfc.commands import WorkflowDef
from wfc.errors import WfcError
from wfc.runtime.clock import Clock
from wfc.runtime.errors import UnknownInstance
from wfc.runtime.runtime import Runtime
from wfc.ui import live, openapi, pages, queue_pages, queue_view, webhooks
from wfc.ui.queue_view import UnknownQueue
from wfc.ui.security import Gate
from wfc.ui.service import Service, plain

STATIC = Path(__file__).parent / "static"
_STATUS = {"WFC420": 404, "WFC471": 403, "WFC433": 409, "WFC430": 409, "WFC421": 409, "WFC440": 503}


async def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))


def error_response(exc: WfcError) -> JSONResponse:
    code = exc.code or "WFC499"
    status = _STATUS.get(code, 400 if code.startswith(("WFC1", "WFC2", "WFC3", "WFC4")) else 500)
    if isinstance(exc, UnknownQueue):  # WFC445 is also bad queue options (400): an unknown name is a 404
        status = 404
    body = {
        "error": {
            "code": code,
            "message": exc.message if hasattr(exc, "message") else str(exc),
            "hint": getattr(exc, "hint", None),
        }
    }
    return JSONResponse(body, status_code=status)


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise WfcError("the body is not valid JSON", code="WFC402") from None
    if not isinstance(body, dict):
        raise WfcError("the body must be a JSON object", code="WFC402")
    return body


def list_query(request: Request) -> dict[str, Any]:
    """The list's filters, as the page's form and the API name them."""
    q = request.query_params
    states: list[str] = []
    for value in q.getlist("state"):
        states += [s for s in value.split(",") if s]
    return {
        "workflow": q.get("workflow") or None,
        "states": tuple(dict.fromkeys(states)),
        "parent": q.get("parent") or None,
        "id_prefix": q.get("id_prefix") or None,
        "created_from": q.get("created_from") or None,
        "created_to": q.get("created_to") or None,
        "queue": q.get("queue") or None,
    }


def _limit(request: Request, default: int = 50) -> int:
    text = request.query_params.get("limit")
    if text is None or text == "":
        return default
    if not text.isdigit():
        raise WfcError(f"limit must be a number, not {text[:20]!r}", code="WFC402")
    return int(text)


def _api(fn: Callable[[Request], Any]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        try:
            out = await fn(request)
        except WfcError as exc:
            return error_response(exc)
        return out if isinstance(out, Response) else JSONResponse(plain(out))

    return endpoint


# ---- the JSON API ---------------------------------------------------------------------------------------------


@_api
async def api_list(request: Request) -> Any:
    service = _service(request)
    f = await run(service.filter_of, **list_query(request))
    page = await run(service.page, f, _limit(request), request.query_params.get("cursor"))
    page["counts"] = await run(service.counts, f)
    return page


@_api
async def api_status(request: Request) -> Any:
    return await run(_service(request).status, request.path_params["id"])


@_api
async def api_history(request: Request) -> Any:
    return await run(_service(request).history, request.path_params["id"])


@_api
async def api_variables(request: Request) -> Any:
    return await run(_service(request).variables, request.path_params["id"])


@_api
async def api_graph(request: Request) -> Any:
    svg = await run(pages.instance_svg, _service(request), request.path_params["id"])
    if svg is None:
        raise WfcError(
            "the instance's table version is not saved in the database (yet)",
            code="WFC435",
            hint="a worker saves it when it first runs the instance",
        )
    return Response(svg, media_type="image/svg+xml")


@_api
async def api_workflows(request: Request) -> Any:
    return await run(_service(request).workflows)


@_api
async def api_queues(request: Request) -> Any:
    return await run(queue_view.queues, _service(request))


@_api
async def api_queue(request: Request) -> Any:
    q = request.query_params
    partition = q.get("partition") or None
    limit = _limit(request, queue_view.LINE)
    return await run(queue_view.queue, _service(request), request.path_params["name"], partition, limit)


@_api
async def api_diff(request: Request) -> Any:
    q = request.query_params
    diff = await run(_service(request).diff, q.get("old", ""), q.get("new", ""))
    return {"old": diff.old_hash, "new": diff.new_hash, "changes": diff.changes, "text": diff.render()}


@_api
async def api_csrf(request: Request) -> Any:
    return {"csrf": request.scope["state"]["csrf"], "read_only": _service(request).read_only}


@_api
async def api_start(request: Request) -> Any:
    body = await _json_body(request)
    args, kwargs = body.get("args", []), body.get("kwargs", {})
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise WfcError("args must be a JSON array and kwargs a JSON object", code="WFC402")
    iid = await run(_service(request).start, body.get("workflow"), args, kwargs, body.get("id"))
    request.app.state.hub.poke()
    return JSONResponse({"id": iid}, status_code=201)


@_api
async def api_event(request: Request) -> Any:
    body = await _json_body(request)
    sent = await run(
        _service(request).send_event,
        request.path_params["id"],
        body.get("name"),
        body.get("value"),
        body.get("error"),
        body.get("event_id"),
    )
    request.app.state.hub.poke()
    return {"sent": sent}


@_api
async def api_cancel(request: Request) -> Any:
    body = await _json_body(request)
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise WfcError("force must be true or false", code="WFC402")
    outcome = await run(_service(request).cancel, request.path_params["id"], force)
    request.app.state.hub.poke()
    return {"canceled": outcome == "canceled", "outcome": outcome}


def _from_step(body: dict[str, Any]) -> int | str:
    step = body.get("from_step")
    if isinstance(step, bool) or not isinstance(step, int | str):
        raise WfcError("from_step must be a step's seq (a number) or a command's name", code="WFC402")
    return step


@_api
async def api_restart(request: Request) -> Any:
    body = await _json_body(request)
    out = await run(_service(request).restart, request.path_params["id"], _from_step(body))
    request.app.state.hub.poke()
    return {"id": out}


@_api
async def api_fork(request: Request) -> Any:
    body = await _json_body(request)
    out = await run(_service(request).fork, request.path_params["id"], _from_step(body), body.get("new_id"))
    request.app.state.hub.poke()
    return {"id": out}


@_api
async def hook(request: Request) -> Any:
    """``POST /hooks/TOKEN``: a webhook delivery (:mod:`wfc.ui.webhooks`)."""
    secret: str = request.app.state.webhook_secret
    instance_id, event, nonce = webhooks.read_token(secret, request.path_params["token"])
    raw = await request.body()
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        value = raw.decode("utf-8", errors="replace")
    sent = await run(_service(request).send_event, instance_id, event, value, None, f"webhook:{nonce}")
    request.app.state.hub.poke()
    return {"sent": sent}


async def api_openapi(request: Request) -> Response:
    return JSONResponse(openapi.schema())


# ---- pages ----------------------------------------------------------------------------------------------------


def _page(fn: Callable[[Request], Any]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        try:
            return await fn(request)  # type: ignore[no-any-return]
        except (UnknownInstance, UnknownQueue) as exc:
            return pages.error_page(request, 404, exc)
        except WfcError as exc:
            return pages.error_page(request, 400, exc)

    return endpoint


def create_app(
    url: str | None = None,
    *,
    runtime: Runtime | None = None,
    read_only: bool = False,
    token: str | None = None,
    workflows: Iterable[WorkflowDef] | None = None,
    tick: float = 2.0,
    clock: Clock | None = None,
    webhook_secret: str | None = None,
) -> Starlette:
    """The dashboard over the database at ``url`` as an ASGI app (Starlette): mount it in a service
    (``Mount("/wfc", app=create_app(url, token=...))``) or serve it (``uvicorn``; ``wfc ui``).

    ``read_only``: pages and API only look (actions answer ``403``, ``WFC471``); the database is opened read-only.
    ``token``: every request must carry it (``Authorization: Bearer``, or the cookie ``?token=`` sets); required
    by ``wfc ui`` off-localhost, and wise behind any proxy. ``workflows``: the deployment (default: every
    ``@wfc.workflow`` imported), used to decode values of the application's classes. ``runtime``: an open
    :class:`wfc.Runtime` to use instead of ``url`` (not closed with the app). ``tick``: seconds between the live
    pages' checks for changes that no wake-up announces (an instance ending). ``clock``: the workers' clock
    (tests: ``wfc.testing.FakeClock``), for the times actions record. ``webhook_secret``: serve ``POST
    /hooks/TOKEN`` for the URLs :func:`wfc.ui.webhook_url` signs with it (none: no webhooks)."""
    if (url is None) == (runtime is None):
        raise WfcError("create_app() takes a database URL or a runtime", code="WFC402")
    owned = runtime is None
    rt = (
        runtime
        if runtime is not None
        else Runtime(url or "", read_only=read_only, workflows=workflows, clock=clock)
    )
    service = Service(rt)
    service.read_only = service.read_only or read_only
    hub = live.Hub(rt.store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        hub.start()
        try:
            yield
        finally:
            hub.stop()
            if owned:
                await run(service.close)

    ident = r"{id:path}"
    routes = [
        Route("/", _page(pages.list_page)),
        Route("/workflows", _page(pages.workflows_page)),
        Route(f"/instances/{ident}", _page(pages.instance_page)),
        Route("/queues", _page(queue_pages.queues_page)),
        Route("/queues/{name:path}", _page(queue_pages.queue_page)),
        Route("/api/openapi.json", api_openapi),
        Route("/api/csrf", api_csrf),
        Route("/api/live", live.endpoint),
        Route("/api/workflows", api_workflows),
        Route("/api/workflows/diff", api_diff),
        Route("/api/queues", api_queues),
        Route("/api/queues/{name:path}", api_queue),
        Route("/api/instances", api_list, methods=["GET"]),
        Route("/api/instances", api_start, methods=["POST"]),
        Route(f"/api/instances/{ident}/history", api_history),
        Route(f"/api/instances/{ident}/variables", api_variables),
        Route(f"/api/instances/{ident}/graph.svg", api_graph),
        Route(f"/api/instances/{ident}/events", api_event, methods=["POST"]),
        Route(f"/api/instances/{ident}/cancel", api_cancel, methods=["POST"]),
        Route(f"/api/instances/{ident}/restart", api_restart, methods=["POST"]),
        Route(f"/api/instances/{ident}/fork", api_fork, methods=["POST"]),
        Route(f"/api/instances/{ident}", api_status),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if webhook_secret:
        routes.append(Route("/hooks/{token}", hook, methods=["POST"]))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.service = service
    app.state.hub = hub
    app.state.tick = float(tick)
    app.state.webhook_secret = webhook_secret
    app.add_middleware(Gate, token=token, hooks=bool(webhook_secret))
    return app


__all__ = ["create_app"]
