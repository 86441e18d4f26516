"""The statements of durable schedules (:mod:`wfc.runtime.schedules`) both SQL stores share.

A schedule is one row: its spec (workflow, arguments, cron or interval, time zone, policies) and its progress
(``next_at``: the next tick not yet handled; ``last_id``: the instance its last tick started). Firing takes the due
rows with the claim's lock (``{claim_lock}``-like: PostgreSQL ``FOR UPDATE SKIP LOCKED``, SQLite's one writer), so
two workers never handle one tick; the instance id names the schedule and the tick, so even a second handling of
one tick would start nothing new.
"""

from __future__ import annotations

import attrs

from wfc.runtime.store.common import StoreBody
from wfc.runtime.store.protocol import ScheduleRow

SCHEDULE_FIELDS = tuple(f.name for f in attrs.fields(ScheduleRow))
# Both dialects' table ({key}: text, {real}: the float type).
SCHEDULES_DDL = (
    "CREATE TABLE IF NOT EXISTS schedules (name {key} PRIMARY KEY, workflow TEXT NOT NULL, args TEXT NOT NULL, "
    "cron TEXT, every {real}, timezone TEXT NOT NULL, overlap TEXT NOT NULL, catch_up TEXT NOT NULL, "
    "paused INTEGER NOT NULL, next_at {real}, last_at {real}, last_id TEXT, created_at {real} NOT NULL, "
    "updated_at {real} NOT NULL)"
)
# Added by a later migration (SQLite 16, PostgreSQL 17): the named queue each tick's instance starts on.
SCHEDULE_QUEUE_COLUMNS = (("queue", "TEXT"), ("queue_priority", "INTEGER"), ("queue_partition", "TEXT"))
_COLS = ", ".join(SCHEDULE_FIELDS)


class ScheduleBody(StoreBody):
    """:class:`~wfc.runtime.store.common.StoreBody` with the statements of schedules."""

    def put_schedule(self, row: ScheduleRow) -> None:
        """Create the schedule, or replace its spec and progress (one statement: an upsert by name)."""
        updates = ", ".join(f"{c}=excluded.{c}" for c in SCHEDULE_FIELDS if c not in ("name", "created_at"))
        self._x(
            f"INSERT INTO {{s}}schedules ({_COLS}) VALUES ({','.join('?' * len(SCHEDULE_FIELDS))}) "
            f"ON CONFLICT (name) DO UPDATE SET {updates}",
            attrs.astuple(row),
        )
        self._wake()  # idle workers read the next tick again

    def get_schedule(self, name: str, lock: bool = False) -> ScheduleRow | None:
        row = self._x(
            f"SELECT {_COLS} FROM {{s}}schedules WHERE name=?" + ("{row_lock}" if lock else ""), (name,)
        ).fetchone()
        return ScheduleRow(*row) if row else None

    def list_schedules(self) -> list[ScheduleRow]:
        with self._reading():
            rows = self._x(f"SELECT {_COLS} FROM {{s}}schedules ORDER BY name").fetchall()
        return [ScheduleRow(*r) for r in rows]

    def delete_schedule(self, name: str) -> bool:
        return int(self._x("DELETE FROM {s}schedules WHERE name=?", (name,)).rowcount) == 1

    def due_schedules(self, now: float, limit: int) -> list[ScheduleRow]:
        """Schedules with a tick due, each locked to this transaction (others skip it)."""
        rows = self._x(
            f"SELECT {_COLS} FROM {{s}}schedules WHERE paused=0 AND next_at<=? ORDER BY next_at LIMIT ?{{skip_lock}}",
            (now, limit),
        ).fetchall()
        return [ScheduleRow(*r) for r in rows]

    def next_schedule(self) -> float | None:
        """When the next tick of any schedule is due (``None``: no active schedule)."""
        with self._reading():
            row = self._x("SELECT min(next_at) FROM {s}schedules WHERE paused=0").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def instance_state(self, instance_id: str) -> str | None:
        row = self._x("SELECT state FROM {s}instances WHERE id=?", (instance_id,)).fetchone()
        return None if row is None else str(row[0])
