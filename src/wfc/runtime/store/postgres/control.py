"""The PostgreSQL :class:`~wfc.runtime.store.protocol.ControlStore`: the shared control statements
(:mod:`wfc.runtime.store.common_control`) on :class:`PostgresStore`'s seam (each one that changes an instance
locks its row first, like every transition: see :mod:`.store`)."""

from __future__ import annotations

from wfc.runtime.store.common_control import ControlBody
from wfc.runtime.store.common_queues import QueueBody
from wfc.runtime.store.common_schedules import ScheduleBody
from wfc.runtime.store.postgres.store import PostgresStore


class PostgresControlStore(QueueBody, ScheduleBody, ControlBody, PostgresStore):
    """:class:`PostgresStore` with the statements of :class:`ControlStore`."""


__all__ = ["PostgresControlStore"]
