"""The ``.wf`` syntax tree: what :func:`wfc.dsl.parse` returns, before names are resolved.

It mirrors the source closely (one class per construct in ``docs/language.md``), so diagnostics can point at
exactly what the author wrote; :mod:`wfc.dsl.lowering` turns it into the front-end AST shared with Python
workflows. Every node has a ``span``; spans never take part in equality, so two parses of the same program in
different layouts compare equal.

Invariant: every expression node's ``depth`` is one more than its deepest child's (leaves have depth 1). The
builder refuses trees deeper than :data:`wfc.dsl.limits.MAX_EXPR_DEPTH`, so the recursive passes after it (checks,
lowering, ``ast.unparse``) cannot exhaust the stack.
"""

from __future__ import annotations

from typing import Literal

import attrs

from wfc.errors import Span

# ---- expressions -------------------------------------------------------------------------------------------------


@attrs.frozen
class Name:
    id: str
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


ConstKind = Literal["int", "float", "duration", "str", "bool", "null"]


@attrs.frozen
class Const:
    """A literal. A duration (``10s``, ``1.5h``) is its number of seconds, ``kind="duration"``."""

    value: int | float | str | bool | None
    kind: ConstKind
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Interp:
    """``{expr}`` or ``{expr:spec}`` inside a string."""

    expr: Expr
    spec: str | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class FString:
    """A string with at least one interpolation: literal text and :class:`Interp` parts, in order."""

    parts: tuple[str | Interp, ...]
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class ListExpr:
    items: tuple[Expr, ...]
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class ListComp:
    """``[element for x in xs if condition]``: ``targets`` are local to it."""

    element: Expr
    targets: tuple[Name, ...]
    iter: Expr
    condition: Expr | None
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class DictExpr:
    keys: tuple[Expr, ...]
    values: tuple[Expr, ...]
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Unary:
    """``-x``, ``+x`` or ``not x``."""

    op: Literal["-", "+", "not"]
    operand: Expr
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class BinOp:
    op: Literal["+", "-", "*", "/", "//", "%", "**"]
    left: Expr
    right: Expr
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class BoolOp:
    op: Literal["and", "or"]
    values: tuple[Expr, ...]
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


CompareOp = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]


@attrs.frozen
class Compare:
    """``a < b <= c``: a chain, as in Python."""

    left: Expr
    ops: tuple[CompareOp, ...]
    comparators: tuple[Expr, ...]
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Attr:
    value: Expr
    name: str
    name_span: Span = attrs.field(eq=False)
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Slice:
    lower: Expr | None
    upper: Expr | None
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Index:
    value: Expr
    index: Expr | Slice
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Keyword:
    name: str
    value: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Call:
    """A call: of a built-in, a workflow of this file, or an imported step or workflow (``alias.member``).
    What it calls is resolved by :mod:`wfc.dsl.checks`; nothing else is callable."""

    func: Expr
    args: tuple[Expr, ...]
    keywords: tuple[Keyword, ...]
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


Expr = (
    Name
    | Const
    | FString
    | ListExpr
    | ListComp
    | DictExpr
    | Unary
    | BinOp
    | BoolOp
    | Compare
    | Attr
    | Index
    | Call
)


# ---- commands: what suspends a workflow ---------------------------------------------------------------------------

OptionKind = Literal[
    "retry", "no_retry", "run_after", "run_at", "name",
    "id", "detached", "queue", "priority", "partition_key", "dedup_id",
]  # fmt: skip
CHILD_OPTIONS: frozenset[OptionKind] = frozenset(
    {"id", "detached", "queue", "priority", "partition_key", "dedup_id"}
)
"""Options a child workflow call has and a step call has not (Python's ``.options(id=..., detached=...)``)."""
STARTED_OPTIONS: frozenset[OptionKind] = CHILD_OPTIONS - {"id"}
"""Options only a child started with ``async`` takes: a called child neither outlives its parent nor waits in a
queue (its parent would wait at the call)."""


