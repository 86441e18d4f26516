"""The IR: JSON round trip, content hash, the verifier catching every broken invariant, and normalize()."""

from __future__ import annotations

import json

import attrs
import pytest

import wfc
from wfc.compiler import ir, serialize
from wfc.compiler.driver import normalize
from wfc.compiler.verify import verify
from wfc.errors import WfcError

from .golden.cases import constructs


@pytest.fixture(scope="module")
def table() -> ir.Table:
    return wfc.compile(constructs.try_everything)


ALL = [
    constructs.if_elif_else,
    constructs.while_else,
    constructs.for_kinds,
    constructs.nested_loops,
    constructs.try_everything,
    constructs.return_through_finally,
    constructs.binding_forms,
    constructs.walrus_in_test,
]


@pytest.mark.parametrize("defn", ALL, ids=lambda d: d.name)
def test_json_round_trip_is_exact(defn: wfc.workflow) -> None:  # type: ignore[valid-type]
    table = wfc.compile(defn)
    again = serialize.from_json(serialize.to_json(table))
    assert again == table
    assert again.hash == table.hash
    assert verify(again) == []


def test_hash_ignores_path_and_positions(table: ir.Table) -> None:
    moved = attrs.evolve(
        table,
        path="/elsewhere/file.py",
        states=tuple(
            attrs.evolve(s, pos=ir.Pos(s.pos.line + 100, 1) if s.pos else None) for s in table.states
        ),
    )
    assert moved.hash == table.hash
    changed = attrs.evolve(table, states=(*table.states[:-1], attrs.evolve(table.states[-1], label="other")))
    assert changed.hash != table.hash


def test_hash_is_hex_sha256(table: ir.Table) -> None:
    assert len(table.hash) == 64 and int(table.hash, 16) >= 0


def test_format_version_is_checked(table: ir.Table) -> None:
    data = serialize.to_data(table)
    data["format_version"] = 99
    with pytest.raises(WfcError) as info:
        serialize.from_data(data)
    assert info.value.code == "WFC311" and "99" in str(info.value)


def test_malformed_json_is_a_clear_error() -> None:
    with pytest.raises(WfcError) as info:
        serialize.from_json("{not json")
    assert info.value.code == "WFC311"
    with pytest.raises(WfcError) as info:
        serialize.from_data({"format_version": ir.FORMAT_VERSION, "states": [{"op": {"op": "teleport"}}]})
    assert info.value.code == "WFC311"


def _codes(t: ir.Table) -> set[str]:
    return {d.code for d in verify(t)}


def _replace_state(t: ir.Table, sid: str, **changes: object) -> ir.Table:
    return attrs.evolve(t, states=tuple(attrs.evolve(s, **changes) if s.id == sid else s for s in t.states))


def test_verifier_reports_every_broken_invariant(table: ir.Table) -> None:
    first = table.states[0]
    assert "WFC301" in _codes(attrs.evolve(table, states=(*table.states, first)))
    assert "WFC302" in _codes(_replace_state(table, first.id, op=ir.Goto("nowhere")))
    assert "WFC303" in _codes(attrs.evolve(table, entry="missing"))
    assert "WFC304" in _codes(_replace_state(table, first.id, region="R404"))
    cyclic = tuple(attrs.evolve(r, parent=r.id) for r in table.regions)
    assert "WFC304" in _codes(attrs.evolve(table, regions=cyclic))
    in_try = next(s for s in table.states if s.region == "T1")
    assert "WFC305" in _codes(_replace_state(table, in_try.id, op=ir.Return(None)))
    assert "WFC306" in _codes(_replace_state(table, first.id, op=ir.EndFinally("T1h-missing")))
    orphan = ir.State("orphan", ir.Return(None))
    assert "WFC307" in _codes(attrs.evolve(table, states=(*table.states, orphan)))
    assert "WFC308" in _codes(_replace_state(table, first.id, code=ir.Code("x = = 1")))
    assert "WFC309" in _codes(_replace_state(table, first.id, code=ir.Code("y = q", reads=("q",))))
    suspend = table.suspensions[0]
    assert isinstance(suspend.op, ir.Suspend)
    bad = attrs.evolve(suspend.op, live=("ghost",))
    assert "WFC310" in _codes(_replace_state(table, suspend.id, op=bad))
    assert "WFC311" in _codes(attrs.evolve(table, format_version=0))


def test_verifier_reports_all_problems_at_once(table: ir.Table) -> None:
    first = table.states[0]
    broken = attrs.evolve(_replace_state(table, first.id, op=ir.Goto("nowhere")), entry="missing")
    assert {"WFC302", "WFC303"} <= _codes(broken)


def test_normalize_removes_positions_and_names(table: ir.Table) -> None:
    n = normalize(table)
    assert all(s.pos is None for s in n.states)
    assert [s.id for s in n.states] == [f"s{i}" for i in range(len(n.states))]
    assert n.path == "" and n.name == ""
    # Normalizing is stable, and a table with shifted lines normalizes to the same thing.
    shifted = attrs.evolve(table, states=tuple(attrs.evolve(s, pos=None) for s in table.states))
    assert normalize(shifted) == n
    assert normalize(n) == normalize(normalize(n))


def test_compiled_json_is_plain_json(table: ir.Table) -> None:
    data = json.loads(serialize.to_json(table))
    assert data["format_version"] == ir.FORMAT_VERSION
    ops = {s["op"]["op"] for s in data["states"]}
    assert {"suspend", "leave", "end_finally"} <= ops
