"""Moving in-flight instances from one table version of a workflow to the current one (``Runtime.migrate``).

The plan comes from the compiler (:func:`wfc.compiler.diff.plan_migration`): for every suspension of the old
version, the new suspension its instances move to — with the renames of the compiler's own variables (loop
cursors, caught exceptions, pending ``finally`` completions) and of pending jump targets — or a refusal with its
reason. Applying a move to one instance is one transaction that touches its current suspension only:

* the cursor (first row of the suspension): state id set to the new one, live variables renamed and narrowed to
  what the new state keeps, pending ``finally`` jumps re-targeted;
* the outstanding commands stay as they are (a step waiting, retrying or running, a timer, an event wait, a child
  workflow, what an ``all_of`` already has): their outcome goes to the new state. Leases on them are revoked, so a
  process that read the old cursor before cannot resume with it (a step being run runs again: at least once);
* the instance's table hash is set to the new version, and the move is logged (a later restart from an earlier
  step goes back to the version that step was written by).

The runtime runs only versions it can rebuild from deployed code (:mod:`wfc.runtime.versions`): migrating *to*
a version means to the current code's. Old versions come from the database's saved tables (every version an
instance started on) or the deployment's versions directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from wfc import convert
from wfc.compiler import ir, serialize
from wfc.compiler.diff import MigrationPlan, Move, Refusal, plan_migration
from wfc.errors import WfcError
from wfc.runtime.errors import MigrationError
from wfc.runtime.machine import Pending
from wfc.runtime.store.protocol import FINISHED, START, ControlStore
from wfc.runtime.versions import version_path

if TYPE_CHECKING:
    from wfc.commands import WorkflowDef
    from wfc.runtime.engine import Engine


@attrs.frozen
class InstanceMove:
    """What migration did (or, with ``dry_run``, would do) to one instance: ``outcome`` is ``moved``,
    ``would move`` or ``refused`` (``reason`` says why); ``old_state``/``new_state`` are the suspension it sat
    at and the one it now sits at (``start`` for an instance that has not started)."""

    id: str
    outcome: str
    old_state: str
    new_state: str | None = None
    reason: str | None = None


@attrs.frozen
class MigrationReport:
    workflow: str
    from_hash: str
    to_hash: str
    plan: MigrationPlan
    instances: tuple[InstanceMove, ...]
    dry_run: bool = False

    @property
    def moved(self) -> tuple[InstanceMove, ...]:
        return tuple(i for i in self.instances if i.outcome != "refused")

    @property
    def refused(self) -> tuple[InstanceMove, ...]:
        return tuple(i for i in self.instances if i.outcome == "refused")


# ---- finding table versions -------------------------------------------------------------------------------------


def load_version(engine: Engine, defn: WorkflowDef | None, ref: str) -> ir.Table:
    """A table version by hash or unique hash prefix: the current code's, a saved one, or a shipped one."""
    store: ControlStore = engine.store  # type: ignore[assignment]
    if not ref or not all(c in "0123456789abcdef" for c in ref.lower()):
        raise MigrationError(f"{ref!r} is not a table hash (hex digits)", hint="`wfc list --json` shows them")
    ref = ref.lower()
    if defn is not None:
        current: ir.Table = engine.deployment.current(defn)
        if current.hash.startswith(ref):
            return current
    found = {h: w for h, w in store.table_hashes(ref) if defn is None or w == defn.key}
    directory = engine.deployment.versions_dir
    if directory is not None and defn is not None:
        folder = version_path(directory, defn.key, "x").parent
        found.update({p.stem: defn.key for p in folder.glob(f"{ref}*.json")})
    if not found:
        whose = f" of {defn.key}" if defn is not None else ""
        raise MigrationError(
            f"no table version{whose} starts with {ref!r}",
            hint="versions are those instances started on (saved in the database) or shipped in the versions "
            "directory",
        )
    if len(found) > 1:
        raise MigrationError(f"the hash prefix {ref!r} is ambiguous ({', '.join(sorted(h[:12] for h in found))})",
                             hint="give more digits")  # fmt: skip
    ((full, key),) = found.items()
    saved = store.table_text(full)
    try:
        if saved is not None:
            table = serialize.from_json(saved[1])
        else:
            assert directory is not None
            table = serialize.from_json(version_path(directory, key, full).read_text())
    except (OSError, WfcError) as exc:
        raise MigrationError(f"cannot read table version {full[:12]}: {exc}") from None
    if table.hash != full:
        raise MigrationError(f"the stored table {full[:12]} hashes to {table.hash[:12]}: refusing to use it")
    return table


# ---- migrating --------------------------------------------------------------------------------------------------


