"""The subscribers of a store's wake-ups (a worker's wake-up, a ``watch``), shared by both stores' listeners
(:mod:`wfc.runtime.store.postgres.notify`, :mod:`wfc.runtime.store.sqlite.wake`): each listener thread calls
:meth:`Subscribers.fire` when another process says work may be due."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

log = logging.getLogger("wfc.runtime")


class Subscribers:
    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def add(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` on every wake-up; returns the function that stops it."""
        with self._lock:
            self._callbacks.append(callback)

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._callbacks.remove(callback)

        return remove

    def fire(self) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a subscriber's bug must not stop the wake-ups of the others
                log.exception("a wake-up subscriber failed")
