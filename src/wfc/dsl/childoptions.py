"""Checks of a child workflow's own call options: ``id``, ``detached`` and the queue options (``queue``,
``priority``, ``partition_key``, ``dedup_id``), written after ``with`` as the other options are.

They lower to Python's ``child(x).options(id=..., detached=True, queue=...)``, which refuses the same mistakes
only when the workflow runs (``WFC402`` for a step's, ``WFC445`` for a called child's queue): here each is a
diagnostic at its option, before anything runs. What a constant (or a value whose class the file shows) cannot
be is reported too, with the runtime's own rule where there is one (an instance id's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wfc.commands import check_instance_id
from wfc.dsl import ast as wf
from wfc.dsl.resolve import Callee
from wfc.dsl.valueclasses import ValueClasses
from wfc.dsl.values import constant_value
from wfc.errors import WfcError
from wfc.runtime.queues import MAX_PRIORITY

Report = Callable[[str, str, Any, "str | None"], None]

_QUEUED = ("priority", "partition_key", "dedup_id")
_WANTS: dict[str, tuple[type, str]] = {
    "id": (str, "an instance id is text"),
    "queue": (str, "a queue is named by text (the name of a declared wfc.Queue)"),
    "priority": (int, f"a priority is a whole number from 0 (first) to {MAX_PRIORITY:,}"),
    "partition_key": (str, "a partition key is text"),
    "dedup_id": (str, "a dedup_id is text"),
}
_EXAMPLE = {
    "id": 'id "ship-{order_id}"',
    "detached": "detached",
    "queue": 'queue "emails"',
    "priority": "priority 1",
    "partition_key": "partition_key tenant",
    "dedup_id": 'dedup_id "issue-{n}"',
}


def check_child_options(
    v: wf.WithOptions,
    callee: Callee | None,
    started: bool,
    report: Report,
    classes: ValueClasses | None,
    scope: frozenset[str],
) -> None:
    """Reports the child options of ``v`` that ``callee`` (``None``: not a call) does not take, and values they
    cannot have. ``started``: the call is started with ``async``."""
    given: dict[str, wf.Option] = {o.kind: o for o in v.options if o.kind in wf.CHILD_OPTIONS}
    for kind, opt in given.items():
        if not _placed(kind, opt, callee, started, report):
            continue
        if opt.value is not None:
            _value(kind, opt.value, report, classes, scope)
    if started and "queue" not in given:
        for kind in _QUEUED:
            if kind in given:
                report(
                    "WFC150",
                    f"`{kind}` places the child in a queue, and no `queue` is given",
                    given[kind],
                    f'name the queue too: `async child(x) with queue "emails", {_EXAMPLE[kind]}`',
                )


def _placed(kind: str, opt: wf.Option, callee: Callee | None, started: bool, report: Report) -> bool:
    """Whether the option may stand on this call (else reported)."""
    if callee is None or callee.kind not in ("workflow", "child", "step"):
        return True  # not a call of a step or workflow: reported as such already
    if callee.kind == "step":
        if started:
            return False  # `async step(x)` is the error, reported as such
        report(
            "WFC150",
            f"`{kind}` is an option of a child workflow call, not of a step",
            opt,
            f"`{callee.dotted}` is a step: it has no instance of its own to name, detach or queue",
        )
        return False
    if kind in wf.STARTED_OPTIONS and not started:
        if kind == "detached":
            why = "a called child ends before its parent goes on, so it has nothing to outlive"
        else:
            why = "a called child cannot wait in a queue (its parent would wait at the call)"
        report(
            "WFC150",
            f"`{kind}` is an option of a child started with `async`: {why}",
            opt,
            f"start it and await it: `h = async {callee.dotted}(...) with {_EXAMPLE[kind]}`, then `r = await h`",
        )
        return False
    return True


def _value(
    kind: str, e: wf.Expr, report: Report, classes: ValueClasses | None, scope: frozenset[str]
) -> None:
    want, rule = _WANTS[kind]
    ok, value = constant_value(e)
    if not ok:
        # Not a literal: its classes, where the file shows them (null means "not set", as Python's None).
        found = classes.of(e, scope) if classes is not None else None
        if found and not any(c is want or c is type(None) for c in found):
            names = " or ".join(sorted(c.__name__ for c in found))
            report("WFC156", f"{rule}, and this value is {names}", e, f"e.g. `{_EXAMPLE[kind]}`")
        return
    example = f"e.g. `{_EXAMPLE[kind]}`"
    if value is None:
        report("WFC156", f"{rule}, not null", e, f"{example}, or leave `{kind}` out")
    elif kind == "id":
        try:  # the runtime's own rule for an id a caller chooses
            check_instance_id(value)
        except WfcError as exc:
            report("WFC156", str(exc.args[0]), e, exc.hint)
    elif type(value) is not want:
        report("WFC156", f"{rule}, not {type(value).__name__} {value!r:.40}", e, example)
    elif want is str and not value:
        report("WFC156", f"{rule}, and cannot be empty", e, example)
    elif isinstance(value, int) and not 0 <= value <= MAX_PRIORITY:
        report("WFC156", f"{rule}, not {value}", e, "lower priorities are admitted first; the default is 0")
