"""``.wf`` syntax → the Python ``ast`` of the equivalent generator workflow (its hand-written "twin").

Each construct has exactly one Python spelling (documented in ``docs/language.md`` under "The Python twin"):
a command becomes a ``yield``, ``fail m`` becomes ``raise wfc.WorkflowFailed(m)``, ``x == null`` becomes
``x is None``, ``keys(d)`` becomes ``list(d.keys())`` (and ``d.keys()`` as the iterable of a ``for``), and so on.
Nodes carry the ``.wf`` positions, so diagnostics and state positions point into the ``.wf`` file. Only call
this on a program the checks accepted.
"""

from __future__ import annotations

import ast
from typing import TypeVar

from wfc.dsl import ast as wf
from wfc.dsl.names import BUILTIN_ERRORS, HELPERS_NAME, WFC_ERRORS
from wfc.dsl.resolve import Env, resolve_callee
from wfc.errors import Span

_N = TypeVar("_N", bound=ast.AST)

_BINOPS: dict[str, type[ast.operator]] = {
    "+": ast.Add,
    "-": ast.Sub,
    "*": ast.Mult,
    "/": ast.Div,
    "//": ast.FloorDiv,
    "%": ast.Mod,
    "**": ast.Pow,
}
_CMPOPS: dict[str, type[ast.cmpop]] = {
    "==": ast.Eq,
    "!=": ast.NotEq,
    "<": ast.Lt,
    "<=": ast.LtE,
    ">": ast.Gt,
    ">=": ast.GtE,
    "in": ast.In,
    "not in": ast.NotIn,
}
_UNARY: dict[str, type[ast.unaryop]] = {"-": ast.USub, "+": ast.UAdd, "not": ast.Not}


def at(node: _N, span: Span | None) -> _N:
    if span is not None:
        node.lineno = span.line  # type: ignore[attr-defined]
        node.col_offset = span.col - 1  # type: ignore[attr-defined]
        node.end_lineno = span.end_line or span.line  # type: ignore[attr-defined]
        node.end_col_offset = (span.end_col or span.col) - 1  # type: ignore[attr-defined]
    return node


def helper(name: str) -> ast.expr:
    """``wfc.<name>``."""
    return ast.Attribute(ast.Name(HELPERS_NAME, ast.Load()), name, ast.Load())


