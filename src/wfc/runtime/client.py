"""``wfc.Client`` and ``wfc.AsyncClient``: start and watch workflows by name, without their code.

A web service in front of workers imports nothing of the workflows: ``Client(url).start("greet", "bob")``
writes the instance with its arguments as JSON values; the worker that serves ``greet`` checks them against the
workflow's signature when it picks the instance up (:mod:`wfc.runtime.admit`) and fails it with ``WFC405`` if
they do not fit. The client sends events, cancels, reads status, history and results, and waits for a result:
it sleeps on the store's wake-ups (``Store.subscribe``, sent when work becomes claimable) and, since an
instance's end usually sends none, reads one indexed row per ``poll_interval`` between them (never a tight loop).

``AsyncClient`` is the same API with ``async`` methods: each call runs on a worker thread
(``asyncio.to_thread``), so an event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import functools
import threading
import time
import uuid
from typing import Any

from wfc.commands import check_instance_id
from wfc.errors import WfcError
from wfc.runtime import queues
from wfc.runtime.admit import call_text, check_json_arguments, insert_named_start
from wfc.runtime.clock import Clock
from wfc.runtime.dburl import redact
from wfc.runtime.errors import DuplicateId, WaitTimeout
from wfc.runtime.handle import Handle
from wfc.runtime.records import HistoryRecord, Status
from wfc.runtime.runtime import Runtime

FINISHED = ("completed", "failed", "canceled")



_QUEUE_OPTIONS = ("queue", "priority", "partition_key", "dedup_id")
"""Options of ``Client.start``: a workflow started by name takes JSON arguments, so these names are never its."""


class Client:
    """Start workflows by name and follow them, from a process that has none of their code.

    ``url`` is the workers' database (``sqlite:///app.db``, ``postgresql://...``). ``poll_interval``: how often
    ``result`` looks when the store cannot notify (seconds). ``clock``: the workers' clock, in tests on a
    virtual one (``wfc.testing.FakeClock``); real time by default. ``tracing``: as ``wfc.Runtime``'s (the start
    span, whose context the instance's spans continue).
    """

    def __init__(
        self, url: str, *, poll_interval: float = 0.2, clock: Clock | None = None, tracing: Any = True
    ) -> None:
        if poll_interval <= 0:
            raise WfcError("poll_interval must be a positive number of seconds", code="WFC402")
        # A runtime that deploys nothing: it never runs workflow code, it reads and writes the store.
        self._rt = Runtime(url, workflows=[], clock=clock, tracing=tracing)
        self.store = self._rt.store
        self.poll_interval = float(poll_interval)

    def close(self) -> None:
        self._rt.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"wfc.Client({redact(self.store.url)!r})"

    def start(self, workflow: str, /, *args: Any, id: str | None = None, **kwargs: Any) -> Handle[Any]:
        """Start workflow ``workflow`` (its stable name, ``@wfc.workflow(name=...)``, or its key
        ``module:qualname``) with JSON-able arguments; returns its id as a handle. A given ``id`` makes it
        idempotent: starting the same id again returns it (``WFC430`` if it names another workflow).
        ``queue=`` (a queue's name, as a worker declared it, or a :class:`wfc.Queue`), ``priority=``,
        ``partition_key=``, ``dedup_id=``: start it on a named queue, as ``Runtime.start`` does."""
        if not isinstance(workflow, str) or not workflow:
            raise WfcError("Client.start() takes the workflow's name (a non-empty string)", code="WFC402")
        check_instance_id(id)
        queue, priority, partition_key, dedup_id = (kwargs.pop(k, None) for k in _QUEUE_OPTIONS)
        if queue is None:
            queues.no_queue_options(priority, partition_key, dedup_id)
        check_json_arguments(f"workflow {workflow!r} started by name", args, kwargs)
        iid = id or uuid.uuid4().hex
        now = self._rt.clock.now()
        store = self.store
        with self._rt.tracing.start(workflow, iid) as trace, store.transaction():
            placement = None
            if queue is not None:
                placement = queues.place(queues.resolve(store, queue, now), priority, partition_key, dedup_id)
            if insert_named_start(store, iid, workflow, call_text(args, kwargs), now, trace, placement) is None:
                existing = store.get_instance(iid)
                if existing is not None and workflow not in (existing.workflow, existing.name):
                    raise DuplicateId(
                        f"workflow id {iid!r} is already used by an instance of {existing.workflow}",
                        hint="a given id makes start idempotent for the same workflow; use another id",
                    )
        return Handle(iid, self)

    def send_event(
        self, id: str, name: str, value: Any = None, error: Any = None, *, event_id: str | None = None
    ) -> bool:
        """Send event ``name`` (a JSON-able ``value``, or an ``error`` message) to instance ``id``; with
        ``event_id``, a second event of that id is dropped (``False``; see :meth:`wfc.Runtime.send_event`)."""
        return self._rt.send_event(id, name, value, error, event_id=event_id)

    def cancel(self, id: str, *, force: bool = False) -> str:
        """Cancel instance ``id``: ``wfc.Canceled`` at its ``yield`` (its cleanup runs), or with ``force`` at
        once (see :meth:`wfc.Runtime.cancel`)."""
        return self._rt.cancel(id, force=force)

    def status(self, id: str) -> Status:
        return self._rt.status(id)

    def get_status(self, id: str, key: str, default: Any = None, *, timeout: float | None = 0.0) -> Any:
        """What instance ``id`` published under ``key`` (see :meth:`wfc.Runtime.get_status`)."""
        return self._rt.get_status(id, key, default, timeout=timeout)

    def statuses(self, id: str) -> dict[str, Any]:
        return self._rt.statuses(id)

    def history(self, id: str) -> builtins.list[HistoryRecord]:
        return self._rt.history(id)

    def result(self, id: str, timeout: float | None = None) -> Any:
        """Wait until instance ``id`` has finished and return its result, or raise its failure
        (:class:`wfc.Canceled` if canceled). ``timeout`` (seconds) raises ``WFC431`` if it has not finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        changed = threading.Event()
        stop = self.store.subscribe(changed.set)
        try:
            while True:
                inst = self._rt._instance(id)
                if inst.state in FINISHED:
                    return self._rt.result(id)
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise WaitTimeout(
                        f"workflow {id!r} did not finish within {timeout:g}s (it is {inst.state})",
                        hint="check Client.status(id): it may wait for an event, or no worker serves it",
                    )
                wait = self.poll_interval if left is None else min(self.poll_interval, left)
                changed.wait(wait)
                changed.clear()
        finally:
            stop()


class _Wakeups:
    """The store's wake-ups on the caller's event loop: ``await wait(at_most)`` returns at the next one (the
    store's listener thread sets an ``asyncio.Event`` on the loop), after ``poll_interval`` while the store cannot
    notify, and never later than ``at_most`` seconds (``None``: no bound)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.loop = asyncio.get_running_loop()
        self.changed = asyncio.Event()
        self.stop = _nothing

    def _wake(self) -> None:  # on the store's listener thread
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
            self.loop.call_soon_threadsafe(self.changed.set)

    def __enter__(self) -> _Wakeups:
        self.stop = self.client.store.subscribe(self._wake)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def wait(self, at_most: float | None) -> None:
        seconds = self.client.poll_interval if at_most is None else max(min(self.client.poll_interval, at_most), 0.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), seconds)
        self.changed.clear()


def _nothing() -> None:
    pass


class AsyncClient:
    """:class:`Client` for ``asyncio``: the same methods, awaitable."""

    def __init__(self, url: str, *, poll_interval: float = 0.2, tracing: Any = True) -> None:
        self._client = Client(url, poll_interval=poll_interval, tracing=tracing)
        self._lock = threading.Lock()  # one store connection: calls from several tasks take turns

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return fn(*args, **kwargs)

    async def start(self, workflow: str, /, *args: Any, id: str | None = None, **kwargs: Any) -> Handle[Any]:
        return await asyncio.to_thread(self._call, self._client.start, workflow, *args, id=id, **kwargs)

    async def send_event(
        self, id: str, name: str, value: Any = None, error: Any = None, *, event_id: str | None = None
    ) -> bool:
        sent: bool = await asyncio.to_thread(
            self._call, functools.partial(self._client.send_event, event_id=event_id), id, name, value, error
        )
        return sent

    async def cancel(self, id: str, *, force: bool = False) -> str:
        outcome: str = await asyncio.to_thread(self._call, functools.partial(self._client.cancel, force=force), id)
        return outcome

    async def status(self, id: str) -> Status:
        return await asyncio.to_thread(self._call, self._client.status, id)

    async def get_status(self, id: str, key: str, default: Any = None, *, timeout: float | None = 0.0) -> Any:
        """Waits without blocking the loop, woken by the store as :meth:`result` is (see
        :meth:`Client.get_status`)."""
        client = self._client
        deadline = None if timeout is None else time.monotonic() + timeout
        missing = object()
        with _Wakeups(client) as wakeups:
            while True:
                found = await asyncio.to_thread(self._call, client.get_status, id, key, missing)
                if found is not missing:
                    return found
                status = await self.status(id)
                if status.state.value in FINISHED or (deadline is not None and time.monotonic() >= deadline):
                    return default
                await wakeups.wait(None if deadline is None else deadline - time.monotonic())

    async def statuses(self, id: str) -> dict[str, Any]:
        return await asyncio.to_thread(self._call, self._client.statuses, id)

    async def history(self, id: str) -> builtins.list[HistoryRecord]:
        return await asyncio.to_thread(self._call, self._client.history, id)

    async def result(self, id: str, timeout: float | None = None) -> Any:
        """Wait without blocking the loop, as :meth:`Client.result` waits: woken by the store, reading the
        instance again every ``poll_interval`` only while the store cannot notify."""
        deadline = None if timeout is None else time.monotonic() + timeout
        client = self._client
        with _Wakeups(client) as wakeups:
            while True:
                status = await self.status(id)
                if status.state.value in FINISHED:
                    return await asyncio.to_thread(self._call, client._rt.result, id)
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise WaitTimeout(
                        f"workflow {id!r} did not finish within {timeout:g}s (it is {status.state.value})",
                        hint="check AsyncClient.status(id): it may wait for an event, or no worker serves it",
                    )
                await wakeups.wait(left)

    async def close(self) -> None:
        await asyncio.to_thread(self._call, self._client.close)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
