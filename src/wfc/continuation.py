"""``return wfc.continue_as_new(*args, **kwargs)``: end the current *run* of a workflow and start it again, under
the same instance id, with new arguments (Temporal's ContinueAsNew).

An eternal workflow (a subscription renewed every month, a poller) would otherwise grow its history forever. A
continuation keeps the instance — its id, its parent, the events sent to it and not yet taken, its timeout — and
drops the run's history, so a workflow that continues 10,000 times keeps the rows of one run. The next run runs the
newest deployed version of the workflow: this is how an eternal workflow migrates to new code.

It is a kernel module (beside :mod:`wfc.commands`) because the compiler must recognise it — yielding it is
``WFC117`` — and both runners act on it when a workflow returns it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class ContinueAsNew:
    """What a workflow returns to continue as new: the next run's arguments (checked and converted against the
    workflow's parameters as ``Runtime.start`` checks them)."""

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"wfc.continue_as_new({', '.join(parts)})"


def continue_as_new(*args: Any, **kwargs: Any) -> Any:
    """``return wfc.continue_as_new(*args, **kwargs)``: end this run and start the workflow again with these
    arguments, under the same id (a new run number: ``Status.run``). Whoever waits for the instance (``result``,
    a parent) waits for the run that finally completes or fails. Returned, never yielded (``WFC117``).

    Typed ``Any`` so that ``return wfc.continue_as_new(...)`` fits any declared result type."""
    return ContinueAsNew(tuple(args), dict(kwargs))


__all__ = ["ContinueAsNew", "continue_as_new"]
