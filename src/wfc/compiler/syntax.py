"""The front-end AST: what both front ends (Python generators and ``.wf`` files) produce, and lowering consumes.

Only control flow that contains a suspension (or a ``return``/``break``/``continue`` that leaves lowered control
flow) is represented structurally. Everything else is a :class:`Code` leaf holding *canonical Python source*
(``ast.unparse`` output), which is the IR's language for computation: it is what runs between suspensions.

Names: ``reads`` / ``writes`` / ``gen`` / ``defs`` only ever mention *workflow locals* (parameters and every name
the workflow binds). ``gen`` is the set of locals read before this node definitely assigns them, ``defs`` the set
it assigns on every path; liveness needs both to keep the set of persisted variables exact.

Names starting with ``_wfc_`` are reserved for the compiler's own slots (loop cursors, handled exceptions,
pending finally completions).
"""

from __future__ import annotations

from typing import Literal

import attrs

from wfc.errors import Span

RESERVED_PREFIX = "_wfc_"


@attrs.frozen
class Expr:
    """A Python expression (canonical source) evaluated in the workflow's scope. ``writes``: locals it binds
    with ``:=``."""

    source: str
    reads: frozenset[str] = frozenset()
    span: Span | None = attrs.field(default=None, eq=False)
    writes: frozenset[str] = frozenset()


@attrs.frozen
class Target:
    """An assignment target such as ``x``, ``a, b`` or ``order['id']``."""

    source: str
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Code:
    """One yield-free statement that needs no lowering."""

    source: str
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    gen: frozenset[str] = frozenset()
    defs: frozenset[str] = frozenset()
    span: Span | None = attrs.field(default=None, eq=False)
    lines: tuple[int, ...] = attrs.field(default=(), eq=False)
    """The source line of each line of ``source`` (empty: all at ``span``)."""


@attrs.frozen
class Suspend:
    """``targets = yield command`` (``targets`` empty for a bare ``yield command``)."""

    command: Expr
    targets: tuple[Target, ...] = ()
    annotation: str | None = None
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class If:
    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class While:
    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()
    span: Span | None = attrs.field(default=None, eq=False)


LoopKind = Literal["iter", "enumerate", "zip", "zip_strict", "reversed", "keys", "values", "items"]


@attrs.frozen
class ForIter:
    """What a lowered ``for`` iterates: ``kind`` with its argument expressions.

    ``iter``: any snapshottable iterable (``args[0]``); ``enumerate``: ``args = (iterable, start)``; ``zip``: the
    iterables; ``zip_strict``: the iterables, then the ``strict=`` flag; ``reversed``: the sequence; ``keys``/``values``/``items``: the mapping (``d.items()`` etc.).
    """

    kind: LoopKind
    args: tuple[Expr, ...]
    source: str


@attrs.frozen
class For:
    target: Target
    iter: ForIter
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Handler:
    """``except types as name:`` (``types`` is ``None`` for a bare ``except:``)."""

    types: Expr | None
    name: str | None
    body: tuple[Stmt, ...]
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Try:
    """``slot`` names the variable that holds the exception being handled (for a bare ``raise`` in a handler)."""

    body: tuple[Stmt, ...]
    handlers: tuple[Handler, ...] = ()
    orelse: tuple[Stmt, ...] = ()
    finalbody: tuple[Stmt, ...] | None = None
    slot: str = ""
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Return:
    value: Expr | None = None
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Raise:
    """``raise exc from cause``; ``exc`` is ``None`` for a bare ``raise`` outside any lowered handler."""

    exc: Expr | None = None
    cause: Expr | None = None
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Break:
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Continue:
    span: Span | None = attrs.field(default=None, eq=False)


Stmt = Code | Suspend | If | While | For | Try | Return | Raise | Break | Continue


@attrs.frozen
class Param:
    """A workflow parameter. ``kind`` follows :class:`inspect.Parameter` kinds by name."""

    name: str
    kind: Literal["positional", "positional_or_keyword", "var_positional", "keyword", "var_keyword"]
    annotation: str | None = None
    default: str | None = None


@attrs.frozen
class Workflow:
    """One workflow as a front end sees it.

    ``locals`` are every workflow-local name (parameters included). ``callables`` maps the locals bound to a
    function, lambda or class inside the workflow to where that happens: such a value cannot be persisted, so it
    must not be alive across a suspension.
    """

    name: str
    params: tuple[Param, ...]
    returns: str | None
    body: tuple[Stmt, ...]
    locals: frozenset[str]
    path: str
    span: Span | None = attrs.field(default=None, eq=False)
    callables: tuple[tuple[str, Span | None], ...] = attrs.field(default=(), eq=False)
    unpersistable: tuple[tuple[str, str, Span | None], ...] = attrs.field(default=(), eq=False)
    """(name, what it holds, where) of the locals that always hold a value the runtime cannot persist (an
    iterator, a generator, a bound method): like ``callables``, they must not be alive across a suspension."""
    frontend: Literal["python", "wf"] = "python"
    source_lines: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)
