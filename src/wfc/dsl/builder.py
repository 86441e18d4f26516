"""Lark parse tree → ``.wf`` syntax tree (:mod:`wfc.dsl.ast`).

One :class:`Builder` per parse (it knows the file's path and reports into its :class:`Reporter`); the grammar
keeps operator chains flat, and this module folds them into binary nodes, tracking each node's depth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar, cast

from lark import Token, Transformer, v_args
from lark.tree import Meta

from wfc.dsl import ast as wf
from wfc.dsl.codes import Reporter
from wfc.dsl.strings import StringError, decode
from wfc.errors import Span

MAX_EXPR_DEPTH = 60
"""Deepest expression accepted (``1 + 1 + ... + 1`` with 60 terms). Keeps the recursive passes after parsing,
Python's ``ast.unparse`` among them, far from the interpreter's recursion limit."""

_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


_E = TypeVar("_E", bound="wf.Expr | wf.Command")


class ExprTooDeep(Exception):
    def __init__(self, span: Span) -> None:
        super().__init__("expression nested too deeply")
        self.span = span


def _depth(*children: Any) -> int:
    best = 0
    for c in children:
        d = getattr(c, "depth", 0)
        if d > best:
            best = d
    return best + 1


def _join(a: Span, b: Span) -> Span:
    return Span(a.path, a.line, a.col, b.end_line, b.end_col)


@v_args(meta=True)
class Builder(Transformer[Token, Any]):
    def __init__(
        self, path: str, reporter: Reporter, parse_expr: Callable[[str, int, int], wf.Expr | None]
    ) -> None:
        super().__init__(visit_tokens=False)
        self.path = path
        self.reporter = reporter
        self.parse_expr = parse_expr

    # ---- positions -------------------------------------------------------------------------------------------

    def span(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.path, 1, 1)
        return Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def tspan(self, tok: Token) -> Span:
        return Span(self.path, tok.line or 1, tok.column or 1, tok.end_line, tok.end_column)

    def _check_depth(self, node: _E) -> _E:
        if node.depth > MAX_EXPR_DEPTH:
            raise ExprTooDeep(node.span)
        return node

    # ---- module and declarations -----------------------------------------------------------------------------

    def start(self, meta: Meta, children: list[Any]) -> wf.Module:
        imports = tuple(c for c in children if isinstance(c, wf.Import))
        workflows = tuple(c for c in children if isinstance(c, wf.WorkflowDecl))
        return wf.Module(self.path, imports, workflows, tuple(self.reporter.lines))

    def expr_start(self, meta: Meta, children: list[Any]) -> wf.Expr:
        return cast(wf.Expr, children[0])

    def import_decl(self, meta: Meta, children: list[Any]) -> wf.Import:
        target, alias = children
        if isinstance(target, Token):  # a path in quotes
            file = target[1:-1]
            stem = file.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
            return wf.Import(None, file, str(alias) if alias else stem, self.span(meta))
        module = cast(str, target)
        return wf.Import(module, None, str(alias) if alias else module.rsplit(".", 1)[-1], self.span(meta))

    def dotted_name(self, meta: Meta, children: list[Token]) -> str:
        return ".".join(str(t) for t in children)

    def workflow_decl(self, meta: Meta, children: list[Any]) -> wf.WorkflowDecl:
        name, params, returns, body = children
        return wf.WorkflowDecl(
            str(name), tuple(params or ()), returns, body, self.span(meta), self.tspan(name)
        )

    def params(self, meta: Meta, children: list[wf.Param]) -> list[wf.Param]:
        return children

    def param(self, meta: Meta, children: list[Any]) -> wf.Param:
        name, type_, default = children
        return wf.Param(str(name), type_, default, self.span(meta))

    def type_atom(self, meta: Meta, children: list[Any]) -> wf.TypeRef:
        name, *args = children
        return wf.TypeRef(str(name), tuple(a for a in args if a is not None), self.span(meta))

    def type_null(self, meta: Meta, children: list[Any]) -> wf.TypeRef:
        return wf.TypeRef("null", (), self.span(meta))

    def type_union(self, meta: Meta, children: list[wf.TypeRef]) -> wf.TypeUnion:
        return wf.TypeUnion(tuple(children), self.span(meta))

    # ---- statements ------------------------------------------------------------------------------------------

    def block(self, meta: Meta, children: list[wf.Stmt]) -> tuple[wf.Stmt, ...]:
        return tuple(children)

    def assign(self, meta: Meta, children: list[Any]) -> wf.Assign:
        *targets, value = children
        return wf.Assign(tuple(targets), value, self.span(meta))

    def aug_assign(self, meta: Meta, children: list[Any]) -> wf.AugAssign:
        target, op, value = children
        return wf.AugAssign(target, str(op)[:-1], value, self.span(meta))  # type: ignore[arg-type]

    def expr_stmt(self, meta: Meta, children: list[Any]) -> wf.ExprStmt:
        return wf.ExprStmt(children[0], self.span(meta))

    def return_stmt(self, meta: Meta, children: list[Any]) -> wf.Return:
        return wf.Return(children[0], self.span(meta))

    def fail_stmt(self, meta: Meta, children: list[Any]) -> wf.Fail:
        return wf.Fail(children[0], self.span(meta))

    def raise_stmt(self, meta: Meta, children: list[Any]) -> wf.Raise:
        return wf.Raise(children[0], self.span(meta))

    def log_stmt(self, meta: Meta, children: list[Any]) -> wf.Log:
        level, message = children
        return wf.Log(level or "info", message, self.span(meta))

    def log_level(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    def break_stmt(self, meta: Meta, children: list[Any]) -> wf.Break:
        return wf.Break(self.span(meta))

    def continue_stmt(self, meta: Meta, children: list[Any]) -> wf.Continue:
        return wf.Continue(self.span(meta))

    def if_stmt(self, meta: Meta, children: list[Any]) -> wf.If:
        test, body, rest = children
        return wf.If(test, body, _orelse(rest), self.span(meta))

    elif_clause = if_stmt

    def else_clause(self, meta: Meta, children: list[Any]) -> tuple[wf.Stmt, ...]:
        (body,) = children
        return (body,) if isinstance(body, wf.If) else cast(tuple[wf.Stmt, ...], body)

    def while_stmt(self, meta: Meta, children: list[Any]) -> wf.While:
        test, body = children
        return wf.While(test, body, self.span(meta))

    def for_stmt(self, meta: Meta, children: list[Any]) -> wf.For:
        *names, iterable, body = [c for c in children if not (isinstance(c, Token) and c.type == "IN")]
        targets = tuple(wf.Name(str(n), self.tspan(n)) for n in names)
        return wf.For(targets, iterable, body, self.span(meta))

    def try_stmt(self, meta: Meta, children: list[Any]) -> wf.Try:
        body, *rest = children
        handlers = tuple(c for c in rest if isinstance(c, wf.Catch))
        final = [c for c in rest if isinstance(c, tuple)]
        return wf.Try(body, handlers, final[0] if final else None, self.span(meta))

    def catch_clause(self, meta: Meta, children: list[Any]) -> wf.Catch:
        types, name, body = children
        name_span = self.tspan(name) if name is not None else None
        return wf.Catch(tuple(types or ()), str(name) if name else None, body, self.span(meta), name_span)

    def error_types(self, meta: Meta, children: list[wf.ErrorType]) -> list[wf.ErrorType]:
        return children

    def error_type(self, meta: Meta, children: list[Token]) -> wf.ErrorType:
        return wf.ErrorType(tuple(str(t) for t in children if t is not None), self.span(meta))

    def finally_clause(self, meta: Meta, children: list[Any]) -> tuple[wf.Stmt, ...]:
        return cast(tuple[wf.Stmt, ...], children[0])

    # ---- commands --------------------------------------------------------------------------------------------

    def with_options(self, meta: Meta, children: list[Any]) -> wf.WithOptions:
        call, *options = children
        return self._check_depth(wf.WithOptions(call, tuple(options), self.span(meta), depth=_depth(call)))

    def sleep(self, meta: Meta, children: list[Any]) -> wf.Sleep:
        return wf.Sleep(children[0], self.span(meta), depth=_depth(children[0]))

    def wait(self, meta: Meta, children: list[Any]) -> wf.Wait:
        event, timeout = children
        return wf.Wait(event, timeout, self.span(meta), depth=_depth(event, timeout))

    def all_of(self, meta: Meta, children: list[Any]) -> wf.Parallel:
        items, each = children[0]
        return self._check_depth(wf.Parallel("all", items, each, self.span(meta), depth=_depth(*items)))

    def first_of(self, meta: Meta, children: list[Any]) -> wf.Parallel:
        items, each = children[0]
        return self._check_depth(wf.Parallel("first", items, each, self.span(meta), depth=_depth(*items)))

    def parallel(self, meta: Meta, children: list[Any]) -> tuple[tuple[Any, ...], None]:
        return tuple(c for c in children if c is not None), None

    def parallel_each(self, meta: Meta, children: list[Any]) -> tuple[tuple[Any, ...], wf.Each]:
        item, *names, iterable = [c for c in children if not (isinstance(c, Token) and c.type == "IN")]
        targets = tuple(wf.Name(str(n), self.tspan(n)) for n in names)
        return (item,), wf.Each(targets, iterable, self.span(meta))

    def opt_retry(self, meta: Meta, children: list[Any]) -> wf.Option:
        args, keywords = children[0] if children[0] is not None else ((), ())
        return wf.Option("retry", None, keywords, args, self.span(meta))

    def opt_no_retry(self, meta: Meta, children: list[Any]) -> wf.Option:
        return wf.Option("no_retry", None, (), (), self.span(meta))

    def opt_run_after(self, meta: Meta, children: list[Any]) -> wf.Option:
        return wf.Option("run_after", children[0], (), (), self.span(meta))

    def opt_run_at(self, meta: Meta, children: list[Any]) -> wf.Option:
        return wf.Option("run_at", children[0], (), (), self.span(meta))

    def opt_name(self, meta: Meta, children: list[Any]) -> wf.Option:
        return wf.Option("name", children[0], (), (), self.span(meta))

    # ---- operators -------------------------------------------------------------------------------------------

    def or_test(self, meta: Meta, children: list[wf.Expr]) -> wf.Expr:
        if len(children) == 1:  # the alias keeps Lark from inlining a lone operand
            return children[0]
        return self._check_depth(wf.BoolOp("or", tuple(children), self.span(meta), depth=_depth(*children)))

    def and_test(self, meta: Meta, children: list[wf.Expr]) -> wf.Expr:
        return self._check_depth(wf.BoolOp("and", tuple(children), self.span(meta), depth=_depth(*children)))

    def not_(self, meta: Meta, children: list[Any]) -> wf.Expr:
        *nots, operand = children
        node: wf.Expr = operand
        for tok in reversed(nots):
            node = self._check_depth(
                wf.Unary("not", node, _join(self.tspan(tok), node.span), depth=_depth(node))
            )
        return node

    def comparison(self, meta: Meta, children: list[Any]) -> wf.Compare:
        left = children[0]
        ops = tuple(children[1::2])
        rest = tuple(children[2::2])
        return self._check_depth(wf.Compare(left, ops, rest, self.span(meta), depth=_depth(left, *rest)))

    def comp_op(self, meta: Meta, children: list[Token]) -> str:
        return " ".join(str(t) for t in children)

    def arith(self, meta: Meta, children: list[Any]) -> wf.Expr:
        return self._fold_left(children)

    term = arith

    def _fold_left(self, children: list[Any]) -> wf.Expr:
        node: wf.Expr = children[0]
        for i in range(1, len(children), 2):
            right = children[i + 1]
            op = cast(Any, str(children[i]))
            node = self._check_depth(
                wf.BinOp(op, node, right, _join(node.span, right.span), depth=_depth(node, right))
            )
        return node

    def unary(self, meta: Meta, children: list[Any]) -> wf.Expr:
        *signs, operand = children
        return self._signs(signs, operand)

    def signed(self, meta: Meta, children: list[Any]) -> tuple[list[Token], wf.Expr]:
        *signs, operand = children
        return signs, operand

    def _signs(self, signs: list[Token], operand: wf.Expr) -> wf.Expr:
        node = operand
        for tok in reversed(signs):
            node = self._check_depth(
                wf.Unary(str(tok), node, _join(self.tspan(tok), node.span), depth=_depth(node))  # type: ignore[arg-type]
            )
        return node

    def power(self, meta: Meta, children: list[Any]) -> wf.Expr:
        # Right-associative, and a sign binds looser than the `**` after it, as in Python:
        # a ** -b ** c == a ** (-(b ** c)).
        first: wf.Expr = children[0]
        signed: list[tuple[list[Token], wf.Expr]] = children[2::2]
        signs, node = signed[-1]
        node = self._signs(signs, node)
        for signs, operand in reversed(signed[:-1]):
            node = self._check_depth(
                wf.BinOp("**", operand, node, _join(operand.span, node.span), depth=_depth(operand, node))
            )
            node = self._signs(signs, node)
        return self._check_depth(
            wf.BinOp("**", first, node, _join(first.span, node.span), depth=_depth(first, node))
        )

    # ---- postfix ---------------------------------------------------------------------------------------------

    def postfix(self, meta: Meta, children: list[Any]) -> wf.Expr:
        node: wf.Expr = children[0]
        for kind, payload, end in children[1:]:
            span = Span(self.path, node.span.line, node.span.col, end.end_line, end.end_col)
            if kind == "call":
                args, keywords = payload
                node = wf.Call(
                    node, args, keywords, span, depth=_depth(node, *args, *(k.value for k in keywords))
                )
            elif kind == "index":
                node = wf.Index(node, payload, span, depth=_depth(node, payload))
            else:
                name, name_span = payload
                node = wf.Attr(node, name, name_span, span, depth=_depth(node))
            self._check_depth(node)
        return node

    def call(self, meta: Meta, children: list[Any]) -> tuple[str, Any, Span]:
        args = children[0] if children[0] is not None else ((), ())
        return "call", args, self.span(meta)

    def index(self, meta: Meta, children: list[Any]) -> tuple[str, Any, Span]:
        return "index", children[0], self.span(meta)

    def attr(self, meta: Meta, children: list[Token]) -> tuple[str, Any, Span]:
        return "attr", (str(children[0]), self.tspan(children[0])), self.span(meta)

    def slice_index(self, meta: Meta, children: list[Any]) -> wf.Slice:
        lower, upper = children
        return wf.Slice(lower, upper, self.span(meta), depth=_depth(lower, upper))

    def arguments(
        self, meta: Meta, children: list[Any]
    ) -> tuple[tuple[wf.Expr, ...], tuple[wf.Keyword, ...]]:
        args = []
        keywords = []
        for c in children:
            if isinstance(c, wf.Keyword):
                keywords.append(c)
            else:
                if keywords:
                    self.reporter.report(
                        "WFC143",
                        "a positional argument after a keyword argument",
                        c.span,
                        "put positional arguments first: `f(a, b, key=value)`",
                    )
                args.append(c)
        return tuple(args), tuple(keywords)

    def kwarg(self, meta: Meta, children: list[Any]) -> wf.Keyword:
        name, value = children
        return wf.Keyword(str(name), value, self.span(meta))

    # ---- atoms -----------------------------------------------------------------------------------------------

    def name(self, meta: Meta, children: list[Token]) -> wf.Name:
        return wf.Name(str(children[0]), self.tspan(children[0]))

    def int_lit(self, meta: Meta, children: list[Token]) -> wf.Const:
        tok = children[0]
        return wf.Const(int(str(tok).replace("_", "")), "int", self.tspan(tok))

    def float_lit(self, meta: Meta, children: list[Token]) -> wf.Const:
        tok = children[0]
        return wf.Const(float(str(tok).replace("_", "")), "float", self.tspan(tok))

    def duration_lit(self, meta: Meta, children: list[Token]) -> wf.Const:
        tok = children[0]
        text = str(tok)
        unit = text.lstrip("0123456789.")
        number = text[: len(text) - len(unit)]
        factor = _DURATION_UNITS[unit]
        if "." in number or isinstance(factor, float):
            seconds: int | float = float(number) * factor
        else:
            seconds = int(number) * factor
        return wf.Const(seconds, "duration", self.tspan(tok))

    def string_lit(self, meta: Meta, children: list[Token]) -> wf.Const | wf.FString:
        tok = children[0]
        span = self.tspan(tok)
        try:
            value = decode(str(tok), span, self.parse_expr)
        except StringError as exc:
            where = Span(self.path, span.line, exc.col, span.line, exc.col + exc.width)
            self.reporter.report("WFC124", exc.message, where, exc.hint)
            return wf.Const("", "str", span)
        if value is None:
            return wf.Const("", "str", span)
        return self._check_depth(value)

    def true_lit(self, meta: Meta, children: list[Any]) -> wf.Const:
        return wf.Const(True, "bool", self.span(meta))

    def false_lit(self, meta: Meta, children: list[Any]) -> wf.Const:
        return wf.Const(False, "bool", self.span(meta))

    def null_lit(self, meta: Meta, children: list[Any]) -> wf.Const:
        return wf.Const(None, "null", self.span(meta))

    def list_lit(self, meta: Meta, children: list[Any]) -> wf.ListExpr:
        items = tuple(c for c in children if c is not None)
        return self._check_depth(wf.ListExpr(items, self.span(meta), depth=_depth(*items)))

    def list_comp(self, meta: Meta, children: list[Any]) -> wf.ListComp:
        element, *rest = [c for c in children if not (isinstance(c, Token) and c.type in ("IN", "IF"))]
        *names, iterable, condition = rest
        targets = tuple(wf.Name(str(n), self.tspan(n)) for n in names)
        node = wf.ListComp(
            element, targets, iterable, condition, self.span(meta), depth=_depth(element, iterable, condition)
        )
        return self._check_depth(node)

    def dict_lit(self, meta: Meta, children: list[Any]) -> wf.DictExpr:
        pairs = [c for c in children if c is not None]
        keys = tuple(k for k, _ in pairs)
        values = tuple(v for _, v in pairs)
        return self._check_depth(wf.DictExpr(keys, values, self.span(meta), depth=_depth(*keys, *values)))

    def pair(self, meta: Meta, children: list[Any]) -> tuple[wf.Expr, wf.Expr]:
        return children[0], children[1]

    def __default__(
        self, data: Any, children: Any, meta: Any
    ) -> NoReturn:  # pragma: no cover - grammar drift
        raise AssertionError(f"no builder for rule {data!r}")


def _orelse(rest: Any) -> tuple[wf.Stmt, ...]:
    if rest is None:
        return ()
    if isinstance(rest, wf.If):
        return (rest,)
    return cast(tuple[wf.Stmt, ...], rest)
