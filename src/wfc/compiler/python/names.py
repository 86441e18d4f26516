"""What a name in workflow code refers to, for ``wfc check``: the name-resolution half of the determinism lint.

Names are resolved through the module's real globals (and a helper's closure), so ``import time as t`` and
``from random import choice`` are seen through to ``time.time`` and ``random.choice``. Locals are tracked
flow-insensitively per function, and the type of a local is inferred only as far as the rules need: whether it
always holds a set (whose iteration order varies between runs) or a path (whose methods do I/O).
"""

from __future__ import annotations

import ast
import builtins
import fnmatch
import inspect
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from wfc.compiler.python import rules as R
from wfc.compiler.pywarnings import silently

MISSING: Any = object()  # an object that could not be looked up (a local, or an attribute of an instance)
SET = "builtins.set"  # the inferred kind of every set and frozenset value
_SET_OPS = (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)
_RULE_PATTERNS = tuple((rule, re.compile(fnmatch.translate(t))) for rule in R.RULES for t in rule.targets)


@attrs.frozen
class Ref:
    """What a name or attribute chain refers to: qualified-name candidates (best first) and the real object."""

    names: tuple[str, ...]
    obj: Any = MISSING
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


def _start(obj: Any) -> Ref:
    if _is_definition(obj):
        return Ref(_object_names(obj), obj)
    return Ref(_object_names(type(obj)), obj, value=True)


def _extend(ref: Ref, attr: str) -> Ref:
    names = tuple(f"{n}.{attr}" for n in ref.names)
    obj = ref.obj
    # Look attributes up on modules and classes only: on instances a property could run arbitrary code.
    if obj is MISSING or ref.value or not (inspect.ismodule(obj) or inspect.isclass(obj)):
        return Ref(names, MISSING, ref.found, ref.value, ref.local)
    try:
        sub = getattr(obj, attr)
    except Exception:
        sub = sys.modules.get(f"{obj.__name__}.{attr}", MISSING) if inspect.ismodule(obj) else MISSING
    if sub is MISSING:
        return Ref(names, MISSING, False, False, ref.local)
    member = inspect.isclass(obj)
    if _is_definition(sub):
        return Ref(tuple(dict.fromkeys(names + _object_names(sub))), sub, ref.found, False, ref.local, member)
    types_ = tuple(dict.fromkeys(names + _object_names(type(sub))))
    return Ref(types_, sub, ref.found, True, ref.local, member)


def match_rule(names: Iterable[str]) -> tuple[R.Rule, str] | None:
    for name in names:
        for rule, pattern in _RULE_PATTERNS:
            if pattern.match(name):
                return rule, name
    return None


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


class NameResolver:
    """Resolves names and attribute chains in one function, and infers which of its locals are sets or paths."""

    def __init__(self, tree: ast.FunctionDef | ast.AsyncFunctionDef, namespace: Mapping[str, Any]) -> None:
        self.namespace = namespace
        self.scope = _Scope.collect(tree)
        self.kinds: dict[str, str] = {}
        self.kinds = self._infer_kinds()

    def resolve(self, expr: ast.expr) -> Ref | None:
        """What a name or attribute chain refers to; ``None`` for a local value of unknown type."""
        chain: list[str] = []
        base = expr
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name):
            ref = self._resolve_name(base.id)
        else:
            ref = self._local_value(self.kind(base))
        for attr in reversed(chain):
            if ref is None:
                return None
            ref = _extend(ref, attr)
        return ref

    @staticmethod
    def _local_value(kind: str | None) -> Ref | None:
        # A local made by a flagged call (`rng = random.Random()`) was reported where it was made: its methods
        # (`rng.random()`) are not reported again. Paths are made freely; their I/O methods are what is flagged.
        if kind is None or match_rule((kind,)) is not None:
            return None
        return Ref((kind,), value=True, local=True)

    def _resolve_name(self, name: str) -> Ref | None:
        if name in self.scope.imports:
            target = self.scope.imports[name]
            parent, _, attr = target.rpartition(".")
            obj = sys.modules.get(target, MISSING)
            if obj is MISSING and parent in sys.modules:
                obj = getattr(sys.modules[parent], attr, MISSING)
            return Ref((target,), obj, local=True)
        if name in self.scope.locals:
            return self._local_value(self.kinds.get(name))
        if name in self.namespace:
            return _start(self.namespace[name])
        if hasattr(builtins, name):
            ref = _start(getattr(builtins, name))
            return attrs.evolve(ref, names=(f"builtins.{name}", *ref.names))
        return Ref((name,), found=False)

    def kind(self, expr: ast.expr) -> str | None:
        """The inferred type of a value: ``SET`` for sets, else a qualified class name, or ``None``."""
        if isinstance(expr, ast.Set | ast.SetComp):
            return SET
        if isinstance(expr, ast.NamedExpr):
            return self.kind(expr.value)
        if isinstance(expr, ast.IfExp):
            body = self.kind(expr.body)
            return body if body == self.kind(expr.orelse) else None
        if isinstance(expr, ast.BinOp):
            left, right = self.kind(expr.left), self.kind(expr.right)
            if isinstance(expr.op, _SET_OPS) and SET in (left, right):
                return SET
            return left if isinstance(expr.op, ast.Div) and left in R.PATH_TYPES else None
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute):
                receiver = self.kind(func.value)
                if receiver == SET and func.attr in R.SET_RETURNING_METHODS:
                    return SET
                if receiver in R.PATH_TYPES and func.attr in R.PATH_RETURNING_METHODS:
                    return receiver
            ref = self.resolve(func) if isinstance(func, ast.Name | ast.Attribute) else None
            if ref is None or ref.value or not inspect.isclass(ref.obj) or not ref.names:
                return None
            return SET if issubclass(ref.obj, set | frozenset) else ref.names[0]
        if (
            isinstance(expr, ast.Attribute)
            and expr.attr == "parent"
            and self.kind(expr.value) in R.PATH_TYPES
        ):
            return self.kind(expr.value)
        if isinstance(expr, ast.Name | ast.Attribute):
            ref = self.resolve(expr)
            if ref is None or not ref.value:
                return None
            if ref.obj is MISSING:  # a local whose kind was inferred; attributes of it are unknown
                return ref.names[0] if ref.local and isinstance(expr, ast.Name) else None
            if isinstance(ref.obj, set | frozenset):
                return SET
            type_names = _object_names(type(ref.obj))
            return type_names[0] if type_names else None
        return None

    def _is_set_annotation(self, ann: ast.expr) -> bool:
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                text = ann.value
                ann = silently(lambda: ast.parse(text, mode="eval"), "<unknown>").body
            except SyntaxError:
                return False
        if isinstance(ann, ast.Subscript):
            ann = ann.value
        ref = self.resolve(ann) if isinstance(ann, ast.Name | ast.Attribute) else None
        if ref is None:
            return False
        names = ref.names + (_object_names(ref.obj) if ref.obj is not MISSING else ())
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
                    seed = next((k for k in map(self.kind, vals) if k is not None), None)
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
                if any(self.kind(v) != kinds[name] for v in known[name]):
                    del kinds[name]
                    changed = True
        return kinds
