"""Sagas: undo what succeeded when a later step fails.

A :class:`Saga` is a stack of compensations kept as *data* in a workflow variable: each entry is a step call
(``refund(receipt)``, built but not run), so it is persisted with the cursor like any other value and survives a
crash between two steps. After each step that did something, push the call that undoes it; when something fails,
``yield from saga.unwind()`` runs the compensations newest first, each as a step of its own::

    saga = Saga()
    try:
        receipt = yield from charge(order)
        saga = saga.push(refund(receipt))
        yield from ship(order)
    except Exception:
        yield from saga.unwind()
        raise

A ``Saga`` is frozen: ``push`` returns a new one (assign it back), so a compensation pushed inside a ``try`` is
there in its ``except``. Unwinding is a child workflow, :func:`saga_unwind`: the loop over the compensations must
keep its place across steps. A compensation that fails (after its own retry policy: give compensations one,
they should not give up easily) does not stop the others; once all have run, :class:`CompensationFailed` names
the ones that failed.
"""

from __future__ import annotations

from typing import Any

import attrs

import wfc
from wfc.commands import ChildCall, StepCall
from wfc.errors import WfcError

CODE = "WFC481"

Compensation = StepCall[Any] | ChildCall[Any]
"""A step call (or a child workflow call) that undoes one step: ``refund(receipt)``, with its ``.options()``."""


class CompensationFailed(Exception):
    """Some compensations still failed after their retries; ``failures`` holds ``(name, error)`` pairs, in the
    order they ran (newest compensation first). The others ran."""

    def __init__(self, message: str, failures: list[tuple[str, str]]) -> None:
        super().__init__(message, failures)
        self.failures = failures

    def __str__(self) -> str:
        return str(self.args[0])


wfc.register_error(CompensationFailed)


@attrs.frozen
class Saga:
    """A stack of compensations, oldest first (``compensations[-1]`` runs first)."""

    compensations: tuple[Compensation, ...] = ()

    def push(self, compensation: Compensation) -> Saga:
        """This saga with ``compensation`` on top: a step call the workflow builds but does not yield."""
        if not isinstance(compensation, StepCall | ChildCall):
            raise WfcError(
                f"Saga.push(): a compensation is a step call such as refund(receipt), not {compensation!r}",
                code=CODE,
                hint="pass the call without `yield from`: saga = saga.push(refund(receipt)); the step runs only "
                "when the saga unwinds",
            )
        return Saga((*self.compensations, compensation))

    def unwind(self) -> ChildCall[list[Any]]:
        """The command that runs every compensation, newest first, and gives their results in that order;
        ``CompensationFailed`` at its ``yield`` when any failed."""
        return saga_unwind(list(self.compensations))

    def __len__(self) -> int:
        return len(self.compensations)


@wfc.workflow(name="wfc.stdlib.saga_unwind")
def saga_unwind(compensations: list[Compensation]) -> wfc.Workflow[list[Any]]:
    """Run ``compensations`` newest (last) first; see :meth:`Saga.unwind`."""
    results: list[Any] = []
    failures: list[tuple[str, str]] = []
    for compensation in reversed(compensations):
        try:
            done = yield from compensation
        except Exception as exc:  # carry on: the other compensations are independent undo actions
            kind = getattr(exc, "type_name", type(exc).__name__)  # a step failure names the step's own type
            failures.append((compensation.display_name, f"{kind}: {getattr(exc, 'message', exc)}"))
            wfc.log.warning("compensation %s failed: %s", compensation.display_name, exc)
            results.append(None)
        else:
            results.append(done)
    if failures:
        names = ", ".join(name for name, _ in failures)
        raise CompensationFailed(
            f"{len(failures)} of {len(compensations)} compensation(s) failed: {names}", failures
        )
    return results
