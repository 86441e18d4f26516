"""Table diffs and migration plans between versions of a workflow."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import wfc
from wfc.compiler.diff import Move, Refusal, diff_tables, plan_migration

from ..programgen import load_module

STEPS = textwrap.dedent(
    """
    import wfc

    @wfc.step
    def fetch(n):
        return n

    @wfc.step
    def notify(x):
        return None
    """
)

V1 = """
@wfc.workflow
def flow(items):
    total = 0
    for item in items:
        got = yield fetch(item)
        total += got
    yield notify(total)
    return total
"""

# The same code, moved down by blank lines and a comment: nothing but positions changed.
V1_MOVED = "\n\n# a comment\n" + V1

# A step added at the end: instances anywhere can move, and will run the new step.
V2_APPEND = V1.replace("    return total", "    yield notify('done')\n    return total")

# The new code after the loop reads a variable the old cursor never kept.
V3_NEEDS = V1.replace("    total = 0\n", "    total = 0\n    bonus = 5\n").replace(
    "    yield notify(total)", "    yield notify(total)\n    total += bonus"
)

# A loop added before the old one: loop cursors are renumbered, and must be renamed.
V4_LOOP_BEFORE = V1.replace(
    "    total = 0\n",
    "    total = 0\n    for warm in [1, 2]:\n        yield notify(warm)\n",
)

# The notify step removed: instances waiting on it have nowhere to go without a mapping.
V5_REMOVED = V1.replace("    yield notify(total)\n", "")


def table_of(tmp_path: Path, body: str) -> wfc.compiler.ir.Table:  # type: ignore[name-defined]
    module = load_module(STEPS + textwrap.dedent(body), tmp_path)
    return wfc.compile(module.flow)


def suspension(table: object, command: str) -> str:
    return next(s.id for s in table.suspensions if s.op.command.source == command)  # type: ignore[attr-defined]


def test_moved_code_diffs_as_unchanged_and_migrates_automatically(tmp_path: Path) -> None:
    old, new = table_of(tmp_path, V1), table_of(tmp_path, V1_MOVED)
    d = diff_tables(old, new)
    assert not d.of_kind("added") and not d.of_kind("removed") and not d.of_kind("changed")
    plan = plan_migration(old, new)
    assert not plan.refusals
    moved = plan.move_for(suspension(old, "fetch(item)"))
    assert isinstance(moved, Move) and moved.automatic and moved.new == suspension(new, "fetch(item)")


def test_appended_step(tmp_path: Path) -> None:
    old, new = table_of(tmp_path, V1), table_of(tmp_path, V2_APPEND)
    d = diff_tables(old, new)
    assert [c.label for c in d.of_kind("added")] == ["notify('done')"]
    plan = plan_migration(old, new)
    assert not plan.refusals
    assert "+ " in d.render() and "1 added" in d.render()


def test_missing_variable_is_refused_with_the_reason(tmp_path: Path) -> None:
    old, new = table_of(tmp_path, V1), table_of(tmp_path, V3_NEEDS)
    plan = plan_migration(old, new)
    refused = plan.move_for(suspension(old, "notify(total)"))
    assert isinstance(refused, Refusal)
    assert "`bonus`" in refused.reason and "do not have" in refused.reason
    # Instances still in the loop would also need `bonus` later on: refused too.
    assert isinstance(plan.move_for(suspension(old, "fetch(item)")), Refusal)


def test_loop_cursor_is_renamed_when_loops_are_renumbered(tmp_path: Path) -> None:
    old, new = table_of(tmp_path, V1), table_of(tmp_path, V4_LOOP_BEFORE)
    move = plan_migration(old, new).move_for(suspension(old, "fetch(item)"))
    assert isinstance(move, Move)
    assert ("_wfc_it1", "_wfc_it2") in move.renames


def test_removed_step_needs_an_explicit_mapping(tmp_path: Path) -> None:
    old, new = table_of(tmp_path, V1), table_of(tmp_path, V5_REMOVED)
    at_notify = suspension(old, "notify(total)")
    plan = plan_migration(old, new)
    refused = plan.move_for(at_notify)
    assert isinstance(refused, Refusal) and "explicit mapping" in refused.reason
    assert [c.label for c in diff_tables(old, new).of_kind("removed")] == ["notify(total)"]
    # Explicitly: wait for the next fetch's result instead? Not a suspension with the same needs — refused.
    bad = plan_migration(old, new, {at_notify: "L99.nowhere"}).move_for(at_notify)
    assert isinstance(bad, Refusal) and "not a suspension" in bad.reason


def test_explicit_mapping_is_still_checked_for_variables(tmp_path: Path) -> None:
    old, new = table_of(tmp_path, V1), table_of(tmp_path, V2_APPEND)
    at_notify = suspension(old, "notify(total)")
    target = suspension(new, "notify('done')")
    move = plan_migration(old, new, {at_notify: target}).move_for(at_notify)
    assert isinstance(move, Move) and not move.automatic


def test_not_started_instances_move_to_the_entry(tmp_path: Path) -> None:
    old, new = table_of(tmp_path, V1), table_of(tmp_path, V3_NEEDS)
    move = plan_migration(old, new).move_for("start")
    assert isinstance(move, Move) and move.new == new.entry


@pytest.mark.parametrize("body", [V1, V2_APPEND, V3_NEEDS, V4_LOOP_BEFORE, V5_REMOVED])
def test_identity_plan_moves_everything(tmp_path: Path, body: str) -> None:
    table = table_of(tmp_path, body)
    plan = plan_migration(table, table)
    assert not plan.refusals
    assert all(m.old == m.new for m in plan.moves if m.old != "start")
    assert diff_tables(table, table).identical
