"""``.wf`` workflow → the front-end AST (:mod:`wfc.compiler.syntax`) that Python workflows produce too.

Two steps. :mod:`wfc.dsl.topython` builds the Python ``ast`` of the equivalent generator; this module then cuts
it exactly as the Python front end (:mod:`wfc.compiler.python.frontend`) cuts a generator: a statement with no
``yield`` and no ``return``/``break``/``continue`` leaving it stays one :class:`~wfc.compiler.syntax.Code` leaf
of canonical source, control flow around suspensions becomes structural, ``try`` statements get the slots
``_wfc_exc1``, ``_wfc_exc2``... in source order. So a ``.wf`` workflow and its hand-written twin give equal
front-end ASTs, hence equal tables; the twin tests (``tests/wf/test_twins.py``) hold the two conventions together.
"""

from __future__ import annotations

import ast

from wfc.compiler import pycode, syntax
from wfc.compiler.python.source import SourceMap
from wfc.dsl import ast as wf
from wfc.dsl.resolve import Env, bound_names
from wfc.dsl.topython import ToPython
from wfc.dsl.types import python_source

TEMP_VAR = "_wfc_tmp"
"""Holds a command's result before ``return`` returns it; the Python front end's name for the same slot (a test
keeps the two equal)."""


class _Facts:
    """Whether each node of the generated code contains a ``yield``, and whether a ``return`` (or a ``break``/
    ``continue`` not bound by a loop inside it) leaves it — computed in one bottom-up pass, since the cutter asks
    about every statement at every nesting level. Generated code has no nested function scopes."""

    def __init__(self, body: list[ast.stmt]) -> None:
        self.yields: set[int] = set()
        self.escapes: set[int] = set()
        for stmt in body:
            self._visit(stmt)

    def _visit(self, node: ast.AST) -> tuple[bool, bool, bool]:
        """(has a yield, has a return, has an unbound break/continue) of ``node``."""
        yields = isinstance(node, ast.Yield)
        returns = isinstance(node, ast.Return)
        jumps = isinstance(node, ast.Break | ast.Continue)
        loop = isinstance(node, ast.For | ast.While)
        for child in ast.iter_child_nodes(node):
            y, r, j = self._visit(child)
            yields = yields or y
            returns = returns or r
            jumps = jumps or (j and not loop)
        if yields:
            self.yields.add(id(node))
        if returns or jumps:
            self.escapes.add(id(node))
        return yields, returns, jumps


def lower_workflow(decl: wf.WorkflowDecl, env: Env, key: str, module: wf.Module) -> syntax.Workflow:
    """The front-end AST of a checked workflow; ``key`` names it (as the Python front end names a workflow)."""
    locals_ = bound_names(decl) | {TEMP_VAR}
    topy = ToPython(env, locals_)
    smap = SourceMap(module.path, module.lines, 0, 0)
    code = topy.block(decl.body) if decl.body else []
    body = _Cutter(locals_, smap, _Facts(code)).block(code)
    params = tuple(
        syntax.Param(
            p.name,
            "positional_or_keyword",
            python_source(p.type) if p.type is not None else None,
            pycode.canonical(topy.expr(p.default)) if p.default is not None else None,
        )
        for p in decl.params
    )
    return syntax.Workflow(
        name=key,
        params=params,
        returns=python_source(decl.returns) if decl.returns is not None else None,
        body=body,
        locals=locals_,
        path=module.path,
        span=decl.span,
        frontend="wf",
        source_lines=module.lines,
    )


def python_function(decl: wf.WorkflowDecl, env: Env) -> ast.FunctionDef:
    """The twin as a Python function definition (for ``wfc compile --emit python`` and for reading)."""
    topy = ToPython(env, bound_names(decl) | {TEMP_VAR})
    args = [
        ast.arg(p.name, ast.parse(python_source(p.type), mode="eval").body if p.type is not None else None)
        for p in decl.params
    ]
    defaults = [topy.expr(p.default) for p in decl.params if p.default is not None]
    returns = ast.parse(python_source(decl.returns), mode="eval").body if decl.returns is not None else None
    fn = ast.FunctionDef(
        decl.name,
        ast.arguments([], args, None, [], [], None, defaults),
        topy.block(decl.body),
        [ast.Attribute(ast.Name("wfc", ast.Load()), "workflow", ast.Load())],
        returns,
    )
    return ast.fix_missing_locations(fn)


