"""Parameter and return types of ``.wf`` workflows: names → real Python types, and checking values against them.

Types: ``int``, ``float`` (an ``int`` is accepted too), ``str``, ``bool``, ``list``, ``list[T]``, ``dict``,
``dict[K, V]``, ``any``, ``null`` and unions ``T | U``. A workflow's :class:`CheckedSignature` checks argument
values on ``bind``, which runs when the workflow starts (the runtime binds the arguments) and when another
workflow calls it as a child.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from wfc.dsl import ast as wf

SIMPLE: dict[str, object] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
    "any": typing.Any,
    "null": None,
}
GENERIC_ARITY = {"list": 1, "dict": 2}


def type_problem(t: wf.TypeExpr) -> tuple[str, wf.TypeRef] | None:
    """The first problem in a type annotation (message, where), or ``None``."""
    refs = t.options if isinstance(t, wf.TypeUnion) else (t,)
    for ref in refs:
        if ref.name not in SIMPLE:
            return f"unknown type `{ref.name}`", ref
        if ref.args:
            arity = GENERIC_ARITY.get(ref.name)
            if arity is None:
                return f"`{ref.name}` takes no type arguments", ref
            if len(ref.args) != arity:
                return f"`{ref.name}[...]` takes {arity} type argument{'s' if arity > 1 else ''}", ref
            for arg in ref.args:
                problem = type_problem(arg)
                if problem is not None:
                    return problem
    return None


def python_source(t: wf.TypeExpr) -> str:
    """The annotation as a Python twin spells it: ``list[str] | None``, ``Any``."""
    if isinstance(t, wf.TypeUnion):
        return " | ".join(python_source(o) for o in t.options)
    base = {"any": "Any", "null": "None"}.get(t.name, t.name)
    if t.args:
        return f"{base}[{', '.join(python_source(a) for a in t.args)}]"
    return base


def python_type(t: wf.TypeExpr) -> Any:
    """The annotation as a real type object (``list[str] | None``). Only call on a type without problems."""
    if isinstance(t, wf.TypeUnion):
        options = [python_type(o) for o in t.options]
        if any(o is typing.Any for o in options):
            return typing.Any
        result = options[0]
        for o in options[1:]:
            result = _union(result, o)
        return result
    base = SIMPLE[t.name]
    if t.args:
        return types.GenericAlias(base, tuple(python_type(a) for a in t.args))  # type: ignore[arg-type]
    return base


def _union(a: Any, b: Any) -> Any:
    a = type(None) if a is None else a
    b = type(None) if b is None else b
    return a | b


def describe(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "null"
    if annotation is typing.Any:
        return "any"
    if isinstance(annotation, types.UnionType):
        return " | ".join(describe(a) for a in typing.get_args(annotation))
    origin = typing.get_origin(annotation)
    if origin is not None:
        return f"{origin.__name__}[{', '.join(describe(a) for a in typing.get_args(annotation))}]"
    return getattr(annotation, "__name__", repr(annotation))


def conforms(value: object, annotation: Any, depth: int = 0) -> bool:
    """Whether ``value`` has type ``annotation`` (one of the types :func:`python_type` makes)."""
    if depth > 50:  # a value nested this deep is checked no further
        return True
    if annotation is typing.Any or annotation is inspect.Parameter.empty:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    if isinstance(annotation, types.UnionType):
        return any(conforms(value, a, depth) for a in typing.get_args(annotation))
    origin = typing.get_origin(annotation) or annotation
    args = typing.get_args(annotation)
    check = _CHECKS.get(origin)
    if check is None:
        return isinstance(value, origin) if isinstance(origin, type) else True
    if not check(value):
        return False
    if origin is list and args:
        return all(conforms(v, args[0], depth + 1) for v in value)  # type: ignore[attr-defined]
    if origin is dict and args:
        return all(
            conforms(k, args[0], depth + 1) and conforms(v, args[1], depth + 1)
            for k, v in value.items()  # type: ignore[attr-defined]
        )
    return True


_CHECKS: dict[object, Callable[[object], bool]] = {
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    str: lambda v: isinstance(v, str),
    bool: lambda v: isinstance(v, bool),
    list: lambda v: isinstance(v, list | tuple),
    dict: lambda v: isinstance(v, dict),
}


class CheckedSignature(inspect.Signature):
    """A signature whose :meth:`bind` also checks argument types, raising ``TypeError`` like a bad arity does."""

    __slots__ = ()

    def bind(self, /, *args: Any, **kwargs: Any) -> inspect.BoundArguments:
        bound = super().bind(*args, **kwargs)
        for name, value in bound.arguments.items():
            annotation = self.parameters[name].annotation
            if not conforms(value, annotation):
                expected = describe(annotation)
                msg = f"argument `{name}` must be {expected}, not {type(value).__name__} ({value!r:.60})"
                raise TypeError(msg)
        return bound
