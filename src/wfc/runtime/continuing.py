"""A workflow returned ``wfc.continue_as_new(...)`` (:mod:`wfc.continuation`): its run ends and the next starts,
inside the transition that returned it, so a crash either leaves the old run at its last suspension (the
transition runs again) or the new run's start row committed: exactly once.

What the next run gets, and why:

* **The newest code.** The arguments are checked against the workflow as deployed now, and the run starts on the
  table the current code compiles to: an eternal workflow migrates by continuing.
* **The same instance.** Its id, its parent (a parent's child call or join is still waiting: it gets the outcome
  of the run that finally completes or fails), its ``on_complete``, its timeout (a ``deadline`` spans runs), the
  events sent to it and not taken, its published statuses. ``Status.run`` counts the runs.
* **Not the old history.** The run's rows go (:meth:`Store.new_run`), so storage stays one run's worth however
  often it continues. Sequence numbers go on from the old run's, so child ids (``<id>/<seq>``) and the keys a
  detached child of the old run still points at never meet the new run's rows, and ``wfc.random()`` (seeded by
  the instance id and transition) draws new values.
* **Not its started children.** Those not detached end with the run, as at any end of a run; a cancel request
  belongs to the run that had it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from wfc import convert
from wfc.continuation import ContinueAsNew
from wfc.errors import WfcError
from wfc.runtime import steps
from wfc.runtime.store.protocol import START, InstanceRow, LeafRow
from wfc.runtime.typecheck import check_arguments

if TYPE_CHECKING:
    from wfc.runtime.schedule import Scheduler

log = logging.getLogger("wfc.runtime")


def next_run(engine: Scheduler, inst: InstanceRow, seq: int, cont: ContinueAsNew, at: float) -> WfcError | None:
    """Start run ``inst.run + 1`` of ``inst`` with ``cont``'s arguments (inside the transition's transaction);
    the error that stops it instead (arguments the workflow refuses, a current version that does not compile),
    with which the instance then fails."""
    from wfc.runtime import children

    try:
        defn = engine.deployment.workflow(inst.workflow)
        table = engine.deployment.current(defn)
        variables = check_arguments(defn, tuple(cont.args), dict(cont.kwargs))
        vars_text = steps.check_size(
            convert.dumps_vars(variables), engine.limit, "the arguments of workflow {} continued as new", inst.name
        )
    except WfcError as exc:
        return exc
    engine.save_table(defn, table, at)
    children.close(engine, inst, at)  # its started children, unless detached, end with the run
    run = engine.store.new_run(inst.n, table.hash, at)
    engine.store.insert_leaf(
        LeafRow(inst.n, seq + 1, 0, "", START, inst.name, ready_at=at, scheduled_at=at, snapshot=vars_text)
    )
    inst.table_hash, inst.state, inst.run, inst.blocked = table.hash, "running", run, None
    log.info(
        "workflow instance %s (%s) continued as new: run %d", inst.id, inst.workflow, run,
        extra={"instance_id": inst.id, "workflow": inst.workflow, "step": None, "attempt": None,
               "kind": "workflow_continued"},
    )  # fmt: skip
    return None


__all__ = ["next_run"]
