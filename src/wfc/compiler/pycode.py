"""Canonical Python source for IR code, and the exact sets of workflow locals a piece of code touches.

Both front ends build IR code through here: the Python front end from the user's statements, the ``.wf`` front end
from the Python AST nodes it builds. So equal programs give equal tables.

For liveness, each statement gets:

* ``reads``  – workflow locals read anywhere in it (nested lambdas, comprehensions and defs included: they close
  over the variable);
* ``writes`` – workflow locals it may bind or unbind;
* ``gen``    – locals it may read *before* definitely assigning them (upward-exposed uses);
* ``defs``   – locals it assigns (or deletes) on every path that completes normally.

``gen`` and ``defs`` are exact for straight-line code and conservative (``gen`` larger, ``defs`` smaller) for
compound statements, which can only make more variables live, never fewer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

import attrs

from wfc.compiler import syntax
from wfc.compiler.pywarnings import silently
from wfc.errors import Span


def canonical(node: ast.AST) -> str:
    """The one spelling of a piece of code the IR stores (comments and layout removed)."""
    return ast.unparse(node)


@attrs.frozen
class Flow:
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    gen: frozenset[str] = frozenset()
    defs: frozenset[str] = frozenset()


_SCOPES = (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Names(ast.NodeVisitor):
    """Collects workflow locals read and written by an expression or statement, looking into nested scopes."""

    def __init__(self, locals_: frozenset[str]) -> None:
        self.locals = locals_
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self._shadow: list[set[str]] = []

    def _shadowed(self, name: str) -> bool:
        return any(name in s for s in self._shadow)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id not in self.locals or self._shadowed(node.id):
            return
        if isinstance(node.ctx, ast.Load):
            self.reads.add(node.id)
        else:
            if isinstance(node.ctx, ast.Del):
                self.reads.add(node.id)
            if not self._shadow:
                self.writes.add(node.id)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        # `x += v` reads x before writing it.
        if (
            isinstance(node.target, ast.Name)
            and node.target.id in self.locals
            and not self._shadowed(node.target.id)
        ):
            self.reads.add(node.target.id)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        # `(y := v)` binds y in the enclosing *function* even inside a comprehension.
        self.visit(node.value)
        name = node.target.id
        if name in self.locals and not any(name in s for s in self._shadow if not isinstance(s, _CompScope)):
            self.writes.add(name)

    def _nested(self, bound: set[str], body: Iterable[ast.AST]) -> None:
        self._shadow.append(bound)
        for item in body:
            self.visit(item)
        self._shadow.pop()

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for d in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
            self.visit(d)
        self._nested(_arg_names(node.args), [node.body])

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for item in [*node.decorator_list, *node.args.defaults]:
            self.visit(item)
        for d in node.args.kw_defaults:
            if d is not None:
                self.visit(d)
        if node.returns is not None:
            self.visit(node.returns)
        self._bind(node.name)
        self._nested(_arg_names(node.args) | _bound_in(node.body), node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for item in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(item)
        self._bind(node.name)
        self._nested(_bound_in(node.body), node.body)

    def _comprehension(self, node: ast.AST, elements: list[ast.AST]) -> None:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        # The first iterable is evaluated in the enclosing scope; everything else in the comprehension's own.
        self.visit(gens[0].iter)
        bound = _CompScope()
        for g in gens:
            bound |= _target_names(g.target)
        self._shadow.append(bound)
        for i, g in enumerate(gens):
            self.visit(g.target)
            if i:
                self.visit(g.iter)
            for cond in g.ifs:
                self.visit(cond)
        for el in elements:
            self.visit(el)
        self._shadow.pop()

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_ListComp  # type: ignore[assignment]
    visit_GeneratorExp = visit_ListComp  # type: ignore[assignment]

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self._bind((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for item in node.body:
            self.visit(item)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self._bind(node.rest)

    def _bind(self, name: str) -> None:
        if name in self.locals and not self._shadow:
            self.writes.add(name)


class _CompScope(set[str]):
    """Names bound by a comprehension (walrus targets escape it, unlike lambda or def locals)."""


def _arg_names(args: ast.arguments) -> set[str]:
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    return names


def _target_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _bound_in(body: list[ast.stmt]) -> set[str]:
    """Names a nested function or class body binds (its own locals), not looking into deeper scopes."""
    out: set[str] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
            continue
        elif isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            continue
        elif isinstance(node, ast.Import | ast.ImportFrom):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
        stack.extend(ast.iter_child_nodes(node))
    # `global`/`nonlocal` names inside the nested scope refer outward: they are not its locals.
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Global | ast.Nonlocal):
            out.difference_update(node.names)
    return out


def names(node: ast.AST, locals_: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(reads, writes) of workflow locals in ``node``."""
    visitor = _Names(locals_)
    visitor.visit(node)
    return frozenset(visitor.reads), frozenset(visitor.writes)


