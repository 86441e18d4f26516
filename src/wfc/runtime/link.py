"""Linking deployed workflow definitions to runnable machines (cached per definition and table version)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from wfc.commands import WorkflowDef
from wfc.compiler import ir
from wfc.compiler.driver import compile_workflow
from wfc.errors import WfcError
from wfc.runtime.machine import Machine


def closure_vars(fn: Callable[..., Any]) -> dict[str, Any]:
    """Free variables of a nested workflow function, which its code reads like globals."""
    code = getattr(fn, "__code__", None)
    cells = getattr(fn, "__closure__", None) or ()
    out: dict[str, Any] = {}
    if code is None:
        return out
    for name, cell in zip(code.co_freevars, cells):
        try:
            out[name] = cell.cell_contents
        except ValueError:
            continue  # an empty cell: the name is not bound yet
    return out


def machine_for(defn: WorkflowDef, table: ir.Table | None = None) -> Machine:
    """The machine running ``table`` (default: the definition's current table) in the definition's namespace."""
    table = table or compile_workflow(defn)
    key = f"machine:{table.hash}"
    machine = defn.cache.get(key)
    if not isinstance(machine, Machine):
        closure = closure_vars(defn.fn) if defn.fn is not None else {}
        machine = Machine(table, defn.namespace, closure)
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


def signature_of(defn: WorkflowDef) -> inspect.Signature:
    return defn.signature
