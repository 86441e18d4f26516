"""The run-time half of ``.wf``'s rule that a method is not a value: whatever app code hands ``.wf`` code is data.

``wfc check`` refuses ``x.name`` when the ``.wf`` file alone shows that ``x``'s class has a method ``name``
(``d.get`` with ``d: dict``, ``now().isoformat``). What it cannot know — a step's result, an ``any`` parameter,
a list item — is decided here, by what a value *is*: :func:`wfc._attributes.is_method`. A data class field named
``count`` reads as its value; ``order.total`` of a method ``total`` fails the instance with
:class:`MethodNotAValue` (``WFC457``), at the ``.wf`` line that read it.

Attribute reads are not the only place where an application's class runs code for a ``.wf`` program: so do
its ``__getitem__`` (``x[k]``, ``x[a:b]``), ``__iter__`` (a ``for`` loop, a comprehension, ``a, b = x``,
``list(x)``, ``sorted``, ``dict``, ``min``/``max``/``sum``, ``zip``/``enumerate`` consumed by any of those,
``keys``/``values``/``items`` of a mapping of its own), its operators (``x + 1``, ``-x``, ``x < y``, ``x += 1``)
and ``abs``/``round``. Each of these values is checked where it enters the program: every name a loop or an
unpacking binds, every element of a list or dict a built-in builds, every result of an operator or built-in.
So no ``.wf`` expression evaluates to a method. A method can still sit *inside* a container an application
made (a property giving ``[self.total]``): taking it out is an item read or an iteration, checked as above, and
text made of it — interpolation, ``str()``, ``log`` — checks the container's contents first (the cost is that of
the text), so no text a ``.wf`` program makes shows a method's address either.

Like the budget (:mod:`wfc.runtime.budget`), the rule is applied to the code linked from a ``.wf`` table
(:func:`guard`), never to the table: its code and hash stay what the compiler made.
"""

from __future__ import annotations

import ast
import collections
import copy
import itertools
import operator
import re
import sys
from collections.abc import Iterable
from types import FrameType
from typing import Any

from wfc._attributes import _ROUTINES, is_method, kind
from wfc.commands import register_error
from wfc.errors import WorkflowRuntimeError


@register_error
class MethodNotAValue(WorkflowRuntimeError, AttributeError):
    """``.wf`` code read a method, function or descriptor as a value (``WFC457``). An :class:`AttributeError`
    too: to a ``.wf`` program the value has no such data attribute (``catch AttributeError`` sees it)."""

    code = "WFC457"


_PLAIN = frozenset({int, float, str, bool, type(None), list, dict, tuple, bytes, range})
"""Types whose values are data (checked first: the common case costs one set lookup)."""


def read(obj: Any, name: str) -> Any:
    """``obj.name`` as ``.wf`` code reads it (``_wfc_attr`` in guarded code)."""
    value = getattr(obj, name)
    if type(value) not in _PLAIN and is_method(value):
        raise _refused(f"`.{name}` of {_of(obj)}", value)
    return value


def item(obj: Any, key: Any) -> Any:
    """``obj[key]`` as ``.wf`` code reads it (``_wfc_item``): a class's own ``__getitem__`` may give a method."""
    value = obj[key]
    if type(value) not in _PLAIN and is_method(value):
        raise _refused(f"`[...]` of {_of(obj)}", value)
    return value


def sliced(obj: Any, lower: Any, upper: Any, step: Any) -> Any:
    """``obj[lower:upper]`` as ``.wf`` code reads it (``_wfc_slice``)."""
    value = obj[lower:upper:step]
    if type(value) not in _PLAIN and is_method(value):
        raise _refused(f"`[...:...]` of {_of(obj)}", value)
    return value


def value(result: Any, what: str) -> Any:
    """The result of an operator or a built-in (``_wfc_value``): ``what`` says which (``x + y``, ``min(...)``)."""
    if type(result) not in _PLAIN and is_method(result):
        raise _refused(f"the result of `{what}`", result)
    return result


