"""The one statement cutter: a generator function's Python ``ast`` → the front-end AST (:mod:`wfc.compiler.syntax`).

Both front ends call it: the Python front end on the user's function, the ``.wf`` front end on the Python twin it
builds (:mod:`wfc.dsl.topython`). So a ``.wf`` workflow and its hand-written twin give equal front-end ASTs, hence
equal tables, and every fix to how Python statements are cut lands in both at once.

A statement with no ``yield`` and no ``return``/``break``/``continue`` leaving it stays one
:class:`~wfc.compiler.syntax.Code` leaf of canonical source; control flow around suspensions becomes structural.
Constructs the state machine cannot represent are reported through :meth:`Cutter.error` (the Python front end
turns them into ``WFC1xx`` diagnostics; the ``.wf`` checks rule them out before the twin is built).
"""

from __future__ import annotations

import ast
import builtins
import copy
import inspect
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from wfc import commands, continuation
from wfc.compiler import pycode, syntax
from wfc.compiler.python.source import SourceMap

_N = TypeVar("_N", bound=ast.AST)

LOCALS_INTRINSIC = "_wfc_locals"
"""The runtime function a workflow's ``locals()`` is made a call of (see :meth:`Cutter._with_locals`)."""

TEMP_VAR = "_wfc_tmp"
"""Holds a command's result between the suspension and the statement that uses it (``return yield c``,
``x += yield c``)."""

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_OWN_SCOPES = (*SCOPES, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

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
_COMMAND_FACTORIES = (
    commands.all_of, commands.any_of, commands.sleep, commands.sleep_until, commands.wait_event,
    commands.start_child, commands.join,
)  # fmt: skip
_UNSNAPSHOTTABLE = {"map", "filter", "open"}


class Facts:
    """Whether each statement contains a ``yield`` of the workflow's own scope, and whether a ``return`` (or a
    ``break``/``continue`` not bound by a loop inside it) leaves it — computed in one bottom-up pass, since the
    cutter asks about every statement at every nesting level.

    Nested functions, lambdas and classes are their own scopes: a ``yield`` or ``return`` inside them belongs to
    them (a nested generator helper is ordinary code). Comprehension yields do count (they are rejected).
    """

    def __init__(self, body: list[ast.stmt]) -> None:
        self.yields: set[int] = set()
        self.escapes: set[int] = set()
        for stmt in body:
            self._visit(stmt)

    def has_yield(self, node: ast.AST) -> bool:
        return id(node) in self.yields

    def escapes_from(self, node: ast.AST) -> bool:
        return id(node) in self.escapes

    def _visit(self, node: ast.AST) -> tuple[bool, bool, bool]:
        """(has a yield, has a return, has an unbound break/continue) of ``node``."""
        if isinstance(node, SCOPES):
            # Decorators, defaults and annotations run in the enclosing scope; the body does not.
            outer: list[ast.AST] = []
            if not isinstance(node, ast.Lambda):
                outer.extend(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                outer.extend([*node.bases, *(k.value for k in node.keywords)])
            else:
                args = node.args
                outer.extend([*args.defaults, *(d for d in args.kw_defaults if d is not None)])
            yields = False
            for child in outer:
                yields = self._visit(child)[0] or yields
            if yields:
                self.yields.add(id(node))
            return yields, False, False
        yields = isinstance(node, ast.Yield | ast.YieldFrom)
        returns = isinstance(node, ast.Return)
        jumps = isinstance(node, ast.Break | ast.Continue)
        loop = isinstance(node, ast.For | ast.While | ast.AsyncFor)
        for field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            bound = loop and field == "body"  # a loop's `else` is outside it for break/continue
            for child in items:
                if isinstance(child, ast.AST):
                    y, r, j = self._visit(child)
                    yields = yields or y
                    returns = returns or r
                    jumps = jumps or (j and not bound)
        if yields:
            self.yields.add(id(node))
        if returns or jumps:
            self.escapes.add(id(node))
        return yields, returns, jumps


class Cutter:
    """Cuts one workflow body. ``locals_`` are the workflow's locals (``TEMP_VAR`` included); ``namespace`` is
    what its global names refer to at compile time. Without one (the ``.wf`` twin, whose commands the checks
    already resolved), global names resolve to builtins only and yielded commands are not second-guessed."""

    def __init__(
        self,
        body: list[ast.stmt],
        locals_: frozenset[str],
        smap: SourceMap,
        namespace: Mapping[str, Any] | None = None,
        locals_order: tuple[str, ...] = (),
        legacy_locals: bool = False,
    ) -> None:
        self.locals = locals_
        self.legacy_locals = legacy_locals
        """Cut ``locals()`` as IR format 2 did (see :meth:`code`): only to recompute the table an instance in flight
        was pinned to under that format."""
        self.locals_order = locals_order or tuple(
            sorted(n for n in locals_ if not n.startswith(syntax.RESERVED_PREFIX))
        )
        self.smap = smap
        self.check_commands = namespace is not None
        self.namespace: Mapping[str, Any] = namespace or {}
        self.facts = Facts(body)
        self.problems: list[tuple[str, str, ast.AST, str | None]] = []
        """(code, message, node, hint) of every construct that cannot be cut."""
        self.callables: list[tuple[str, ast.AST]] = []
        self._try_count = 0

    def error(self, code: str, message: str, node: ast.AST, hint: str | None = None) -> None:
        self.problems.append((code, message, node, hint))

    # ---- statements -----------------------------------------------------------------------------------------

    def block(self, stmts: list[ast.stmt]) -> tuple[syntax.Stmt, ...]:
        out: list[syntax.Stmt] = []
        for stmt in stmts:
            out.extend(self.stmt(stmt))
        return tuple(out)

    def stmt(self, node: ast.stmt) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        self._note_callables(node)
        yields = self.facts.has_yield(node)
        if not yields and not self.facts.escapes_from(node):
            if isinstance(node, ast.Return | ast.Break | ast.Continue | ast.Raise):
                return self._simple_control(node)
            return [self.code(node, span)]
        if isinstance(node, ast.Return) and not yields:
            return self._simple_control(node)
        if isinstance(node, ast.Expr | ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Return):
            return self._yield_statement(node)
        if isinstance(node, ast.If):
            self.no_yield_in(node.test, "the condition of an `if`")
            return [syntax.If(self.expr(node.test), self.block(node.body), self.block(node.orelse), span)]
        if isinstance(node, ast.While):
            self.no_yield_in(node.test, "the condition of a `while`")
            return [syntax.While(self.expr(node.test), self.block(node.body), self.block(node.orelse), span)]
        if isinstance(node, ast.For):
            return self._for(node)
        if isinstance(node, ast.Try):
            return [self._try(node)]
        if isinstance(node, ast.Break | ast.Continue | ast.Raise):
            return self._simple_control(node)
        if isinstance(node, ast.With):
            what = "yields" if yields else "returns or jumps out of the loop around it"
            self.error(
                "WFC103",
                f"a `with` block that {what}",
                node,
                "a context manager cannot stay open across a step: do the work that needs it in a @wfc.step, "
                "or close the `with` before the `yield`",
            )
            return []
        if isinstance(node, ast.Match | ast.TryStar):
            kind = "match" if isinstance(node, ast.Match) else "try/except*"
            self.error(
                "WFC112",
                f"a `{kind}` statement whose body yields or returns",
                node,
                "use `if`/`elif` (or plain `try`/`except`) around the steps",
            )
            return []
        if isinstance(node, ast.AsyncFor | ast.AsyncWith | ast.AsyncFunctionDef):
            return []  # reported by the front end's check for `async`
        self.error(
            "WFC101",
            "`yield` inside this statement is not supported",
            node,
            "yield steps only as whole statements: `x = yield from step(...)`",
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
            # A bare `raise` re-raises the exception being handled, which the machine re-establishes.
            cause = self.expr(node.cause) if node.cause is not None else None
            exc = self.expr(node.exc) if node.exc is not None else None
            return [syntax.Raise(exc, cause, span)]
        assert isinstance(node, ast.Return)
        return [syntax.Return(self.expr(node.value) if node.value is not None else None, span)]

    # ---- yields ---------------------------------------------------------------------------------------------

    def _yield_statement(self, node: ast.stmt) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        value = getattr(node, "value", None)
        if isinstance(value, ast.YieldFrom):
            # `x = yield from cmd` is `x = yield cmd` (a command's __iter__ yields itself once and returns what
            # is sent back): the same table, while type checkers read the result type off the command.
            problem = self._not_a_command(value.value) if self.check_commands else None
            if problem is not None:
                self.error("WFC109", f"`yield from` takes a command: {problem[1]}", value, problem[2])
                return []
            value = ast.copy_location(ast.Yield(value.value), value)
        if not isinstance(value, ast.Yield):
            if isinstance(node, ast.Return) and value is not None:
                self.no_yield_in(value, "a `return` value")
                return []
            self.no_yield_in(node, "this statement")
            return []
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            # `x += yield c` is `tmp = yield c; x += tmp`, but Python reads `x` before it evaluates the command:
            # an unbound `x` raises before the step runs.
            command = self._command(value)
            if command is None:
                return []
            name = node.target.id
            check = self.code(ast.Expr(ast.Name(name, ast.Load())), span)
            tmp = syntax.Target(TEMP_VAR, frozenset(), frozenset({TEMP_VAR}), span)
            aug = ast.AugAssign(target=node.target, op=node.op, value=ast.Name(TEMP_VAR, ast.Load()))
            return [check, syntax.Suspend(command, (tmp,), None, span), self.code(aug, span)]
        if isinstance(node, ast.AugAssign):
            target = pycode.canonical(node.target)
            self.error(
                "WFC113",
                "`yield` in an augmented assignment to an attribute or item",
                node,
                f"assign the result first: `r = yield from ...`, then `{target} {_AUG_OPS[type(node.op)]}= r`",
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
            self.no_yield_in(t, "an assignment target")
        targets = tuple(pycode.target(t, self.locals, span) for t in node.targets)
        return [syntax.Suspend(command, targets, None, span)]

    def _command(self, node: ast.Yield) -> syntax.Expr | None:
        value = node.value
        if value is None:
            self.error(
                "WFC110",
                "a bare `yield` has no command to run",
                node,
                "yield a step call, e.g. `yield from send_email(user)`, or `yield from wfc.sleep(60)`",
            )
            return None
        if self.no_yield_in(value, "a yielded command"):
            return None
        problem = self._not_a_command(value) if self.check_commands else None
        if problem is not None:
            code, message, hint = problem
            self.error(code, message, value, hint)
            return None
        return self.expr(value)

    def _not_a_command(self, value: ast.expr) -> tuple[str, str, str] | None:
        if isinstance(value, ast.Tuple):
            return (
                "WFC107",
                "yielding a tuple: several commands run together only through `wfc.all_of`",
                "write `a, b = yield from wfc.all_of(step_a(...), step_b(...))`",
            )
        if isinstance(value, _NOT_COMMANDS):
            src = pycode.canonical(value)
            return (
                "WFC107",
                f"`{src}` is not a command",
                "yield a step or workflow call (`yield from charge(order)`), `wfc.sleep(...)`, `wfc.wait_event(...)`, "
                "`wfc.all_of(...)` or `wfc.any_of(...)`",
            )
        if isinstance(value, ast.Call):
            func = value.func
            # `child.options(id=...)(x)`: a call of the workflow with options
            if (isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute)
                    and func.func.attr == "options"):  # fmt: skip
                func = func.func.value
            target = self.resolve(func)
            if isinstance(target, commands.StepDef | commands.WorkflowDef) or target in _COMMAND_FACTORIES:
                return None
            if target is continuation.continue_as_new:
                return (
                    "WFC117",
                    "`wfc.continue_as_new(...)` is returned, not yielded",
                    "write `return wfc.continue_as_new(...)`: it ends this run and starts the workflow again",
                )
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

    def resolve(self, node: ast.expr) -> Any:
        """The object a name or dotted name refers to at compile time, or ``None`` when unknown."""
        if isinstance(node, ast.Name):
            if node.id in self.locals:
                return None
            if node.id in self.namespace:
                return self.namespace[node.id]
            return getattr(builtins, node.id, None)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if base is None or not (inspect.ismodule(base) or isinstance(base, type)):
                return None
            return getattr(base, node.attr, None)
        return None

    def no_yield_in(self, node: ast.AST, where: str) -> bool:
        """Reports every yield nested in ``node`` (which must contain none). Returns whether any was found."""
        found = False
        stack: list[ast.AST] = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Yield | ast.YieldFrom):
                found = True
                self.error(
                    "WFC101",
                    f"`yield` inside {where}",
                    n,
                    "yield steps only as whole statements: assign the result first "
                    "(`r = yield from step(...)`) and use `r`",
                )
            if n is node or not isinstance(n, SCOPES):
                stack.extend(ast.iter_child_nodes(n))
        return found

    # ---- compound statements --------------------------------------------------------------------------------

    def _for(self, node: ast.For) -> list[syntax.Stmt]:
        span = self.smap.span(node)
        self.no_yield_in(node.iter, "the iterable of a `for`")
        self.no_yield_in(node.target, "a `for` target")
        it = self._for_iter(node.iter)
        target = pycode.target(node.target, self.locals, span)
        body = self.block(node.body)
        orelse = self.block(node.orelse)
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
            self.error(
                "WFC105",
                "cannot loop over a generator expression when the loop body yields",
                node,
                "use a list comprehension `[...]` instead of `(...)`",
            )
            return None
        if isinstance(node, ast.Call):
            func = self.resolve(node.func)
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name in _UNSNAPSHOTTABLE and func is getattr(builtins, name):
                self.error("WFC105", f"cannot loop over `{name}(...)` when the loop body yields", node, hint)
                return None
            if inspect.isgeneratorfunction(func):
                self.error(
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
                return syntax.ForIter(kind, (self.expr(node.func.value),), source)  # type: ignore[arg-type]
        return syntax.ForIter("iter", (self.expr(node),), source)

    def _builtin_iter(self, name: str, node: ast.Call, source: str) -> syntax.ForIter | None:
        if any(isinstance(a, ast.Starred) for a in node.args):
            self.error(
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
            return syntax.ForIter("enumerate", tuple(self.expr(a) for a in args), source)
        if name == "zip" and [kw.arg for kw in node.keywords] == ["strict"]:
            # zip(a, b, strict=flag): the flag goes last, as Python evaluates keyword arguments last.
            strict_args = (*node.args, node.keywords[0].value)
            return syntax.ForIter("zip_strict", tuple(self.expr(a) for a in strict_args), source)
        if node.keywords:
            self.error(
                "WFC105",
                f"`{name}(...)` with keyword arguments in a loop whose body yields",
                node,
                "loop over `list(...)` of it instead",
            )
            return None
        return syntax.ForIter(name, tuple(self.expr(a) for a in node.args), source)  # type: ignore[arg-type]

    def _try(self, node: ast.Try) -> syntax.Try:
        span = self.smap.span(node)
        self._try_count += 1
        slot = f"_wfc_exc{self._try_count}"
        body = self.block(node.body)
        handlers = []
        for h in node.handlers:
            if h.type is not None:
                self.no_yield_in(h.type, "an `except` clause")
            hbody = self.block(h.body)
            types = self.expr(h.type) if h.type is not None else None
            handlers.append(syntax.Handler(types, h.name, hbody, self.smap.span(h)))
        orelse = self.block(node.orelse)
        finalbody = self.block(node.finalbody) if node.finalbody else None
        return syntax.Try(body, tuple(handlers), orelse, finalbody, slot, span)

    def expr(self, node: ast.expr) -> syntax.Expr:
        new = self._with_locals(node)
        e = pycode.expr(new, self.locals, self.smap.span(node))
        if new is not node:
            e = attrs.evolve(e, reads=e.reads | self._user_locals())
        return e

    def code(self, node: ast.stmt, span: Any) -> syntax.Code:
        new = self._with_locals(node)
        c = pycode.code(new, self.locals, span)
        if new is not node:
            # `locals()` shows every bound local: all of them are read here, so all are kept until here.
            # Every one is also read *before* this statement assigns anything: the statement may be compound
            # (a `try` whose `finally` assigns `a` after the body's `locals()`), or a loop body's
            # `snap = sorted(locals())` sees the `snap` of the round before. Subtracting the statement's own
            # assignments from `gen` dropped those names from the saved cursor (format 2's rule).
            every = self._user_locals()
            gen = c.gen | every if not self.legacy_locals else c.gen | (every - c.defs)
            c = attrs.evolve(c, reads=c.reads | every, gen=gen)
        return c

    def _user_locals(self) -> frozenset[str]:
        return frozenset(n for n in self.locals if not n.startswith(syntax.RESERVED_PREFIX))

    def _with_locals(self, node: _N) -> _N:
        """``node`` with each ``locals()`` of the workflow's own scope made ``_wfc_locals(locals(), order)``,
        which drops the compiler's slots and orders the names as Python's frame would. ``node`` itself when
        there is none (or ``locals`` is not the builtin)."""
        if "locals" in self.locals or self.namespace.get("locals", builtins.locals) is not builtins.locals:
            return node
        found = False
        order = self.locals_order

        class Rewriter(ast.NodeTransformer):
            def visit(self, n: ast.AST) -> Any:
                nonlocal found
                if isinstance(n, _OWN_SCOPES):
                    return n  # a nested scope's `locals()` is its own
                self.generic_visit(n)
                if (
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Name)
                    and n.func.id == "locals"
                    and not n.args
                    and not n.keywords
                ):
                    found = True
                    order_node = ast.Tuple([ast.Constant(x) for x in order], ast.Load())
                    return ast.copy_location(
                        ast.Call(ast.Name(LOCALS_INTRINSIC, ast.Load()), [n, order_node], []), n
                    )
                return n

        if not any(isinstance(n, ast.Name) and n.id == "locals" for n in ast.walk(node)):
            return node
        new: _N = Rewriter().visit(copy.deepcopy(node))
        return new if found else node


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
