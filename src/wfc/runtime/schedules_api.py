"""The schedules half of ``wfc.Runtime`` (a mixin; the logic is :mod:`wfc.runtime.schedules`)::

    rt.schedule("weekly-report", report, cron="0 9 * * MON", timezone="Europe/Berlin", args=["sales"])
    rt.schedule("heartbeat", ping, every=60, overlap="allow")
    rt.schedules()                      # [ScheduleInfo(...), ...]
    rt.pause_schedule("weekly-report"); rt.resume_schedule("weekly-report"); rt.delete_schedule("heartbeat")
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wfc.commands import WorkflowDef
from wfc.errors import WfcError
from wfc.runtime import schedules
from wfc.runtime.queues import Queue
from wfc.runtime.schedules import ScheduleInfo

if TYPE_CHECKING:
    from wfc.runtime.clock import Clock
    from wfc.runtime.store.protocol import ControlStore


def _unknown(name: str) -> WfcError:
    return WfcError(f"no schedule {name!r}", code="WFC420", hint="list them with rt.schedules() / wfc schedule list")


class ScheduleControl:
    """Mixed into :class:`wfc.Runtime`; see the module docstring."""

    store: ControlStore
    clock: Clock
    _ticks_changed = True  # the runtime reads the next tick again (see Runtime._due_ticks)

    def schedule(
        self,
        name: str,
        workflow: WorkflowDef[..., Any] | str,
        *,
        cron: str | None = None,
        every: float | dt.timedelta | None = None,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        timezone: str = "UTC",
        overlap: str = "skip",
        catch_up: str = "latest",
        queue: Queue | str | None = None,
        priority: int | None = None,
        partition_key: str | None = None,
    ) -> ScheduleInfo:
        """Create schedule ``name`` (or replace its spec): every tick of ``cron`` (five cron fields, read in
        ``timezone``) or of ``every`` (seconds, >= 1) starts ``workflow`` (a definition, or its name as
        ``wfc.Client`` takes it) with JSON-able ``args``/``kwargs``, as instance ``<name>@<tick in UTC>``.
        ``overlap`` ("skip", "queue", "allow") says what a tick does while the previous tick's instance runs,
        ``catch_up`` ("latest", "all", "none") what happens to ticks missed while no worker ran. Replacing a
        schedule counts its next tick from now and keeps it paused if it was. ``queue`` (a :class:`wfc.Queue` or
        a declared queue's name), with the ``priority`` and ``partition_key`` it takes: each tick's instance
        starts enqueued there, as ``start(..., queue=)`` starts one; bad options are ``WFC445`` here."""
        now = self.clock.now()
        row = schedules.make_row(
            name, workflow, args=args, kwargs=kwargs, cron=cron, every=every, timezone=timezone,
            overlap=overlap, catch_up=catch_up, now=now, queue=queue, priority=priority, partition_key=partition_key,
        )  # fmt: skip
        with self.store.transaction():
            old = self.store.get_schedule(name, lock=True)
            schedules.placement(self.store, row, now, queue if isinstance(queue, Queue) else None)
            if old is not None:
                row.paused, row.last_id, row.last_at = old.paused, old.last_id, old.last_at
            self.store.put_schedule(row)
        self._ticks_changed = True
        return schedules.info(row)

    def schedules(self) -> builtins.list[ScheduleInfo]:
        """Every schedule of the database, by name."""
        return [schedules.info(r) for r in self.store.list_schedules()]

    def get_schedule(self, name: str) -> ScheduleInfo:
        with self.store.transaction():
            row = self.store.get_schedule(name)
        if row is None:
            raise _unknown(name)
        return schedules.info(row)

    def pause_schedule(self, name: str) -> ScheduleInfo:
        """Stop starting instances; ticks while paused are not caught up when it resumes."""
        return self._change(name, paused=True)

    def resume_schedule(self, name: str) -> ScheduleInfo:
        """Start again from the next tick after now."""
        return self._change(name, paused=False)

    def delete_schedule(self, name: str) -> None:
        """Remove the schedule (the instances it started are untouched)."""
        with self.store.transaction():
            if not self.store.delete_schedule(name):
                raise _unknown(name)
        self._ticks_changed = True

    def install_schedules(self) -> None:
        """Write the schedules the imported modules declare with ``@wfc.schedule`` (a worker does it when it
        starts): new ones and changed ones; an unchanged one keeps its progress."""
        schedules.install(self.store, self.clock.now())
        self._ticks_changed = True

    def fire_schedules(self) -> int:
        """Start the instances of every due tick now (workers and ``run_until_idle`` do it on their own);
        returns how many were started."""
        return schedules.fire(self.store, self.clock.now())

    def _change(self, name: str, *, paused: bool) -> ScheduleInfo:
        now = self.clock.now()
        with self.store.transaction():
            row = self.store.get_schedule(name, lock=True)
            if row is None:
                raise _unknown(name)
            if bool(row.paused) != paused:
                row.paused = int(paused)
                if not paused:
                    row.next_at = schedules.next_tick(row, now)
                row.updated_at = now
                self.store.put_schedule(row)
        self._ticks_changed = True
        return schedules.info(row)
