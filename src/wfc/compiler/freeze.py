"""Freezing lowered states: thread jumps through empty states, drop unreachable ones, merge code into IR."""

from __future__ import annotations

import attrs

from wfc.compiler import ir, syntax
from wfc.errors import Span


@attrs.define
class StateDraft:
    """A state under construction: code accumulates until a control op closes it."""

    id: str
    region: str | None
    handling: str | None
    code: list[syntax.Code] = attrs.field(factory=list)
    op: ir.Op | None = None
    label: str = ""
    span: Span | None = None
    op_span: Span | None = None
    loop: ir.LoopHead | None = None


@attrs.define
class RegionDraft:
    """A try region under construction."""

    id: str
    parent: str | None
    handlers: list[ir.Handler] = attrs.field(factory=list)
    slot: str | None = None
    finally_entry: str | None = None
    completion: str | None = None
    exits: list[str] = attrs.field(factory=list)
    span: Span | None = None


def freeze(states: dict[str, StateDraft], regions: dict[str, RegionDraft]) -> tuple[ir.State, ...]:
    """Thread jumps through empty states, drop unreachable ones, and freeze."""
    forward: dict[str, str] = {}
    for s in states.values():
        if s.id != "start" and not s.code and isinstance(s.op, ir.Goto):
            forward[s.id] = s.op.target

    def resolve(sid: str) -> str:
        seen = set()
        while sid in forward and sid not in seen:
            seen.add(sid)
            sid = forward[sid]
        return sid

    # A loop head with nothing to do (`while True:`) is threaded away: its loop is recorded where it leads.
    moved: dict[str, ir.LoopHead] = {}
    for s in states.values():
        if s.id in forward and s.loop is not None:
            moved.setdefault(resolve(s.id), s.loop)
    for r in regions.values():
        r.handlers = [attrs.evolve(h, target=resolve(h.target)) for h in r.handlers]
        r.exits = [resolve(x) for x in r.exits]
        if r.finally_entry:
            r.finally_entry = resolve(r.finally_entry)
    out = []
    for s in states.values():
        if s.id in forward:
            continue
        assert s.op is not None, f"state {s.id} was never closed"
        out.append(
            ir.State(
                id=s.id,
                op=s.op.retarget(resolve),
                code=_merge(s.code),
                region=s.region,
                handling=s.handling,
                label=s.label,
                pos=_pos(_first_position(s)),
                op_line=_line(s.op_span or s.span),
                loop=s.loop or moved.get(s.id),
            )
        )
    return tuple(_reachable(out, regions))


def _reachable(states: list[ir.State], regions: dict[str, RegionDraft]) -> list[ir.State]:
    by_id = {s.id: s for s in states}
    seen: set[str] = set()
    stack = ["start"]
    while stack:
        sid = stack.pop()
        if sid in seen or sid not in by_id:
            continue
        seen.add(sid)
        s = by_id[sid]
        stack.extend(s.op.targets())
        if s.op.finally_region is not None:
            r = regions[s.op.finally_region]
            stack.extend(r.exits)
            if r.finally_entry:
                stack.append(r.finally_entry)
        region = s.region
        while region is not None:
            r = regions[region]
            stack.extend(h.target for h in r.handlers)
            if r.finally_entry:
                stack.append(r.finally_entry)
            region = r.parent
    return [s for s in states if s.id in seen]


def _merge(parts: list[syntax.Code]) -> ir.Code | None:
    if not parts:
        return None
    reads: set[str] = set()
    writes: set[str] = set()
    gen: set[str] = set()
    defs: set[str] = set()
    lines: list[int] = []
    for p in parts:
        count = p.source.count("\n") + 1
        lines.extend(p.lines if len(p.lines) == count else [p.span.line if p.span else 0] * count)
        reads |= p.reads
        writes |= p.writes
        gen |= p.gen - defs
        defs |= p.defs
    return ir.Code(
        "\n".join(p.source for p in parts),
        _sorted(reads),
        _sorted(writes),
        _sorted(gen),
        _sorted(defs),
        tuple(lines),
    )


def _pos(span: Span | None) -> ir.Pos | None:
    return ir.Pos(span.line, span.col) if span is not None else None


def _sorted(names: frozenset[str] | set[str]) -> tuple[str, ...]:
    return tuple(sorted(names))


def _first_position(s: StateDraft) -> Span | None:
    """Where the state's own work starts: its first statement, else its op; the creating construct last."""
    for code in s.code:
        if code.span is not None:
            return code.span
    return s.op_span or s.span


def _line(span: Span | None) -> int | None:
    return span.line if span is not None else None
