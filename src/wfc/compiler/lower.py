"""Lowering: the front-end AST → the state table (:mod:`wfc.compiler.ir`).

Straight-line code accumulates in the *open* state; a suspension or a branch closes it with a control op and
opens the next one. Try statements become regions (see :mod:`wfc.compiler.ir` for the dispatch rules);
``break``/``continue``/``return`` that leave a finally become :class:`ir.Leave` ops with a pending completion.
A jump that leaves several finallies goes through one synthetic *unwind* state per finally.

State ids read ``L<line>.<role>`` (``start`` for the entry), so tables diff and draw well.
"""

from __future__ import annotations

import attrs

from wfc.compiler import ir, syntax
from wfc.compiler.freeze import RegionDraft, StateDraft, freeze
from wfc.compiler.liveness import analyse
from wfc.errors import Diagnostic, Span

LOOP_VAR = "_wfc_it"
FINALLY_VAR = "_wfc_fin"


@attrs.frozen
class _Loop:
    break_to: str
    continue_to: str


@attrs.frozen
class _Finally:
    region: str  # the region whose finally runs when control leaves through here
    outer_region: str | None  # the region the try statement itself sits in


_Scope = _Loop | _Finally


class Lowerer:
    def __init__(self, workflow: syntax.Workflow) -> None:
        self.wf = workflow
        self.states: dict[str, StateDraft] = {}
        self.regions: dict[str, RegionDraft] = {}
        self.scopes: list[_Scope] = []
        self.region: str | None = None
        self.handling: str | None = None
        self.locals: set[str] = set(workflow.locals)
        self._loops = 0
        self._tries = 0
        self._region_handling: dict[str, str | None] = {}

    # ---- states ---------------------------------------------------------------------------------------------

    def _new(self, role: str, span: Span | None, *, label: str = "") -> StateDraft:
        base = f"L{span.line}.{role}" if span is not None else role
        sid, n = base, 1
        while sid in self.states:
            n += 1
            sid = f"{base}.{n}"
        state = StateDraft(sid, self.region, self.handling, label=label, span=span)
        self.states[sid] = state
        return state

    def _close(self, state: StateDraft, op: ir.Op, span: Span | None) -> None:
        assert state.op is None, f"state {state.id} closed twice"
        state.op = op
        state.op_span = span

    # ---- entry ----------------------------------------------------------------------------------------------

    def lower(self) -> tuple[ir.Table, list[Diagnostic]]:
        start = StateDraft("start", None, None, span=self.wf.span)
        self.states["start"] = start
        end = self._seq(self.wf.body, start)
        if end is not None:
            self._close(end, ir.Return(None), None)
        states = freeze(self.states, self.regions)
        table, diagnostics = analyse(
            ir.Table(
                name=self.wf.name,
                params=tuple(ir.Param(p.name, p.kind, p.annotation, p.default) for p in self.wf.params),
                returns=self.wf.returns,
                entry="start",
                states=states,
                regions=tuple(
                    ir.Region(
                        r.id,
                        r.parent,
                        tuple(r.handlers),
                        r.slot,
                        r.finally_entry,
                        r.completion,
                        tuple(dict.fromkeys(r.exits)),
                        _pos(r.span),
                        self._region_handling.get(r.id),
                    )
                    for r in self.regions.values()
                ),
                locals=tuple(sorted(self.locals)),
                path=self.wf.path,
            ),
            self.wf,
        )
        return table, diagnostics

    # ---- statements -----------------------------------------------------------------------------------------

    def _seq(self, stmts: tuple[syntax.Stmt, ...], cur: StateDraft) -> StateDraft | None:
        for stmt in stmts:
            nxt = self._stmt(stmt, cur)
            if nxt is None:
                return None  # the rest of the block is unreachable
            cur = nxt
        return cur

    def _stmt(self, stmt: syntax.Stmt, cur: StateDraft) -> StateDraft | None:
        if isinstance(stmt, syntax.Code):
            if not cur.code and cur.span is None:
                cur.span = stmt.span
            cur.code.append(stmt)
            return cur
        if isinstance(stmt, syntax.Suspend):
            return self._suspend(stmt, cur)
        if isinstance(stmt, syntax.If):
            return self._if(stmt, cur)
        if isinstance(stmt, syntax.While):
            return self._while(stmt, cur)
        if isinstance(stmt, syntax.For):
            return self._for(stmt, cur)
        if isinstance(stmt, syntax.Try):
            return self._try(stmt, cur)
        if isinstance(stmt, syntax.Return):
            self._return(stmt, cur)
            return None
        if isinstance(stmt, syntax.Raise):
            exc = _ir_expr(stmt.exc) if stmt.exc is not None else None
            cause = _ir_expr(stmt.cause) if stmt.cause is not None else None
            self._close(cur, ir.Raise(exc, cause), stmt.span)
            cur.label = cur.label or "raise"
            return None
        if isinstance(stmt, syntax.Break | syntax.Continue):
            self._jump(stmt, cur)
            return None
        raise AssertionError(f"unknown statement {stmt!r}")

    def _suspend(self, stmt: syntax.Suspend, cur: StateDraft) -> StateDraft:
        resume = self._new("resume", stmt.span)
        bind = None
        if stmt.targets:
            reads = frozenset().union(*(t.reads for t in stmt.targets))
            writes = frozenset().union(*(t.writes for t in stmt.targets))
            bind = ir.Bind(
                tuple(t.source for t in stmt.targets), _sorted(reads), _sorted(writes), stmt.annotation
            )
        self._close(cur, ir.Suspend(_ir_expr(stmt.command), resume.id, bind), stmt.span)
        cur.label = stmt.command.source
        return resume

    def _if(self, stmt: syntax.If, cur: StateDraft) -> StateDraft | None:
        then = self._new("then", stmt.span)
        other = self._new("else", stmt.span) if stmt.orelse else None
        join: StateDraft | None = None
        if other is None:
            join = self._new("endif", stmt.span)
        self._close(cur, ir.Branch(_ir_expr(stmt.test), then.id, (other or join).id), stmt.span)  # type: ignore[union-attr]
        cur.label = f"if {stmt.test.source}"
        ends = [self._seq(stmt.body, then)]
        if other is not None:
            ends.append(self._seq(stmt.orelse, other))
        live_ends = [e for e in ends if e is not None]
        if not live_ends and join is None:
            return None
        if join is None:
            join = self._new("endif", stmt.span)
        for end in live_ends:
            self._close(end, ir.Goto(join.id), None)
        return join

    def _loop(
        self,
        cur: StateDraft,
        head: StateDraft,
        test: ir.Expr | None,
        body_stmts: tuple[syntax.Stmt, ...],
        orelse: tuple[syntax.Stmt, ...],
        body: StateDraft,
        role: str,
        span: Span | None,
    ) -> StateDraft | None:
        """Shared shape of while and for: head tests, body loops back to head, else runs on normal exit."""
        self._close(cur, ir.Goto(head.id), None)
        exit_ = self._new(f"end{role}", span)
        other = self._new("else", span) if orelse else None
        if test is None:
            self._close(head, ir.Goto(body.id), span)  # `while True:`
        else:
            self._close(head, ir.Branch(test, body.id, (other or exit_).id), span)
        self.scopes.append(_Loop(exit_.id, head.id))
        end = self._seq(body_stmts, body)
        self.scopes.pop()
        if end is not None:
            self._close(end, ir.Goto(head.id), None)
        if other is not None:
            end_else = self._seq(orelse, other)
            if end_else is not None:
                self._close(end_else, ir.Goto(exit_.id), None)
        if not self._referenced(exit_.id):
            del self.states[exit_.id]
            return None
        return exit_

    def _while(self, stmt: syntax.While, cur: StateDraft) -> StateDraft | None:
        head = self._new("while", stmt.span, label=f"while {stmt.test.source}")
        head.loop = ir.LoopHead("while", test=stmt.test.source)
        body = self._new("body", stmt.span)
        constant_true = stmt.test.source == "True"
        test = None if constant_true else _ir_expr(stmt.test)
        return self._loop(cur, head, test, stmt.body, stmt.orelse, body, "while", stmt.span)

    def _for(self, stmt: syntax.For, cur: StateDraft) -> StateDraft | None:
        self._loops += 1
        slot = f"{LOOP_VAR}{self._loops}"
        self.locals.add(slot)
        it = stmt.iter
        args = ", ".join([repr(it.kind), *(a.source for a in it.args)])
        reads = frozenset().union(*(a.reads for a in it.args))
        cur.code.append(
            syntax.Code(
                f"{slot} = _wfc_loop({args})", reads, frozenset({slot}), reads, frozenset({slot}), stmt.span
            )
        )
        head = self._new("for", stmt.span, label=f"for {stmt.target.source} in {it.source}")
        head.loop = ir.LoopHead("for", slot, it.source, stmt.target.source)
        body = self._new("body", stmt.span)
        target = stmt.target
        body.code.append(
            syntax.Code(
                f"{target.source} = {slot}.next()",
                target.reads | {slot},
                target.writes,
                target.reads | {slot},
                target.writes if _simple_target(target.source) else frozenset(),
                stmt.span,
            )
        )
        test = ir.Expr(f"{slot}.more()", (slot,))
        return self._loop(cur, head, test, stmt.body, stmt.orelse, body, "for", stmt.span)

    def _try(self, stmt: syntax.Try, cur: StateDraft | None, entry: StateDraft | None = None) -> StateDraft | None:
        """Lower a try statement reached from ``cur``; or, with ``entry`` (a handler's own entry, which the
        unbinding try around an ``except ... as`` body starts at), with ``entry`` as the body's first state."""
        self._tries += 1
        n = self._tries
        outer_region, outer_handling = self.region, self.handling
        has_finally = stmt.finalbody is not None
        completion = f"{FINALLY_VAR}{n}" if has_finally else None
        slot = (stmt.slot or f"_wfc_exc{n}") if stmt.handlers else None
        if slot:
            self.locals.add(slot)
        if completion:
            self.locals.add(completion)
        body_region = RegionDraft(f"T{n}", outer_region, slot=slot, completion=completion, span=stmt.span)
        self.regions[body_region.id] = body_region
        self._region_handling[body_region.id] = outer_handling
        fin_entry: StateDraft | None = None
        if has_finally:
            # Python runs a finally with the exception it propagates active (when one does); otherwise
            # whatever the try statement itself runs under (Region.handling).
            fin_entry = self._new("finally", stmt.span)
            fin_entry.region, fin_entry.handling = outer_region, completion
            body_region.finally_entry = fin_entry.id
        # Handlers and `else` are outside the handlers' protection but still inside the finally.
        after_region = outer_region
        if has_finally and (stmt.handlers or stmt.orelse):
            h_region = RegionDraft(
                f"T{n}h",
                outer_region,
                finally_entry=fin_entry.id if fin_entry else None,
                completion=completion,
                span=stmt.span,
            )
            self.regions[h_region.id] = h_region
            self._region_handling[h_region.id] = outer_handling
            after_region = h_region.id
        after = self._new("endtry", stmt.span)
        after.region, after.handling = outer_region, outer_handling
        if has_finally:
            self.scopes.append(_Finally(body_region.id, outer_region))

        self.region = body_region.id
        if entry is not None:
            body = entry
            body.region = body_region.id
        else:
            assert cur is not None
            body = self._new("try", stmt.span)
            self._close(cur, ir.Goto(body.id), None)
        end = self._seq(stmt.body, body)
        self.region = after_region
        if end is not None and stmt.orelse:
            other = self._new("tryelse", stmt.span)
            self._close(end, ir.Goto(other.id), None)
            end = self._seq(stmt.orelse, other)
        if end is not None:
            self._leave_normally(end, after, body_region.id if has_finally else None)
        for h in stmt.handlers:
            assert slot is not None
            self.handling = slot
            entry = self._new("except", h.span)
            body_region.handlers.append(ir.Handler(_ir_expr(h.types) if h.types else None, entry.id))
            if h.name:
                self.locals.add(h.name)
                bind = syntax.Code(
                    f"{h.name} = {slot}",
                    frozenset({slot}),
                    frozenset({h.name}),
                    frozenset({slot}),
                    frozenset({h.name}),
                    h.span,
                )
                # As CPython compiles it: the body runs in a try whose finally unbinds the name, however the
                # handler is left (normally, by an exception, or by return/break/continue).
                unbinding = syntax.Try((bind, *h.body), finalbody=(_unbind(h.name, h.span),), span=h.span)
                end = self._try(unbinding, None, entry)
            else:
                end = self._seq(h.body, entry)
            self.region, self.handling = after_region, outer_handling
            if end is not None:
                self._leave_normally(end, after, body_region.id if has_finally else None)
        if has_finally:
            self.scopes.pop()
            assert fin_entry is not None and stmt.finalbody is not None
            self.region, self.handling = outer_region, completion
            end = self._seq(stmt.finalbody, fin_entry)
            if end is not None:
                self._close(end, ir.EndFinally(body_region.id), None)
            if h_region_id := (after_region if after_region != outer_region else None):
                self.regions[h_region_id].exits = body_region.exits
        self.region, self.handling = outer_region, outer_handling
        if not self._referenced(after.id):
            del self.states[after.id]
            return None
        return after

    def _leave_normally(self, end: StateDraft, after: StateDraft, finally_region: str | None) -> None:
        if finally_region is None:
            self._close(end, ir.Goto(after.id), None)
        else:
            self.regions[finally_region].exits.append(after.id)
            self._close(end, ir.Leave(finally_region, ir.Jump(after.id)), None)

    # ---- jumps ----------------------------------------------------------------------------------------------

    def _crossed(self, stop: type | None) -> tuple[list[_Finally], _Loop | None]:
        """Finallies a jump leaves, innermost first, up to the nearest ``stop`` scope."""
        finallies: list[_Finally] = []
        for scope in reversed(self.scopes):
            if stop is not None and isinstance(scope, stop):
                assert isinstance(scope, _Loop)
                return finallies, scope
            if isinstance(scope, _Finally):
                finallies.append(scope)
        return finallies, None

    def _jump(self, stmt: syntax.Break | syntax.Continue, cur: StateDraft) -> None:
        finallies, loop = self._crossed(_Loop)
        if loop is None:
            raise AssertionError("break/continue outside a loop reached lowering")
        target = loop.break_to if isinstance(stmt, syntax.Break) else loop.continue_to
        cur.label = "break" if isinstance(stmt, syntax.Break) else "continue"
        if not finallies:
            self._close(cur, ir.Goto(target), stmt.span)
            return
        # Chain through each finally: leave F1 to an unwind state that leaves F2, ..., then the target.
        state = cur
        for i, fin in enumerate(finallies):
            last = i == len(finallies) - 1
            if last:
                nxt = target
            else:
                saved = self.region, self.handling
                self.region, self.handling = fin.outer_region, None
                unwind = self._new("unwind", stmt.span)
                self.region, self.handling = saved
                nxt = unwind.id
            self.regions[fin.region].exits.append(nxt)
            self._close(state, ir.Leave(fin.region, ir.Jump(nxt)), stmt.span)
            if not last:
                state = self.states[nxt]

    def _return(self, stmt: syntax.Return, cur: StateDraft) -> None:
        value = _ir_expr(stmt.value) if stmt.value is not None else None
        finallies, _ = self._crossed(None)
        cur.label = cur.label or "return"
        if finallies:
            self._close(cur, ir.Leave(finallies[0].region, ir.ReturnWith(value)), stmt.span)
        else:
            self._close(cur, ir.Return(value), stmt.span)

    # ---- finishing ------------------------------------------------------------------------------------------

    def _referenced(self, sid: str) -> bool:
        for s in self.states.values():
            if s.op is not None and sid in s.op.targets():
                return True
        return any(
            sid in r.exits or sid == r.finally_entry or any(h.target == sid for h in r.handlers)
            for r in self.regions.values()
        )


def _unbind(name: str, span: Span | None) -> syntax.Code:
    """What Python does at the end of ``except E as name:``: the name is deleted."""
    return syntax.Code(
        f"{name} = None\ndel {name}", frozenset(), frozenset({name}), frozenset(), frozenset({name}), span
    )


def _simple_target(source: str) -> bool:
    return all(part.strip().isidentifier() for part in source.strip("()[] ").split(","))


def _ir_expr(e: syntax.Expr) -> ir.Expr:
    return ir.Expr(e.source, _sorted(e.reads), _sorted(e.writes))


def _sorted(names: frozenset[str] | set[str]) -> tuple[str, ...]:
    return tuple(sorted(names))


def _pos(span: Span | None) -> ir.Pos | None:
    return ir.Pos(span.line, span.col) if span is not None else None


def lower(workflow: syntax.Workflow) -> tuple[ir.Table, list[Diagnostic]]:
    return Lowerer(workflow).lower()
