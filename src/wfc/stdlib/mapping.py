"""Mapping a step over many items, results in the items' order.

``sizes = yield from map_items(resize, images)`` runs ``resize(image)`` for every image in parallel;
``yield from map_batches(index, docs, batch_size=100)`` calls ``index`` with lists of up to 100 documents (a
bulk API) and flattens what it returns. Both are child workflows that fan out with ``wfc.all_of``.

**A sliding window.** ``WINDOW = map_window(5)`` at module level, then ``yield from WINDOW.map(resize,
images)``: at most 5 calls are due or running at once, across all workers, and each that finishes starts the
next (no batch barrier: one slow call does not hold back the other four). This is the runtime's own window,
``@wfc.workflow(max_parallelism=5)``, which belongs to a workflow definition: ``map_window(n)`` defines (once)
the map workflow ``wfc.stdlib.map_window_<n>``. It must run at import, in every process — a worker serves only
workflows it has defined — which module level guarantees; calling ``map_window`` inside a workflow is refused.

Fan-outs are cut into rounds of :data:`ROUND` calls (the runtime refuses a single ``all_of`` wider than
``Limits.fanout``), so a map of 25,000 items is 25 rounds, each waiting for its slowest call.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any, TypeVar

import attrs

import wfc
from wfc.commands import RUNNING, ChildCall, StepDef, WorkflowDef
from wfc.errors import WfcError
from wfc.stdlib import _checks

CODE = "WFC483"
ROUND = 1000
T = TypeVar("T")
R = TypeVar("R")


@wfc.workflow(name="wfc.stdlib.map_items")
def mapping(step: StepDef[..., Any], items: list[Any], batch_size: int) -> wfc.Workflow[list[Any]]:
    """``step`` over ``items`` (``batch_size`` > 1: over lists of that many), results in order."""
    units: list[Any] = items
    if batch_size > 1:
        units = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    results: list[Any] = []
    for start in range(0, len(units), ROUND):
        outs = yield from wfc.all_of([step(unit) for unit in units[start : start + ROUND]])
        if batch_size == 1:
            results.extend(outs)
            continue
        for number, (unit, out) in enumerate(zip(units[start : start + ROUND], outs), start):
            if not isinstance(out, list) or len(out) != len(unit):
                got = f"{len(out)} results" if isinstance(out, list) else f"a {type(out).__name__}"
                raise WfcError(
                    f"wfc.stdlib.map_batches(): {step.name} returned {got} for batch {number} of {len(unit)} items",
                    code=CODE,
                    hint="a batch step returns a list with one result per item, in the items' order",
                )
            results.extend(out)
    return results


@attrs.frozen
class MapWindow:
    """Maps with at most ``size`` calls at once (``None``: as many as the runtime's pool runs)."""

    size: int | None
    workflow: WorkflowDef[..., list[Any]] = attrs.field(repr=False)

    def map(self, step: StepDef[[T], R], items: Sequence[T]) -> ChildCall[list[R]]:
        """The command that runs ``step(item)`` for every item, giving the results in the items' order."""
        return self.workflow(*_arguments("map_items", step, items, 1))

    def map_batches(
        self, step: StepDef[[list[T]], list[R]], items: Sequence[T], batch_size: int
    ) -> ChildCall[list[R]]:
        """The command that runs ``step(batch)`` for lists of up to ``batch_size`` items (each call returns one
        result per item), giving every item's result in the items' order."""
        return self.workflow(*_arguments("map_batches", step, items, batch_size))


_WINDOWS: dict[int | None, MapWindow] = {None: MapWindow(None, mapping)}


def map_window(size: int) -> MapWindow:
    """The map helpers with a sliding window of ``size`` calls; call it at module level (see the module)."""
    _checks.whole(size, "size", CODE, where="wfc.stdlib.map_window()")
    if size not in _WINDOWS:
        if RUNNING.get() is not None:
            raise WfcError(
                f"wfc.stdlib.map_window({size}) was first called inside a running workflow: a worker that did not "
                "run this code would not know the map workflow it defines",
                code=CODE,
                hint=f"call it once at module level, e.g. WINDOW = wfc.stdlib.map_window({size}), and use WINDOW.map",
            )
        _WINDOWS[size] = MapWindow(size, _windowed(size))
    return _WINDOWS[size]


def _windowed(size: int) -> WorkflowDef[..., list[Any]]:
    """:func:`mapping`'s code as a workflow of its own, ``wfc.stdlib.mapping:map_window_<size>``: a window is
    an option of a workflow *definition*, and a definition is named by its function's ``module:qualname``, so
    each window gets the same code under a qualname of its own (same source, same line numbers: ``wfc graph``
    and tracebacks show :func:`mapping`)."""
    original = mapping.fn
    assert original is not None
    fn = types.FunctionType(original.__code__, original.__globals__, original.__name__)  # the compiler finds
    fn.__qualname__ = f"map_window_{size}"  # the def by __name__; the key is made of __qualname__
    fn.__module__, fn.__doc__ = original.__module__, original.__doc__
    fn.__annotations__ = dict(original.__annotations__)
    return wfc.workflow(name=f"wfc.stdlib.map_window_{size}", max_parallelism=size)(fn)


def map_items(step: StepDef[[T], R], items: Sequence[T]) -> ChildCall[list[R]]:
    """``step(item)`` for every item at once (see :func:`map_window` for a window); results in order."""
    return _WINDOWS[None].map(step, items)


def map_batches(step: StepDef[[list[T]], list[R]], items: Sequence[T], batch_size: int) -> ChildCall[list[R]]:
    """``step(batch)`` for lists of up to ``batch_size`` items; every item's result, in order."""
    return _WINDOWS[None].map_batches(step, items, batch_size)


def _arguments(what: str, step: object, items: object, batch_size: object) -> tuple[Any, list[Any], int]:
    where = f"wfc.stdlib.{what}()"
    checked = _checks.step_def(step, "step", CODE, where=where)
    if not isinstance(items, list | tuple):
        raise WfcError(
            f"{where}: items must be a list or tuple, not {type(items).__name__}",
            code=CODE,
            hint="make a list first: list(...) of a generator, sorted(...) of a set",
        )
    return checked, list(items), _checks.whole(batch_size, "batch_size", CODE, where=where)