class ToPython:
    def __init__(self, env: Env, locals_: frozenset[str]) -> None:
        self.env = env
        self.locals = locals_

    # ---- statements ------------------------------------------------------------------------------------------

    def block(self, body: tuple[wf.Stmt, ...]) -> list[ast.stmt]:
        out = [self.stmt(s) for s in body]
        return out or [ast.Pass()]

    def stmt(self, s: wf.Stmt) -> ast.stmt:
        return at(self._stmt(s), s.span)

    def _stmt(self, s: wf.Stmt) -> ast.stmt:
        if isinstance(s, wf.Assign):
            targets = [self.target(t) for t in s.targets]
            target = (
                targets[0] if len(targets) == 1 else at(ast.Tuple(targets, ast.Store()), s.targets[0].span)
            )
            return ast.Assign([target], self.value(s.value))
        if isinstance(s, wf.AugAssign):
            target = self.target(s.target)
            assert isinstance(target, ast.Name | ast.Subscript)
            return ast.AugAssign(target, _BINOPS[s.op](), self.expr(s.value))
        if isinstance(s, wf.ExprStmt):
            return ast.Expr(self.value(s.value))
        if isinstance(s, wf.Return):
            return ast.Return(self.value(s.value) if s.value is not None else None)
        if isinstance(s, wf.Fail):
            return ast.Raise(ast.Call(helper("WorkflowFailed"), [self.expr(s.message)], []), None)
        if isinstance(s, wf.Raise):
            return ast.Raise(self._raised(s.exc) if s.exc is not None else None, None)
        if isinstance(s, wf.Log):
            log = ast.Attribute(helper("log"), s.level, ast.Load())
            return ast.Expr(ast.Call(log, [self.expr(s.message)], []))
        if isinstance(s, wf.Break):
            return ast.Break()
        if isinstance(s, wf.Continue):
            return ast.Continue()
        if isinstance(s, wf.If):
            orelse = [self.stmt(x) for x in s.orelse]
            return ast.If(self.expr(s.test), self.block(s.body), orelse)
        if isinstance(s, wf.While):
            return ast.While(self.expr(s.test), self.block(s.body), [])
        if isinstance(s, wf.For):
            return ast.For(self._names(s.targets), self.for_iter(s.iter), self.block(s.body), [], None)
        if isinstance(s, wf.Try):
            handlers = [at(self._handler(h), h.span) for h in s.handlers]
            final = self.block(s.finalbody) if s.finalbody is not None else []
            return ast.Try(self.block(s.body), handlers, [], final)
        raise AssertionError(f"unknown statement {s!r}")

    def _raised(self, e: wf.Expr) -> ast.expr:
        if isinstance(e, wf.Name) and e.id not in self.locals and e.id in WFC_ERRORS:
            return at(helper(e.id), e.span)  # `raise StepFailed` → `raise wfc.StepFailed`
        return self.expr(e)

    def _handler(self, h: wf.Catch) -> ast.ExceptHandler:
        types = [at(self._error_type(t), t.span) for t in h.types]
        if not types:
            type_: ast.expr = ast.Name("Exception", ast.Load())
        elif len(types) == 1:
            type_ = types[0]
        else:
            type_ = ast.Tuple(types, ast.Load())
        return ast.ExceptHandler(type_, h.name, self.block(h.body))

    def _error_type(self, t: wf.ErrorType) -> ast.expr:
        if len(t.parts) == 2:
            return ast.Attribute(ast.Name(t.parts[0], ast.Load()), t.parts[1], ast.Load())
        name = t.parts[0]
        return ast.Name(name, ast.Load()) if name in BUILTIN_ERRORS else helper(name)

    def target(self, t: wf.Expr) -> ast.expr:
        if isinstance(t, wf.Name):
            return at(ast.Name(t.id, ast.Store()), t.span)
        assert isinstance(t, wf.Index) and not isinstance(t.index, wf.Slice)
        return at(ast.Subscript(self.expr(t.value), self.expr(t.index), ast.Store()), t.span)

    # ---- commands --------------------------------------------------------------------------------------------

    def value(self, v: wf.Value) -> ast.expr:
        """A value position: a command becomes ``(yield command)``."""
        command = self.command(v)
        if command is not None:
            return at(ast.Yield(command), v.span)
        return self.expr(v)  # type: ignore[arg-type]

    def command(self, v: wf.Value) -> ast.expr | None:
        """The command ``v`` as a Python expression, or ``None`` if ``v`` is a plain expression."""
        if isinstance(v, wf.Call):
            if resolve_callee(v.func, self.env, self.locals).is_command:
                return self.expr(v)
            return None
        if isinstance(v, wf.WithOptions):
            keywords = [self._option(o) for o in v.options]
            call = self.expr(v.call)
            options = ast.Attribute(call, "options", ast.Load())
            return at(ast.Call(options, [], keywords), v.span)
        if isinstance(v, wf.Sleep):
            return at(ast.Call(helper("sleep"), [self.expr(v.duration)], []), v.span)
        if isinstance(v, wf.Wait):
            kw = [ast.keyword("timeout", self.expr(v.timeout))] if v.timeout is not None else []
            return at(ast.Call(helper("wait_event"), [self.expr(v.event)], kw), v.span)
        if isinstance(v, wf.Parallel):
            return at(self._parallel(v), v.span)
        if isinstance(v, wf.StartChild):
            # `async child(x) with id i` is `wfc.start_child(child(x).options(id=i))`: the call made with its
            # options, then started, one spelling for every option (Python also allows `child.options(...)`).
            started = self.command(v.call) if isinstance(v.call, wf.WithOptions) else self.expr(v.call)
            assert started is not None, "a call with options is a command"
            return at(ast.Call(helper("start_child"), [started], []), v.span)
        if isinstance(v, wf.Join):
            return at(ast.Call(helper("join"), [self.expr(v.handle)], []), v.span)
        return None

    def _item(self, item: wf.Value) -> ast.expr:
        command = self.command(item)
        assert command is not None, "the checks accept only commands in a parallel group"
        return command

    def _parallel(self, v: wf.Parallel) -> ast.expr:
        func = helper("all_of" if v.kind == "all" else "any_of")
        if v.each is None:
            return ast.Call(func, [self._item(i) for i in v.items], [])
        target = self._names(v.each.targets)
        outer = self.locals
        self.locals = outer | {t.id for t in v.each.targets}
        try:
            element = self._item(v.items[0])
        finally:
            self.locals = outer
        comp = ast.comprehension(target, self.expr(v.each.iter), [], 0)
        return ast.Call(func, [at(ast.ListComp(element, [comp]), v.each.span)], [])

    def _names(self, targets: tuple[wf.Name, ...]) -> ast.expr:
        """The target of a ``for``: ``x`` or ``k, v``."""
        names: list[ast.expr] = [at(ast.Name(t.id, ast.Store()), t.span) for t in targets]
        return names[0] if len(names) == 1 else at(ast.Tuple(names, ast.Store()), targets[0].span)

    def _option(self, o: wf.Option) -> ast.keyword:
        if o.kind == "retry":
            policy = ast.Call(helper("RetryPolicy"), [], [self._keyword(k) for k in o.keywords])
            return ast.keyword("retry", at(policy, o.span))
        if o.kind == "no_retry":
            return ast.keyword("retry", at(ast.Constant(False), o.span))
        if o.kind == "detached":
            return ast.keyword("detached", at(ast.Constant(True), o.span))
        assert o.value is not None
        return ast.keyword(o.kind, self.expr(o.value))

    def _keyword(self, k: wf.Keyword) -> ast.keyword:
        return at(ast.keyword(k.name, self.expr(k.value)), k.span)

    # ---- expressions -----------------------------------------------------------------------------------------

    def for_iter(self, e: wf.Expr) -> ast.expr:
        """The iterable of a ``for``: ``keys(d)``/``values(d)``/``items(d)`` loop over the dict's view."""
        if isinstance(e, wf.Call) and isinstance(e.func, wf.Name) and len(e.args) == 1:
            callee = resolve_callee(e.func, self.env, self.locals)
            if callee.builtin is not None and callee.builtin.style == "view":
                method = ast.Attribute(self.expr(e.args[0]), e.func.id, ast.Load())
                return at(ast.Call(method, [], []), e.span)
        return self.expr(e)

    def expr(self, e: wf.Expr) -> ast.expr:
        return at(self._expr(e), e.span)

    def _expr(self, e: wf.Expr) -> ast.expr:
        if isinstance(e, wf.Name):
            return ast.Name(e.id, ast.Load())
        if isinstance(e, wf.Const):
            return ast.Constant(e.value)
        if isinstance(e, wf.FString):
            return ast.JoinedStr([self._fpart(p) for p in e.parts])
        if isinstance(e, wf.ListExpr):
            return ast.List([self.expr(i) for i in e.items], ast.Load())
        if isinstance(e, wf.ListComp):
            outer = self.locals
            self.locals = outer | {t.id for t in e.targets}
            try:
                element = self.expr(e.element)
                ifs = [self.expr(e.condition)] if e.condition is not None else []
            finally:
                self.locals = outer
            return ast.ListComp(
                element, [ast.comprehension(self._names(e.targets), self.expr(e.iter), ifs, 0)]
            )
        if isinstance(e, wf.DictExpr):
            return ast.Dict([self.expr(k) for k in e.keys], [self.expr(v) for v in e.values])
        if isinstance(e, wf.Unary):
            return ast.UnaryOp(_UNARY[e.op](), self.expr(e.operand))
        if isinstance(e, wf.BinOp):
            return ast.BinOp(self.expr(e.left), _BINOPS[e.op](), self.expr(e.right))
        if isinstance(e, wf.BoolOp):
            return ast.BoolOp(ast.And() if e.op == "and" else ast.Or(), [self.expr(v) for v in e.values])
        if isinstance(e, wf.Compare):
            return self._compare(e)
        if isinstance(e, wf.Attr):
            return ast.Attribute(self.expr(e.value), e.name, ast.Load())
        if isinstance(e, wf.Index):
            index = e.index
            if isinstance(index, wf.Slice):
                lower = self.expr(index.lower) if index.lower is not None else None
                upper = self.expr(index.upper) if index.upper is not None else None
                return ast.Subscript(
                    self.expr(e.value), at(ast.Slice(lower, upper, None), index.span), ast.Load()
                )
            return ast.Subscript(self.expr(e.value), self.expr(index), ast.Load())
        if isinstance(e, wf.Call):
            return self._call(e)
        raise AssertionError(f"unknown expression {e!r}")

    def _fpart(self, part: str | wf.Interp) -> ast.expr:
        if isinstance(part, str):
            return ast.Constant(part)
        spec = ast.JoinedStr([ast.Constant(part.spec)]) if part.spec else None
        return at(ast.FormattedValue(self.expr(part.expr), -1, spec), part.span)

    def _compare(self, e: wf.Compare) -> ast.expr:
        # `x == null` is `x is None`: the spelling a Python author writes (and a linter asks for).
        operands = [e.left, *e.comparators]
        ops: list[ast.cmpop] = []
        for i, op in enumerate(e.ops):
            null = _is_null(operands[i]) or _is_null(operands[i + 1])
            if null and op == "==":
                ops.append(ast.Is())
            elif null and op == "!=":
                ops.append(ast.IsNot())
            else:
                ops.append(_CMPOPS[op]())
        return ast.Compare(self.expr(e.left), ops, [self.expr(c) for c in e.comparators])

    def _call(self, e: wf.Call) -> ast.expr:
        callee = resolve_callee(e.func, self.env, self.locals)
        args = [self.expr(a) for a in e.args]
        keywords = [self._keyword(k) for k in e.keywords]
        func: ast.expr
        if callee.kind == "builtin":
            assert callee.builtin is not None
            style = callee.builtin.style
            if style == "helper":
                func = helper(callee.builtin.target)
            elif style == "str":
                func = ast.Attribute(ast.Name("str", ast.Load()), callee.name, ast.Load())
            elif style == "view":
                view = ast.Call(ast.Attribute(args[0], callee.name, ast.Load()), [], [])
                return ast.Call(ast.Name("list", ast.Load()), [view], [])
            else:
                func = ast.Name(callee.name, ast.Load())
        elif callee.kind == "workflow":
            func = ast.Name(callee.name, ast.Load())
        elif callee.alias is not None:
            func = ast.Attribute(ast.Name(callee.alias, ast.Load()), callee.name, ast.Load())
        elif callee.kind == "error" and callee.name not in BUILTIN_ERRORS:
            func = helper(callee.name)
        else:
            func = ast.Name(callee.name, ast.Load())
        return ast.Call(at(func, e.func.span), args, keywords)


def _is_null(e: wf.Expr) -> bool:
    return isinstance(e, wf.Const) and e.kind == "null"
