"""``wfc check``: prove statically that the code between a workflow's steps is pure and repeatable.

That code runs again when a process dies before a transition commits, and again on restart or fork, so it must
not read the clock, draw random numbers, do I/O, depend on set order or share state with the process. What is
forbidden is the data in ``rules.py``; this module resolves what each name in the workflow refers to (through
the real module namespace, so ``import time as t`` and ``from random import choice`` are seen through), infers
which local values are sets or paths, and reports every problem at once. Plain functions the workflow calls that
are defined in user code are checked the same way, recursively.
"""

from __future__ import annotations

import ast
import builtins
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
from wfc.compiler.python.source import FunctionSource, SourceMap, function_source
from wfc.errors import Diagnostic, Span

_MISSING: Any = object()
SET = "builtins.set"  # the inferred kind of every set and frozenset value
_IGNORE = re.compile(r"#\s*wfc:\s*ignore(?:\[([^\]]*)\])?")
_SET_OPS = (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)
_NOT_INLINE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
_RULE_PATTERNS = tuple((rule, re.compile(fnmatch.translate(t))) for rule in R.RULES for t in rule.targets)
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


@attrs.frozen
class _Ref:
    """What a name or attribute chain refers to: qualified-name candidates (best first) and the real object."""

    names: tuple[str, ...]
    obj: Any = _MISSING
    found: bool = True  # every link resolved
    value: bool = False  # an instance (or reached through one): calls on it are method calls
    local: bool = False  # rooted at a local variable or a local import
    member: bool = False  # an attribute of a class (a classmethod or staticmethod)


def _alias(module: str) -> str:
    head, dot, rest = module.partition(".")
    return R.MODULE_ALIASES.get(module) or (R.MODULE_ALIASES.get(head, head) + dot + rest)


def _object_names(obj: Any) -> tuple[str, ...]:
    """``module.name`` candidates for a module, class, function or method, from its own metadata."""
    try:
        if inspect.ismodule(obj):
            return (_alias(obj.__name__),)
        module = getattr(obj, "__module__", None)
        owner = getattr(obj, "__self__", None)
        out: list[str] = []
        if isinstance(module, str):
            for attr in ("__name__", "__qualname__"):
                name = getattr(obj, attr, None)
                if isinstance(name, str) and "<" not in name:
                    out.append(f"{_alias(module)}.{name}")
        elif inspect.isclass(owner):  # a C classmethod such as datetime.datetime.now has no __module__
            out.extend(f"{n}.{obj.__name__}" for n in _object_names(owner))
        return tuple(dict.fromkeys(out))
    except Exception:  # an exotic object whose metadata raises: it just has no known name
        return ()


def _is_definition(obj: Any) -> bool:
    return inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isroutine(obj)


def _start(obj: Any) -> _Ref:
    if _is_definition(obj):
        return _Ref(_object_names(obj), obj)
    return _Ref(_object_names(type(obj)), obj, value=True)


def _extend(ref: _Ref, attr: str) -> _Ref:
    names = tuple(f"{n}.{attr}" for n in ref.names)
    obj = ref.obj
    # Look attributes up on modules and classes only: on instances a property could run arbitrary code.
    if obj is _MISSING or ref.value or not (inspect.ismodule(obj) or inspect.isclass(obj)):
        return _Ref(names, _MISSING, ref.found, ref.value, ref.local)
    try:
        sub = getattr(obj, attr)
    except Exception:
        sub = sys.modules.get(f"{obj.__name__}.{attr}", _MISSING) if inspect.ismodule(obj) else _MISSING
    if sub is _MISSING:
        return _Ref(names, _MISSING, False, False, ref.local)
    member = inspect.isclass(obj)
    if _is_definition(sub):
        return _Ref(
            tuple(dict.fromkeys(names + _object_names(sub))), sub, ref.found, False, ref.local, member
        )
    types_ = tuple(dict.fromkeys(names + _object_names(type(sub))))
    return _Ref(types_, sub, ref.found, True, ref.local, member)


def _match_rule(names: Iterable[str]) -> tuple[R.Rule, str] | None:
    for name in names:
        for rule, pattern in _RULE_PATTERNS:
            if pattern.match(name):
                return rule, name
    return None


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
        found = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Lambda)]
    except SyntaxError:  # a lambda in the middle of a longer expression: its lines do not parse alone
        return None
    if len(found) != 1:
        return None
    lam = found[0]
    body: list[ast.stmt] = [ast.copy_location(ast.Return(lam.body), lam.body)]
    tree = ast.copy_location(ast.FunctionDef("<lambda>", lam.args, body, [], None, None), lam)
    smap = SourceMap(path, tuple(linecache.getlines(path)) or tuple(lines), max(first - 1, 0), indent)
    return FunctionSource(tree, smap)


