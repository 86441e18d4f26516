"""Compile-time values of constant expressions (parameter defaults, literal arguments of commands)."""

from __future__ import annotations

from typing import Any

from wfc.dsl import ast as wf


def constant_value(e: wf.Expr) -> tuple[bool, Any]:
    """``(True, value)`` when ``e`` is a literal (numbers, strings, booleans, null, a signed number, lists and
    dicts of literals), else ``(False, None)``."""
    if isinstance(e, wf.Const):
        return True, e.value
    if isinstance(e, wf.Unary) and e.op in ("-", "+") and isinstance(e.operand, wf.Const):
        value = e.operand.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return True, -value if e.op == "-" else value
        return False, None
    if isinstance(e, wf.ListExpr):
        items = []
        for item in e.items:
            ok, value = constant_value(item)
            if not ok:
                return False, None
            items.append(value)
        return True, items
    if isinstance(e, wf.DictExpr):
        out: dict[Any, Any] = {}
        for k, v in zip(e.keys, e.values, strict=True):
            ok_k, key = constant_value(k)
            ok_v, value = constant_value(v)
            if not (ok_k and ok_v) or isinstance(key, list | dict):
                return False, None
            out[key] = value
        return True, out
    return False, None


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
