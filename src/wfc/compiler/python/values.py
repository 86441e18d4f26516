"""Locals that can only ever hold a value the runtime cannot persist (an iterator, a generator, a bound method,
a dict view), found from the workflow's own assignments.

Such a local is fine within one transition; alive across a suspension it would fail when the cursor is saved
(``WFC401``, at run time, after the steps before it ran). Liveness reports it at compile time instead (``WFC115``).
A local is listed only when *every* binding of it makes such a value, so a program that is right at run time is
never refused.
"""

from __future__ import annotations

import ast
import builtins
import inspect
from collections.abc import Mapping
from typing import Any

from wfc.compiler.cut import SCOPES

_ITERATORS = {"iter", "reversed", "enumerate", "zip", "map", "filter"}
_CONTAINERS: dict[type[ast.AST], type] = {
    ast.List: list,
    ast.ListComp: list,
    ast.Dict: dict,
    ast.DictComp: dict,
    ast.Set: set,
    ast.SetComp: set,
}
_VIEWS = {"items", "keys", "values"}


def _own_nodes(body: list[ast.stmt]) -> list[ast.AST]:
    """Every node of the workflow's own scope (nested functions, lambdas and classes excluded)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return out


class _Finder:
    def __init__(self, tree: ast.FunctionDef, locals_: frozenset[str], namespace: Mapping[str, Any]) -> None:
        self.locals = locals_
        self.namespace = namespace
        self.nodes = _own_nodes(tree.body)
        # Value of each simple binding `name = value` / `name := value`, and every other kind of binding.
        self.values: dict[str, list[ast.expr]] = {}
        self.other: set[str] = {a.arg for a in ast.walk(tree.args) if isinstance(a, ast.arg)}
        simple: set[int] = set()
        for node in self.nodes:
            pairs: list[tuple[ast.expr, ast.expr]] = []
            if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
                pairs = [(t, node.value) for t in node.targets]
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                pairs = [(node.target, node.value)]
            for target, value in pairs:
                if isinstance(target, ast.Name):
                    self.values.setdefault(target.id, []).append(value)
                    simple.add(id(target))
        for node in self.nodes:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del) and id(node) not in simple:
                self.other.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.ExceptHandler):
                if node.name is not None:
                    self.other.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                self.other.update((a.asname or a.name).split(".")[0] for a in node.names)

    def _builtin(self, node: ast.expr, names: set[str]) -> str | None:
        if isinstance(node, ast.Name) and node.id in names and node.id not in self.locals:
            value = self.namespace.get(node.id, getattr(builtins, node.id))
            if value is getattr(builtins, node.id):
                return node.id
        return None

    def container(self, name: str, seen: frozenset[str] = frozenset()) -> type | None:
        """The builtin container type a local always holds, if every binding of it makes one."""
        if name in self.other or name not in self.values or name in seen:
            return None
        kinds = {self._container_of(v, seen | {name}) for v in self.values[name]}
        if len(kinds) == 1:
            return kinds.pop()
        return None

    def _container_of(self, value: ast.expr, seen: frozenset[str]) -> type | None:
        if type(value) in _CONTAINERS:
            return _CONTAINERS[type(value)]
        if isinstance(value, ast.Call) and (made := self._builtin(value.func, {"list", "dict", "set"})):
            return {"list": list, "dict": dict, "set": set}[made]
        if isinstance(value, ast.Name) and value.id in self.locals:
            return self.container(value.id, seen)
        return None

    def kind(self, value: ast.expr) -> str | None:
        """What unpersistable value ``value`` always makes, or ``None``."""
        if isinstance(value, ast.GeneratorExp):
            return "a generator"
        if isinstance(value, ast.Call):
            if made := self._builtin(value.func, _ITERATORS):
                return f"an iterator (`{made}(...)`)"
            if isinstance(value.func, ast.Name) and value.func.id not in self.locals:
                target = self.namespace.get(value.func.id)
                if inspect.isgeneratorfunction(target):
                    return f"a generator (`{value.func.id}(...)`)"
            func = value.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in _VIEWS
                and isinstance(func.value, ast.Name)
                and self.container(func.value.id) is dict
            ):
                return f"a dict view (`.{func.attr}()`)"
        if (
            isinstance(value, ast.Attribute)
            and isinstance(value.value, ast.Name)
            and value.value.id in self.locals
            and (cls := self.container(value.value.id)) is not None
            and callable(getattr(cls, value.attr, None))
        ):
            return f"a bound method (`{value.value.id}.{value.attr}`)"
        return None


def unpersistable(
    tree: ast.FunctionDef, locals_: frozenset[str], namespace: Mapping[str, Any]
) -> list[tuple[str, str, ast.AST]]:
    """(name, what it holds, where it is bound) for every local that always holds an unpersistable value."""
    finder = _Finder(tree, locals_, namespace)
    out: list[tuple[str, str, ast.AST]] = []
    for name in sorted(finder.values):
        if name in finder.other or name not in locals_:
            continue
        kinds = [finder.kind(v) for v in finder.values[name]]
        if kinds and all(kinds):
            out.append((name, str(kinds[0]), finder.values[name][0]))
    return out
