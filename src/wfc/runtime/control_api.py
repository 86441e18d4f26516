"""The workflow-control half of ``wfc.Runtime``: parallelism, cancel, restart and fork, watch, cleanup and
version migration. A mixin, so the runtime's public face stays one class while the logic lives in
:mod:`~wfc.runtime.control`, :mod:`~wfc.runtime.watch` and :mod:`~wfc.runtime.migrate`.

::

    rt.max_parallelism = 10                      # steps this runtime runs at once (default 25), any time
    rt.cancel(wid)                               # steps, timers, children canceled; on_complete gets "canceled"
    rt.restart(wid, from_step=5)                 # or a step's name; works on finished instances too
    copy = rt.fork(wid, from_step="charge")      # the same, into a new instance; the original is untouched
    for change in rt.watch(wid): ...             # every status change and step record, live
    rt.cleanup(older_than=30 * 24 * 3600)        # purge finished instances and their history
    rt.migrate(checkout, from_hash="3f2a9c")     # move in-flight instances to the current code's version
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from wfc.compiler import ir
from wfc.errors import WfcError
from wfc.runtime import control, lineage, migrate, watch
from wfc.runtime.attempts import Attempt
from wfc.runtime.records import HistoryRecord

if TYPE_CHECKING:
    from wfc.runtime.clock import Clock
    from wfc.runtime.engine import Engine
    from wfc.runtime.store.protocol import ControlStore, InstanceRow
    from wfc.runtime.versions import Deployment

DEFAULT_PARALLELISM = 25
_PURGE_BATCH = 500


def check_parallelism(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WfcError(f"max_parallelism must be a whole number >= 1, not {value!r}", code="WFC402")
    return value


class Control:
    """Mixed into :class:`wfc.Runtime`; see the module docstring."""

    engine: Engine
    store: ControlStore
    clock: Clock
    deployment: Deployment
    _max_parallelism: int = DEFAULT_PARALLELISM

    def _kick(self) -> None:  # the runtime's: wake its worker
        raise NotImplementedError

    def _instance(self, instance_id: str) -> InstanceRow:  # the runtime's: the row, or WFC420
        raise NotImplementedError

    # ---- parallelism ------------------------------------------------------------------------------------------

    @property
    def max_parallelism(self) -> int:
        """How many steps this runtime's workers run at once (default 25). Set it at any time: a worker takes
        the new value at its next claim, and finishes the steps it runs beyond a lowered limit."""
        return self._max_parallelism

    @max_parallelism.setter
    def max_parallelism(self, value: int) -> None:
        self._max_parallelism = check_parallelism(value)
        self._kick()

    # ---- cancel, restart, fork --------------------------------------------------------------------------------

    def cancel(self, id: str, *, force: bool = False) -> str:
        """Cancel instance ``id``. What it waits on (pending steps, timers, event waits) is canceled — a step
        already running finishes, its result discarded; child workflows it waits on are canceled at once — and
        :class:`wfc.Canceled` is raised at its current ``yield``: ``except wfc.Canceled`` and ``finally`` blocks
        run, and may run cleanup steps. The instance ends ``canceled`` when ``wfc.Canceled`` ends it (a
        workflow that catches it and returns has chosen to complete). A second ``cancel`` while the cleanup
        runs does nothing; ``force=True`` ends the instance at once, running no more of its code (also an
        instance that has not started or is blocked). Its ``on_complete`` receives a ``canceled`` completion,
        and a parent waiting for it gets :class:`wfc.Canceled` at its ``yield``. Canceling an instance that has
        ended raises ``WFC433``. Returns ``"canceled"`` (ended at once), ``"requested"`` or ``"already
        requested"``."""
        outcome = control.cancel(self.engine, id, self.clock.now(), force=force)
        self._kick()
        worker = getattr(self, "_worker", None)
        if worker is not None:  # its attempts running here see the cancel at once (others: at their heartbeat)
            worker.see_cancels()
        return outcome

    def restart(self, id: str, from_step: int | str) -> str:
        """Run instance ``id`` again from step ``from_step`` — its number in :meth:`history` (``seq``; ``0`` is
        the start) or a command's name (its last occurrence) — with the cursor recorded before that step.
        What it still runs is canceled; history after that step is archived, not deleted
        (``history(id, archived=True)``). Works on running, completed, failed and canceled instances; O(1) in
        the length of the history. An instance on a named queue that has ended (or was never admitted) goes back
        in line there, with its priority, partition and dedup id (docs/queues.md). Returns ``id``."""
        out = control.restart(self.engine, id, from_step, self.clock.now())
        self._kick()
        return out

    def fork(self, id: str, from_step: int | str, *, new_id: str | None = None) -> str:
        """Like :meth:`restart`, into a new instance (``new_id``, or a random id) that shares ``id``'s history
        before ``from_step``; ``id`` is left untouched. The fork has the same ``on_complete`` and context and no
        parent; the fork of an instance on a named queue waits in line there (without its dedup id). Returns the
        new id."""
        out = control.restart(self.engine, id, from_step, self.clock.now(), fork=True, new_id=new_id)
        self._kick()
        return out

    def _history(self, inst: InstanceRow, archived: bool) -> builtins.list[HistoryRecord]:
        from wfc.runtime.runtime import _record

        rows = (
            lineage.archived_rows(self.store, inst.n) if archived else lineage.live_rows(self.store, inst.n)
        )
        ids = {inst.n: inst.id}  # rows before a fork belong to the instance it was forked from
        for r in rows:
            if r.instance not in ids:
                origin = self.store.get_instance_n(r.instance)
                ids[r.instance] = origin.id if origin is not None else None  # type: ignore[assignment]
        failed: dict[tuple[int, int, int], builtins.list[Attempt]] = {}
        for n in ids:
            for seq, pos, attempt, started, at, error, trace in self.store.list_attempts(n):
                failed.setdefault((n, seq, pos), []).append((attempt, started, at, error, trace))
        records = [_record(r, ids[r.instance], failed.get(r.key)) for r in rows if r.kind != "start"]
        # Only the first row of a suspension stores its cursor; its siblings (the other commands of an all_of or
        # any_of) report the same state.
        by_seq = {r.seq: r.state_id for r in records if r.state_id is not None}
        return [attrs.evolve(r, state_id=by_seq.get(r.seq)) if r.state_id is None else r for r in records]

    # ---- watching and cleanup ---------------------------------------------------------------------------------

    def watch(self, id: str, *, poll: float = 0.05, timeout: float | None = None) -> Iterator[watch.Change]:
        """Yield instance ``id``'s status and history records, then every change as it is committed (by any
        process), until it has ended and its ``on_complete`` call is done, or ``timeout`` seconds pass."""
        self._instance(id)  # WFC420 now, not at the first next()
        return watch.watch(self, id, poll=poll, timeout=timeout)  # type: ignore[arg-type]

    def cleanup(self, older_than: float | dt.timedelta) -> int:
        """Delete instances that finished more than ``older_than`` seconds ago (by the runtime's clock) and have
        nothing left to run, with their history and events; returns how many. A child goes once it is old
        enough and its parent has finished too."""
        seconds = older_than.total_seconds() if isinstance(older_than, dt.timedelta) else older_than
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise WfcError(f"older_than must be a duration >= 0, not {older_than!r}", code="WFC402")
        before = self.clock.now() - float(seconds)
        total = 0
        while True:
            with self.store.transaction():
                purged = self.store.purge(before, _PURGE_BATCH)
            total += purged
            if purged < _PURGE_BATCH:
                return total

    # ---- versions ---------------------------------------------------------------------------------------------

    def table(self, version: str, workflow: Any = None) -> ir.Table:
        """A table version by hash or unique prefix: the current code's, one saved in the database (every
        version an instance started on) or one in the versions directory."""
        defn = self.deployment.workflow(workflow) if workflow is not None else None
        return migrate.load_version(self.engine, defn, version)

    def migrate(
        self,
        workflow: Any,
        from_hash: str,
        to_hash: str | None = None,
        mapping: Mapping[str, str] | None = None,
        *,
        dry_run: bool = False,
    ) -> migrate.MigrationReport:
        """Move the in-flight instances of ``workflow`` on version ``from_hash`` (a hash or unique prefix) to the
        current code's version (``to_hash``, if given, must name it). States the compiler can match move
        automatically; ``mapping`` (old suspension state id → new) maps the others. Each instance moves in one
        transaction, or is refused with the reason (see ``docs/versioning.md``). ``dry_run``: report only."""
        report = migrate.migrate(
            self.engine, workflow, from_hash, to_hash, mapping, self.clock.now(), dry_run=dry_run
        )
        self._kick()
        return report


__all__ = ["DEFAULT_PARALLELISM", "Control", "check_parallelism"]
