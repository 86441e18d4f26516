"""Python front end: a generator function's ``ast`` → the front-end AST (:mod:`wfc.compiler.syntax`).

The statements are cut by the shared cutter (:mod:`wfc.compiler.cut`, which the ``.wf`` front end calls too);
this module adds what only a user's Python function needs: the function-level checks (``async``, no ``yield``,
reserved names, yields in lambdas and comprehensions) and every problem as a ``WFC1xx`` diagnostic, all of them
in one pass.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Mapping, Sequence
from types import CodeType
from typing import Any

from wfc.compiler import pycode, pywarnings, syntax
from wfc.compiler.cut import TEMP_VAR, Cutter
from wfc.compiler.python.scope import COMPREHENSIONS, function_locals, has_yield, parameters
from wfc.compiler.python.source import SourceMap
from wfc.compiler.python.values import unpersistable
from wfc.errors import Diagnostic, Severity

__all__ = ["TEMP_VAR", "PythonFrontEnd", "translate"]


class PythonFrontEnd:
    """Translates one workflow function. ``diagnostics`` collects every problem found."""

    def __init__(
        self,
        tree: ast.FunctionDef | ast.AsyncFunctionDef,
        smap: SourceMap,
        namespace: Mapping[str, Any],
        name: str,
        parse_warnings: Sequence[tuple[int, str]] = (),
        legacy_locals: bool = False,
    ) -> None:
        self.parse_warnings = parse_warnings
        self.legacy_locals = legacy_locals  # cut `locals()` as IR format 2 did (see Cutter)
        self.tree = tree
        self.smap = smap
        self.namespace = namespace
        self.name = name
        self.diagnostics: list[Diagnostic] = []
        self.locals = function_locals(tree)
        self.callables: list[tuple[str, ast.AST]] = []

    # ---- entry ----------------------------------------------------------------------------------------------

    def translate(self) -> syntax.Workflow | None:
        tree = self.tree
        for line, message in self.parse_warnings:
            self._python_warning(line, message)
        if isinstance(tree, ast.AsyncFunctionDef):
            self._error(
                "WFC106",
                f"workflow `{tree.name}` is an `async def`",
                tree,
                "write the workflow as a plain `def` generator that yields steps; make the steps async instead",
            )
            return None
        reserved = sorted(n for n in self.locals if n.startswith(syntax.RESERVED_PREFIX))
        for name in reserved:
            where: ast.AST = next(
                (n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name), tree
            )
            self._error(
                "WFC114",
                f"the name `{name}` is reserved for wfc's own variables",
                where,
                f"rename `{name}`: names starting with `{syntax.RESERVED_PREFIX}` belong to the compiler",
            )
        self._check_nested_yields(tree)
        locals_ = self.locals | {TEMP_VAR}
        self.locals = locals_
        order, warned = _frame_order(tree, self.locals)
        for w in warned:
            self._python_warning(w.lineno, str(w.message))
        cutter = Cutter(tree.body, locals_, self.smap, self.namespace, order, self.legacy_locals)
        body = cutter.block(tree.body)
        for code, message, node, hint in cutter.problems:
            self._error(code, message, node, hint)
        self.callables = cutter.callables
        return syntax.Workflow(
            name=self.name,
            params=parameters(tree.args),
            returns=pycode.canonical(tree.returns) if tree.returns is not None else None,
            body=body,
            locals=locals_,
            path=self.smap.path,
            span=self.smap.span(tree),
            callables=tuple((n, self.smap.span(node)) for n, node in self.callables),
            unpersistable=tuple(
                (n, what, self.smap.span(node)) for n, what, node in unpersistable(tree, locals_, self.namespace)
            ),
            frontend="python",
            source_lines=self.smap.lines,
        )

    # ---- diagnostics ----------------------------------------------------------------------------------------

    def _error(self, code: str, message: str, node: ast.AST, hint: str | None = None) -> None:
        self.diagnostics.append(self.smap.diagnostic(code, message, node, hint))

    def _python_warning(self, line: int, message: str) -> None:
        """One of Python's own warnings about the workflow's code (``line``: of the parsed function), at the
        user's file and line: compiling the workflow is where Python would have said it."""
        node = pywarnings.node_at(self.tree, line, message)
        where = node if node is not None else self.tree
        self.diagnostics.append(
            self.smap.diagnostic(
                "WFC116", f"Python warns: {message}", where, pywarnings.hint(message), Severity.WARNING
            )
        )

    def _check_nested_yields(self, tree: ast.AST) -> None:
        """Yields inside lambdas, and awaits anywhere: these can never be lowered."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Lambda) and has_yield(node.body):
                self._error(
                    "WFC102",
                    "`yield` inside a lambda",
                    node,
                    "yield steps only as whole statements of the workflow body",
                )
            elif isinstance(node, COMPREHENSIONS) and any(
                isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(node)
            ):
                self._error(
                    "WFC102",
                    "`yield` inside a comprehension",
                    node,
                    "build a list of commands and run them together: `yield from wfc.all_of(*[step(x) for x in xs])`",
                )
            elif isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith):
                self._error(
                    "WFC106",
                    "`await` and `async` are not allowed in a workflow",
                    node,
                    "yield steps instead; steps themselves may be async",
                )


def translate(
    namespace: Mapping[str, Any],
    tree: ast.FunctionDef | ast.AsyncFunctionDef,
    smap: SourceMap,
    name: str,
    parse_warnings: Sequence[tuple[int, str]] = (),
    *,
    legacy_locals: bool = False,
) -> tuple[syntax.Workflow | None, list[Diagnostic]]:
    """Translate one workflow function; ``namespace`` is what its global (and closure) names refer to.
    ``parse_warnings``: what Python's parser warned about its source (:attr:`FunctionSource.warnings`)."""
    front = PythonFrontEnd(tree, smap, namespace, name, parse_warnings, legacy_locals)
    workflow = front.translate()
    return workflow, front.diagnostics


def _frame_order(
    tree: ast.FunctionDef, locals_: frozenset[str]
) -> tuple[tuple[str, ...], list[warnings.WarningMessage]]:
    """The workflow's locals in the order CPython's frame lists them (what ``locals()`` shows): compile the
    function and read its code object (empty if it does not compile: the cutter then sorts them). And what
    Python's compiler warned about the function (``x is 1``), with lines of ``tree``."""
    try:
        module, warned = pywarnings.quietly(
            lambda: compile(ast.Module([tree], []), "<order>", "exec", dont_inherit=True), "<order>"
        )
    except (SyntaxError, ValueError, TypeError):
        return (), []
    code = next((c for c in module.co_consts if isinstance(c, CodeType)), None)
    if code is None:
        return (), warned
    user = {n for n in locals_ if not n.startswith(syntax.RESERVED_PREFIX)}
    names = dict.fromkeys(n for n in (*code.co_varnames, *code.co_cellvars) if n in user)
    names.update(dict.fromkeys(sorted(user - names.keys())))
    return tuple(names), warned
