"""Liveness: which variables a suspension must persist.

Standard backward data flow over states, with two extra kinds of edge:

* *exception edges*: from every state to the handler and finally entries of its region and all enclosing
  regions. An exception may leave a state half-way, so everything live at those entries is live throughout the
  state (its own assignments may not have happened);
* *completion edges*: from an :class:`ir.EndFinally` to every state its pending jump may continue at.

A suspension persists ``live_in(bind) ∪ live_exc(state)``: what the bind and the resume state need on success,
and what the handlers need on failure. Variables set by the runtime itself on entry to a handler (the caught
exception's slot) or a finally (its completion) are not live before it.
"""

from __future__ import annotations

import attrs

from wfc.compiler import ir, syntax
from wfc.errors import Diagnostic, Span


def _op_reads(op: ir.Op, table_regions: dict[str, ir.Region]) -> set[str]:
    reads = op.reads()
    if isinstance(op, ir.EndFinally):  # resuming the pending completion reads it
        completion = table_regions[op.region].completion
        reads |= {completion} if completion else set()
    return reads


def analyse(table: ir.Table, wf: syntax.Workflow) -> tuple[ir.Table, list[Diagnostic]]:
    regions = {r.id: r for r in table.regions}
    states = {s.id: s for s in table.states}

    # Variables defined by the runtime when it enters a state through dispatch.
    entry_defs: dict[str, set[str]] = {}
    for r in table.regions:
        for h in r.handlers:
            entry_defs.setdefault(h.target, set()).update({r.slot} if r.slot else set())
        if r.finally_entry and r.completion:
            entry_defs.setdefault(r.finally_entry, set()).add(r.completion)

    handler_type_reads: dict[str, set[str]] = {
        r.id: {n for h in r.handlers if h.types for n in h.types.reads} for r in table.regions
    }

    def exc_targets(region: str | None) -> tuple[list[str], set[str]]:
        targets: list[str] = []
        reads: set[str] = set()
        while region is not None:
            r = regions[region]
            targets.extend(h.target for h in r.handlers)
            if r.finally_entry:
                targets.append(r.finally_entry)
            reads |= handler_type_reads[region]
            region = r.parent
        return targets, reads

    # The exception a state runs under (see ir.State.handling) is read by the state: it must survive every
    # suspension inside the handler or finally, as the frame of the generator keeps it.
    slots = {r.slot for r in table.regions if r.slot}
    outer = {r.completion: r.handling for r in table.regions if r.completion}

    def handled_chain(name: str | None) -> set[str]:
        out: set[str] = set()
        while name is not None and name not in out:
            out.add(name)
            if name in slots:
                break
            name = outer.get(name)
        return out

    use: dict[str, set[str]] = {}
    defs: dict[str, set[str]] = {}
    succ: dict[str, list[str]] = {}
    exc: dict[str, tuple[list[str], set[str]]] = {}
    for s in table.states:
        code_gen = set(s.code.gen) if s.code else set()
        code_defs = set(s.code.defs) if s.code else set()
        use[s.id] = code_gen | (_op_reads(s.op, regions) - code_defs) | handled_chain(s.handling)
        defs[s.id] = code_defs
        if isinstance(s.op, ir.Leave):
            completion = regions[s.op.region].completion
            defs[s.id] = code_defs | ({completion} if completion else set())
        succ[s.id] = [] if isinstance(s.op, ir.Suspend) else ir.successors(table, s)
        exc[s.id] = exc_targets(s.region)

    live: dict[str, set[str]] = {sid: set() for sid in states}
    bind_live: dict[str, set[str]] = {}

    def exc_live(sid: str) -> set[str]:
        targets, reads = exc[sid]
        out = set(reads)
        for t in targets:
            out |= live[t] - entry_defs.get(t, set())
        return out

    changed = True
    while changed:
        changed = False
        for s in reversed(table.states):
            out: set[str] = set()
            if isinstance(s.op, ir.Suspend):
                bind = s.op.bind
                after = set(live[s.op.resume])
                b = (after - set(bind.writes)) | set(bind.reads) if bind else after
                b.discard(ir.RESULT_VAR)
                bind_live[s.id] = b
                # The bind runs after the suspension: nothing the state itself does precedes it.
                new = use[s.id] | exc_live(s.id) | (b - defs[s.id])
            else:
                for t in succ[s.id]:
                    out |= live[t]
                new = use[s.id] | (out - defs[s.id]) | exc_live(s.id)
            if new != live[s.id]:
                live[s.id] = new
                changed = True

    bound = _maybe_bound(table, entry_defs, exc)
    callables = dict(wf.callables)
    diagnostics: list[Diagnostic] = []
    new_states = []
    for s in table.states:
        if isinstance(s.op, ir.Suspend):
            # Live but never bound on any path to here (say, read by a later `locals()`): nothing to keep.
            persisted = (bind_live[s.id] | exc_live(s.id)) & bound[s.id]
            persisted.discard(ir.RESULT_VAR)
            for name in sorted(persisted & callables.keys()):
                diagnostics.append(_closure_diagnostic(name, callables[name], s, wf))
            for name, what, where in wf.unpersistable:
                if name in persisted and name not in callables:
                    diagnostics.append(_value_diagnostic(name, what, where, s, wf))
            s = attrs.evolve(s, op=attrs.evolve(s.op, live=tuple(sorted(persisted))))
        new_states.append(s)
    return attrs.evolve(table, states=tuple(new_states)), diagnostics


