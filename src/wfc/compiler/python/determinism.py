"""``wfc check``: prove statically that the code between a workflow's steps is pure and repeatable.

That code runs again when a process dies before a transition commits, and again on restart or fork, so it must
not read the clock, draw random numbers, do I/O, depend on set order or share state with the process. What is
forbidden is the data in ``rules.py``; what each name in the workflow refers to (through the real module
namespace, so ``import time as t`` and ``from random import choice`` are seen through) and which local values are
sets or paths is worked out by ``names.py``. This module walks the code, matches what it finds against the rules
and reports every problem at once. Plain functions the workflow calls that are defined in user code are checked
the same way, recursively.
"""

from __future__ import annotations

import ast
import fnmatch
import inspect
import linecache
import os
import re
import sys
import textwrap
import types
from collections import ChainMap
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from wfc.commands import StepDef, WorkflowDef
from wfc.compiler.python import rules as R
from wfc.compiler.python.names import SET, NameResolver, Ref, match_rule
from wfc.compiler.python.source import FunctionSource, SourceMap, function_source
from wfc.compiler.python.static import RUNTIME_NAMES
from wfc.compiler.pywarnings import silently
from wfc.errors import Diagnostic, Span

_IGNORE = re.compile(r"#\s*wfc:\s*ignore(?:\[([^\]]*)\])?")
_NOT_INLINE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
_STDLIB_DIR = os.path.dirname(os.path.realpath(os.__file__)) + os.sep
# This file is wfc/compiler/python/determinism.py: three levels up is the wfc package itself.
_WFC_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))) + os.sep


def check_determinism(
    tree: ast.FunctionDef, smap: SourceMap, namespace: Mapping[str, Any], *, workflow_name: str
) -> list[Diagnostic]:
    """Every determinism problem in the workflow ``tree`` and the helpers it calls, sorted by position."""
    session = _Session(str(namespace.get("__name__") or "").partition(".")[0])
    _Checker(session, tree, smap, namespace, (), f"workflow `{workflow_name}`").run()

    def key(d: Diagnostic) -> tuple[bool, str, int, int, str]:
        span = d.span or Span("", 0)
        return (span.path != smap.path, span.path, span.line, span.col, d.code)

    return sorted(session.found.values(), key=key)


@attrs.define
class _Session:
    """What one check shares across the workflow and its helpers: the results, and which helpers were seen."""

    home: str  # the workflow's top-level package: its helpers are user code wherever it is installed
    found: dict[tuple[object, ...], Diagnostic] = attrs.Factory(dict)
    seen: set[types.CodeType] = attrs.Factory(set)


def _matches(names: Iterable[str], patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)


def _is_pure(names: Iterable[str]) -> bool:
    return any(n == m or n.startswith(m + ".") for n in names for m in R.PURE_MODULES)


def _user_function(obj: Any, home: str) -> types.FunctionType | None:
    """The plain Python function behind ``obj`` if it is defined in user code: not in the standard library, not in
    wfc, and not in site-packages unless it is part of the workflow's own package ``home``."""
    fn = obj.__func__ if isinstance(obj, types.MethodType) else obj
    try:
        fn = inspect.unwrap(fn)
    except Exception:  # a cycle of __wrapped__, or a wrapper whose attributes raise
        return None
    if not isinstance(fn, types.FunctionType):
        return None
    module = fn.__module__ or ""
    if module.partition(".")[0] in sys.stdlib_module_names or module == "wfc" or module.startswith("wfc."):
        return None
    filename = fn.__code__.co_filename
    if home and module.partition(".")[0] == home:
        return fn
    if filename.startswith("<"):
        return fn  # user code typed into a REPL or exec'd: the checker reports it cannot read it
    path = os.path.realpath(filename)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts or path.startswith((_STDLIB_DIR, _WFC_DIR)):
        return None
    return fn


def _lambda_source(fn: types.FunctionType) -> FunctionSource | None:
    """A lambda's body as a one-statement function, when its source line holds exactly one lambda."""
    try:
        lines, first = inspect.getsourcelines(fn)
        path = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError):
        return None
    text = textwrap.dedent("".join(lines))
    indent = len(lines[0]) - len(lines[0].lstrip()) - (len(text) - len(text.lstrip()))
    try:
        parsed = silently(
            lambda: ast.parse(text), "<unknown>"
        )  # its warnings are reported with the workflow's
        found = [n for n in ast.walk(parsed) if isinstance(n, ast.Lambda)]
    except SyntaxError:  # a lambda in the middle of a longer expression: its lines do not parse alone
        return None
    if len(found) != 1:
        return None
    lam = found[0]
    body: list[ast.stmt] = [ast.copy_location(ast.Return(lam.body), lam.body)]
    tree = ast.copy_location(ast.FunctionDef("<lambda>", lam.args, body, [], None, None), lam)
    smap = SourceMap(path, tuple(linecache.getlines(path)) or tuple(lines), max(first - 1, 0), indent)
    return FunctionSource(tree, smap)


