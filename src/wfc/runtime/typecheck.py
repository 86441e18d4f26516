"""Workflow arguments and return values checked against the workflow's type hints (with the codec's cattrs
converter: a dict becomes the attrs class or dataclass its hint names, an ISO string a datetime, and so on)."""

from __future__ import annotations

import collections.abc as abc
import inspect
import typing
from typing import Any

from wfc.commands import WorkflowDef
from wfc.convert import check_type
from wfc.runtime.link import bind_arguments

_KEY = "runtime:hints"


def hints(defn: WorkflowDef) -> dict[str, Any]:
    cached = defn.cache.get(_KEY)
    if isinstance(cached, dict):
        return cached
    found: dict[str, Any] = {}
    if defn.fn is not None:
        try:
            found = typing.get_type_hints(defn.fn)
        except Exception:  # a hint naming something not importable here: not checked
            found = {}
    else:  # a .wf workflow: its declared types, as Python types, are on its signature (enforced the same way)
        sig = defn.signature
        found = {n: p.annotation for n, p in sig.parameters.items() if p.annotation is not inspect.Parameter.empty}
        if sig.return_annotation is not inspect.Signature.empty:
            found["return"] = sig.return_annotation
    defn.cache[_KEY] = found
    return found


def check_arguments(defn: WorkflowDef, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The workflow's initial variables, bound like Python binds them and checked against their hints
    (``WFC405`` on a mismatch)."""
    variables = bind_arguments(defn, args, kwargs)
    known = hints(defn)
    for name, param in defn.signature.parameters.items():
        if name not in variables or name not in known:
            continue
        hint = known[name]
        what = f"argument {name!r} of workflow {defn.name}"
        value = variables[name]
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            variables[name] = tuple(check_type(v, hint, what=f"{what}[{i}]") for i, v in enumerate(value))
        elif param.kind is inspect.Parameter.VAR_KEYWORD:
            variables[name] = {k: check_type(v, hint, what=f"{what}[{k!r}]") for k, v in value.items()}
        else:
            variables[name] = check_type(value, hint, what=what)
    return variables


def return_hint(defn: WorkflowDef) -> Any:
    """The hint of the value the workflow returns: ``R`` of ``Generator[Y, S, R]``, or the plain annotation."""
    known = hints(defn)
    if "return" not in known:
        return inspect.Parameter.empty
    hint = known["return"]
    origin = typing.get_origin(hint)
    if origin is abc.Generator:
        args = typing.get_args(hint)
        return args[2] if len(args) == 3 else inspect.Parameter.empty
    if origin in (abc.Iterator, abc.Iterable) or hint in (abc.Iterator, abc.Iterable, abc.Generator):
        return inspect.Parameter.empty
    return hint


def check_result(defn: WorkflowDef, value: Any) -> Any:
    hint = return_hint(defn)
    if hint is inspect.Parameter.empty:
        return value
    return check_type(value, hint, what=f"the return value of workflow {defn.name}")