@attrs.frozen
class Option:
    """One call option after ``with``. ``retry(...)`` carries keyword arguments; ``no retry`` and ``detached``
    nothing; the others one ``value``."""

    kind: OptionKind
    value: Expr | None
    keywords: tuple[Keyword, ...]
    args: tuple[Expr, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class WithOptions:
    """``call with option, option``."""

    call: Expr
    options: tuple[Option, ...]
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Sleep:
    duration: Expr
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Wait:
    event: Expr
    timeout: Expr | None
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Each:
    """The ``for x in xs`` of ``all of (step(x) for x in xs)``: ``targets`` are local to the group."""

    targets: tuple[Name, ...]
    iter: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Parallel:
    """``all of (...)`` (every result, in order) or ``first of (...)`` (``index, value`` of the first)."""

    kind: Literal["all", "first"]
    items: tuple[Expr | Command, ...]
    each: Each | None
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class StartChild:
    """``async child(args)``: start a child workflow without waiting (``wfc.start_child``); its value is the
    child's handle. ``async child(args) with id ..., detached`` holds the call with its options (a
    :class:`WithOptions`), as Python's ``wfc.start_child(child(args).options(...))`` does."""

    call: Expr | WithOptions
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


@attrs.frozen
class Join:
    """``await handle``: wait for a child ``async`` started (``wfc.join``); its value is the child's result."""

    handle: Expr
    span: Span = attrs.field(eq=False)
    depth: int = attrs.field(default=1, eq=False, kw_only=True)


Command = WithOptions | Sleep | Wait | Parallel | StartChild | Join
Value = Expr | Command
"""What may stand on the right of ``=``, after ``return`` or alone as a statement."""


# ---- statements --------------------------------------------------------------------------------------------------


@attrs.frozen
class Assign:
    targets: tuple[Expr, ...]
    value: Value
    span: Span = attrs.field(eq=False)


@attrs.frozen
class AugAssign:
    target: Expr
    op: Literal["+", "-", "*", "/", "//", "%"]
    value: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class ExprStmt:
    value: Value
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Return:
    value: Value | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Fail:
    """``fail message``: end the workflow with :class:`wfc.WorkflowFailed`."""

    message: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Raise:
    """``raise`` (re-raise in a ``catch``), ``raise e`` or ``raise ValueError("...")``."""

    exc: Expr | None
    span: Span = attrs.field(eq=False)


LogLevel = Literal["debug", "info", "warning", "error"]


@attrs.frozen
class Log:
    level: LogLevel
    message: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Break:
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Continue:
    span: Span = attrs.field(eq=False)


@attrs.frozen
class If:
    """``elif`` and ``else if`` both become an :class:`If` alone in ``orelse``, exactly as Python's ``elif``."""

    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class While:
    test: Expr
    body: tuple[Stmt, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class For:
    targets: tuple[Name, ...]
    iter: Expr
    body: tuple[Stmt, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class ErrorType:
    """``ValueError``, ``StepFailed`` or ``alias.CardDeclined``: dotted parts as written."""

    parts: tuple[str, ...]
    span: Span = attrs.field(eq=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@attrs.frozen
class Catch:
    """``catch`` (every ``Exception``), ``catch T`` or ``catch (T1, T2) as e``."""

    types: tuple[ErrorType, ...]
    name: str | None
    body: tuple[Stmt, ...]
    span: Span = attrs.field(eq=False)
    name_span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Try:
    body: tuple[Stmt, ...]
    handlers: tuple[Catch, ...]
    finalbody: tuple[Stmt, ...] | None
    span: Span = attrs.field(eq=False)


Stmt = Assign | AugAssign | ExprStmt | Return | Fail | Raise | Log | Break | Continue | If | While | For | Try


# ---- declarations ------------------------------------------------------------------------------------------------


@attrs.frozen
class TypeRef:
    """``int``, ``list[str]``, ``dict[str, float]``, ``any``; ``name == "null"`` for ``null``."""

    name: str
    args: tuple[TypeExpr, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class TypeUnion:
    options: tuple[TypeRef, ...]
    span: Span = attrs.field(eq=False)


TypeExpr = TypeRef | TypeUnion


@attrs.frozen
class Param:
    name: str
    type: TypeExpr | None
    default: Expr | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Import:
    """``import billing.steps as billing`` (``module``) or ``import "./steps.py" as steps`` (``file``)."""

    module: str | None
    file: str | None
    alias: str
    span: Span = attrs.field(eq=False)


@attrs.frozen
class WorkflowDecl:
    name: str
    params: tuple[Param, ...]
    returns: TypeExpr | None
    body: tuple[Stmt, ...]
    span: Span = attrs.field(eq=False)
    name_span: Span = attrs.field(eq=False)


@attrs.frozen
class Module:
    """A whole ``.wf`` file. ``lines`` are its source lines, for caret snippets."""

    path: str
    imports: tuple[Import, ...]
    workflows: tuple[WorkflowDecl, ...]
    lines: tuple[str, ...] = attrs.field(eq=False, repr=False)
