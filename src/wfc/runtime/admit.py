"""Admitting an instance started by name (:class:`wfc.Client`, a process without the workflow's code).

Such a start writes the instance with no table hash and its start row holding the call as data
(``{"args": [...], "kwargs": {...}}``). The first worker that serves the workflow and claims the row admits it,
in the claim's transaction: it binds and checks the arguments against the workflow's signature and type hints
(as ``Runtime.start`` does in the caller), records the current table, the bound variables and the workflow's key
and name (the client wrote the reference it was given: from now on the instance is listed, migrated and shown
as any other), and starts it.
Arguments that do not fit fail the instance with the ``WFC405`` error a direct start would have raised, so the
client sees why in ``status``/``result``. A worker that does not serve the workflow leaves it blocked (``WFC422``,
"not part of this deployment"), waiting for one that does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from wfc import convert
from wfc.errors import WfcError
from wfc.runtime import queues, steps
from wfc.runtime.errors import UnknownWorkflow
from wfc.runtime.store.protocol import DONE, START, ControlStore, InstanceRow, LeafRow, Store
from wfc.runtime.typecheck import check_arguments

if TYPE_CHECKING:
    from wfc.runtime.engine import Engine

UNRESOLVED = ""
"""The table hash of an instance started by name and not yet admitted by a worker."""


def check_json_arguments(what: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Arguments of a start by name (``wfc.Client``, a schedule) must be JSON values: the worker, not the caller,
    structures them into the workflow's types. ``WFC405`` naming ``what`` otherwise."""
    try:
        json.dumps([args, kwargs], allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise WfcError(
            f"the arguments of {what} must be JSON values: {exc}",
            code="WFC405",
            hint="pass str, int, float, bool, None, lists and dicts; the worker structures them into the "
            "workflow's declared types (a dict into an attrs class or dataclass, an ISO string into a datetime)",
        ) from None


def call_text(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The start row's snapshot of a call by name: JSON-able arguments, not yet bound to parameters."""
    return convert.dumps_vars({"args": list(args), "kwargs": dict(kwargs)})


def insert_named_start(
    store: Store, iid: str, workflow: str, snapshot: str, now: float, trace: str | None = None,
    queue: queues.Placement | None = None,
) -> InstanceRow | None:  # fmt: skip
    """Record an instance of ``workflow`` (a name) started with the arguments ``snapshot`` (:func:`call_text`):
    a worker that serves it admits it. ``None`` when id ``iid`` exists already (nothing is written); call it in a
    transaction. ``queue``: it is ``enqueued`` there (the queue's row locked by this transaction)."""
    state = "running" if queue is None else queues.ENQUEUED
    row = InstanceRow(0, iid, workflow, workflow, UNRESOLVED, state, now, now, trace=trace,
                      queue=None if queue is None else queue.queue)  # fmt: skip
    n = store.insert_instance(row)
    if n is None:
        return None
    if queue is not None:
        queues.enqueue(cast(ControlStore, store), n, queue, iid)
    store.insert_leaf(LeafRow(n, 0, 0, "", START, workflow, ready_at=now, scheduled_at=now, snapshot=snapshot))
    row.n = n
    return row


def admit(engine: Engine, leaf: LeafRow, inst: InstanceRow, redo: BaseException | None) -> None:
    """Bind, check and start an instance started by name (see the module docstring)."""
    try:
        defn = engine.deployment.workflow(inst.workflow)
    except UnknownWorkflow as exc:
        from wfc.runtime.engine import describe_problem

        engine.block(inst, leaf, describe_problem(exc))
        return
    call = convert.loads_vars(leaf.snapshot) if leaf.snapshot else {}
    now = engine.now
    try:
        args, kwargs = call.get("args", []), call.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise WfcError("a start by name needs a list of arguments and a dict of keyword arguments",
                           code="WFC405")  # fmt: skip
        variables = check_arguments(defn, tuple(args), kwargs)
        vars_text = steps.check_size(
            convert.dumps_vars(variables), engine.limit, f"the arguments of workflow {defn.name}"
        )
    except WfcError as exc:
        engine.store.resolve(leaf.key, None, DONE, None, convert.dumps(exc), 0, now)
        engine.finish(inst, 0, False, exc, now)
        return
    table = engine.deployment.current(defn)
    engine.save_table(defn, table, now)
    store = cast(ControlStore, engine.store)  # every store a runtime opens is a ControlStore
    store.set_table_hash(inst.n, table.hash, now)
    if (inst.workflow, inst.name) != (defn.key, defn.name):  # recorded as any start records it: listed, migrated
        store.set_workflow(inst.n, defn.key, defn.name, now)
        inst.workflow, inst.name = defn.key, defn.name
    store.set_cursor(leaf.key, leaf.state_id, vars_text)
    inst.table_hash = table.hash
    leaf.snapshot = vars_text
    engine.resolve(leaf, inst, None, True, None, None, None, None, 0, leaf.scheduled_at, redo)
