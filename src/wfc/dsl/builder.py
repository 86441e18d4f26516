"""Building the ``.wf`` syntax tree (:mod:`wfc.dsl.ast`) while parsing.

:class:`Builder` is Lark's *inline* transformer: its callbacks run as the LALR parser reduces each rule, so no
parse tree is ever built (which halves parsing time). The parser keeps every token (``keep_all_tokens``) and
inserts no placeholders for absent optional parts, so each callback receives the rule's tokens and values in
order: spans come from the first and last of them, and optional parts are recognised by their type. Operator
chains arrive flat and are folded here, tracking each node's depth.

The parser is shared, so the per-parse state (the file's path, the reporter, the interpolation parser) lives in
a :class:`contextvars.ContextVar` set by :func:`wfc.dsl.parser.parse_module` for the duration of a parse.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import attrs
from lark import Token, Transformer

from wfc.dsl import ast as wf
from wfc.dsl.codes import Reporter
from wfc.dsl.pieces import Block, Finally, Params, Part, Types, cover, depth, join, tspan, with_span
from wfc.dsl.strings import StringError, decode
from wfc.errors import Span

MAX_EXPR_DEPTH = 60
"""Deepest expression accepted (``1 + 1 + ... + 1`` with 60 terms). Keeps the recursive passes after parsing,
Python's ``ast.unparse`` among them, far from the interpreter's recursion limit."""

_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_VALUE_TOKENS = frozenset(
    {"NAME", "INT", "FLOAT", "DURATION", "STRING", "AUGOP", "ADDOP", "MULOP", "POW"}
    | {"EQEQ", "NOTEQ", "LT", "LE", "GT", "GE", "IN", "NOT"}
)
"""Tokens that carry a value; every other token (keywords, punctuation, newlines) only marks a position."""

_E = TypeVar("_E", bound="wf.Expr | wf.Command")


@attrs.frozen
class Context:
    path: str
    reporter: Reporter
    parse_expr: Callable[[str, int, int], wf.Expr | None]


CONTEXT: contextvars.ContextVar[Context] = contextvars.ContextVar("wfc_dsl_parse")


@contextlib.contextmanager
def parsing(ctx: Context) -> Iterator[None]:
    """Parses inside this block build nodes for ``ctx``'s file and report into its reporter."""
    token = CONTEXT.set(ctx)
    try:
        yield
    finally:
        CONTEXT.reset(token)


class ExprTooDeep(Exception):
    def __init__(self, span: Span) -> None:
        super().__init__("expression nested too deeply")
        self.span = span


def _check(node: _E) -> _E:
    if node.depth > MAX_EXPR_DEPTH:
        raise ExprTooDeep(node.span)
    return node


_Callback = Callable[[Any, Context, Span, list[Any], list[Any]], Any]


def rule(fn: _Callback) -> Callable[[Any, list[Any]], Any]:
    """Adapts ``fn(self, ctx, span, values, raw)`` to Lark's inline callback ``f(children)``."""

    def callback(self: Any, children: list[Any]) -> Any:
        ctx = CONTEXT.get()
        values = [c for c in children if not isinstance(c, Token) or c.type in _VALUE_TOKENS]
        return fn(self, ctx, cover(ctx.path, children), values, children)

    callback.__name__ = fn.__name__
    callback.__doc__ = fn.__doc__
    return callback


def _names(ctx: Context, values: list[Any]) -> tuple[wf.Name, ...]:
    return tuple(
        wf.Name(str(t), tspan(ctx.path, t)) for t in values if isinstance(t, Token) and t.type == "NAME"
    )


def _after(raw: list[Any], token_type: str) -> Any:
    """The value right after the first token of ``token_type`` in ``raw``, or ``None``."""
    for i, c in enumerate(raw):
        if isinstance(c, Token) and c.type == token_type:
            return raw[i + 1] if i + 1 < len(raw) else None
    return None