def _command_uses(tree: ast.AST, *, helper: bool) -> set[str]:
    """Names loaded where a command may go: yielded, a call's argument or receiver (``x.options(...)``,
    ``cmds.append(x)``), the value of another assignment, or (in a helper) returned — directly or inside a
    list, tuple, set or dict display (``yield wfc.all_of([a, b])``)."""
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    containers = (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Starred, ast.ListComp, ast.SetComp, ast.GeneratorExp,
                  ast.DictComp, ast.comprehension)  # fmt: skip
    takers = (ast.Yield, ast.YieldFrom, ast.Await, ast.Call, ast.Assign, ast.AnnAssign, ast.AugAssign,
              ast.NamedExpr, ast.keyword)  # fmt: skip
    out: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)) or node.id in out:
            continue
        up: ast.AST = node
        parent = parents.get(id(up))
        while isinstance(parent, containers):
            up, parent = parent, parents.get(id(parent))
        if isinstance(parent, ast.Attribute) and parent.value is up:
            grand = parents.get(id(parent))
            if isinstance(grand, ast.Call) and grand.func is parent:
                out.add(node.id)  # a method of it: `x.options(...)`
            continue
        if isinstance(parent, takers) or (helper and isinstance(parent, ast.Return)):
            if isinstance(parent, ast.Call) and parent.func is up:
                continue
            out.add(node.id)
    return out