def reversal(result: Any) -> Any:
    """What ``reversed(x)`` gives (``_wfc_reversal``): a class's own ``__reversed__`` gives anything. An iterator
    or a generator is what it should give (its items are checked where they come out); a routine is refused."""
    if isinstance(result, _ROUTINES):
        raise _refused("the result of `reversed(...)`", result)
    return result


def each(names: tuple[str, ...], *values: Any) -> bool:
    """The names a ``for`` loop or a comprehension just bound (``_wfc_each``, first in the body, or as the
    first condition of a comprehension: ``True``)."""
    for name, v in zip(names, values, strict=True):
        if type(v) not in _PLAIN and is_method(v):
            raise _refused(f"`{name}`, an item of the loop,", v)
    return True


def unpack(obj: Any, count: int) -> Any:
    """The right side of ``a, b = obj`` (``_wfc_unpack``), its items checked before any name is bound. A list or
    tuple is given back as it is, anything else as an iterator over what it gave (at most ``count + 1`` items,
    as Python takes), so Python's own errors (too many, not enough, not iterable) read as they would."""
    if type(obj) is list or type(obj) is tuple:
        _items(obj, obj, f"unpacking {_of(obj)}")
        return obj
    try:
        it = iter(obj)
    except TypeError:
        return obj  # Python says "cannot unpack non-iterable ..."
    got = list(itertools.islice(it, count + 1))
    _items(got, obj, f"unpacking {_of(obj)}")
    return iter(got)


def items(result: Any, what: str) -> Any:
    """A list or dict a built-in just built from what an iteration gave (``_wfc_items``: ``list``, ``sorted``,
    ``dict``), each element (key and value) checked."""
    if type(result) is dict:
        _items(result.keys(), result, what)
        _items(result.values(), result, what)
    elif isinstance(result, list):
        _items(result, result, what)
    return result


def _items(values: Iterable[Any], obj: Any, what: str) -> None:
    for v in values:
        if type(v) not in _PLAIN and is_method(v):
            raise _refused(f"an item that {what if what.startswith('unpacking') else f'`{what}`'} gave", v)


_CONTAINERS = (list, tuple, dict, set, frozenset, collections.deque)


def shown(v: Any, how: str = "made into text") -> Any:
    """A value made into text (``_wfc_shown``: interpolation, ``str()``), or handed on (``how``: to a step, a
    workflow, an error, the log; returned): no method anywhere in the built-in containers it is made of, whose
    text would show it (and its memory address)."""
    t = type(v)
    if t is str or t is int or t is float or t is bool or v is None:
        return v
    if not isinstance(v, _CONTAINERS):
        if is_method(v):
            raise _refused(f"a value {how}", v)
        return v
    seen: set[int] = set()
    stack = [v]
    while stack:
        x = stack.pop()
        if type(x) in _SCALARS:
            continue
        if isinstance(x, _CONTAINERS):
            if id(x) in seen:
                continue
            seen.add(id(x))
            if isinstance(x, dict):
                stack.extend(dict.keys(x))
                stack.extend(dict.values(x))
            else:
                stack.extend(x)
        elif is_method(x):
            raise _refused(f"an item of a value {how}", x)
    return v


_SCALARS = frozenset({int, float, str, bool, type(None), bytes})


_OWN_FILES = {__file__, __file__.replace("attribute_guard", "budget")}  # wfc's frames between workflow and check


def _of(obj: Any) -> str:
    if isinstance(obj, type):
        return f"the class `{obj.__name__}`"
    return f"a `{type(obj).__name__}` value"


