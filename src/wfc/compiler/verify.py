"""The IR verifier: checks every invariant stated in :mod:`wfc.compiler.ir` and returns *all* violations.

Run on every table the compiler produces (a violation there is a bug in wfc) and on every table loaded from JSON
(where it may be a damaged or hand-edited file). Codes ``WFC3xx``.
"""

from __future__ import annotations

from wfc.compiler import ir
from wfc.compiler.pywarnings import silently
from wfc.errors import Diagnostic, Span


def verify(table: ir.Table) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    path = table.path or table.name

    def report(code: str, message: str, state: ir.State | None = None) -> None:
        span = Span(path, state.pos.line, state.pos.col) if state is not None and state.pos else None
        where = f"state {state.id}: " if state is not None else ""
        out.append(Diagnostic(code, where + message, span))

    if table.format_version not in ir.READABLE_VERSIONS:
        report("WFC311", f"format version {table.format_version} (expected one of {ir.READABLE_VERSIONS})")

    ids: set[str] = set()
    for s in table.states:
        if s.id in ids:
            report("WFC301", f"duplicate state id {s.id!r}", s)
        ids.add(s.id)
    if table.entry not in ids:
        report("WFC303", f"entry state {table.entry!r} does not exist")

    regions: dict[str, ir.Region] = {}
    for r in table.regions:
        if r.id in regions:
            report("WFC304", f"duplicate region id {r.id!r}")
        regions[r.id] = r
    for r in table.regions:
        seen = {r.id}
        parent = r.parent
        while parent is not None:
            if parent not in regions:
                report("WFC304", f"region {r.id!r} has unknown parent {parent!r}")
                break
            if parent in seen:
                report("WFC304", f"region {r.id!r} is its own ancestor")
                break
            seen.add(parent)
            parent = regions[parent].parent
        for h in r.handlers:
            if h.target not in ids:
                report("WFC302", f"region {r.id!r} has a handler continuing at unknown state {h.target!r}")
        if r.handlers and not r.slot:
            report("WFC306", f"region {r.id!r} has handlers but no slot for the caught exception")
        if (r.finally_entry is None) != (r.completion is None):
            report(
                "WFC306",
                f"region {r.id!r} must have both a finally entry and a completion variable, or neither",
            )
        if r.finally_entry is not None and r.finally_entry not in ids:
            report("WFC302", f"region {r.id!r} has unknown finally entry {r.finally_entry!r}")
        for x in r.exits:
            if x not in ids:
                report("WFC302", f"region {r.id!r} has unknown exit {x!r}")

    declared = set(table.locals)
    for s in table.states:
        if s.region is not None and s.region not in regions:
            report("WFC304", f"unknown region {s.region!r}", s)
        for target in s.op.targets():
            if target not in ids:
                report("WFC302", f"{s.op.tag} to unknown state {target!r}", s)
        if isinstance(s.op, ir.Return) and _inside_finally(s.region, regions):
            report("WFC305", "`return` inside a region with a finally (must leave through the finally)", s)
        if (fin := s.op.finally_region) is not None:
            named = regions.get(fin)
            if named is None or named.finally_entry is None:
                report("WFC306", f"{s.op.tag} names region {fin!r}, which has no finally", s)
        for name in _reads(s):
            if name not in declared and name != ir.RESULT_VAR:
                report("WFC309", f"reads {name!r}, which is not a declared local", s)
        if s.loop is not None and s.loop.cursor is not None and s.loop.cursor not in declared:
            report("WFC309", f"heads a loop over cursor {s.loop.cursor!r}, which is not a declared local", s)
        if isinstance(s.op, ir.Suspend) and s.op.shape is not None and s.op.shape.kind not in ir.COMMAND_KINDS:
            report("WFC311", f"unknown command kind {s.op.shape.kind!r}", s)
        if isinstance(s.op, ir.Suspend):
            for name in s.op.live:
                if name not in declared:
                    report("WFC310", f"persists {name!r}, which is not a declared local", s)
        for source, mode in _sources(s):
            try:
                name = f"<{table.name}:{s.id}>"
                silently(lambda: compile(source, name, mode), name)  # noqa: B023 - called at once
            except SyntaxError as exc:
                report("WFC308", f"code does not compile: {exc.msg}", s)

    if table.entry in ids:
        unreachable = ids - _reachable(table, regions)
        for s in table.states:
            if s.id in unreachable:
                report("WFC307", "unreachable state", s)
    return out


def _ancestors(region: str | None, regions: dict[str, ir.Region]) -> list[ir.Region]:
    """The region and its ancestors, innermost first; stops at an unknown id or a cycle (reported elsewhere)."""
    out: list[ir.Region] = []
    seen: set[str] = set()
    while region is not None and region in regions and region not in seen:
        seen.add(region)
        out.append(regions[region])
        region = regions[region].parent
    return out


def _inside_finally(region: str | None, regions: dict[str, ir.Region]) -> bool:
    return any(r.finally_entry is not None for r in _ancestors(region, regions))


def _reads(s: ir.State) -> set[str]:
    out = set(s.code.reads) if s.code else set()
    return out | s.op.reads()


def _sources(s: ir.State) -> list[tuple[str, str]]:
    out = [(s.code.source, "exec")] if s.code else []
    out.extend((e.source, "eval") for e in s.op.exprs())
    if isinstance(s.op, ir.Suspend) and s.op.bind is not None:
        out.append((" = ".join([*s.op.bind.targets, ir.RESULT_VAR]), "exec"))
    return out


def _reachable(table: ir.Table, regions: dict[str, ir.Region]) -> set[str]:
    states = {s.id: s for s in table.states}
    seen: set[str] = set()
    stack = [table.entry]
    while stack:
        sid = stack.pop()
        if sid in seen or sid not in states:
            continue
        seen.add(sid)
        s = states[sid]
        stack.extend(s.op.targets())
        if s.op.finally_region in regions:
            r = regions[s.op.finally_region]
            stack.extend(r.exits)
            if r.finally_entry:
                stack.append(r.finally_entry)
        for r in _ancestors(s.region, regions):
            stack.extend(h.target for h in r.handlers)
            if r.finally_entry:
                stack.append(r.finally_entry)
    return seen
