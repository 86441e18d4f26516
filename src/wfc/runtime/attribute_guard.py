"""The run-time half of ``.wf``'s attribute rule: an attribute read by ``.wf`` code gives data, never a method.

``wfc check`` refuses ``x.name`` when the ``.wf`` file alone shows that ``x``'s class has a method ``name``
(``d.get`` with ``d: dict``, ``now().isoformat``). What it cannot know — a step's result, an ``any`` parameter,
a list item — is decided here, by what the attribute *is*: :func:`wfc._attributes.is_method`. A data class
field named ``count`` reads as its value; ``order.total`` of a method ``total`` fails the instance with
:class:`MethodNotAValue` (``WFC457``), at the ``.wf`` line that read it. Items are read alike (``x[k]``: a
class's own ``__getitem__`` may give a method).

Like the budget (:mod:`wfc.runtime.budget`), the rule is applied to the code linked from a ``.wf`` table
(:func:`guard`), never to the table: its code and hash stay what the compiler made.
"""

from __future__ import annotations

import ast
import sys
from typing import Any

from wfc._attributes import is_method, kind
from wfc.commands import register_error
from wfc.errors import WorkflowRuntimeError


@register_error
class MethodNotAValue(WorkflowRuntimeError, AttributeError):
    """``.wf`` code read a method, function or descriptor as a value (``WFC457``). An :class:`AttributeError`
    too: to a ``.wf`` program the value has no such data attribute (``catch AttributeError`` sees it)."""

    code = "WFC457"


def read(obj: Any, name: str) -> Any:
    """``obj.name`` as ``.wf`` code reads it (``_wfc_attr`` in guarded code)."""
    value = getattr(obj, name)
    if is_method(value):
        raise _refused(obj, name, value)
    return value


def item(obj: Any, key: Any) -> Any:
    """``obj[key]`` as ``.wf`` code reads it (``_wfc_item``): a class's own ``__getitem__`` may give a method."""
    value = obj[key]
    if is_method(value):
        raise _refused(obj, "[...]", value)
    return value


def _refused(obj: Any, name: str, value: Any) -> MethodNotAValue:
    owner = obj.__name__ if isinstance(obj, type) else type(obj).__name__
    of = f"the class `{owner}`" if isinstance(obj, type) else f"a `{owner}` value"
    frame = sys._getframe(2)  # the workflow's own code: its file is the .wf file, its line the .wf line
    where = f" ({frame.f_code.co_filename}:{frame.f_lineno})" if frame is not None else ""
    what = f"`{name}`" if name == "[...]" else f"`.{name}`"
    return MethodNotAValue(
        f"{what} of {of} is {kind(value)}, not a value{where}",
        hint="a .wf workflow reads data attributes (fields, properties) and calls only built-ins: "
        "compute the value in a step and return it",
    )


def _skipped(node: ast.Attribute) -> bool:
    """Attributes the lowering and the machine write themselves (``wfc.sleep``, ``_wfc_it.more``): never a
    ``.wf`` author's, whose attribute names cannot start with ``_`` and whose variables cannot be ``wfc``."""
    if node.attr.startswith("_"):
        return True
    base = node.value
    return isinstance(base, ast.Name) and (base.id == "wfc" or base.id.startswith("_wfc"))


class _Guard(ast.NodeTransformer):
    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load) or _skipped(node):
            return node
        call = ast.Call(ast.Name("_wfc_attr", ast.Load()), [node.value, ast.Constant(node.attr)], [])
        return ast.copy_location(call, node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        base = node.value
        if (
            not isinstance(node.ctx, ast.Load)
            or isinstance(node.slice, ast.Slice)  # a slice of a list or string is a list or string
            or (isinstance(base, ast.Name) and base.id.startswith("_wfc"))  # the machine's own
        ):
            return node
        call = ast.Call(ast.Name("_wfc_item", ast.Load()), [node.value, node.slice], [])
        return ast.copy_location(call, node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        # The callee of a call is always the lowering's (`str.upper(s)`, `list(d.keys())`, `shop.charge(x)`,
        # `wfc.log.info(m)`): `.wf` calls no methods, so the attributes along it are left as they are.
        node.func = self._callee(node.func)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        return node

    def _callee(self, func: ast.expr) -> ast.expr:
        if isinstance(func, ast.Attribute):
            func.value = self._callee(func.value)
            return func
        out = self.visit(func)
        assert isinstance(out, ast.expr)
        return out


def guard(tree: ast.Module) -> ast.Module:
    """Route every attribute read of a ``.wf`` table's generated module through :func:`read`, and every item
    read through :func:`item`."""
    out = _Guard().visit(tree)
    ast.fix_missing_locations(out)
    assert isinstance(out, ast.Module)
    return out


INTRINSICS: dict[str, Any] = {"_wfc_attr": read, "_wfc_item": item}
