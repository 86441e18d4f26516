"""Scope facts about a workflow function's AST: its locals, its parameters, whether it yields."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from wfc.compiler import pycode, syntax

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` that belongs to the same function scope (nested defs and lambdas excluded)."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, SCOPES):
            stack.extend(ast.iter_child_nodes(child))


def has_yield(node: ast.AST) -> bool:
    if isinstance(node, ast.Yield | ast.YieldFrom):
        return True
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in walk_scope(node))


def function_locals(tree: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Parameters plus every name the function body binds (Python's own rule for what is local).

    Comprehension variables belong to the comprehension, but a walrus inside one binds in the function.
    """
    args = tree.args
    out = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    out.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    declared: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, COMPREHENSIONS):
            out.update(n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr))
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif (isinstance(node, ast.ExceptHandler) and node.name) or (
            isinstance(node, ast.MatchAs | ast.MatchStar) and node.name
        ):
            out.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            out.add(node.rest)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            declared.update(node.names)
        stack.extend(ast.iter_child_nodes(node))
    return frozenset(out - declared)


def parameters(args: ast.arguments) -> tuple[syntax.Param, ...]:
    out: list[syntax.Param] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)

    def ann(a: ast.arg) -> str | None:
        return pycode.canonical(a.annotation) if a.annotation is not None else None

    for i, a in enumerate(positional):
        kind = "positional" if i < len(args.posonlyargs) else "positional_or_keyword"
        d = defaults[i]
        out.append(syntax.Param(a.arg, kind, ann(a), pycode.canonical(d) if d is not None else None))  # type: ignore[arg-type]
    if args.vararg:
        out.append(syntax.Param(args.vararg.arg, "var_positional", ann(args.vararg)))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append(syntax.Param(a.arg, "keyword", ann(a), pycode.canonical(d) if d is not None else None))
    if args.kwarg:
        out.append(syntax.Param(args.kwarg.arg, "var_keyword", ann(args.kwarg)))
    return tuple(out)
