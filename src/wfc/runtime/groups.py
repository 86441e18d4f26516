"""Commands as trees of leaves: ``all_of``/``any_of`` flattened into leaf commands with index paths, and the
rule that decides when a tree has its result.

A suspension's command becomes one history row per *leaf* (step, child workflow, timer, event wait), in
depth-first order; ``path`` names a leaf's place (``"1.0"``: item 0 of item 1), ``""`` for a lone command. The
tree's *shape* (JSON: a leaf is its index, ``{"all": [...]}``/``{"any": [...]}`` a node; ``"tuple": 1`` beside
``"all"`` when its result is a tuple, as ``all_of(a, b)`` gives, a list without it, as ``all_of([...])`` gives
and every shape stored before tuples were) is stored with the first row so the group can be decided from its rows
alone.

Deciding matches the in-memory runner: ``all_of`` has its result when every item has one (a list in argument
order), or fails with its earliest failure; ``any_of`` takes its earliest item. An outcome's *order* is
``(finished_at, arrival, leaf index)``: at one moment, an event comes before anything else, and events in the
order they were *sent* (``arrival`` is the event's id); then outcomes there the moment the command started (a zero
timer or timeout, arguments that cannot be persisted: :data:`SOON`); then the rest (:data:`LATE`), lowest index
first.

A decision also says which leaves it *used* (:attr:`Decision.leaves`): an event taken by any other leaf is given
back, so the next wait takes it (a losing ``wait_event`` consumes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

import attrs

from wfc.commands import AllOf, AnyOf, Command
from wfc.runtime.store.protocol import DONE, EVENT, RESOLVED, SLEEP, LeafRow

Shape = int | dict[str, Any]


def flatten(command: Command) -> tuple[list[tuple[str, Command]], Shape]:
    """The leaves of a command tree in depth-first order, with their paths, and the tree's shape."""
    leaves: list[tuple[str, Command]] = []

    def walk(cmd: Command, path: str) -> Shape:
        if isinstance(cmd, AllOf | AnyOf):
            key = "all" if isinstance(cmd, AllOf) else "any"
            prefix = f"{path}." if path else ""
            node: dict[str, Any] = {key: [walk(item, f"{prefix}{i}") for i, item in enumerate(cmd.items)]}
            if isinstance(cmd, AllOf) and cmd.separate:
                node["tuple"] = 1
            return node
        leaves.append((path, cmd))
        return len(leaves) - 1

    shape = walk(command, "")
    return leaves, shape


def dump_shape(shape: Shape) -> str | None:
    return None if isinstance(shape, int) else json.dumps(shape, separators=(",", ":"))


def load_shape(text: str | None) -> Shape:
    return 0 if text is None else json.loads(text)  # type: ignore[no-any-return,unused-ignore]


SOON: Final = 1 << 62
"""The arrival rank of an outcome there the moment its command started (other than an event already sent)."""
LATE: Final = 1 << 63
"""The arrival rank of every other outcome that is not an event (a step's, a child's, a timer's)."""

Order = tuple[float, int, int]


@attrs.frozen
class Seen:
    """A leaf's outcome as far as deciding goes: success or failure, and when (``(time, arrival, index)``)."""

    ok: bool
    order: Order


# A decided plan says how to build the result from leaf values: ("leaf", i), ("list"/"tuple", [plans]),
# ("pair", index, plan), or ("fail", i) — the leaf whose failure raises.
Plan = tuple[Any, ...]


@attrs.frozen
class Decision:
    ok: bool
    plan: Plan
    order: Order
    leaves: frozenset[int]
    """The leaves whose outcomes this decision took (the winner's, and for a failed ``all_of`` the items that had
    finished by then): an event held by any other leaf goes back to the instance's unconsumed events."""


def decide(shape: Shape, seen: list[Seen | None]) -> Decision | None:
    """The tree's outcome, or ``None`` while it is still pending."""
    if isinstance(shape, int):
        s = seen[shape]
        if s is None:
            return None
        return Decision(s.ok, ("leaf", shape) if s.ok else ("fail", shape), s.order, frozenset((shape,)))
    if "all" in shape:
        parts = [decide(child, seen) for child in shape["all"]]
        failures = [p for p in parts if p is not None and not p.ok]
        if failures:
            first = min(failures, key=lambda p: p.order)
            # as in the in-memory runner: the items finished by the time of the failure took their outcomes
            used = frozenset().union(
                *(p.leaves for p in parts if p is not None and p.order[0] <= first.order[0])
            )
            return attrs.evolve(first, leaves=used)
        if any(p is None for p in parts):
            return None
        done = [p for p in parts if p is not None]
        order = max((p.order for p in done), default=(float("-inf"), -1, -1))
        kind = "tuple" if shape.get("tuple") else "list"
        return Decision(
            True, (kind, [p.plan for p in done]), order, frozenset().union(*(p.leaves for p in done))
        )
    parts = [decide(child, seen) for child in shape["any"]]
    ready = [(p.order, i, p) for i, p in enumerate(parts) if p is not None]
    if not ready:
        return None
    order, index, first = min(ready, key=lambda x: (x[0], x[1]))
    if not first.ok:
        return first
    return Decision(True, ("pair", index, first.plan), order, first.leaves)


def build(plan: Plan, value: Callable[[int], Any]) -> Any:
    """The result value of a successful decision; ``value(i)`` decodes leaf ``i``'s result."""
    kind = plan[0]
    if kind == "leaf":
        return value(plan[1])
    if kind == "list":
        return [build(p, value) for p in plan[1]]
    if kind == "tuple":
        return tuple(build(p, value) for p in plan[1])
    if kind == "pair":
        return (plan[1], build(plan[2], value))
    raise AssertionError(f"not a success plan: {plan!r}")


def seen_rows(rows: list[LeafRow], event_ids: dict[int, int]) -> list[Seen | None]:
    """What deciding needs from a suspension's rows: each finished leaf's outcome and order. ``event_ids``: the
    id of the event each event leaf took (by ``pos``)."""
    seen: list[Seen | None] = []
    for i, row in enumerate(rows):
        if row.status not in (RESOLVED, DONE):
            seen.append(None)
            continue
        at = row.finished_at or 0.0
        arrival = event_ids.get(row.pos)
        if arrival is None:
            # there at once: a zero timer or timeout
            instant = at == row.scheduled_at and row.kind in (SLEEP, EVENT)
            arrival = SOON if instant else LATE
        seen.append(Seen(row.error is None, (at, arrival, i)))
    return seen
