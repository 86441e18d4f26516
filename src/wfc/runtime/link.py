"""Linking deployed workflow definitions to runnable machines (cached per definition and table version)."""

from __future__ import annotations

from typing import Any

from wfc.commands import WorkflowDef
from wfc.compiler import ir
from wfc.compiler.driver import compile_workflow
from wfc.errors import WfcError
from wfc.runtime.machine import Machine


def machine_for(defn: WorkflowDef, table: ir.Table | None = None) -> Machine:
    """The machine running ``table`` (default: the definition's current table) in the definition's namespace."""
    table = table or compile_workflow(defn)
    key = f"machine:{table.hash}"
    machine = defn.cache.get(key)
    if not isinstance(machine, Machine):
        closure = defn.closure_values()
        # A .wf author may be a platform's customer: their code runs on a budget (wfc.runtime.budget).
        machine = Machine(table, defn.namespace, closure, metered=defn.frontend == "wf")
        defn.cache[key] = machine
    return machine


def bind_arguments(defn: WorkflowDef, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The workflow's initial variables: its parameters bound as Python binds them, defaults applied."""
    try:
        bound = defn.signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise WfcError(
            f"cannot start workflow {defn.name}: {exc}",
            code="WFC405",
            hint=f"its signature is {defn.name}{defn.signature}",
        ) from None
    bound.apply_defaults()
    return dict(bound.arguments)
