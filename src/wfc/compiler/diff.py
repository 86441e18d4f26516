"""Comparing two versions of a workflow's table, and planning how to move in-flight instances between them.

An in-flight instance always sits at a *suspension* (or has not started yet). Moving it to a new table version
means choosing the new suspension it waits at and renaming its variables, so that the new code runs from there
with everything it needs. The compiler can prove a move safe when:

* the two suspensions wait for the same command, bind the result to the same targets, and sit in the same
  context: inside loops over the same iterables and under try statements with the same handlers (their
  *signature*), the k-th suspension with that signature in each table; and
* every variable the new state needs is one the old cursor persists — after renaming the compiler's own slots
  (loop cursors, caught exceptions, pending finally completions), which are matched by what defines them.

Everything else needs an explicit mapping (``{"L12.resume": "L15.resume"}`` — old suspension state id to new),
and is still refused, with the reason, when a needed variable is missing.
"""

from __future__ import annotations

from collections import defaultdict

import attrs

from wfc.compiler import ir

START = "start"


@attrs.frozen
class Signature:
    command: str
    bind: tuple[str, ...]
    loops: tuple[str, ...]
    handlers: tuple[str, ...]

    def describe(self) -> str:
        where = "".join(f" in loop over {loop}" for loop in self.loops)
        return f"`{self.command}`{where}"


@attrs.frozen
class StateChange:
    old: str | None
    new: str | None
    kind: str  # "unchanged" | "changed" | "added" | "removed"
    label: str = ""


@attrs.frozen
class TableDiff:
    old_hash: str
    new_hash: str
    changes: tuple[StateChange, ...]

    @property
    def identical(self) -> bool:
        return self.old_hash == self.new_hash

    def of_kind(self, kind: str) -> tuple[StateChange, ...]:
        return tuple(c for c in self.changes if c.kind == kind)

    def render(self) -> str:
        lines = [f"--- {self.old_hash[:12]}", f"+++ {self.new_hash[:12]}"]
        marks = {"unchanged": " ", "changed": "~", "added": "+", "removed": "-"}
        for c in self.changes:
            ids = c.old if c.old == c.new else f"{c.old or '∅'} -> {c.new or '∅'}"
            lines.append(f"{marks[c.kind]} {ids}  {c.label}".rstrip())
        counts = {k: len(self.of_kind(k)) for k in marks}
        lines.append(", ".join(f"{n} {k}" for k, n in counts.items()))
        return "\n".join(lines)


@attrs.frozen
class Move:
    """How instances at old suspension ``old`` move: to ``new``, renaming variables (``renames``: old → new
    name) and the jump targets of pending completions (``targets``: old state → new state). ``needs``: the
    variables (new names) the new state reads, which an instance must hold."""

    old: str
    new: str
    renames: tuple[tuple[str, str], ...] = ()
    targets: tuple[tuple[str, str], ...] = ()
    needs: tuple[str, ...] = ()
    automatic: bool = True


@attrs.frozen
class Refusal:
    old: str
    reason: str


@attrs.frozen
class MigrationPlan:
    old_hash: str
    new_hash: str
    moves: tuple[Move, ...]
    refusals: tuple[Refusal, ...]

    def move_for(self, state: str) -> Move | Refusal:
        for m in self.moves:
            if m.old == state:
                return m
        for r in self.refusals:
            if r.old == state:
                return r
        return Refusal(state, f"state {state!r} is not a suspension of table {self.old_hash[:12]}")


# ---- signatures -------------------------------------------------------------------------------------------------


def _loop_inits(table: ir.Table) -> dict[str, str]:
    """Loop cursor variable → what its loop iterates, as written (``items``, ``d.items()``): read from the
    loop heads the table records."""
    return {
        s.loop.cursor: s.loop.over
        for s in table.states
        if s.loop is not None and s.loop.cursor is not None and s.loop.over is not None
    }