def migrate(
    engine: Engine,
    workflow: Any,
    from_hash: str,
    to_hash: str | None,
    mapping: Mapping[str, str] | None,
    now: float,
    *,
    dry_run: bool = False,
) -> MigrationReport:
    defn = engine.deployment.workflow(workflow)
    new = engine.deployment.current(defn)
    if to_hash is not None and not new.hash.startswith(to_hash.lower()):
        raise MigrationError(
            f"instances can only move to the current code's version of {defn.key} ({new.hash[:12]}), "
            f"not {to_hash[:12]}",
            hint="deploy the code of the version to move to, or leave out to_hash",
        )
    old = load_version(engine, defn, from_hash)
    plan = plan_migration(old, new, dict(mapping or {}))
    unknown = sorted(set(mapping or {}) - {s.id for s in old.suspensions})
    if unknown:
        raise MigrationError(
            f"the mapping names {', '.join(map(repr, unknown))}, which {'is' if len(unknown) == 1 else 'are'} not "
            f"a suspension of version {old.hash[:12]}",
            hint="map old suspension state ids (as `wfc diff` or Runtime.status(id).state_id show them) to new ones",
        )
    store: ControlStore = engine.store  # type: ignore[assignment]
    moves: list[InstanceMove] = []
    if old.hash != new.hash:
        if not dry_run:
            with store.transaction():
                engine.save_table(defn, new, now)
        for inst in store.unfinished(defn.key, old.hash):
            moves.append(_migrate_one(store, inst.id, old, new, plan, now, dry_run))
    return MigrationReport(defn.key, old.hash, new.hash, plan, tuple(moves), dry_run)


def _migrate_one(
    store: ControlStore, instance_id: str, old: ir.Table, new: ir.Table, plan: MigrationPlan, now: float,
    dry_run: bool,
) -> InstanceMove:  # fmt: skip
    with store.transaction():
        inst = store.get_instance(instance_id)
        if inst is None or inst.state in FINISHED or inst.table_hash != old.hash:
            return InstanceMove(instance_id, "refused", "?", reason="it finished or moved meanwhile")
        seq = store.last_seq(inst.n)
        rows = store.group(inst.n, seq)
        first = rows[0]
        at = first.state_id if first.kind != START else "start"
        if at is None:
            return InstanceMove(inst.id, "refused", "?", reason="its current suspension has no cursor")
        move = _move_for(plan, at, not_started=first.kind == START)
        if isinstance(move, Refusal):
            return InstanceMove(inst.id, "refused", at, reason=move.reason)
        variables = convert.loads_vars(first.snapshot) if first.snapshot else {}
        moved, problem = _move_variables(variables, move, new, start=first.kind == START)
        if problem is not None:
            return InstanceMove(inst.id, "refused", at, reason=problem)
        target = None if first.kind == START else move.new
        if dry_run:
            return InstanceMove(inst.id, "would move", at, target or "start")
        store.set_cursor(first.key, target, convert.dumps_vars(moved))
        store.revoke(inst.n, seq)
        store.set_table_hash(inst.n, new.hash, now)
        store.add_version_move(inst.n, seq, old.hash, new.hash, now)
        if inst.blocked is not None:
            store.unpark_instance(inst.n, seq, now)  # blocked on its old version: it can move now
        return InstanceMove(inst.id, "moved", at, target or "start")


def _move_for(plan: MigrationPlan, state_id: str, *, not_started: bool) -> Move | Refusal:
    """The plan's move for an instance. The plan's first move is for instances that have not started; its old
    id (``start``) is also the id of the entry state, which is a suspension when the workflow's first line
    yields — an instance waiting there is not a not-started one."""
    if not_started:
        return plan.moves[0]
    for move in plan.moves[1:]:
        if move.old == state_id:
            return move
    for refusal in plan.refusals:
        if refusal.old == state_id:
            return refusal
    return Refusal(state_id, f"state {state_id!r} is not a suspension of table {plan.old_hash[:12]}")


def _move_variables(
    variables: dict[str, Any], move: Move, new: ir.Table, *, start: bool
) -> tuple[dict[str, Any], str | None]:
    """The instance's variables as the new state expects them, or the reason it cannot move."""
    if start:
        missing = [p.name for p in new.params if p.name not in variables]
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            return {}, f"the new version takes {names}, which this instance was not started with"
        return dict(variables), None
    renames = dict(move.renames)
    targets = dict(move.targets)
    needs = set(move.needs)
    out: dict[str, Any] = {}
    for name, value in variables.items():
        name = renames.get(name, name)
        if name not in needs:
            continue  # not live at the new state: the new code never reads it before assigning it
        if isinstance(value, Pending) and value.kind == "jump" and value.target is not None:
            if value.target not in targets and value.target not in {s.id for s in new.states}:
                return (
                    {},
                    f"a pending `finally` jump goes to {value.target}, which the new version does not have",
                )
            value = Pending("jump", targets.get(value.target, value.target), value.value)
        out[name] = value
    return out, None


__all__ = ["InstanceMove", "MigrationReport", "load_version", "migrate"]