def _refused(what: str, value: Any) -> MethodNotAValue:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in _OWN_FILES:
        frame = frame.f_back  # the workflow's own code: its file is the .wf file, its line the .wf line
    where = f" ({frame.f_code.co_filename}:{frame.f_lineno})" if frame is not None else ""
    return MethodNotAValue(
        f"{what} is {kind(value)}, not a value{where}",
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


_STATE = re.compile(r"_wfc_f\d+")  # a state's generated function (not the factory that makes them)
_RESULT_ITEMS = {"list": "list", "sorted": "sorted", "dict": "dict"}
_RESULT = {name: name for name in ("min", "max", "sum", "abs", "round")}
_OPERATORS = {
    "add": "+", "mul": "*", "pow": "**", "lshift": "<<", "mod": "%",
    "iadd": "+=", "imul": "*=", "ipow": "**=", "ilshift": "<<=", "imod": "%=",
}  # fmt: skip
_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
    ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.MatMult: "@",
    ast.USub: "-", ast.UAdd: "+", ast.Invert: "~",
}  # fmt: skip
_COMPARE: dict[type[ast.AST], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}  # fmt: skip
_INPLACE: dict[type[ast.AST], str] = {
    ast.Sub: "isub", ast.Div: "itruediv", ast.FloorDiv: "ifloordiv", ast.RShift: "irshift",
    ast.BitAnd: "iand", ast.BitOr: "ior", ast.BitXor: "ixor", ast.MatMult: "imatmul",
    ast.Add: "iadd", ast.Mult: "imul", ast.Pow: "ipow", ast.LShift: "ilshift", ast.Mod: "imod",
}  # fmt: skip


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def _machines(node: ast.expr) -> bool:
    """A name the lowering or the machine made (``_wfc_it1``, ``_wfc_r``): never a ``.wf`` author's."""
    return isinstance(node, ast.Name) and node.id.startswith("_wfc")


def _names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _unpacked(target: ast.expr) -> bool:
    return isinstance(target, ast.Tuple | ast.List) and not any(isinstance(e, ast.Starred) for e in target.elts)