class _Cutter:
    """Mirrors ``PythonFrontEnd._stmt`` and friends on generated code (which never has the constructs that
    front end rejects: the checks ruled them out)."""

    def __init__(self, locals_: frozenset[str], smap: SourceMap, facts: _Facts) -> None:
        self.locals = locals_
        self.smap = smap
        self.facts = facts
        self.try_count = 0
        self.handler_slots: list[str] = []

    def block(self, stmts: list[ast.stmt]) -> tuple[syntax.Stmt, ...]:
        out: list[syntax.Stmt] = []
        for s in stmts:
            out.extend(self.stmt(s))
        return tuple(out)

    def stmt(self, node: ast.stmt) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        if id(node) not in self.facts.yields and id(node) not in self.facts.escapes:
            if isinstance(node, ast.Raise) and self.handler_slots:
                return [self._raise(node)]
            if isinstance(node, ast.Return | ast.Break | ast.Continue | ast.Raise):
                return self._simple(node)
            return [pycode.code(self._rewrite_bare_raise(node), self.locals, span)]
        if isinstance(node, ast.Expr | ast.Assign | ast.Return) and isinstance(node.value, ast.Yield):
            return self._suspend(node)
        if isinstance(node, ast.If):
            return [syntax.If(self._expr(node.test), self.block(node.body), self.block(node.orelse), span)]
        if isinstance(node, ast.While):
            return [syntax.While(self._expr(node.test), self.block(node.body), (), span)]
        if isinstance(node, ast.For):
            target = pycode.target(node.target, self.locals, span)
            return [syntax.For(target, self._for_iter(node.iter), self.block(node.body), (), span)]
        if isinstance(node, ast.Try):
            return [self._try(node)]
        return self._simple(node)

    def _simple(self, node: ast.stmt) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        if isinstance(node, ast.Break):
            return [syntax.Break(span)]
        if isinstance(node, ast.Continue):
            return [syntax.Continue(span)]
        if isinstance(node, ast.Raise):
            return [self._raise(node)]
        assert isinstance(node, ast.Return), f"cannot lower {ast.dump(node)}"
        return [syntax.Return(self._expr(node.value) if node.value is not None else None, span)]

    def _raise(self, node: ast.Raise) -> syntax.Raise:
        span = self.smap.span(node)
        if node.exc is None:
            if self.handler_slots:
                slot = self.handler_slots[-1]
                return syntax.Raise(syntax.Expr(slot, frozenset({slot}), span), None, span)
            return syntax.Raise(None, None, span)
        return syntax.Raise(self._expr(node.exc), None, span)

    def _rewrite_bare_raise(self, node: ast.stmt) -> ast.stmt:
        """In plain code inside a lowered ``catch``, a bare ``raise`` re-raises the exception kept in the slot
        (a nested plain ``try`` has its own current exception)."""
        if not self.handler_slots:
            return node
        return pycode.reraise_from_slot(node, self.handler_slots[-1])

    def _suspend(self, node: ast.Expr | ast.Assign | ast.Return) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        value = node.value
        assert isinstance(value, ast.Yield) and value.value is not None
        command = self._expr(value.value)
        if isinstance(node, ast.Expr):
            return [syntax.Suspend(command, (), None, span)]
        if isinstance(node, ast.Return):
            tmp = syntax.Target(TEMP_VAR, frozenset(), frozenset({TEMP_VAR}), span)
            result = syntax.Expr(TEMP_VAR, frozenset({TEMP_VAR}), span)
            return [syntax.Suspend(command, (tmp,), None, span), syntax.Return(result, span)]
        targets = tuple(pycode.target(t, self.locals, span) for t in node.targets)
        return [syntax.Suspend(command, targets, None, span)]

    def _for_iter(self, node: ast.expr) -> syntax.ForIter:
        source = pycode.canonical(node)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("enumerate", "zip", "reversed"):
                if func.id == "enumerate":
                    start: ast.expr = ast.Constant(0)
                    for kw in node.keywords:
                        if kw.arg == "start":
                            start = kw.value
                    args = [*node.args[:1], *(node.args[1:2] or [start])]
                    return syntax.ForIter("enumerate", tuple(self._expr(a) for a in args), source)
                kind: syntax.LoopKind = "zip" if func.id == "zip" else "reversed"
                return syntax.ForIter(kind, tuple(self._expr(a) for a in node.args), source)
            if isinstance(func, ast.Attribute) and func.attr in ("items", "keys", "values") and not node.args:
                return syntax.ForIter(func.attr, (self._expr(func.value),), source)  # type: ignore[arg-type]
        return syntax.ForIter("iter", (self._expr(node),), source)

    def _try(self, node: ast.Try) -> syntax.Try:
        span = self.smap.span(node)
        self.try_count += 1
        slot = f"_wfc_exc{self.try_count}"
        body = self.block(node.body)
        handlers = []
        for h in node.handlers:
            self.handler_slots.append(slot)
            hbody = self.block(h.body)
            self.handler_slots.pop()
            types = self._expr(h.type) if h.type is not None else None
            handlers.append(syntax.Handler(types, h.name, hbody, self.smap.span(h)))
        finalbody = self.block(node.finalbody) if node.finalbody else None
        return syntax.Try(body, tuple(handlers), (), finalbody, slot, span)

    def _expr(self, node: ast.expr) -> syntax.Expr:
        return pycode.expr(node, self.locals, self.smap.span(node))