def _closure_vars(fn: types.FunctionType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # an empty cell: the name is not bound yet
            pass
    return out


class _Checker(ast.NodeVisitor):
    """Checks one function (the workflow or a helper) and everything nested in it."""

    def __init__(
        self,
        session: _Session,
        tree: ast.FunctionDef | ast.AsyncFunctionDef,
        smap: SourceMap,
        namespace: Mapping[str, Any],
        notes: tuple[str, ...],
        where: str,
    ) -> None:
        self.session, self.tree, self.smap = session, tree, smap
        self.notes, self.where = notes, where
        self.names = NameResolver(tree, namespace)
        # Names a module read from source binds only by running (``log = logging.getLogger(__name__)``).
        runtime = namespace.get(RUNTIME_NAMES)
        self.runtime_names: Mapping[str, int] = runtime if isinstance(runtime, dict) else {}
        self.exempt: set[int] = set()  # comprehensions and starred items whose order does not matter
        self.statement: ast.stmt | None = None  # the innermost statement being visited
        self.command_uses: set[str] | None = None  # names used as commands somewhere (computed when needed)

    def visit(self, node: ast.AST) -> Any:
        if not isinstance(node, ast.stmt):
            return super().visit(node)
        outer, self.statement = self.statement, node
        try:
            return super().visit(node)
        finally:
            self.statement = outer

    def run(self) -> None:
        # Decorators and annotations run at import time, not in the workflow: only defaults and the body.
        self._visit_defaults(self.tree.args)
        for stmt in self.tree.body:
            self.visit(stmt)

    # ---- reporting -----------------------------------------------------------------------------------------

    def _emit(self, rule: R.Rule, node: ast.AST, what: str = "", name: str = "", expr: str = "") -> None:
        fmt = {"what": what, "name": name, "expr": expr}
        diag = self.smap.diagnostic(
            rule.code, rule.message.format(**fmt), node, rule.hint.format(**fmt), rule.severity, self.notes
        )
        lines = {diag.span.line, diag.span.end_line} if diag.span else set()
        if self.statement is not None:
            # A comment on the first or last line of the statement holding the problem silences it, so a
            # statement spread over several lines takes its comment at the end. Compound statements
            # (`for`, `if`, `with`...) only on their first line: their last line is in their body.
            first = self.statement.lineno + self.smap.line_offset
            end = getattr(self.statement, "end_lineno", None)
            compound = hasattr(self.statement, "body")
            lines |= {first} if compound or end is None else {first, end + self.smap.line_offset}
        if not any(self._silenced(rule.code, line) for line in lines if line is not None):
            span = diag.span
            self.session.found.setdefault(
                (diag.code, diag.message, span and (span.path, span.line, span.col)), diag
            )

    def _silenced(self, code: str, line: int) -> bool:
        match = _IGNORE.search(self.smap.line_text(line) or "")
        if match is None:
            return False
        return match.group(1) is None or code in {c.strip().upper() for c in match.group(1).split(",")}

    # ---- names and calls -----------------------------------------------------------------------------------

    def _check_ref(self, expr: ast.Name | ast.Attribute, call: ast.Call | None) -> Ref | None:
        ref = self.names.resolve(expr)
        if ref is None:
            return None
        hit = match_rule(ref.names)
        if hit is not None:
            rule, name = hit
            obj = ref.obj
            # Naming a class is harmless (`isinstance`, `except requests.HTTPError:`); so is raising one.
            harmless = inspect.isclass(obj) and (call is None or issubclass(obj, BaseException))
            if not harmless:
                text = ast.unparse(expr) + ("()" if call else "")
                what = f"`{text}`" if name == ast.unparse(expr) else f"`{text}` (`{name}`)"
                self._emit(rule, expr, what=what, name=name)
            return ref
        if call is not None:
            self._check_callee(ref, expr, call)
        return ref

    def _check_callee(self, ref: Ref, expr: ast.expr, call: ast.Call) -> None:
        """WFC214 for a call the checker cannot see into; descend into helpers defined in user code."""
        obj = ref.obj
        if ref.local or ref.value or _is_pure(ref.names):
            return
        what = f"`{ast.unparse(expr)}()`"
        head, dot, _ = ref.names[0].partition(".") if ref.names else ("", "", "")
        if not ref.found and dot and head in self.runtime_names:
            # A method of an object the module makes on import (a logger, a client): imported, it is a member
            # of a library object, which is not a warning either; a step is never reached this way.
            return
        if not ref.found:
            self._emit(R.RULES_BY_NAME["undefined-call"], expr, what=what)
            return
        if inspect.isclass(obj) or inspect.ismodule(obj) or not callable(obj):
            return
        fn = _user_function(obj, self.session.home)
        if fn is not None:
            self._descend(fn, expr, call)
            return
        if ref.member:
            return  # a library class's own constructor-like methods (`Model.model_validate(d)`) read their args
        name = ref.names[0] if ref.names else ast.unparse(expr)
        self._emit(R.RULES_BY_NAME["unseen-call"], expr, what=what, name=name)

    def _descend(self, fn: types.FunctionType, expr: ast.expr, call: ast.Call) -> None:
        # Sub-generators and coroutines are not helpers the workflow runs inline.
        if fn.__code__ in self.session.seen or fn.__code__.co_flags & _NOT_INLINE:
            return
        self.session.seen.add(fn.__code__)
        name = fn.__qualname__ if fn.__name__ != "<lambda>" else ast.unparse(expr)
        try:
            source = function_source(fn) if fn.__name__ != "<lambda>" else _lambda_source(fn)
        except Exception:  # CompileError (no source), or stale source: then it is a call we cannot see into
            source = None
        if source is None:
            what = f"`{ast.unparse(expr)}()`"
            self._emit(R.RULES_BY_NAME["unseen-call"], expr, what=what, name=name)
            return
        span = self.smap.span(call)
        note = f"in helper `{name}`, called from {self.where} at {span.path}:{span.line}"
        namespace = ChainMap(_closure_vars(fn), fn.__globals__)
        where = f"helper `{name}`"
        _Checker(self.session, source.tree, source.map, namespace, (note, *self.notes), where).run()

    def _is_command(self, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "options" and isinstance(func.value, ast.Call):
            return self._is_command(func.value)
        ref = self.names.resolve(func) if isinstance(func, ast.Name | ast.Attribute) else None
        if ref is None:
            return False
        return isinstance(ref.obj, StepDef | WorkflowDef) or any(n in R.COMMAND_FACTORIES for n in ref.names)

    # ---- set iteration -------------------------------------------------------------------------------------

    def _check_iter(self, expr: ast.expr) -> None:
        if self.names.kind(expr) == SET:
            self._emit(R.RULES_BY_NAME["set-iteration"], expr, expr=ast.unparse(expr))

    def _check_consumer(self, call: ast.Call, ref: Ref | None) -> None:
        func = call.func
        names = ref.names if ref is not None and not ref.local else ()
        if _matches(names, R.ORDER_FREE_CONSUMERS):
            self.exempt.update(id(a) for a in call.args if isinstance(a, ast.GeneratorExp | ast.ListComp))
            return
        for pattern, positions in R.ORDERED_CONSUMERS.items():
            if _matches(names, (pattern,)):
                for i, arg in enumerate(call.args):
                    if (positions is None or i in positions) and not isinstance(arg, ast.Starred):
                        self._check_iter(arg)
                return
        if isinstance(func, ast.Attribute) and (ref is None or ref.value):
            if func.attr in R.ORDERED_METHODS and call.args and not isinstance(call.args[0], ast.Starred):
                self._check_iter(call.args[0])
            elif func.attr == "pop" and not call.args and self.names.kind(func.value) == SET:
                self._emit(R.RULES_BY_NAME["set-pop"], call, expr=ast.unparse(call))

    # ---- visitors ------------------------------------------------------------------------------------------

    def _visit_defaults(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.visit(default)

    def _visit_chain_base(self, node: ast.Attribute) -> None:
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name):
            self.visit(base)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._check_ref(node, None)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            self._check_ref(node, None)
        self._visit_chain_base(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        ref = None
        if isinstance(func, ast.Name | ast.Attribute):
            ref = self._check_ref(func, node)
            if isinstance(func, ast.Attribute):
                self._visit_chain_base(func)
        else:
            self.visit(func)
        self._check_consumer(node, ref)
        for arg in node.args:
            self.visit(arg)
        for keyword in node.keywords:
            self.visit(keyword.value)

    def _check_stored(self, name: str, call: ast.Call) -> None:
        """``x = step(...)`` without ``yield``: an error unless ``x`` is used as a command somewhere (yielded,
        passed to a call such as ``wfc.all_of``, put in a collection, re-optioned, aliased or returned by a
        helper). Used only as a value (``if x:``, ``x["id"]``, a workflow's ``return x``), it is the mistake."""
        if not self._is_command(call):
            return
        if self.command_uses is None:
            self.command_uses = _command_uses(self.tree, helper=bool(self.notes))
        if name not in self.command_uses:
            self._emit(R.RULES_BY_NAME["stored-command"], call, name=name, expr=ast.unparse(call))

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call) and self._is_command(node.value):
            self._emit(R.RULES_BY_NAME["unyielded-command"], node.value, expr=ast.unparse(node.value))
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._check_iter(node.iter)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def _visit_comprehension(
        self, node: ast.ListComp | ast.GeneratorExp | ast.DictComp | ast.SetComp
    ) -> None:
        # Building a set from a set, or feeding an order-free consumer like sorted(), does not expose the order.
        if not isinstance(node, ast.SetComp) and id(node) not in self.exempt:
            for generator in node.generators:
                self._check_iter(generator.iter)
        self.generic_visit(node)

    visit_ListComp = visit_GeneratorExp = visit_DictComp = visit_SetComp = _visit_comprehension

    def visit_Set(self, node: ast.Set) -> None:
        self.exempt.update(id(e) for e in node.elts if isinstance(e, ast.Starred))
        self.generic_visit(node)

    def visit_Starred(self, node: ast.Starred) -> None:
        if isinstance(node.ctx, ast.Load) and id(node) not in self.exempt:
            self._check_iter(node.value)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Tuple | ast.List) for t in node.targets):
            self._check_iter(node.value)
        target = node.targets[0] if len(node.targets) == 1 else None
        if isinstance(target, ast.Name) and isinstance(node.value, ast.Call):
            self._check_stored(target.id, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.op, ast.Add):
            self._check_iter(node.value)  # `items += s` extends a list in set order
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name) and isinstance(node.value, ast.Call):
            self._check_stored(node.target.id, node.value)
        if not isinstance(node.target, ast.Name):
            self.visit(node.target)
        if node.value is not None:
            self.visit(node.value)

    def visit_YieldFrom(self, node: ast.YieldFrom) -> None:
        self._check_iter(node.value)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._visit_defaults(node.args)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_defaults(node.args)
        self.visit(node.body)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        # `except requests.HTTPError:` around a step's yield is how a workflow handles that step's failure.
        for stmt in node.body:
            self.visit(stmt)

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        keyword = "global" if isinstance(node, ast.Global) else "nonlocal"
        self._emit(R.RULES_BY_NAME["global"], node, expr=f"{keyword} {', '.join(node.names)}")

    visit_Nonlocal = visit_Global

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        self._emit(R.RULES_BY_NAME["import"], node, expr=ast.unparse(node))

    visit_ImportFrom = visit_Import