class _Guard(ast.NodeTransformer):
    def __init__(self) -> None:
        self.temps = 0
        self.function = ""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        # a state's value (the workflow's result, a command's arguments): what leaves .wf code is data
        self.generic_visit(node)
        value = node.value
        if isinstance(value, ast.Constant | ast.IfExp):  # a branch's `True if (test) else False`: a bool
            return node
        if value is not None and _STATE.fullmatch(self.function) and not _machines(value):
            node.value = ast.copy_location(_call("_wfc_shown", value, ast.Constant("returned")), value)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load) or _skipped(node):
            return node
        call = _call("_wfc_attr", node.value, ast.Constant(node.attr))
        return ast.copy_location(call, node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load) or _machines(node.value):
            return node
        index = node.slice
        if isinstance(index, ast.Slice):  # a slice too: a class's own __getitem__ may give anything for one
            none = ast.Constant(None)
            parts = [index.lower or none, index.upper or none, index.step or none]
            return ast.copy_location(_call("_wfc_slice", node.value, *parts), node)
        return ast.copy_location(_call("_wfc_item", node.value, index), node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        return self._result(node, f"x {_SYMBOLS[type(node.op)]} y")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return node  # always a bool
        return self._result(node, f"{_SYMBOLS[type(node.op)]}x")

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if all(isinstance(op, ast.Is | ast.IsNot | ast.In | ast.NotIn) for op in node.ops):
            return node  # always a bool
        if _machines(node.left):
            return node
        return self._result(node, f"x {_COMPARE[type(node.ops[0])]} y")

    def _test(self, test: ast.expr) -> ast.expr:
        """A condition: only its truth is used, so a comparison in it (or in its `and`/`or`/`not`) gives nothing
        a name could hold, and is left unchecked (the common case: `if x < y`, a loop's test)."""
        if isinstance(test, ast.Compare):
            test.left = self.visit(test.left)
            test.comparators = [self.visit(c) for c in test.comparators]
            return test
        if isinstance(test, ast.BoolOp):
            test.values = [self._test(v) for v in test.values]
            return test
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test.operand = self._test(test.operand)
            return test
        out = self.visit(test)
        assert isinstance(out, ast.expr)
        return out

    def visit_If(self, node: ast.If) -> ast.AST:
        node.test = self._test(node.test)
        node.body = [self.visit(n) for n in node.body]
        node.orelse = [self.visit(n) for n in node.orelse]
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        node.test = self._test(node.test)
        node.body = [self.visit(n) for n in node.body]
        node.orelse = [self.visit(n) for n in node.orelse]
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        node.test = self._test(node.test)  # the machine's own `True if (test) else False` of a branch
        node.body = self.visit(node.body)
        node.orelse = self.visit(node.orelse)
        return node

    def _result(self, node: ast.expr, what: str) -> ast.expr:
        return ast.copy_location(_call("_wfc_value", node, ast.Constant(what)), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        # `x -= y` (the budget already rewrote +=, *=, **=, <<=, %= into calls): Python's in-place operator,
        # its result checked before it is bound
        self.generic_visit(node)
        if not isinstance(node.target, ast.Name | ast.Subscript) or _machines(node.target):
            return node
        read: ast.expr = copy.deepcopy(node.target)
        for n in ast.walk(read):
            if hasattr(n, "ctx"):
                n.ctx = ast.Load()
        if isinstance(read, ast.Subscript):
            read = _call("_wfc_item", read.value, read.slice)
        op = _call("_wfc_op", ast.Constant(_INPLACE[type(node.op)]), read, node.value)
        result = _call("_wfc_value", op, ast.Constant(f"x {_SYMBOLS[type(node.op)]}= y"))
        return ast.copy_location(ast.Assign([node.target], ast.copy_location(result, node)), node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        self.generic_visit(node)
        if len(node.targets) != 1:
            return node
        target = node.targets[0]
        if _unpacked(target) and not all(n.startswith("_wfc") for n in _names(target)):
            assert isinstance(target, ast.Tuple | ast.List)
            node.value = ast.copy_location(_call("_wfc_unpack", node.value, ast.Constant(len(target.elts))), node)
        elif isinstance(target, ast.Name) and not target.id.startswith("_wfc") and _loop_next(node.value):
            node.value = ast.copy_location(_call("_wfc_bound", node.value, ast.Constant(target.id)), node)
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        # `for v in xs` binds through a name of the machine's, then `v` from it, checked: a method is never
        # bound to a .wf name (not even for a handler around the loop to see)
        self.generic_visit(node)
        target = node.target
        names = _names(target)
        if not names or all(n.startswith("_wfc") for n in names):
            return node
        self.temps += 1
        temp = f"_wfc_g{self.temps}"
        value: ast.expr
        if _unpacked(target):
            assert isinstance(target, ast.Tuple | ast.List)
            value = _call("_wfc_unpack", ast.Name(temp, ast.Load()), ast.Constant(len(target.elts)))
        elif isinstance(target, ast.Name):
            value = _call("_wfc_bound", ast.Name(temp, ast.Load()), ast.Constant(target.id))
        else:
            return node
        bind = ast.copy_location(ast.Assign([target], ast.copy_location(value, node)), node)
        node.target = ast.copy_location(ast.Name(temp, ast.Store()), target)
        node.body.insert(0, bind)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        # a comprehension's names die with it: checked as its first condition, nothing can see them after
        self.generic_visit(node)
        names = [n for n in _names(node.target) if not n.startswith("_wfc")]
        if names:
            loads = [ast.Name(n, ast.Load()) for n in names]
            check = _call("_wfc_each", ast.Tuple([ast.Constant(n) for n in names], ast.Load()), *loads)
            node.ifs.insert(0, ast.copy_location(check, node.target))
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        # The callee of a call is always the lowering's (`str.upper(s)`, `list(d.keys())`, `shop.charge(x)`,
        # `wfc.log.info(m)`): `.wf` calls no methods, so the attributes along it are left as they are.
        node.func = self._callee(node.func)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        func = node.func
        name = func.id.removeprefix("_wfc_") if isinstance(func, ast.Name) else ""
        if isinstance(func, ast.Name) and func.id.startswith("_wfc_") and name in _OPERATORS:
            return node  # the budget's +, *, **, <<, % check their results themselves (wfc.runtime.budget)
        if isinstance(func, ast.Name) and func.id == "_wfc_loop":
            return ast.copy_location(_call("_wfc_looped", node), node)
        if isinstance(func, ast.Name) and name in _RESULT_ITEMS:
            return ast.copy_location(_call("_wfc_items", node, ast.Constant(f"{name}(...)")), node)
        if isinstance(func, ast.Name) and name in _RESULT:
            return self._result(node, f"{name}(...)")
        if isinstance(func, ast.Name) and name == "reversed":
            return ast.copy_location(_call("_wfc_reversal", node), node)
        if (isinstance(func, ast.Name) and name == "str") or not _builtin(func):
            # made into text, or handed to a step, a workflow, an error, the log: data all through
            how = "made into text" if isinstance(func, ast.Name) and name == "str" else "handed to a call"
            node.args = [self._shown(a, how) for a in node.args]
            node.keywords = [ast.keyword(k.arg, self._shown(k.value, how)) for k in node.keywords]
        return node

    def _shown(self, e: ast.expr, how: str) -> ast.expr:
        if isinstance(e, ast.Constant | ast.JoinedStr | ast.Starred) or _machines(e):
            return e
        return ast.copy_location(_call("_wfc_shown", e, ast.Constant(how)), e)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        node.value = ast.copy_location(_call("_wfc_shown", node.value), node.value)
        return node

    def _callee(self, func: ast.expr) -> ast.expr:
        if isinstance(func, ast.Attribute):
            func.value = self._callee(func.value)
            return func
        out = self.visit(func)
        assert isinstance(out, ast.expr)
        return out


def _builtin(func: ast.expr) -> bool:
    """A callee whose arguments stay inside .wf code: a built-in, or the machine's own (``_wfc_loop``)."""
    if isinstance(func, ast.Name):
        return func.id.startswith("_wfc") or func.id in _BUILTIN_NAMES
    return isinstance(func, ast.Attribute) and _machines(func.value)  # `_wfc_str.upper(s)`, `_wfc_it1.next()`


_BUILTIN_NAMES = frozenset(
    {"len", "str", "int", "float", "bool", "list", "dict", "min", "max", "sum", "sorted", "range", "round",
     "abs", "enumerate", "zip", "reversed"}
)  # fmt: skip


def _loop_next(value: ast.expr) -> bool:
    """``_wfc_it1.next()``: the item a loop whose body suspends gives."""
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "next"
        and _machines(value.func.value)
    )


def guard(tree: ast.Module) -> ast.Module:
    """Route every attribute read of a ``.wf`` table's generated module through :func:`read`, and every item
    read through :func:`item`."""
    out = _Guard().visit(tree)
    ast.fix_missing_locations(out)
    assert isinstance(out, ast.Module)
    return out


def bound(v: Any, name: str) -> Any:
    """The item a ``for`` loop gives, before it is bound to ``name`` (``_wfc_bound``)."""
    if type(v) not in _PLAIN and is_method(v):
        raise _refused(f"`{name}`, an item of the loop,", v)
    return v


def looped(loop: Any) -> Any:
    """A loop whose body suspends (``_wfc_looped(_wfc_loop(...))``): what it goes through is persisted with the
    workflow, so no method may sit in it (the codec would refuse it with its text, and its address)."""
    stack = [loop]
    while stack:
        each_loop = stack.pop()
        if each_loop.seq is not None:
            shown(each_loop.seq, "that a loop goes through")
        stack.extend(each_loop.inner or ())
    return loop


def _op(name: str, a: Any, b: Any) -> Any:
    return getattr(operator, name)(a, b)


INTRINSICS: dict[str, Any] = {
    "_wfc_attr": read,
    "_wfc_item": item,
    "_wfc_slice": sliced,
    "_wfc_value": value,
    "_wfc_each": each,
    "_wfc_bound": bound,
    "_wfc_unpack": unpack,
    "_wfc_items": items,
    "_wfc_shown": shown,
    "_wfc_op": _op,
    "_wfc_looped": looped,
    "_wfc_reversal": reversal,
}