def _closure_vars(fn: types.FunctionType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # an empty cell: the name is not bound yet
            pass
    return out


@attrs.define
class _Scope:
    """The names a function (with everything nested in it) binds, flow-insensitively."""

    locals: set[str] = attrs.Factory(set)
    # Every value assigned to each local; None for bindings we do not follow (loop targets, parameters...).
    values: dict[str, list[ast.expr | None]] = attrs.Factory(dict)
    annotations: dict[str, list[ast.expr]] = attrs.Factory(dict)
    imports: dict[str, str] = attrs.Factory(dict)

    @classmethod
    def collect(cls, tree: ast.FunctionDef | ast.AsyncFunctionDef) -> _Scope:
        scope = cls()
        followed: set[int] = set()
        declared_global: set[str] = set()

        def bind(name: str, value: ast.expr | None) -> None:
            scope.locals.add(name)
            scope.values.setdefault(name, []).append(value)

        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                a = node.args
                for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                    if arg is not None:
                        bind(arg.arg, None)
                        if arg.annotation is not None:
                            scope.annotations.setdefault(arg.arg, []).append(arg.annotation)
                if node is not tree and not isinstance(node, ast.Lambda):
                    bind(node.name, None)
            elif isinstance(node, ast.ClassDef):
                bind(node.name, None)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if not isinstance(target, ast.Name):
                        continue
                    followed.add(id(target))
                    if isinstance(node, ast.AugAssign):
                        bind(target.id, ast.BinOp(ast.Name(target.id, ast.Load()), node.op, node.value))
                    elif node.value is not None:
                        bind(target.id, node.value)
                    if isinstance(node, ast.AnnAssign):
                        scope.locals.add(target.id)
                        scope.annotations.setdefault(target.id, []).append(node.annotation)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    if isinstance(node, ast.Import):
                        local = alias.asname or alias.name.partition(".")[0]
                        imported = alias.name if alias.asname else local
                    elif alias.name != "*" and not node.level:
                        local, imported = alias.asname or alias.name, f"{node.module}.{alias.name}"
                    else:
                        continue
                    bind(local, None)
                    scope.imports[local] = imported
            elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
                bind(node.name, None)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                bind(node.rest, None)
            elif isinstance(node, ast.Global):
                declared_global.update(node.names)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and id(node) not in followed:
                bind(node.id, None)  # for-loop, with and unpacking targets: values we do not follow
        scope.locals -= declared_global
        return scope


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
        self.session, self.tree, self.smap, self.namespace = session, tree, smap, namespace
        self.notes, self.where = notes, where
        self.scope = _Scope.collect(tree)
        self.exempt: set[int] = set()  # comprehensions and starred items whose order does not matter
        self.kinds: dict[str, str] = {}
        self.kinds = self._infer_kinds()
        self.statement: ast.stmt | None = None  # the innermost statement being visited

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

    # ---- resolution ----------------------------------------------------------------------------------------

    def _resolve(self, expr: ast.expr) -> _Ref | None:
        """What a name or attribute chain refers to; ``None`` for a local value of unknown type."""
        chain: list[str] = []
        base = expr
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name):
            ref = self._resolve_name(base.id)
        else:
            ref = self._local_value(self._kind(base))
        for attr in reversed(chain):
            if ref is None:
                return None
            ref = _extend(ref, attr)
        return ref

    @staticmethod
    def _local_value(kind: str | None) -> _Ref | None:
        # A local made by a flagged call (`rng = random.Random()`) was reported where it was made: its methods
        # (`rng.random()`) are not reported again. Paths are made freely; their I/O methods are what is flagged.
        if kind is None or _match_rule((kind,)) is not None:
            return None
        return _Ref((kind,), value=True, local=True)

    def _resolve_name(self, name: str) -> _Ref | None:
        if name in self.scope.imports:
            target = self.scope.imports[name]
            parent, _, attr = target.rpartition(".")
            obj = sys.modules.get(target, _MISSING)
            if obj is _MISSING and parent in sys.modules:
                obj = getattr(sys.modules[parent], attr, _MISSING)
            return _Ref((target,), obj, local=True)
        if name in self.scope.locals:
            return self._local_value(self.kinds.get(name))
        if name in self.namespace:
            return _start(self.namespace[name])
        if hasattr(builtins, name):
            ref = _start(getattr(builtins, name))
            return attrs.evolve(ref, names=(f"builtins.{name}", *ref.names))
        return _Ref((name,), found=False)

    def _kind(self, expr: ast.expr) -> str | None:
        """The inferred type of a value: ``SET`` for sets, else a qualified class name, or ``None``."""
        if isinstance(expr, ast.Set | ast.SetComp):
            return SET
        if isinstance(expr, ast.NamedExpr):
            return self._kind(expr.value)
        if isinstance(expr, ast.IfExp):
            body = self._kind(expr.body)
            return body if body == self._kind(expr.orelse) else None
        if isinstance(expr, ast.BinOp):
            left, right = self._kind(expr.left), self._kind(expr.right)
            if isinstance(expr.op, _SET_OPS) and SET in (left, right):
                return SET
            return left if isinstance(expr.op, ast.Div) and left in R.PATH_TYPES else None
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute):
                receiver = self._kind(func.value)
                if receiver == SET and func.attr in R.SET_RETURNING_METHODS:
                    return SET
                if receiver in R.PATH_TYPES and func.attr in R.PATH_RETURNING_METHODS:
                    return receiver
            ref = self._resolve(func) if isinstance(func, ast.Name | ast.Attribute) else None
            if ref is None or ref.value or not inspect.isclass(ref.obj) or not ref.names:
                return None
            return SET if issubclass(ref.obj, set | frozenset) else ref.names[0]
        if (
            isinstance(expr, ast.Attribute)
            and expr.attr == "parent"
            and self._kind(expr.value) in R.PATH_TYPES
        ):
            return self._kind(expr.value)
        if isinstance(expr, ast.Name | ast.Attribute):
            ref = self._resolve(expr)
            if ref is None or not ref.value:
                return None
            if ref.obj is _MISSING:  # a local whose kind was inferred; attributes of it are unknown
                return ref.names[0] if ref.local and isinstance(expr, ast.Name) else None
            if isinstance(ref.obj, set | frozenset):
                return SET
            type_names = _object_names(type(ref.obj))
            return type_names[0] if type_names else None
        return None

    def _is_set_annotation(self, ann: ast.expr) -> bool:
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                ann = ast.parse(ann.value, mode="eval").body
            except SyntaxError:
                return False
        if isinstance(ann, ast.Subscript):
            ann = ann.value
        ref = self._resolve(ann) if isinstance(ann, ast.Name | ast.Attribute) else None
        if ref is None:
            return False
        names = ref.names + (_object_names(ref.obj) if ref.obj is not _MISSING else ())
        return any(n in R.SET_TYPES for n in names)

    def _infer_kinds(self) -> dict[str, str]:
        """Which locals always hold a set (or a path): a greatest fixed point, so ``s = s | t`` stays a set."""
        scope = self.scope
        declared = {
            n for n, anns in scope.annotations.items() if any(self._is_set_annotation(a) for a in anns)
        }
        known = {
            n: [v for v in vals if v is not None]
            for n, vals in scope.values.items()
            if n in scope.locals and vals and all(v is not None for v in vals)
        }
        kinds: dict[str, str] = dict.fromkeys(declared, SET)
        self.kinds = kinds
        # Seed each local with the kind of one of its values, in rounds so `b = a.union(c)` learns from `a`...
        changed = True
        while changed:
            changed = False
            for name, vals in known.items():
                if name not in kinds:
                    seed = next((k for k in map(self._kind, vals) if k is not None), None)
                    if seed is not None:
                        kinds[name] = seed
                        changed = True
        for name, vals in known.items():
            if name not in kinds and any(isinstance(v, ast.BinOp | ast.IfExp | ast.Name) for v in vals):
                kinds[name] = SET  # ...and assume set operators make sets: the loop below drops it if wrong.
        changed = True
        while changed:
            changed = False
            for name in [n for n in kinds if n not in declared]:
                if any(self._kind(v) != kinds[name] for v in known[name]):
                    del kinds[name]
                    changed = True
        return kinds

    # ---- names and calls -----------------------------------------------------------------------------------

    def _check_ref(self, expr: ast.Name | ast.Attribute, call: ast.Call | None) -> _Ref | None:
        ref = self._resolve(expr)
        if ref is None:
            return None
        hit = _match_rule(ref.names)
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

    def _check_callee(self, ref: _Ref, expr: ast.expr, call: ast.Call) -> None:
        """WFC214 for a call the checker cannot see into; descend into helpers defined in user code."""
        obj = ref.obj
        if ref.local or ref.value or _is_pure(ref.names):
            return
        what = f"`{ast.unparse(expr)}()`"
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
        ref = self._resolve(func) if isinstance(func, ast.Name | ast.Attribute) else None
        if ref is None:
            return False
        return isinstance(ref.obj, StepDef | WorkflowDef) or any(n in R.COMMAND_FACTORIES for n in ref.names)

    # ---- set iteration -------------------------------------------------------------------------------------

    def _check_iter(self, expr: ast.expr) -> None:
        if self._kind(expr) == SET:
            self._emit(R.RULES_BY_NAME["set-iteration"], expr, expr=ast.unparse(expr))

    def _check_consumer(self, call: ast.Call, ref: _Ref | None) -> None:
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
            elif func.attr == "pop" and not call.args and self._kind(func.value) == SET:
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
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.op, ast.Add):
            self._check_iter(node.value)  # `items += s` extends a list in set order
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
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
