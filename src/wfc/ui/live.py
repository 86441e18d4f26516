"""Live pages: server-sent events (``GET /api/live``) that say "this changed, fetch it again".

One :class:`Hub` per app subscribes to the store's wake-ups (:meth:`Store.subscribe`: PostgreSQL's
``LISTEN/NOTIFY``, SQLite's datagrams between the processes on one file), which another process sends when it
makes work claimable — a new instance, an event, a retry, a timer, a cancel; the dashboard's own actions poke it
too. A wake-up costs each open page one read: its list query (one indexed page) or its instance's row and
current suspension, compared with what the page last saw. Some changes send no wake-up (an instance that ends,
a step that completes into an event wait), so each page also looks once per ``tick`` (default 2 s): one read
per open page, never one per instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from wfc.errors import WfcError
from wfc.runtime.store.protocol import Store

KEEPALIVE = 15.0


class Hub:
    """Wake-ups from the store, fanned out to the event loop: :meth:`wait` returns at the next one."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.generation = 0

    def start(self) -> None:
        """Subscribe, on the running event loop (at the app's startup, or at the first live page of an app mounted
        where its lifespan does not run)."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._unsubscribe = self.store.subscribe(self._from_thread)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._loop = None

    def _from_thread(self) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(self.poke)

    def poke(self) -> None:
        """Something changed (on the event loop's thread)."""
        self.generation += 1
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        changed = self._changed
        if changed is None:
            await asyncio.sleep(timeout)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)


async def endpoint(request: Request) -> Response:
    """``?instance=ID``: that instance's page; ``?queue_page=NAME`` (and ``partition``, ``limit``): a queue's page; ``?queues=1``: the queues' page;
    otherwise the list's filters (as ``/api/instances`` takes them)."""
    from wfc.ui.app import _limit, error_response, list_query

    service = request.app.state.service
    hub: Hub = request.app.state.hub
    tick: float = request.app.state.tick
    instance = request.query_params.get("instance")
    queue = request.query_params.get("queue_page")
    try:
        if request.query_params.get("queues"):
            from wfc.ui import queue_view

            def look() -> str:
                return json.dumps(queue_view.queues(service), sort_keys=True)
        elif queue:
            from wfc.ui import queue_view

            partition = request.query_params.get("partition") or None
            limit = _limit(request, queue_view.LINE)
            await anyio.to_thread.run_sync(lambda: queue_view.queue(service, queue, partition, limit))  # 404 now

            def look() -> str:
                # the page's own data (a few indexed reads): its counts, its line and the admissions in its window
                data = queue_view.queue(service, queue, partition, limit)
                data.pop("now")
                return json.dumps(data, sort_keys=True)
        elif instance:
            await anyio.to_thread.run_sync(service.status, instance)  # WFC420 now, not in the stream

            def look() -> str:
                return str(service.fingerprint(instance))
        else:
            f = await anyio.to_thread.run_sync(lambda: service.filter_of(**list_query(request)))
            limit, cursor = _limit(request), request.query_params.get("cursor")

            def look() -> str:
                return str(service.list_fingerprint(f, limit, cursor))
    except WfcError as exc:
        return error_response(exc)

    hub.start()

    async def stream() -> AsyncIterator[str]:
        seen = await anyio.to_thread.run_sync(look)
        yield "retry: 2000\n\n"
        quiet = 0.0
        while True:
            await hub.wait(tick)
            now = await anyio.to_thread.run_sync(look)
            if now != seen:
                seen = now
                quiet = 0.0
                yield "event: change\ndata: {}\n\n"
            else:
                quiet += tick
                if quiet >= KEEPALIVE:
                    quiet = 0.0
                    yield ": keepalive\n\n"

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
