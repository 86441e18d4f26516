"""Python front end: a generator function's ``ast`` → the front-end AST (:mod:`wfc.compiler.syntax`).

Statements that contain no ``yield`` and no ``return``/``break``/``continue`` leaving them stay ordinary Python
(:class:`syntax.Code`); only control flow around suspensions is made structural. Every construct the state
machine cannot represent is rejected here with a ``WFC1xx`` diagnostic, all of them in one pass.
"""

from __future__ import annotations

import ast
import builtins
import inspect
from collections.abc import Mapping
from typing import Any

from wfc import commands
from wfc.compiler import pycode, syntax
from wfc.compiler.python.scope import (
    COMPREHENSIONS,
    escapes,
    function_locals,
    has_yield,
    parameters,
    walk_scope,
)
from wfc.compiler.python.source import SourceMap
from wfc.errors import Diagnostic

_NOT_COMMANDS = (
    ast.Constant,
    ast.JoinedStr,
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
    ast.UnaryOp,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.Lambda,
)
_COMMAND_FACTORIES = (commands.all_of, commands.any_of, commands.sleep, commands.wait_event)
_UNSNAPSHOTTABLE = {"map", "filter", "open"}
TEMP_VAR = "_wfc_tmp"


class PythonFrontEnd:
    """Translates one workflow function. ``diagnostics`` collects every problem found."""

    def __init__(
        self,
        tree: ast.FunctionDef | ast.AsyncFunctionDef,
        smap: SourceMap,
        namespace: Mapping[str, Any],
        name: str,
    ) -> None:
        self.tree = tree
        self.smap = smap
        self.namespace = namespace
        self.name = name
        self.diagnostics: list[Diagnostic] = []
        self.locals = function_locals(tree)
        self.callables: list[tuple[str, Any]] = []
        self._try_count = 0
        self._handler_slots: list[str] = []

    # ---- entry ----------------------------------------------------------------------------------------------

    def translate(self) -> syntax.Workflow | None:
        tree = self.tree
        if isinstance(tree, ast.AsyncFunctionDef):
            self._error(
                "WFC106",
                f"workflow `{tree.name}` is an `async def`",
                tree,
                "write the workflow as a plain `def` generator that yields steps; make the steps async instead",
            )
            return None
        if not has_yield(tree):
            self._error(
                "WFC111",
                f"workflow `{tree.name}` never yields: it is not a generator function",
                tree,
                "a workflow yields its steps: `result = yield some_step(...)`; "
                "a function without steps should be a plain function or a @wfc.step",
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
        body = self._block(tree.body)
        return syntax.Workflow(
            name=self.name,
            params=parameters(tree.args),
            returns=pycode.canonical(tree.returns) if tree.returns is not None else None,
            body=body,
            locals=locals_,
            path=self.smap.path,
            span=self.smap.span(tree),
            callables=tuple((n, self.smap.span(node)) for n, node in self.callables),
            frontend="python",
            source_lines=self.smap.lines,
        )

    # ---- diagnostics ----------------------------------------------------------------------------------------

    def _error(self, code: str, message: str, node: ast.AST, hint: str | None = None) -> None:
        self.diagnostics.append(self.smap.diagnostic(code, message, node, hint))

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
                    "build a list of commands and run them together: `yield wfc.all_of(*[step(x) for x in xs])`",
                )
            elif isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith):
                self._error(
                    "WFC106",
                    "`await` and `async` are not allowed in a workflow",
                    node,
                    "yield steps instead; steps themselves may be async",
                )

    # ---- statements -----------------------------------------------------------------------------------------

    def _block(self, stmts: list[ast.stmt]) -> tuple[syntax.Stmt, ...]:
        out: list[syntax.Stmt] = []
        for stmt in stmts:
            out.extend(self._stmt(stmt))
        return tuple(out)

    def _stmt(self, node: ast.stmt) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        self._note_callables(node)
        if not has_yield(node) and not escapes(node):
            if isinstance(node, ast.Raise) and self._handler_slots:
                return [self._raise(node)]
            if isinstance(node, ast.Return | ast.Break | ast.Continue | ast.Raise):
                return self._simple_control(node)
            return [pycode.code(self._rewrite_bare_raise(node), self.locals, span)]
        if isinstance(node, ast.Return) and not has_yield(node):
            return self._simple_control(node)
        if isinstance(node, ast.Expr | ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Return):
            return self._yield_statement(node)
        if isinstance(node, ast.If):
            self._no_yield_in(node.test, "the condition of an `if`")
            return [syntax.If(self._expr(node.test), self._block(node.body), self._block(node.orelse), span)]
        if isinstance(node, ast.While):
            self._no_yield_in(node.test, "the condition of a `while`")
            return [
                syntax.While(self._expr(node.test), self._block(node.body), self._block(node.orelse), span)
            ]
        if isinstance(node, ast.For):
            return self._for(node)
        if isinstance(node, ast.Try):
            return [self._try(node)]
        if isinstance(node, ast.Break | ast.Continue | ast.Raise):
            return self._simple_control(node)
        if isinstance(node, ast.With):
            what = "yields" if has_yield(node) else "returns or jumps out of the loop around it"
            self._error(
                "WFC103",
                f"a `with` block that {what}",
                node,
                "a context manager cannot stay open across a step: do the work that needs it in a @wfc.step, "
                "or close the `with` before the `yield`",
            )
            return []
        if isinstance(node, ast.Match | ast.TryStar):
            kind = "match" if isinstance(node, ast.Match) else "try/except*"
            self._error(
                "WFC112",
                f"a `{kind}` statement whose body yields or returns",
                node,
                "use `if`/`elif` (or plain `try`/`except`) around the steps",
            )
            return []
        if isinstance(node, ast.AsyncFor | ast.AsyncWith | ast.AsyncFunctionDef):
            return []  # already reported by _check_nested_yields
        self._error(
            "WFC101",
            "`yield` inside this statement is not supported",
            node,
            "yield steps only as whole statements: `x = yield step(...)`",
        )
        return []

    def _note_callables(self, node: ast.stmt) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.callables.append((node.name, node))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.callables.append((t.id, node))

    def _simple_control(self, node: ast.stmt) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        if isinstance(node, ast.Break):
            return [syntax.Break(span)]
        if isinstance(node, ast.Continue):
            return [syntax.Continue(span)]
        if isinstance(node, ast.Raise):
            return [self._raise(node)]
        assert isinstance(node, ast.Return)
        return [syntax.Return(self._expr(node.value) if node.value is not None else None, span)]

    def _raise(self, node: ast.Raise) -> syntax.Raise:
        span = self.smap.span(node)
        if node.exc is None:
            if self._handler_slots:
                slot = self._handler_slots[-1]
                return syntax.Raise(syntax.Expr(slot, frozenset({slot}), span), None, span)
            return syntax.Raise(None, None, span)
        cause = self._expr(node.cause) if node.cause is not None else None
        return syntax.Raise(self._expr(node.exc), cause, span)

    def _rewrite_bare_raise(self, node: ast.stmt) -> ast.stmt:
        """A bare ``raise`` in plain code inside a lowered handler re-raises the handler's exception, which the
        state machine keeps in a slot (the Python-level "current exception" does not survive a suspension)."""
        if not self._handler_slots:
            return node
        return pycode.reraise_from_slot(node, self._handler_slots[-1])

    # ---- yields ---------------------------------------------------------------------------------------------

    def _yield_statement(self, node: ast.stmt) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        value = getattr(node, "value", None)
        if isinstance(value, ast.YieldFrom):
            self._error(
                "WFC109",
                "`yield from` is not supported in a workflow",
                value,
                "run another workflow as a child step: `result = yield other_workflow(args)`",
            )
            return []
        if not isinstance(value, ast.Yield):
            if isinstance(node, ast.Return) and value is not None:
                self._no_yield_in(value, "a `return` value")
                return []
            self._no_yield_in(node, "this statement")
            return []
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            # `x += yield c` is `tmp = yield c; x += tmp`: a local cannot change while the workflow waits.
            command = self._command(value)
            if command is None:
                return []
            tmp = syntax.Target(TEMP_VAR, frozenset(), frozenset({TEMP_VAR}), span)
            aug = ast.AugAssign(target=node.target, op=node.op, value=ast.Name(TEMP_VAR, ast.Load()))
            return [syntax.Suspend(command, (tmp,), None, span), pycode.code(aug, self.locals, span)]
        if isinstance(node, ast.AugAssign):
            target = pycode.canonical(node.target)
            self._error(
                "WFC113",
                "`yield` in an augmented assignment to an attribute or item",
                node,
                f"assign the result first: `r = yield ...`, then `{target} {_AUG_OPS[type(node.op)]}= r`",
            )
            return []
        command = self._command(value)
        if command is None:
            return []
        if isinstance(node, ast.Expr):
            return [syntax.Suspend(command, (), None, span)]
        if isinstance(node, ast.Return):
            tmp = syntax.Target(TEMP_VAR, frozenset(), frozenset({TEMP_VAR}), span)
            return [
                syntax.Suspend(command, (tmp,), None, span),
                syntax.Return(syntax.Expr(TEMP_VAR, frozenset({TEMP_VAR}), span), span),
            ]
        if isinstance(node, ast.AnnAssign):
            return [
                syntax.Suspend(
                    command,
                    (pycode.target(node.target, self.locals, span),),
                    pycode.canonical(node.annotation),
                    span,
                )
            ]
        assert isinstance(node, ast.Assign)
        for t in node.targets:
            self._no_yield_in(t, "an assignment target")
        targets = tuple(pycode.target(t, self.locals, span) for t in node.targets)
        return [syntax.Suspend(command, targets, None, span)]

    def _command(self, node: ast.Yield) -> syntax.Expr | None:
        value = node.value
        if value is None:
            self._error(
                "WFC110",
                "a bare `yield` has no command to run",
                node,
                "yield a step call, e.g. `yield send_email(user)`, or `yield wfc.sleep(60)`",
            )
            return None
        if self._no_yield_in(value, "a yielded command"):
            return None
        problem = self._not_a_command(value)
        if problem is not None:
            code, message, hint = problem
            self._error(code, message, value, hint)
            return None
        return self._expr(value)

    def _not_a_command(self, value: ast.expr) -> tuple[str, str, str] | None:
        if isinstance(value, ast.Tuple):
            return (
                "WFC107",
                "yielding a tuple: several commands run together only through `wfc.all_of`",
                "write `a, b = yield wfc.all_of(step_a(...), step_b(...))`",
            )
        if isinstance(value, _NOT_COMMANDS):
            src = pycode.canonical(value)
            return (
                "WFC107",
                f"`{src}` is not a command",
                "yield a step or workflow call (`yield charge(order)`), `wfc.sleep(...)`, `wfc.wait_event(...)`, "
                "`wfc.all_of(...)` or `wfc.any_of(...)`",
            )
        if isinstance(value, ast.Call):
            target = self._resolve(value.func)
            if isinstance(target, commands.StepDef | commands.WorkflowDef) or target in _COMMAND_FACTORIES:
                return None
            if inspect.isgeneratorfunction(target):
                name = pycode.canonical(value.func)
                return (
                    "WFC108",
                    f"`{name}` is a generator function without @wfc.workflow",
                    f"decorate `{name}` with @wfc.workflow to run it as a child workflow, or with @wfc.step",
                )
            if isinstance(target, type | type(len)) and getattr(target, "__module__", None) == "builtins":
                name = pycode.canonical(value.func)
                return (
                    "WFC107",
                    f"`{name}(...)` returns a plain value, not a command",
                    "yield a step or workflow call; compute plain values without `yield`",
                )
        return None

    def _resolve(self, node: ast.expr) -> Any:
        """The object a name or dotted name refers to at compile time, or ``None`` when unknown."""
        if isinstance(node, ast.Name):
            if node.id in self.locals:
                return None
            if node.id in self.namespace:
                return self.namespace[node.id]
            return getattr(builtins, node.id, None)
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value)
            if base is None or not (inspect.ismodule(base) or isinstance(base, type)):
                return None
            return getattr(base, node.attr, None)
        return None

    def _no_yield_in(self, node: ast.AST, where: str) -> bool:
        """Reports every yield nested in ``node`` (which must contain none). Returns whether any was found."""
        found = False
        for n in [node, *walk_scope(node)]:
            if isinstance(n, ast.Yield | ast.YieldFrom):
                found = True
                self._error(
                    "WFC101",
                    f"`yield` inside {where}",
                    n,
                    "yield steps only as whole statements: assign the result first "
                    "(`r = yield step(...)`) and use `r`",
                )
        return found

    # ---- compound statements --------------------------------------------------------------------------------

    def _for(self, node: ast.For) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        self._no_yield_in(node.iter, "the iterable of a `for`")
        self._no_yield_in(node.target, "a `for` target")
        it = self._for_iter(node.iter)
        target = pycode.target(node.target, self.locals, span)
        body = self._block(node.body)
        orelse = self._block(node.orelse)
        if it is None:
            return []
        return [syntax.For(target, it, body, orelse, span)]

    def _for_iter(self, node: ast.expr) -> syntax.ForIter | None:
        source = pycode.canonical(node)
        hint = (
            "a loop whose body yields must be able to save its position: loop over a list, tuple, range, "
            "string or dict (`for x in list(...)`), or over `enumerate`/`zip` of those"
        )
        if isinstance(node, ast.GeneratorExp):
            self._error(
                "WFC105",
                "cannot loop over a generator expression when the loop body yields",
                node,
                "use a list comprehension `[...]` instead of `(...)`",
            )
            return None
        if isinstance(node, ast.Call):
            func = self._resolve(node.func)
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name in _UNSNAPSHOTTABLE and func is getattr(builtins, name):
                self._error("WFC105", f"cannot loop over `{name}(...)` when the loop body yields", node, hint)
                return None
            if inspect.isgeneratorfunction(func):
                self._error(
                    "WFC105",
                    f"cannot loop over the generator `{source}` when the loop body yields",
                    node,
                    "build a list instead: `for x in list(...)`, or return a list from the helper",
                )
                return None
            if name in ("enumerate", "zip", "reversed") and func is getattr(builtins, name):
                for arg in node.args:
                    if self._for_iter(arg) is None:
                        return None
                return self._builtin_iter(name, node, source)
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in ("items", "keys", "values")
                and not node.args
                and not node.keywords
            ):
                kind = node.func.attr
                return syntax.ForIter(kind, (self._expr(node.func.value),), source)  # type: ignore[arg-type]
        return syntax.ForIter("iter", (self._expr(node),), source)

    def _builtin_iter(self, name: str, node: ast.Call, source: str) -> syntax.ForIter | None:
        if any(isinstance(a, ast.Starred) for a in node.args):
            self._error(
                "WFC105",
                f"cannot loop over `{name}(*...)` when the loop body yields",
                node,
                "spell out the sequences, or loop over `list(...)` of them",
            )
            return None
        if name == "enumerate":
            start: ast.expr = ast.Constant(0)
            for kw in node.keywords:
                if kw.arg == "start":
                    start = kw.value
            args = [*node.args[:1], *(node.args[1:2] or [start])]
            return syntax.ForIter("enumerate", tuple(self._expr(a) for a in args), source)
        if node.keywords:
            self._error(
                "WFC105",
                f"`{name}(...)` with keyword arguments in a loop whose body yields",
                node,
                "loop over `list(...)` of it instead",
            )
            return None
        return syntax.ForIter(name, tuple(self._expr(a) for a in node.args), source)  # type: ignore[arg-type]

    def _try(self, node: ast.Try) -> syntax.Try:
        span = self.smap.span(node)
        self._try_count += 1
        slot = f"_wfc_exc{self._try_count}"
        body = self._block(node.body)
        handlers = []
        for h in node.handlers:
            self._no_yield_in(h.type, "an `except` clause") if h.type is not None else None
            self._handler_slots.append(slot)
            hbody = self._block(h.body)
            self._handler_slots.pop()
            types = self._expr(h.type) if h.type is not None else None
            handlers.append(syntax.Handler(types, h.name, hbody, self.smap.span(h)))
        orelse = self._block(node.orelse)
        finalbody = self._block(node.finalbody) if node.finalbody else None
        return syntax.Try(body, tuple(handlers), orelse, finalbody, slot, span)

    def _expr(self, node: ast.expr) -> syntax.Expr:
        return pycode.expr(node, self.locals, self.smap.span(node))


_AUG_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
}


def translate(
    namespace: Mapping[str, Any], tree: ast.FunctionDef | ast.AsyncFunctionDef, smap: SourceMap, name: str
) -> tuple[syntax.Workflow | None, list[Diagnostic]]:
    """Translate one workflow function; ``namespace`` is what its global (and closure) names refer to."""
    front = PythonFrontEnd(tree, smap, namespace, name)
    workflow = front.translate()
    return workflow, front.diagnostics
