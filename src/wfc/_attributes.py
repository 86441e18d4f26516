"""What ``value.name`` gives a ``.wf`` workflow: data, or a method (which is not a value there).

A ``.wf`` program reads attributes (``order.total``, ``t.year``, ``e.args``) but calls only built-ins, so a bound
method, a function or a descriptor reached through an attribute is never usable, and its text shows a memory
address. Whether an attribute is one is decided by what it *is*, never by its name: a data class field named
``count`` or ``index`` is data even though lists have methods of those names.

Two halves share the rules here: :func:`class_method` (``wfc check``, when the class of a value is known from
the ``.wf`` file alone) and :func:`is_method` (run time, for every attribute ``.wf`` code reads).
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Iterable

_ROUTINES: tuple[type, ...] = (
    types.FunctionType,  # a function stored in a field, or reached through a class
    types.MethodType,  # a bound method of a Python class
    types.BuiltinFunctionType,  # a bound method of a C type ("".upper), a built-in function
    types.MethodWrapperType,  # (1).__add__
    types.MethodDescriptorType,  # str.upper reached through the class
    types.WrapperDescriptorType,  # str.__add__
    types.ClassMethodDescriptorType,  # dict.__dict__["fromkeys"]
    functools.partial,
    functools.partialmethod,
    staticmethod,
    classmethod,
)


_INTERNALS: tuple[type, ...] = (
    types.ModuleType,  # a class attribute holding a module: a path to its globals (`x.tool.environ`)
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.CellType,
)
"""Values no ``.wf`` program may hold either: modules and the interpreter's own objects."""
_REFUSED = _ROUTINES + _INTERNALS


def is_method(value: object) -> bool:
    """Whether a value read through an attribute is a method, a function or a descriptor — or a module or an
    interpreter object (a property or class attribute may hold one) — rather than data."""
    if isinstance(value, _REFUSED):
        return True
    # a property, getset or member descriptor, cached_property...: reached through a class, not an instance
    return not isinstance(value, type) and hasattr(type(value), "__get__")


_MISSING = object()


def class_attribute(cls: type, name: str) -> str:
    """What ``name`` is on ``cls``'s instances, judged from the class alone (``wfc check``): ``"method"`` (a
    function or method descriptor found on the class, not shadowed by a field of a data class or attrs class),
    ``"absent"`` (no such attribute, and no instance ``__dict__`` could hold one), or ``"data"``
    (anything else: properties and other data descriptors give their value)."""
    if name in _fields(cls):
        return "data"
    found = inspect.getattr_static(cls, name, _MISSING)
    if found is _MISSING:
        return "absent" if cls.__dictoffset__ == 0 else "data"
    return "method" if isinstance(found, _ROUTINES) else "data"


def always_method(classes: Iterable[type], name: str) -> bool:
    """Whether reading ``name`` of a value of any of ``classes`` can only give a method (or fail)."""
    kinds = {class_attribute(c, name) for c in classes}
    return "method" in kinds and "data" not in kinds


def _fields(cls: type) -> set[str]:
    out = set(getattr(cls, "__dataclass_fields__", None) or ())
    out.update(a.name for a in getattr(cls, "__attrs_attrs__", None) or ())
    return out


def kind(value: object) -> str:
    """How a refused value is named in an error: ``a method``, ``a function``, ``a descriptor``, ``a module``..."""
    if isinstance(value, types.ModuleType):
        return "a module"
    if isinstance(value, _INTERNALS):
        return f"one of the interpreter's own objects (a {type(value).__name__})"
    if isinstance(value, types.FunctionType | functools.partial):
        return "a function"
    if isinstance(value, types.BuiltinFunctionType) and not _bound(value):
        return "a function"
    if isinstance(value, _ROUTINES):
        return "a method"
    return "a descriptor"


def _bound(value: types.BuiltinFunctionType) -> bool:
    owner = getattr(value, "__self__", None)
    return owner is not None and not isinstance(owner, types.ModuleType)
