"""Named queues in the in-memory runner: started children wait on a queue by the durable runtime's own rule
(:func:`wfc.runtime.queues.room`: concurrency, rate window, priority then enqueue order, per partition), on
virtual time, so a test predicts when production admits each one.

The run is one worker: ``worker_concurrency`` counts every instance admitted. An instance not admitted waits at
its *gate* (its generator yields no time: nothing but the queue moves it); whatever frees room — an instance of the
queue ending, the rate window moving on — admits the first in line at that moment and wakes them through whoever
drives them (:meth:`~wfc.testing._runner.Runner.poke`), as the durable runtime's commit wakes the workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from wfc.runtime.queues import WAKE_BATCH, Placement, room
from wfc.runtime.store.protocol import QueueRow
from wfc.testing._leaves import INF, Inst, Task

if TYPE_CHECKING:
    from wfc.testing._runner import Runner


@attrs.define(eq=False)
class Entry:
    """One instance started on a queue: its place, when it was admitted, whether it ended, when its gate looks
    again (the rate window)."""

    task: Task
    row: QueueRow
    placement: Placement
    order: int
    admitted: float | None = None
    ended: bool = False
    wake: float = INF


class Queues:
    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.entries: dict[str, Entry] = {}  # by instance id, in enqueue order

    def holder(self, placement: Placement) -> str | None:
        """The instance of the queue that holds ``placement``'s dedup id (enqueued or running)."""
        for iid, e in self.entries.items():
            if not e.ended and e.placement.queue == placement.queue and e.placement.dedup == placement.dedup:
                return iid
        return None

    def enqueue(self, task: Task, row: QueueRow, placement: Placement) -> Entry:
        entry = Entry(task, row, placement, len(self.entries))
        self.entries[task.inst.id] = entry
        task.inst.state = "enqueued"
        return entry

    def ended(self, inst: Inst) -> None:
        entry = self.entries.get(inst.id)
        if entry is not None and not entry.ended:
            entry.ended = True
            self.pump(entry)

    def pump(self, like: Entry) -> None:
        """Admit the first in line of ``like``'s queue (partition) that fit now; set the rate window's wake-up."""
        runner = self.runner
        t = runner.t
        q, where = like.row, like.placement
        line = [e for e in self.entries.values()
                if e.placement.queue == where.queue and e.placement.partition == where.partition]  # fmt: skip
        active = sum(1 for e in line if e.admitted is not None and not e.ended)
        since = t - (q.rate_period or 0.0)
        recent = sorted(e.admitted for e in line if e.admitted is not None and e.admitted > since)
        space = room(q, active, active, recent)  # one worker: it admitted every active instance
        waiting = sorted((e for e in line if e.admitted is None and not e.ended),
                         key=lambda e: (e.placement.priority, e.order))  # fmt: skip
        admit = int(min(space.here, len(waiting)))
        for e in waiting[:admit]:
            e.admitted, e.wake = t, t
            e.task.inst.state = "running"
            runner.poke(e.task.inst.id, t)
        if space.rate_at is not None and space.concurrency_room > 0:
            count = int(min(space.concurrency_room, q.rate_limit or 1, WAKE_BATCH))
            for e in waiting[admit : admit + count]:
                if e.wake > space.rate_at:
                    e.wake = space.rate_at
                    runner.poke(e.task.inst.id, space.rate_at)
