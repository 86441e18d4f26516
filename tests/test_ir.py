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


# ---- ops describe themselves ------------------------------------------------------------------------------------

_E = ir.Expr("x := f(y)", ("f", "y"), ("x",))
SAMPLE_OPS: list[ir.Op] = [
    ir.Goto("a"),
    ir.Branch(_E, "a", "b"),
    ir.Suspend(_E, "a", ir.Bind(("r",)), ("y",), ir.CommandShape("step", "f", "f(y)")),
    ir.Return(_E),
    ir.Return(),
    ir.Raise(_E, ir.Expr("c", ("c",))),
    ir.Raise(),
    ir.Leave("T1", ir.Jump("a")),
    ir.Leave("T1", ir.ReturnWith(_E)),
    ir.EndFinally("T1"),
]


def test_every_op_class_is_sampled_and_tagged_once() -> None:
    assert {type(op) for op in SAMPLE_OPS} == set(ir.OPS)
    assert len({cls.tag for cls in ir.OPS}) == len(ir.OPS)


@pytest.mark.parametrize("op", SAMPLE_OPS, ids=repr)
def test_ops_answer_targets_exprs_and_retarget(op: ir.Op) -> None:
    moved = op.retarget(lambda s: s + "'", lambda r: r + "'")
    assert moved.targets() == tuple(t + "'" for t in op.targets())
    assert moved.exprs() == op.exprs()
    if op.finally_region is not None:
        assert moved.finally_region == op.finally_region + "'"
    assert op.retarget(lambda s: s) == op
    assert op.reads() == {n for e in op.exprs() for n in e.reads}
    assert op.writes() == ({"x"} if _E in op.exprs() else set())
    # The text form names every target and every expression.
    text = "\n".join(op.describe())
    assert text.startswith(op.tag)
    assert all(t in text for t in op.targets()) and all(e.source in text for e in op.exprs())


def test_successors_follow_finallies(table: ir.Table) -> None:
    for s in table.states:
        succ = ir.successors(table, s)
        if s.op.finally_region is None:
            assert succ == list(s.op.targets())
        elif isinstance(s.op, ir.Leave):
            assert succ == [table.region(s.op.region).finally_entry]
        else:
            assert succ == list(table.region(s.op.finally_region).exits)


# ---- structure recorded in the table (format 2) -----------------------------------------------------------------


def test_loop_heads_are_recorded() -> None:
    table = wfc.compile(constructs.for_kinds)
    heads = [s.loop for s in table.states if s.loop is not None]
    assert [(h.kind, h.over, h.target) for h in heads] == [
        ("for", "range(3)", "i"),
        ("for", "'ab'", "c"),
        ("for", "d.items()", "(k, v)"),
        ("for", "enumerate(xs, 1)", "(i, x)"),
        ("for", "zip(xs, reversed(xs))", "(a, b)"),
    ]
    # The cursor named by each head is the one its branch tests.
    for s in table.states:
        if s.loop is not None:
            assert isinstance(s.op, ir.Branch) and s.op.test.source == f"{s.loop.cursor}.more()"
    whiles = [s.loop for s in wfc.compile(constructs.while_else).states if s.loop is not None]
    assert [(h.kind, h.cursor) for h in whiles] == [("while", None)] * len(whiles) and whiles


def test_a_threaded_away_while_true_head_is_recorded_where_it_leads() -> None:
    import textwrap
    from pathlib import Path

    from tests.programgen import load_module

    source = textwrap.dedent(
        """
        import wfc

        @wfc.step
        def s(n):
            return n

        @wfc.workflow
        def forever(n):
            while True:
                n = yield s(n)
                if n > 3:
                    return n
        """
    )
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        table = wfc.compile(load_module(source, Path(d)).forever)
    heads = [s for s in table.states if s.loop is not None]
    assert len(heads) == 1 and heads[0].loop == ir.LoopHead("while", test="True")
    assert isinstance(heads[0].op, ir.Suspend)  # the loop's first state is its suspension