def flow(node: ast.stmt, locals_: frozenset[str]) -> Flow:
    reads, writes = names(node, locals_)
    gen, defs = _gen_defs(node, locals_)
    return Flow(reads, writes, gen & reads, defs & writes)


def _seq(stmts: list[ast.stmt], locals_: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    gen: set[str] = set()
    defs: set[str] = set()
    for stmt in stmts:
        g, d = _gen_defs(stmt, locals_)
        gen |= g - defs
        defs |= d
    return frozenset(gen), frozenset(defs)


def _reads(nodes: Iterable[ast.AST | None], locals_: frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for node in nodes:
        if node is not None:
            out |= names(node, locals_)[0]
    return frozenset(out)


def _gen_defs(node: ast.stmt, locals_: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    empty: frozenset[str] = frozenset()
    if isinstance(node, ast.Assign | ast.AnnAssign):
        value = node.value
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if value is None:
            return empty, empty
        # The value is evaluated first, then targets left to right; `x[i] = ...` reads x and i.
        gen = set(_reads([value], locals_))
        defs: set[str] = set()
        for t in targets:
            r, w = names(t, locals_)
            gen |= r - defs
            defs |= {
                n.id for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            } & w
        return frozenset(gen), frozenset(defs)
    if isinstance(node, ast.AugAssign):
        r, w = names(node, locals_)
        target = frozenset({node.target.id}) if isinstance(node.target, ast.Name) else empty
        return r | w, (target | definite_walrus(node.value)) & w
    if isinstance(node, ast.Delete):
        r, w = names(node, locals_)
        return r, frozenset(t.id for t in node.targets if isinstance(t, ast.Name)) & w
    if isinstance(node, ast.If):
        body_g, body_d = _seq(node.body, locals_)
        else_g, else_d = _seq(node.orelse, locals_)
        return _reads([node.test], locals_) | body_g | else_g, body_d & else_d if node.orelse else empty
    if isinstance(node, ast.While):
        return _reads([node.test], locals_) | _seq(node.body, locals_)[0] | _seq(node.orelse, locals_)[
            0
        ], empty
    if isinstance(node, ast.For | ast.AsyncFor):
        target_r, target_w = names(node.target, locals_)
        body_g = _seq(node.body, locals_)[0] - target_w
        return _reads([node.iter], locals_) | target_r | body_g | _seq(node.orelse, locals_)[0], empty
    if isinstance(node, ast.Try | ast.TryStar):
        gen = set(_seq(node.body, locals_)[0]) | _seq(node.orelse, locals_)[0]
        for h in node.handlers:
            hg = _seq(h.body, locals_)[0] - ({h.name} if h.name else set())
            gen |= hg | _reads([h.type], locals_)
        fin_g, fin_d = _seq(node.finalbody, locals_)
        return frozenset(gen | fin_g), fin_d
    if isinstance(node, ast.With | ast.AsyncWith):
        bound: set[str] = set()
        gen = set()
        for item in node.items:
            gen |= _reads([item.context_expr], locals_) - bound
            if item.optional_vars is not None:
                r, w = names(item.optional_vars, locals_)
                gen |= r - bound
                bound |= w
        return frozenset(gen | (_seq(node.body, locals_)[0] - bound)), frozenset(bound)
    if isinstance(node, ast.Match):
        gen = set(_reads([node.subject], locals_))
        for case in node.cases:
            captured = names(case.pattern, locals_)[1]
            gen |= (_reads([case.pattern, case.guard], locals_) | _seq(case.body, locals_)[0]) - captured
        return frozenset(gen), empty
    # Simple statements, definitions and imports: everything read is read first; bindings happen last.
    reads, writes = names(node, locals_)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return reads, frozenset({node.name}) & writes
    if isinstance(node, ast.Import | ast.ImportFrom):
        return reads, writes
    return reads, definite_walrus(node) & writes


def definite_walrus(node: ast.AST) -> frozenset[str]:
    """Names a ``:=`` in ``node`` binds on every path on which ``node`` completes normally.

    Not definite: the operands after the first of ``and``/``or``, the branches of ``x if c else y``, everything
    of a comprehension but its first iterable (it may loop zero times), an ``assert`` message (evaluated only
    when the assertion fails), and lambda or function bodies (they run later, if ever).
    """
    out: set[str] = set()
    stack: list[ast.AST] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.NamedExpr):
            out.add(n.target.id)
            stack.append(n.value)
        elif isinstance(n, ast.BoolOp):
            stack.append(n.values[0])
        elif isinstance(n, ast.IfExp):
            stack.append(n.test)
        elif isinstance(n, _COMPREHENSIONS):
            stack.append(n.generators[0].iter)
        elif isinstance(n, ast.Assert):
            stack.append(n.test)
        elif isinstance(n, ast.Lambda):
            stack.extend([*n.args.defaults, *(d for d in n.args.kw_defaults if d is not None)])
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef):
            args = n.args
            stack.extend([*n.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d is not None)])
        elif isinstance(n, ast.ClassDef):
            stack.extend([*n.decorator_list, *n.bases, *(k.value for k in n.keywords)])
        else:
            stack.extend(ast.iter_child_nodes(n))
    return frozenset(out)


