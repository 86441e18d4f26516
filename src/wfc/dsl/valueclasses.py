"""The classes a ``.wf`` expression's value can have, when the file alone shows them (for ``wfc check``).

Used by the attribute rule: ``x.name`` where every class ``x`` can have makes ``name`` a method is refused when
checking (``WFC144``), as ``d.get`` with ``d: dict`` or ``now().isoformat``; whatever the file does not show (a
step's result, an ``any`` parameter, a list item) is left to the run-time guard
(:mod:`wfc.runtime.attribute_guard`). Only the ``.wf`` file is read — never an imported module's annotations — so
checking with imports read from source and with imports executed reports the same.

A variable's classes are the union over every binding of it in the workflow (flow-insensitive): a parameter's
declared type, each ``x = expr`` whose classes are known, a ``catch ... as x``. One binding whose classes are
unknown (``x = step()``, a ``for`` target, ``a, b = ...``) makes the variable unknown.
"""

from __future__ import annotations

import builtins
import datetime as dt
import types
import typing
import uuid
from collections.abc import Iterable

from wfc import errors
from wfc.dsl import ast as wf
from wfc.dsl.names import BUILTIN_ERRORS, BUILTINS, WFC_ERRORS
from wfc.dsl.resolve import walk_statements
from wfc.dsl.types import python_type, type_problem

Classes = frozenset[type]

_CONST: dict[str, type] = {"int": int, "str": str, "bool": bool, "null": type(None)}

_RESULT: dict[str, tuple[type, ...]] = {
    "len": (int,),
    "str": (str,),
    "int": (int,),
    "float": (float,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
    "sorted": (list,),
    "range": (range,),
    "enumerate": (enumerate,),
    "zip": (zip,),
    "keys": (list,),
    "values": (list,),
    "items": (list,),
    "now": (dt.datetime,),
    "random": (float,),
    "uuid": (uuid.UUID,),
    "upper": (str,),
    "lower": (str,),
    "strip": (str,),
    "replace": (str,),
    "join": (str,),
    "split": (list,),
    "startswith": (bool,),
    "endswith": (bool,),
}
"""What each built-in returns (``BUILTINS`` names); the others (``min``, ``abs``...) depend on their arguments."""

_ANNOTATION: dict[object, tuple[type, ...]] = {
    int: (int,),
    float: (int, float),  # a float parameter accepts an int
    str: (str,),
    bool: (bool,),
    list: (list, tuple),  # a list parameter accepts a tuple
    dict: (dict,),
    None: (type(None),),
    type(None): (type(None),),
}


def annotation_classes(annotation: object) -> Classes | None:
    """The classes a value of a declared ``.wf`` type can have (``None``: any)."""
    if annotation is typing.Any:
        return None
    if isinstance(annotation, types.UnionType):
        out: set[type] = set()
        for option in typing.get_args(annotation):
            found = annotation_classes(option)
            if found is None:
                return None
            out |= found
        return frozenset(out)
    origin = typing.get_origin(annotation) or annotation
    known = _ANNOTATION.get(origin)
    return frozenset(known) if known is not None else None


def error_classes(handler: wf.Catch) -> Classes | None:
    """The classes of the error a ``catch`` binds: its types (``Exception`` when it names none)."""
    if not handler.types:
        return frozenset({Exception})
    out: set[type] = set()
    for t in handler.types:
        if len(t.parts) != 1:
            return None  # an imported module's error type: known only by importing it
        name = t.parts[0]
        if name in WFC_ERRORS:
            out.add(getattr(errors, name))
        elif name in BUILTIN_ERRORS:
            out.add(getattr(builtins, name))
        else:
            return None
    return frozenset(out)


class ValueClasses:
    """The classes of the expressions of one workflow (see the module docstring)."""

    def __init__(self, decl: wf.WorkflowDecl, locals_: frozenset[str]) -> None:
        self.locals = locals_
        self._bindings: dict[str, list[wf.Value | Classes | None]] = {}
        for p in decl.params:
            declared = None
            if p.type is not None and type_problem(p.type) is None:
                declared = annotation_classes(python_type(p.type))
            self._bind(p.name, declared)
        for stmt in walk_statements(decl.body):
            if isinstance(stmt, wf.Assign):
                single = len(stmt.targets) == 1
                for t in stmt.targets:
                    if isinstance(t, wf.Name):
                        self._bind(t.id, stmt.value if single else None)
            elif isinstance(stmt, wf.AugAssign) and isinstance(stmt.target, wf.Name):
                self._bind(stmt.target.id, None)
            elif isinstance(stmt, wf.For):
                for t in stmt.targets:
                    self._bind(t.id, None)
            elif isinstance(stmt, wf.Try):
                for h in stmt.handlers:
                    if h.name:
                        self._bind(h.name, error_classes(h))
        self._names: dict[str, Classes | None] = {}
        self._busy: set[str] = set()

    def _bind(self, name: str, source: wf.Value | Classes | None) -> None:
        self._bindings.setdefault(name, []).append(source)

    def of(self, e: wf.Expr, scope: Iterable[str] = ()) -> Classes | None:
        """The classes ``e`` can evaluate to, or ``None`` when the file does not show them. ``scope``: names
        bound by an enclosing comprehension or group (unknown here)."""
        if isinstance(e, wf.Name):
            if e.id in scope:
                return None
            return self._name(e.id)
        if isinstance(e, wf.Const):
            if e.kind in _CONST:
                return frozenset({_CONST[e.kind]})
            return frozenset({type(e.value)})  # a float, or a duration (its seconds: an int or a float)
        if isinstance(e, wf.FString):
            return frozenset({str})
        if isinstance(e, wf.ListExpr | wf.ListComp):
            return frozenset({list})
        if isinstance(e, wf.DictExpr):
            return frozenset({dict})
        if isinstance(e, wf.Compare) or (isinstance(e, wf.Unary) and e.op == "not"):
            return frozenset({bool})
        if isinstance(e, wf.BoolOp):
            out: set[type] = set()
            for v in e.values:
                found = self.of(v, scope)
                if found is None:
                    return None
                out |= found
            return frozenset(out)
        if isinstance(e, wf.Index) and isinstance(e.index, wf.Slice):
            found = self.of(e.value, scope)
            return found if found is not None and found <= {str, list, tuple} else None
        if isinstance(e, wf.Call) and isinstance(e.func, wf.Name) and e.func.id not in self.locals:
            builtin = BUILTINS.get(e.func.id)
            if builtin is not None and e.func.id not in scope and builtin.name in _RESULT:
                return frozenset(_RESULT[builtin.name])
        return None

    def _name(self, name: str) -> Classes | None:
        if name in self._names:
            return self._names[name]
        if name in self._busy or name not in self._bindings:
            return None  # a binding that refers to itself (`x = [x]` is known, `x = x` is not)
        self._busy.add(name)
        out: set[type] = set()
        result: Classes | None = None
        for source in self._bindings[name]:
            found = self._source(source)
            if found is None:
                break
            out |= found
        else:
            result = frozenset(out)
        self._busy.discard(name)
        self._names[name] = result
        return result

    def _source(self, source: wf.Value | Classes | None) -> Classes | None:
        if source is None or isinstance(source, frozenset):
            return source
        if isinstance(source, wf.WithOptions | wf.Sleep | wf.Wait | wf.Parallel | wf.StartChild | wf.Join):
            return None
        return self.of(source)