def test_command_shapes_are_recorded() -> None:
    from .graph import flows

    shapes = {
        s.op.command.source: s.op.shape
        for defn in (flows.parallel, flows.waits, flows.parent)
        for s in wfc.compile(defn).states
        if isinstance(s.op, ir.Suspend)
    }
    assert {k: (v.kind if v else None) for k, v in shapes.items()} == {
        "wfc.all_of(fetch('a'), fetch('b'))": "all_of",
        "wfc.any_of(wfc.wait_event('stop'), nap(60))": "any_of",
        "wfc.all_of(*[fetch(k) for k in keys])": "all_of",
        "wfc.all_of([fetch('x'), store('y', 1)])": "all_of",
        "wfc.sleep(30)": "sleep",
        "wfc.wait_event('approval', timeout=3600)": "event",
        "sleep(5)": "step",  # a user step called sleep
        "child(keys[0])": "child",
        "wfc.all_of(child(keys[1]), child(keys[2]))": "all_of",
    }
    fan = shapes["wfc.all_of(*[fetch(k) for k in keys])"]
    assert fan is not None and (fan.fanout, fan.over) == ("fetch(k)", "for k in keys")
    both = shapes["wfc.all_of(fetch('a'), fetch('b'))"]
    assert both is not None and both.lanes == ("fetch('a')", "fetch('b')") and both.callee == "wfc.all_of"


# ---- format versions --------------------------------------------------------------------------------------------


def test_format_1_tables_are_read_and_hashed_as_format_1(table: ir.Table) -> None:
    old = serialize.as_format(table, 1)
    data = json.loads(serialize.to_json(old))
    assert data["format_version"] == 1
    assert all("loop" not in s and "shape" not in s["op"] for s in data["states"])
    again = serialize.from_json(serialize.to_json(old))
    assert again.format_version == 1 and again.hash == old.hash != table.hash
    # The structure format 1 left implicit is recovered on reading, equal to what the compiler records now.
    assert [s.loop for s in again.states] == [s.loop for s in table.states]
    assert [getattr(s.op, "shape", None) for s in again.states] == [
        getattr(s.op, "shape", None) for s in table.states
    ]
    # Format-2 fields smuggled into a format-1 document are not part of what it means.
    smuggled = json.loads(serialize.to_json(old))
    smuggled["states"][0]["loop"] = {"kind": "while", "test": "x"}
    assert serialize.from_data(smuggled).hash == old.hash
    assert verify(again) == []


def test_verifier_checks_the_recorded_structure() -> None:
    table = wfc.compile(constructs.for_kinds)
    head = next(s for s in table.states if s.loop is not None)
    susp = next(s for s in table.states if isinstance(s.op, ir.Suspend))
    bad = attrs.evolve(
        table,
        states=tuple(
            attrs.evolve(s, loop=attrs.evolve(s.loop, cursor="_wfc_nope"))  # type: ignore[arg-type]
            if s is head
            else attrs.evolve(s, op=attrs.evolve(s.op, shape=ir.CommandShape("teleport")))
            if s is susp
            else s
            for s in table.states
        ),
    )
    assert {(d.code, d.message.split(": ", 1)[1][:20]) for d in verify(bad)} == {
        ("WFC309", "heads a loop over cu"),
        ("WFC311", "unknown command kind"),
    }


def test_only_known_format_versions_are_read(table: ir.Table) -> None:
    for version in (0, 4, "2", None):
        data = serialize.to_data(table)
        data["format_version"] = version
        with pytest.raises(WfcError) as info:
            serialize.from_data(data)
        assert info.value.code == "WFC311" and "reads versions 1, 2, 3" in str(info.value)


def test_format_2_tables_are_read_and_hashed_as_format_2(table: ir.Table) -> None:
    """Format 2 has format 3's fields (format 3 changed only how ``locals()`` is cut): a format-2 table reads
    back as itself, hashed as format 2, and cannot be asked for in a format newer than its own."""
    old = serialize.as_format(table, 2)
    data = json.loads(serialize.to_json(old))
    assert data["format_version"] == 2
    again = serialize.from_json(serialize.to_json(old))
    assert again == old and again.hash == old.hash != table.hash
    assert verify(again) == []
    with pytest.raises(ValueError):
        serialize.as_format(old, 3)