# ---- building front-end nodes -----------------------------------------------------------------------------------


def code(node: ast.stmt, locals_: frozenset[str], span: Span | None = None) -> syntax.Code:
    f = flow(node, locals_)
    source = canonical(node)
    return syntax.Code(source, f.reads, f.writes, f.gen, f.defs, span, line_map(node, source, span))


def line_map(node: ast.stmt, source: str, span: Span | None) -> tuple[int, ...]:
    """The original source line of each line of the canonical text of ``node``.

    Re-parsing the canonical text gives a tree of the same shape as ``node``: walking both together pairs each
    canonical line with the line of the original node that produced it.
    """
    count = source.count("\n") + 1
    offset = (span.line - getattr(node, "lineno", span.line)) if span is not None else 0
    try:
        again = silently(lambda: ast.parse(source), "<unknown>").body[0]
    except (SyntaxError, IndexError):
        return ()
    mapping: dict[int, int] = {}
    for original, reparsed in zip(ast.walk(node), ast.walk(again)):
        line = getattr(original, "lineno", None)
        if line is not None and hasattr(reparsed, "lineno"):
            mapping.setdefault(reparsed.lineno, line + offset)
    out: list[int] = []
    last = span.line if span is not None else 1
    for i in range(1, count + 1):
        last = mapping.get(i, last)
        out.append(last)
    return tuple(out)


def expr(node: ast.expr, locals_: frozenset[str], span: Span | None = None) -> syntax.Expr:
    reads, writes = names(node, locals_)
    return syntax.Expr(canonical(node), reads, span, writes)


def target(
    nodes: list[ast.expr] | ast.expr, locals_: frozenset[str], span: Span | None = None
) -> syntax.Target:
    """An assignment target; for chained targets (``a = b = ...``) call once per target."""
    node = nodes if isinstance(nodes, ast.expr) else nodes[0]
    reads, writes = names(node, locals_)
    return syntax.Target(canonical(node), reads, writes, span)