class Builder(Transformer[Token, Any]):
    # ---- module and declarations -----------------------------------------------------------------------------

    @rule
    def start(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Module:
        imports = tuple(c for c in v if isinstance(c, wf.Import))
        workflows = tuple(c for c in v if isinstance(c, wf.WorkflowDecl))
        return wf.Module(ctx.path, imports, workflows, tuple(ctx.reporter.lines))

    @rule
    def expr_start(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        return cast(wf.Expr, v[0])

    @rule
    def import_decl(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Import:
        target = v[0]
        alias = str(v[1]) if len(v) > 1 else None
        if isinstance(target, Token):  # a path in quotes
            file = target[1:-1]
            stem = file.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
            return wf.Import(None, file, alias or stem, span)
        module = cast(str, target)
        return wf.Import(module, None, alias or module.rsplit(".", 1)[-1], span)

    @rule
    def dotted_name(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> str:
        return ".".join(str(t) for t in v)

    @rule
    def workflow_decl(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.WorkflowDecl:
        name = v[0]
        params = next((c for c in v if isinstance(c, Params)), ())
        returns = next((c for c in v if isinstance(c, wf.TypeRef | wf.TypeUnion)), None)
        body = next(c for c in v if isinstance(c, Block))
        return wf.WorkflowDecl(str(name), tuple(params), returns, tuple(body), span, tspan(ctx.path, name))

    @rule
    def params(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Params:
        return cast(Params, with_span(Params(v), span))

    @rule
    def param(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Param:
        return wf.Param(str(v[0]), _after(raw, "COLON"), _after(raw, "EQUAL"), span)

    @rule
    def type_atom(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.TypeRef:
        return wf.TypeRef(str(v[0]), tuple(v[1:]), span)

    @rule
    def type_null(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.TypeRef:
        return wf.TypeRef("null", (), span)

    @rule
    def type_union(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.TypeUnion:
        return wf.TypeUnion(tuple(v), span)

    # ---- statements ------------------------------------------------------------------------------------------

    @rule
    def block(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Block:
        return cast(Block, with_span(Block(v), span))

    @rule
    def assign(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Assign:
        *targets, value = v
        return wf.Assign(tuple(targets), value, span)

    @rule
    def aug_assign(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.AugAssign:
        target, op, value = v
        return wf.AugAssign(target, cast(Any, str(op)[:-1]), value, span)

    @rule
    def expr_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.ExprStmt:
        return wf.ExprStmt(v[0], span)

    @rule
    def return_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Return:
        return wf.Return(v[0] if v else None, span)

    @rule
    def fail_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Fail:
        return wf.Fail(v[0], span)

    @rule
    def raise_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Raise:
        return wf.Raise(v[0] if v else None, span)

    @rule
    def log_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Log:
        level = cast(Any, v[0] if len(v) == 2 else "info")
        return wf.Log(level, v[-1], span)

    @rule
    def log_level(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> str:
        return str(raw[0])

    @rule
    def break_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Break:
        return wf.Break(span)

    @rule
    def continue_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Continue:
        return wf.Continue(span)

    @rule
    def if_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.If:
        test, body, *rest = v
        orelse: tuple[wf.Stmt, ...] = ()
        if rest:
            orelse = (rest[0],) if isinstance(rest[0], wf.If) else tuple(rest[0])
        return wf.If(test, tuple(body), orelse, span)

    elif_clause = if_stmt

    @rule
    def else_clause(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Block:
        body = (v[0],) if isinstance(v[0], wf.If) else tuple(v[0])
        return cast(Block, with_span(Block(body), span))

    @rule
    def while_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.While:
        test, body = v
        return wf.While(test, tuple(body), span)

    @rule
    def for_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.For:
        *_, iterable, body = v
        return wf.For(_names(ctx, v), iterable, tuple(body), span)

    @rule
    def try_stmt(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Try:
        body, *rest = v
        handlers = tuple(c for c in rest if isinstance(c, wf.Catch))
        final = next((tuple(c) for c in rest if isinstance(c, Finally)), None)
        return wf.Try(tuple(body), handlers, final, span)

    @rule
    def catch_clause(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Catch:
        types = next((tuple(c) for c in v if isinstance(c, Types)), ())
        name = next((c for c in v if isinstance(c, Token) and c.type == "NAME"), None)
        body = tuple(v[-1])
        name_span = tspan(ctx.path, name) if name is not None else None
        return wf.Catch(types, str(name) if name is not None else None, body, span, name_span)

    @rule
    def error_types(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Types:
        return cast(Types, with_span(Types(v), span))

    @rule
    def error_type(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.ErrorType:
        return wf.ErrorType(tuple(str(t) for t in v), span)

    @rule
    def finally_clause(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Finally:
        return cast(Finally, with_span(Finally(v[0]), span))

    # ---- commands --------------------------------------------------------------------------------------------

    @rule
    def with_options(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.WithOptions:
        call, *options = v
        return _check(wf.WithOptions(call, tuple(options), span, depth=depth(call)))

    @rule
    def sleep(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Sleep:
        return wf.Sleep(v[0], span, depth=depth(v[0]))

    @rule
    def wait(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Wait:
        event = v[0]
        timeout = v[1] if len(v) > 1 else None
        return wf.Wait(event, timeout, span, depth=depth(event, timeout))

    @rule
    def start_child_cmd(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.StartChild:
        call, *options = v
        if options:  # `async child(x) with id ...`: the same node as `async (child(x) with id ...)`
            whole = join(call.span, options[-1].span)
            call = _check(wf.WithOptions(call, tuple(options), whole, depth=depth(call)))
        return wf.StartChild(call, span, depth=depth(call))

    @rule
    def join_cmd(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Join:
        return wf.Join(v[0], span, depth=depth(v[0]))

    @rule
    def all_of(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Parallel:
        items, each = v[0].value
        return _check(wf.Parallel("all", items, each, span, depth=depth(*items)))

    @rule
    def first_of(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Parallel:
        items, each = v[0].value
        return _check(wf.Parallel("first", items, each, span, depth=depth(*items)))

    @rule
    def parallel(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Part:
        return Part("parallel", (tuple(v), None), span)

    @rule
    def parallel_each(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Part:
        item, *_, iterable = v
        return Part("parallel", ((item,), wf.Each(_names(ctx, v[1:-1]), iterable, span)), span)

    @rule
    def opt_retry(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        args, keywords = v[0].value if v else ((), ())
        return wf.Option("retry", None, keywords, args, span)

    @rule
    def opt_no_retry(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("no_retry", None, (), (), span)

    @rule
    def opt_run_after(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("run_after", v[0], (), (), span)

    @rule
    def opt_run_at(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("run_at", v[0], (), (), span)

    @rule
    def opt_name(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("name", v[0], (), (), span)

    @rule
    def opt_id(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("id", v[0], (), (), span)

    @rule
    def opt_detached(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("detached", None, (), (), span)

    @rule
    def opt_queue(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("queue", v[0], (), (), span)

    @rule
    def opt_priority(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("priority", v[0], (), (), span)

    @rule
    def opt_partition_key(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("partition_key", v[0], (), (), span)

    @rule
    def opt_dedup_id(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Option:
        return wf.Option("dedup_id", v[0], (), (), span)

    # ---- operators -------------------------------------------------------------------------------------------

    @rule
    def or_test(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        if len(v) == 1:  # the alias keeps Lark from inlining a lone operand
            return cast(wf.Expr, v[0])
        return _check(wf.BoolOp("or", tuple(v), span, depth=depth(*v)))

    @rule
    def and_test(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        if len(v) == 1:
            return cast(wf.Expr, v[0])
        return _check(wf.BoolOp("and", tuple(v), span, depth=depth(*v)))

    @rule
    def not_(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        *nots, node = v
        for tok in reversed(nots):
            node = _check(wf.Unary("not", node, join(tspan(ctx.path, tok), node.span), depth=depth(node)))
        return cast(wf.Expr, node)

    @rule
    def comparison(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        if len(v) == 1:
            return cast(wf.Expr, v[0])
        left, rest = v[0], tuple(v[2::2])
        return _check(wf.Compare(left, tuple(v[1::2]), rest, span, depth=depth(left, *rest)))

    @rule
    def comp_op(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> str:
        return " ".join(str(t) for t in v)

    @rule
    def arith(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        node: wf.Expr = v[0]
        for i in range(1, len(v), 2):
            right = v[i + 1]
            op = cast(Any, str(v[i]))
            node = _check(wf.BinOp(op, node, right, join(node.span, right.span), depth=depth(node, right)))
        return node

    term = arith

    @rule
    def unary(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        *signs, operand = v
        return _signs(ctx, signs, operand)

    @rule
    def signed(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Part:
        *signs, operand = v
        return Part("signed", (signs, operand), span)

    @rule
    def power(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        # Right-associative, and a sign binds looser than the `**` after it, as in Python:
        # a ** -b ** c == a ** (-(b ** c)).
        first: wf.Expr = v[0]
        signed: list[tuple[list[Token], wf.Expr]] = [p.value for p in v[2::2]]
        signs, node = signed[-1]
        node = _signs(ctx, signs, node)
        for signs, operand in reversed(signed[:-1]):
            node = _check(
                wf.BinOp("**", operand, node, join(operand.span, node.span), depth=depth(operand, node))
            )
            node = _signs(ctx, signs, node)
        return _check(wf.BinOp("**", first, node, join(first.span, node.span), depth=depth(first, node)))

    # ---- postfix ---------------------------------------------------------------------------------------------

    @rule
    def postfix(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        node: wf.Expr = v[0]
        for trailer in v[1:]:
            end = trailer.span
            whole = Span(ctx.path, node.span.line, node.span.col, end.end_line, end.end_col)
            if trailer.kind == "call":
                args, keywords = trailer.value
                node = wf.Call(
                    node, args, keywords, whole, depth=depth(node, *args, *(k.value for k in keywords))
                )
            elif trailer.kind == "index":
                node = wf.Index(node, trailer.value, whole, depth=depth(node, trailer.value))
            else:
                name, name_span = trailer.value
                node = wf.Attr(node, name, name_span, whole, depth=depth(node))
            _check(node)
        return node

    @rule
    def call(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Part:
        return Part("call", v[0].value if v else ((), ()), span)

    @rule
    def index(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Part:
        return Part("index", v[0], span)

    @rule
    def attr(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Part:
        return Part("attr", (str(v[0]), tspan(ctx.path, v[0])), span)

    @rule
    def slice_index(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Slice:
        lower = raw[0] if not isinstance(raw[0], Token) else None
        upper = raw[-1] if not isinstance(raw[-1], Token) else None
        return wf.Slice(lower, upper, span, depth=depth(lower, upper))

    @rule
    def arguments(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Part:
        args = []
        keywords = []
        for c in v:
            if isinstance(c, wf.Keyword):
                keywords.append(c)
            else:
                if keywords:
                    ctx.reporter.report(
                        "WFC143",
                        "a positional argument after a keyword argument",
                        c.span,
                        "put positional arguments first: `f(a, b, key=value)`",
                    )
                args.append(c)
        return Part("arguments", (tuple(args), tuple(keywords)), span)

    @rule
    def kwarg(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Keyword:
        name, value = v
        return wf.Keyword(str(name), value, span)

    # ---- atoms -----------------------------------------------------------------------------------------------

    @rule
    def atom(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Expr:
        return cast(wf.Expr, v[0])  # `( expr )`: the parentheses only group

    @rule
    def name(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Name:
        return wf.Name(str(v[0]), span)

    @rule
    def int_lit(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Const:
        digits = str(v[0]).replace("_", "")
        if len(digits.lstrip("0")) > MAX_INT_DIGITS:
            return _bad_number(ctx, span, f"an integer of {len(digits)} digits is too long", 0, "int")
        return wf.Const(int(digits), "int", span)

    @rule
    def float_lit(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Const:
        value = float(str(v[0]).replace("_", ""))
        if not math.isfinite(value):
            return _bad_number(ctx, span, f"`{_short(str(v[0]))}` is too large for a number", 0.0, "float")
        return wf.Const(value, "float", span)

    @rule
    def duration_lit(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Const:
        text = str(v[0])
        unit = text.lstrip("0123456789.")
        number = text[: len(text) - len(unit)]
        factor = _DURATION_UNITS[unit]
        if len(number.lstrip("0")) > MAX_INT_DIGITS:
            return _bad_number(ctx, span, f"a duration of {len(number)} digits is too long", 0, "duration")
        if "." in number or isinstance(factor, float):
            seconds: int | float = float(number) * factor
        else:
            seconds = int(number) * factor
        if not math.isfinite(seconds):
            return _bad_number(ctx, span, f"`{_short(text)}` is too long a duration", 0, "duration")
        return wf.Const(seconds, "duration", span)

    @rule
    def string_lit(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Const | wf.FString:
        try:
            value = decode(str(v[0]), span, ctx.parse_expr)
        except StringError as exc:
            where = Span(ctx.path, span.line, exc.col, span.line, exc.col + exc.width)
            ctx.reporter.report("WFC124", exc.message, where, exc.hint)
            return wf.Const("", "str", span)
        if value is None:
            return wf.Const("", "str", span)
        return _check(value)

    @rule
    def true_lit(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Const:
        return wf.Const(True, "bool", span)

    @rule
    def false_lit(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Const:
        return wf.Const(False, "bool", span)

    @rule
    def null_lit(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.Const:
        return wf.Const(None, "null", span)

    @rule
    def list_lit(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.ListExpr:
        return _check(wf.ListExpr(tuple(v), span, depth=depth(*v)))

    @rule
    def list_comp(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.ListComp:
        element = v[0]
        k = next(i for i, c in enumerate(v) if isinstance(c, Token) and c.type == "IN")
        iterable = v[k + 1]
        condition = v[k + 2] if len(v) > k + 2 else None
        targets = _names(ctx, v[1:k])
        node = wf.ListComp(
            element, targets, iterable, condition, span, depth=depth(element, iterable, condition)
        )
        return _check(node)

    @rule
    def dict_lit(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> wf.DictExpr:
        keys = tuple(p.value[0] for p in v)
        values = tuple(p.value[1] for p in v)
        return _check(wf.DictExpr(keys, values, span, depth=depth(*keys, *values)))

    @rule
    def pair(self, ctx: Context, span: Span, v: list[Any], raw: list[Any]) -> Part:
        return Part("pair", (v[0], v[1]), span)


def _signs(ctx: Context, signs: list[Token], operand: wf.Expr) -> wf.Expr:
    node = operand
    for tok in reversed(signs):
        node = _check(
            wf.Unary(cast(Any, str(tok)), node, join(tspan(ctx.path, tok), node.span), depth=depth(node))
        )
    return node


MAX_INT_DIGITS = 4000
"""The longest integer literal (Python refuses to convert integers of more than 4,300 digits to and from text,
and the lowered code is text)."""


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…{text[-10:]}"


def _bad_number(ctx: Context, span: Span, message: str, value: float, kind: str) -> wf.Const:
    """Reports ``WFC126`` and stands in a harmless constant, so the rest of the file is still checked."""
    ctx.reporter.report(
        "WFC126", message, span, f"numbers have at most {MAX_INT_DIGITS} digits and stay finite"
    )
    return wf.Const(value, cast(Any, kind), span)
