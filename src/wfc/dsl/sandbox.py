"""The run-time half of the ``.wf`` sandbox: the global namespace a ``.wf`` workflow's code runs in.

The compile-time checks (:mod:`wfc.dsl.checks`, :mod:`wfc.dsl.names`) already guarantee that lowered code only
calls built-ins, the file's workflows, imported steps and workflows, and the wfc helpers. The namespace is the
second wall: even code that slipped past them could only reach

* ``__builtins__``: the fixed pure built-ins, the exception types a ``catch`` may name, and an ``__import__``
  that gives only what CPython's built-ins import for themselves (``time``, for date formatting) — no
  ``open``, ``eval``, ``getattr``, ``type``... (the machine's generated wrappers reach the exceptions they catch
  under reserved names of their own);
* ``wfc``: a :class:`Members` proxy exposing only :data:`wfc.dsl.names.HELPERS`;
* one :class:`Members` proxy per import, exposing only that module's steps, workflows and exception types —
  never the module object, so no path leads to its globals;
* the file's own workflows (:class:`~wfc.commands.WorkflowDef` values).
"""

from __future__ import annotations

import builtins
import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from wfc.commands import StepDef, WorkflowDef
from wfc.dsl.names import BUILTIN_ERRORS, HELPERS, PYTHON_BUILTINS


class Members:
    """Read-only attribute access to a fixed set of named values (``proxy.name``); nothing else."""

    __slots__ = ("_label", "_members")

    def __init__(self, label: str, members: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_members", dict(members))

    def __getattr__(self, name: str) -> Any:
        members: dict[str, Any] = object.__getattribute__(self, "_members")
        if name.startswith("_") or name not in members:
            label = object.__getattribute__(self, "_label")
            raise AttributeError(f"{label} has no member {name!r}")
        return members[name]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("read-only")

    def __dir__(self) -> Iterable[str]:
        return sorted(object.__getattribute__(self, "_members"))

    def __repr__(self) -> str:
        return f"<wfc members of {object.__getattribute__(self, '_label')}>"


class _LazyHelpers(Members):
    """``wfc``: its members are looked up in the ``wfc`` package when first used, so importing this module does
    not import the whole of wfc (and the runtime's helpers are the ones the runtime patches)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        members: dict[str, Any] = object.__getattribute__(self, "_members")
        if name in members:
            return members[name]
        if name not in HELPERS:
            raise AttributeError(f"wfc has no member {name!r} here")
        value = getattr(importlib.import_module("wfc"), name)
        members[name] = value
        return value


_INTERNAL_IMPORTS = frozenset({"time", "_strptime"})
"""Modules CPython's own C code imports while running a built-in (``datetime.__format__`` imports ``time`` for
``strftime``), through the ``__import__`` of the running code's built-ins."""


def _internal_import(name: str, *args: Any, **kwargs: Any) -> Any:
    """The sandbox's ``__import__``: only what CPython's built-ins import for themselves. A ``.wf`` program can
    never name it (names starting with ``_`` are refused by the checks)."""
    if name not in _INTERNAL_IMPORTS:
        raise ImportError(f"import of {name!r} is not allowed in a .wf workflow")
    return importlib.import_module(name)


def safe_builtins() -> dict[str, Any]:
    names = PYTHON_BUILTINS | BUILTIN_ERRORS
    out = {name: getattr(builtins, name) for name in sorted(names)}
    out["__import__"] = _internal_import
    return out


def is_exported(value: object) -> bool:
    """What an import alias exposes of a module: steps, workflows and exception types."""
    if isinstance(value, StepDef | WorkflowDef):
        return True
    return isinstance(value, type) and issubclass(value, Exception)


def module_members(module: object) -> dict[str, Any]:
    return {
        name: value
        for name, value in sorted(vars(module).items())
        if not name.startswith("_") and is_exported(value)
    }


def namespace(
    imports: Mapping[str, Mapping[str, Any]], workflows: Mapping[str, WorkflowDef]
) -> dict[str, Any]:
    """The globals of one ``.wf`` file's workflows (shared by them, so they can call each other).

    ``imports`` maps each alias to the members it exposes (see :func:`module_members`).
    """
    ns: dict[str, Any] = {"__builtins__": safe_builtins(), "wfc": _LazyHelpers("wfc", {})}
    for alias, members in imports.items():
        ns[alias] = Members(alias, members)
    ns.update(workflows)
    return ns
