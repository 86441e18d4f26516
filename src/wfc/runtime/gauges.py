"""The gauges a collection reads from the store: ``wfc.instances`` (instances that have not ended, per workflow
and state) and ``wfc.queue.depth`` (instances with work due now that no live lease holds, per workflow). Made by
:mod:`wfc.runtime.tracing` only (``opentelemetry-api`` importable and tracing on); nothing here imports it.

Why gauges, read at collection time, and not counters kept by the engine: the numbers are the database's, not a
process's — an instance started by a web service, run by a worker on another machine and canceled from the CLI
changes them in three processes. So every traced runtime reports what its database holds, with one indexed
statement per collection callback (:meth:`Store.count_unfinished`, :meth:`Store.count_due`: costs grow with the
instances in flight and the work due, never with history). Every process on a database reports the same values:
a gauge is not summed across processes, an up-down counter would be.

Within one process, runtimes on the same database (a ``wfc.Client`` beside a worker) are read once; runtimes on
different databases are added up. A series that had a value and has none now (the last instance of a workflow
ended, its queue drained) reports ``0`` rather than vanishing, so a dashboard sees the drop.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from wfc.runtime.store import local_file
from wfc.runtime.store.protocol import Store

log = logging.getLogger("wfc.runtime")

Labels = tuple[tuple[str, str], ...]


class _Source:
    __slots__ = ("key", "now", "store")

    def __init__(self, store: Store, now: Callable[[], float]) -> None:
        self.store: weakref.ref[Store] = weakref.ref(store)
        self.now = now
        # One database, one reading: a file or a server by its URL; an in-memory database is its store alone.
        url = store.url
        in_memory = url.startswith("sqlite:") and local_file(url) is None
        self.key: object = id(store) if in_memory else url


_lock = threading.Lock()
_sources: dict[int, _Source] = {}
_tokens = itertools.count()
_seen: dict[tuple[str, object], set[Labels]] = {}  # (gauge, database) -> the series it reported before
_meters: weakref.WeakSet[Any] = weakref.WeakSet()


def watch(meter: Any, store: Store, now: Callable[[], float]) -> Callable[[], None]:
    """Report ``store``'s gauges on ``meter`` (its instruments made once per meter); returns the function that
    stops it (``Runtime.close``). ``now``: the runtime's clock, for what is due."""
    with _lock:
        if meter not in _meters:
            _meters.add(meter)
            meter.create_observable_gauge(
                "wfc.instances", callbacks=[_instances], unit="{instance}",
                description="instances that have not ended, by workflow and state (running, sleeping, waiting)",
            )  # fmt: skip
            meter.create_observable_gauge(
                "wfc.queue.depth", callbacks=[_queue], unit="{instance}",
                description="instances with work due now that no worker holds, by workflow",
            )  # fmt: skip
        token = next(_tokens)
        _sources[token] = _Source(store, now)

    def unwatch() -> None:
        with _lock:
            gone = _sources.pop(token, None)
            if gone is not None and all(s.key != gone.key for s in _sources.values()):
                for series in [k for k in _seen if k[1] == gone.key]:
                    del _seen[series]

    return unwatch


def _databases() -> list[tuple[object, Store, Callable[[], float]]]:
    with _lock:
        sources = list(_sources.values())
    out: dict[object, tuple[object, Store, Callable[[], float]]] = {}
    for source in sources:
        store = source.store()
        if store is not None and source.key not in out:
            out[source.key] = (source.key, store, source.now)
    return list(out.values())


def _observe(
    gauge: str, read: Callable[[Store, Callable[[], float]], Iterable[tuple[Labels, int]]]
) -> list[Any]:
    from opentelemetry.metrics import Observation

    totals: dict[Labels, int] = {}
    for key, store, now in _databases():
        try:
            counted = list(read(store, now))
        except Exception as exc:  # a database that is down or closing: no value (not a false zero), no crash
            log.debug("wfc gauge %s: cannot read %s: %s", gauge, getattr(store, "url", "?"), exc)
            continue
        with _lock:
            seen = _seen.setdefault((gauge, key), set())
            for labels in seen:
                totals.setdefault(labels, 0)
            for labels, value in counted:
                totals[labels] = totals.get(labels, 0) + value
                seen.add(labels)
    return [Observation(value, dict(labels)) for labels, value in sorted(totals.items())]


def _instances(options: Any) -> list[Any]:
    return _observe(
        "wfc.instances",
        lambda store, _now: (
            ((("wfc.workflow.name", name), ("wfc.instance.state", state)), count)
            for name, state, count in store.count_unfinished()
        ),
    )


def _queue(options: Any) -> list[Any]:
    return _observe(
        "wfc.queue.depth",
        lambda store, now: (
            ((("wfc.workflow.name", name),), count) for name, count in store.count_due(now())
        ),
    )