def _writes(s: ir.State, regions: dict[str, ir.Region]) -> set[str]:
    """Everything a state may bind before its op completes (code, ``:=`` in its op, a pending completion)."""
    out = set(s.code.writes) if s.code else set()
    for e in ir.op_exprs(s.op):
        out.update(e.writes)
    if isinstance(s.op, ir.Leave):
        completion = regions[s.op.region].completion
        if completion:
            out.add(completion)
    return out


def _maybe_bound(
    table: ir.Table, entry_defs: dict[str, set[str]], exc: dict[str, tuple[list[str], set[str]]]
) -> dict[str, set[str]]:
    """For each state, the variables some path may have bound when its op runs (forward data flow from the
    parameters, along normal, exception and completion edges)."""
    regions = {r.id: r for r in table.regions}
    writes = {s.id: _writes(s, regions) for s in table.states}
    at_in: dict[str, set[str]] = {s.id: set() for s in table.states}
    at_in[table.entry] = {p.name for p in table.params}
    changed = True
    while changed:
        changed = False
        for s in table.states:
            here = at_in[s.id] | writes[s.id]
            edges: list[tuple[str, set[str]]] = [(t, here | entry_defs.get(t, set())) for t in exc[s.id][0]]
            if isinstance(s.op, ir.Suspend):
                after = here | (set(s.op.bind.writes) if s.op.bind else set())
                edges.append((s.op.resume, after))
            else:
                edges.extend((t, here | entry_defs.get(t, set())) for t in ir.successors(table, s))
            for target, names in edges:
                if not names <= at_in[target]:
                    at_in[target] |= names
                    changed = True
    return {sid: at_in[sid] | writes[sid] for sid in at_in}


def _value_diagnostic(name: str, what: str, where: Span | None, state: ir.State, wf: syntax.Workflow) -> Diagnostic:
    assert isinstance(state.op, ir.Suspend)
    line = state.pos.line if state.pos else (wf.span.line if wf.span else 1)
    span = where or Span(wf.path, line, state.pos.col if state.pos else 1)
    text = wf.source_lines[span.line - 1] if 0 < span.line <= len(wf.source_lines) else None
    return Diagnostic(
        "WFC115",
        f"`{name}` holds {what}, which cannot be saved, and is still used after the step "
        f"`{state.op.command.source}` (line {line})",
        span,
        hint=f"keep `{name}` within one step's worth of code, or save plain data instead "
        "(a list, `list(...)` of an iterator, the object instead of its bound method)",
        source_line=text,
    )


def _closure_diagnostic(name: str, defined: Span | None, state: ir.State, wf: syntax.Workflow) -> Diagnostic:
    line = state.pos.line if state.pos else (wf.span.line if wf.span else 1)
    assert isinstance(state.op, ir.Suspend)
    span = Span(wf.path, line, state.pos.col if state.pos else 1)
    where = f"defined at line {defined.line}" if defined else "defined in the workflow"
    text = wf.source_lines[defined.line - 1] if defined and 0 < defined.line <= len(wf.source_lines) else None
    return Diagnostic(
        "WFC104",
        f"`{name}` is a function, lambda or class ({where}) that is still used after the step "
        f"`{state.op.command.source}`: it cannot be saved across a suspension",
        Span(wf.path, defined.line, defined.col, defined.end_line, defined.end_col) if defined else span,
        hint=f"define `{name}` at module level, or define it again after the step",
        source_line=text,
    )