def _region_chain(table: ir.Table, region: str | None) -> list[ir.Region]:
    regions = {r.id: r for r in table.regions}
    out: list[ir.Region] = []
    while region is not None and region in regions and len(out) < len(regions):
        out.append(regions[region])
        region = regions[region].parent
    return out


def _handlers_text(region: ir.Region) -> str:
    parts = [h.types.source if h.types else "*" for h in region.handlers]
    return f"try[{', '.join(parts)}]{'+finally' if region.finally_entry else ''}"


def signature(table: ir.Table, state: ir.State, inits: dict[str, str] | None = None) -> Signature:
    assert isinstance(state.op, ir.Suspend)
    inits = inits if inits is not None else _loop_inits(table)
    loops = tuple(sorted(inits[v] for v in state.op.live if v in inits))
    chain = _region_chain(table, state.region)
    return Signature(
        state.op.command.source,
        state.op.bind.targets if state.op.bind else (),
        loops,
        tuple(_handlers_text(r) for r in chain),
    )


def _keyed_suspensions(table: ir.Table) -> dict[tuple[Signature, int], ir.State]:
    inits = _loop_inits(table)
    seen: dict[Signature, int] = defaultdict(int)
    out: dict[tuple[Signature, int], ir.State] = {}
    for s in table.suspensions:
        sig = signature(table, s, inits)
        out[(sig, seen[sig])] = s
        seen[sig] += 1
    return out


# ---- diff -------------------------------------------------------------------------------------------------------


def _content(state: ir.State) -> tuple[object, ...]:
    """What a state does, without its id, targets and position."""
    op = state.op
    fields: list[object] = [op.tag, state.code.source if state.code else ""]
    fields.extend(e.source for e in op.exprs())
    if isinstance(op, ir.Suspend) and op.bind:
        fields.append(op.bind.targets)
    return tuple(fields)


def diff_tables(old: ir.Table, new: ir.Table) -> TableDiff:
    """States added, removed, changed and unchanged. States are paired by content first (so moved code pairs
    up whatever its line), then by id; suspensions by signature."""
    pairs: dict[str, str] = {}
    old_keys = _keyed_suspensions(old)
    new_keys = _keyed_suspensions(new)
    for key, s in old_keys.items():
        if key in new_keys:
            pairs[s.id] = new_keys[key].id
    used = set(pairs.values())
    by_content: dict[tuple[object, ...], list[str]] = defaultdict(list)
    for s in new.states:
        if s.id not in used:
            by_content[_content(s)].append(s.id)
    for s in old.states:
        if s.id in pairs:
            continue
        candidates = by_content.get(_content(s))
        if candidates:
            pairs[s.id] = candidates.pop(0)
    used = set(pairs.values())
    new_ids = {s.id for s in new.states}
    for s in old.states:
        if s.id not in pairs and s.id in new_ids and s.id not in used:
            pairs[s.id] = s.id
            used.add(s.id)
    new_by_id = {s.id: s for s in new.states}
    changes: list[StateChange] = []
    for s in old.states:
        if s.id in pairs:
            other = new_by_id[pairs[s.id]]
            kind = "unchanged" if _content(s) == _content(other) else "changed"
            changes.append(StateChange(s.id, other.id, kind, other.label or s.label))
        else:
            changes.append(StateChange(s.id, None, "removed", s.label))
    for s in new.states:
        if s.id not in used:
            changes.append(StateChange(None, s.id, "added", s.label))
    return TableDiff(old.hash, new.hash, tuple(changes))


# ---- migration plans --------------------------------------------------------------------------------------------


