"""The SQLite :class:`~wfc.runtime.store.protocol.ControlStore`: the shared control statements
(:mod:`wfc.runtime.store.common_control`) on :class:`SQLiteStore`'s seam."""

from __future__ import annotations

from wfc.runtime.store.common_control import ControlBody
from wfc.runtime.store.common_queues import QueueBody
from wfc.runtime.store.common_schedules import ScheduleBody
from wfc.runtime.store.sqlite.store import SQLiteStore


class SQLiteControlStore(QueueBody, ScheduleBody, ControlBody, SQLiteStore):
    """:class:`SQLiteStore` with the statements of :class:`ControlStore`."""


__all__ = ["SQLiteControlStore"]