def _slot_renames(
    old: ir.Table, new: ir.Table, s_old: ir.State, s_new: ir.State
) -> tuple[dict[str, str], dict[str, str], str | None]:
    """Renames of the compiler's slots between two matched suspensions, and of pending jump targets."""
    renames: dict[str, str] = {}
    targets: dict[str, str] = {}
    old_inits, new_inits = _loop_inits(old), _loop_inits(new)
    by_init_new: dict[str, list[str]] = defaultdict(list)
    for var, init in new_inits.items():
        by_init_new[init].append(var)
    for var in s_old.op.live if isinstance(s_old.op, ir.Suspend) else ():
        if var in old_inits:
            matches = [v for v in by_init_new.get(old_inits[var], []) if v in _live(s_new)]
            if len(matches) != 1:
                return (
                    {},
                    {},
                    f"the loop over {old_inits[var]} has no single counterpart in the new version",
                )
            renames[var] = matches[0]
    old_chain, new_chain = _region_chain(old, s_old.region), _region_chain(new, s_new.region)
    if len(old_chain) != len(new_chain):
        return {}, {}, "the try statements around the step changed"
    for ro, rn in zip(old_chain, new_chain):
        if ro.slot and rn.slot:
            renames[ro.slot] = rn.slot
        if ro.completion and rn.completion:
            renames[ro.completion] = rn.completion
            if len(ro.exits) != len(rn.exits):
                return {}, {}, "the ways out of a finally around the step changed"
            targets.update(zip(ro.exits, rn.exits))
    # A suspension inside a finally block is outside its region (the region was left to run the finally) but
    # holds the region's pending completion: pair those regions in table order.
    old_fin = [r for r in old.regions if r.completion in _live(s_old) and r not in old_chain]
    new_fin = [r for r in new.regions if r.completion in _live(s_new) and r not in new_chain]
    if len(old_fin) != len(new_fin):
        return {}, {}, "the finally blocks the step sits in changed"
    for ro, rn in zip(old_fin, new_fin):
        if ro.completion and rn.completion:
            renames[ro.completion] = rn.completion
        if len(ro.exits) != len(rn.exits):
            return {}, {}, "the ways out of the finally the step sits in changed"
        targets.update(zip(ro.exits, rn.exits))
    return renames, targets, None


def _live(state: ir.State) -> tuple[str, ...]:
    return state.op.live if isinstance(state.op, ir.Suspend) else ()


def plan_migration(old: ir.Table, new: ir.Table, mapping: dict[str, str] | None = None) -> MigrationPlan:
    """A move (or a refusal with its reason) for every suspension of ``old``, and for not-yet-started
    instances (``start``)."""
    mapping = dict(mapping or {})
    new_states = {s.id: s for s in new.states}
    automatic = {s.id: new_keys_state.id for (key, s), new_keys_state in _matched(old, new)}
    moves: list[Move] = [Move(START, new.entry)]
    refusals: list[Refusal] = []
    for s_old in old.suspensions:
        explicit = s_old.id in mapping
        target = mapping.get(s_old.id, automatic.get(s_old.id))
        if target is None:
            sig = signature(old, s_old)
            refusals.append(
                Refusal(
                    s_old.id,
                    f"no suspension of the new version waits for {sig.describe()}; give an explicit mapping",
                )
            )
            continue
        s_new = new_states.get(target)
        if s_new is None or not isinstance(s_new.op, ir.Suspend):
            refusals.append(Refusal(s_old.id, f"{target!r} is not a suspension of the new version"))
            continue
        renames, targets, problem = _slot_renames(old, new, s_old, s_new)
        if problem:
            refusals.append(Refusal(s_old.id, problem))
            continue
        have = {renames.get(v, v) for v in _live(s_old)}
        needs = tuple(sorted(_live(s_new)))
        missing = [v for v in needs if v not in have]
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            refusals.append(
                Refusal(
                    s_old.id,
                    f"the new state {target} needs {names}, which instances at {s_old.id} do not have",
                )
            )
            continue
        moves.append(
            Move(
                s_old.id,
                target,
                tuple(sorted(renames.items())),
                tuple(sorted(targets.items())),
                needs,
                automatic=not explicit,
            )
        )
    return MigrationPlan(old.hash, new.hash, tuple(moves), tuple(refusals))


def _matched(old: ir.Table, new: ir.Table) -> list[tuple[tuple[tuple[Signature, int], ir.State], ir.State]]:
    new_keys = _keyed_suspensions(new)
    return [((key, s), new_keys[key]) for key, s in _keyed_suspensions(old).items() if key in new_keys]
