"""Budgets: what one workflow may cost a worker, so that no workflow — however written — stalls or stops it.

A ``.wf`` author may be a platform's customer, so ``.wf`` code runs *metered*. When a ``.wf`` table is linked, its
generated module is instrumented (:func:`instrument`): every loop iteration, every comprehension element and every
state the machine enters costs one unit of *fuel*; operations that can build a huge value at C speed in one step
(``+``, ``*``, ``**``, ``<<``, ``join``, ``replace``, consuming a ``range``) check the size of their result first and
charge for C-level iteration. (The five operators it wraps also check that their result is no method, the rule of
:mod:`wfc.runtime.attribute_guard`, which wraps every other operator itself.) The table (and its hash) does not change: only the code linked from it.

Exhausting a budget raises :class:`Exceeded`, a :class:`BaseException` that workflow code cannot catch (``catch``
lowers to ``except Exception``; the machine does not dispatch it to handlers): it ends the *instance*, failed with
a :class:`BudgetExceeded` error and its own code, never the worker.

The limits (:class:`Limits`) are the platform's: ``Runtime(limits=wfc.Limits(...))``. Fuel and value sizes are
per transition of ``.wf`` code; transitions without progress, fan-out width, child nesting and live descendants
apply to every workflow in the durable runtime. The fuel counter lives in a thread-local: transitions of several
runtimes on several threads never share it.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import operator
import re
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

import attrs

from wfc.commands import register_error
from wfc.errors import WorkflowRuntimeError
from wfc.runtime import attribute_guard


@attrs.frozen
class Limits:
    """What one workflow may cost (each ``None`` or a positive whole number; see ``docs/runtime.md``).

    * ``operations``: fuel per transition of ``.wf`` code — loop iterations, comprehension elements, states
      entered, elements a built-in iterates over at C speed (``WFC450``);
    * ``value_length``: the largest string, list or dict (characters or items) or int (bits) one operation in
      ``.wf`` code may build (``WFC451``);
    * ``idle_transitions``: suspensions in a row whose outcome is known at once without waiting for anything
      (``sleep 0``, a zero timeout) (``WFC452``);
    * ``fanout``: commands in one ``all_of``/``any_of`` (``WFC453``);
    * ``child_depth``: how deep child workflows may nest below their root instance (``WFC454``);
    * ``descendants``: live instances (children, grandchildren...) under one root instance (``WFC454``).
    """

    operations: int | None = 1_000_000
    value_length: int | None = 10_000_000
    idle_transitions: int | None = 1_000
    fanout: int | None = 10_000
    child_depth: int | None = 32
    descendants: int | None = 10_000

    def __attrs_post_init__(self) -> None:
        from wfc.runtime.errors import ConfigError

        for field in attrs.fields(Limits):
            value = getattr(self, field.name)
            if value is not None and (type(value) is not int or value < 1):
                raise ConfigError(
                    f"Limits({field.name}=...) must be a whole number >= 1 or None (got {value!r})",
                    hint="None lifts the limit; see docs/runtime.md, 'Limits'",
                )


DEFAULT_LIMITS = Limits()


class BudgetExceeded(WorkflowRuntimeError):
    """A workflow went over one of the platform's :class:`Limits`: the instance fails with a subclass of this
    (one per limit, each with its code)."""

    code = "WFC450"


class OutOfFuel(BudgetExceeded):
    """``.wf`` code ran more operations in one transition than ``Limits.operations`` (``WFC450``)."""

    code = "WFC450"


class ValueTooLong(BudgetExceeded):
    """``.wf`` code would build a value longer than ``Limits.value_length`` (``WFC451``)."""

    code = "WFC451"


class NoProgress(BudgetExceeded):
    """More suspensions in a row that waited for nothing than ``Limits.idle_transitions`` (``WFC452``)."""

    code = "WFC452"


class FanoutTooWide(BudgetExceeded):
    """One ``all_of``/``any_of`` with more commands than ``Limits.fanout`` (``WFC453``)."""

    code = "WFC453"


class TooManyChildren(BudgetExceeded):
    """Child workflows nested deeper than ``Limits.child_depth``, or more live descendants of one root than
    ``Limits.descendants`` (``WFC454``)."""

    code = "WFC454"


_ERRORS: dict[str, type[BudgetExceeded]] = {
    cls.code: cls for cls in (OutOfFuel, ValueTooLong, NoProgress, FanoutTooWide, TooManyChildren)
}


class Exceeded(BaseException):
    """Raised where a budget runs out; uncatchable by workflow code. ``error``: what the instance fails with."""

    def __init__(self, error: BudgetExceeded) -> None:
        super().__init__(str(error))
        self.error = error


def error(code: str, message: str, hint: str) -> BudgetExceeded:
    return _ERRORS[code](message, hint=hint)


def exceeded(code: str, message: str, hint: str) -> Exceeded:
    return Exceeded(error(code, message, hint))


class Interrupted(BaseException):
    """The worker was told to stop at once (a second signal) while a transition ran: the transition is abandoned
    (its transaction rolls back; it runs again elsewhere). Only raised by the worker's signal handler."""


class UserInterrupt(Interrupted, KeyboardInterrupt):
    """Ctrl-C while a transition ran on the main thread (see :func:`keyboard_interrupts`)."""


_interrupt = threading.Event()


def request_interrupt() -> None:
    """The worker's signal handler is about to raise :class:`Interrupted` in a running transition."""
    _interrupt.set()


def interrupt_requested() -> bool:
    """Whether an :class:`Interrupted` reaching the engine was asked for (else it came from workflow data)."""
    return _interrupt.is_set()


def clear_interrupt() -> None:
    _interrupt.clear()


@contextlib.contextmanager
def keyboard_interrupts() -> Iterator[None]:
    """Ctrl-C while transitions run in this (main) thread abandons the transaction — it rolls back and runs
    again later — instead of reaching workflow code, which would treat the ``KeyboardInterrupt`` as its own (a
    handler, or a failed instance). The caller still gets a ``KeyboardInterrupt``."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return

    def handler(signum: int, frame: object) -> None:
        request_interrupt()
        raise UserInterrupt()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        clear_interrupt()


# ---- fuel ---------------------------------------------------------------------------------------------------------


class _Meter(threading.local):
    def __init__(self) -> None:
        self.left = 1 << 62
        self.limits = DEFAULT_LIMITS


METER = _Meter()
_NO_LIMIT = 1 << 62


def use(limits: Limits) -> None:
    """The limits transitions on this thread run under (the engine sets its runtime's before each cycle)."""
    METER.limits = limits


def current() -> Limits:
    return METER.limits


def refill() -> None:
    """A metered transition starts with a full tank."""
    ops = METER.limits.operations
    METER.left = _NO_LIMIT if ops is None else ops


def _out_of_fuel() -> Exceeded:
    ops = METER.limits.operations
    return exceeded(
        "WFC450",
        f"the workflow's code ran more than {ops:,} operations (loop iterations, states, elements) without "
        "reaching a step: an endless loop?",
        "end the loop, or move the work into a step; the platform sets the limit: Limits(operations=...)",
    )


def tick() -> bool:
    """One unit of fuel (a loop iteration, a comprehension element, a state). ``True``: usable as a filter."""
    meter = METER
    meter.left -= 1
    if meter.left < 0:
        raise _out_of_fuel()
    return True


def charge(units: int) -> None:
    """``units`` of fuel at once: work a built-in does at C speed (elements it iterates over)."""
    meter = METER
    meter.left -= units
    if meter.left < 0:
        raise _out_of_fuel()


# ---- value sizes --------------------------------------------------------------------------------------------------


def _too_large(what: str, size: int) -> Exceeded:
    limit = METER.limits.value_length
    return exceeded(
        "WFC451",
        f"the workflow's code would build {what} of {size:,} {'bits' if what == 'a number' else 'elements'}, "
        f"over the limit of {limit:,}",
        "keep large data outside the workflow (a step can store it and pass its id); the platform sets the "
        "limit: Limits(value_length=...)",
    )


def _check_len(n: int) -> None:
    limit = METER.limits.value_length
    if limit is not None and n > limit:
        raise _too_large("a value", n)


def _check_bits(n: int) -> None:
    limit = METER.limits.value_length
    if limit is not None and n > limit:
        raise _too_large("a number", n)


def _size(x: Any) -> int | None:
    if isinstance(x, str | bytes | list | tuple | dict):
        return len(x)
    return None


def _int(x: Any) -> bool:
    return type(x) is int or type(x) is bool


# operator's in-place functions are untyped for mypy; the same functions, typed
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    name: cast(Callable[[Any, Any], Any], getattr(operator, name))
    for name in ("iadd", "imul", "ipow", "ilshift", "imod")
}


# Fast paths first: numbers cannot grow much from one `+` or `*` of small numbers (the common case in loops);
# only sequences, long ints and powers are measured.
_SMALL_BITS = 64


_NUMBERS = (int, float)
_checked = attribute_guard.value  # an operator's result is data, never a method (an application's __add__...)


def _add(a: Any, b: Any) -> Any:
    ta = type(a)
    if (ta is int or ta is float) and type(b) in _NUMBERS:
        return a + b
    sa = _size(a)
    if sa is not None:
        sb = _size(b)
        if sb is not None:
            _check_len(sa + sb)
    return _checked(a + b, "x + y")


def _iadd(a: Any, b: Any) -> Any:
    ta = type(a)
    if (ta is int or ta is float) and type(b) in _NUMBERS:
        return a + b
    sa = _size(a)
    if sa is not None:
        sb = _size(b) if not isinstance(b, range) else len(b)
        if sb is not None:
            _check_len(sa + sb)
    return _checked(_INPLACE["iadd"](a, b), "x += y")


def _repeat_size(a: Any, b: Any) -> None:
    if _int(b):
        sa = _size(a)
        if sa is not None:
            _check_len(sa * max(b, 0))
    elif _int(a):
        sb = _size(b)
        if sb is not None:
            _check_len(sb * max(a, 0))
    if _int(a) and _int(b):
        _check_bits(abs(a).bit_length() + abs(b).bit_length())


def _mul(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if (ta is float and tb in _NUMBERS) or (tb is float and ta in _NUMBERS) or (
        ta is int and tb is int and a.bit_length() + b.bit_length() <= _SMALL_BITS
    ):
        return a * b
    _repeat_size(a, b)
    return _checked(a * b, "x * y")


def _imul(a: Any, b: Any) -> Any:
    _repeat_size(a, b)
    return _checked(_INPLACE["imul"](a, b), "x *= y")


def _pow_size(a: Any, b: Any) -> None:
    if _int(a) and _int(b) and b > 0 and abs(a) > 1:
        _check_bits((abs(a).bit_length() - 1) * b)


def _pow(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if (ta is float and tb in _NUMBERS) or (tb is float and ta in _NUMBERS):
        return a**b
    _pow_size(a, b)
    return _checked(a**b, "x ** y")


def _ipow(a: Any, b: Any) -> Any:
    _pow_size(a, b)
    return _checked(_INPLACE["ipow"](a, b), "x **= y")


def _lshift_size(a: Any, b: Any) -> None:
    if _int(a) and _int(b) and a and b > 0:
        _check_bits(abs(a).bit_length() + b)


def _lshift(a: Any, b: Any) -> Any:
    _lshift_size(a, b)
    return _checked(a << b, "x << y")


def _ilshift(a: Any, b: Any) -> Any:
    _lshift_size(a, b)
    return _checked(_INPLACE["ilshift"](a, b), "x <<= y")


_PERCENT = re.compile(r"%[-#0 +]*(\d*)(?:\.(\d+))?")
_SPEC = re.compile(r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)(?:[,_])?(?:\.(\d+))?")


def _widths(matches: Iterable[re.Match[str]]) -> int:
    return max((int(g) for m in matches for g in m.groups() if g), default=0)


def _mod(a: Any, b: Any) -> Any:
    if type(a) is not str:
        return _checked(a % b, "x % y")
    if "%" in a:
        _check_len(_widths(_PERCENT.finditer(a)))
    return a % b  # a str's % gives a str


def _imod(a: Any, b: Any) -> Any:
    if isinstance(a, str) and "%" in a:
        _check_len(_widths(_PERCENT.finditer(a)))
    return _checked(_INPLACE["imod"](a, b), "x %= y")


def _wide(value: Any, width: int) -> Any:
    """An interpolation whose format spec asks for ``width`` characters."""
    _check_len(width)
    return value


def _hint(x: Any) -> int:
    try:
        return operator.length_hint(x)
    except Exception:
        return 0


def _consume(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in that iterates over its argument at C speed: charged one unit per element first."""

    def metered(*args: Any, **kwargs: Any) -> Any:
        if args:
            n = _hint(args[0]) if len(args) == 1 else len(args)
            charge(n)
            if fn is list or fn is sorted or fn is dict:
                _check_len(n)
        return fn(*args, **kwargs)

    metered.__name__ = metered.__qualname__ = getattr(fn, "__name__", "builtin")
    return metered


_LAZY = 10_000


def _lazy(fn: Callable[..., Iterable[Any]]) -> Callable[..., Any]:
    """``enumerate``/``zip``/``reversed`` over something long: a generator that ticks per element (Python would
    iterate lazily too), so a consumer cannot run it at C speed unmetered."""

    def metered(*args: Any, **kwargs: Any) -> Any:
        it = fn(*args, **kwargs)
        if max((_hint(a) for a in args), default=0) <= _LAZY:
            return it
        return _ticking(it)

    metered.__name__ = metered.__qualname__ = getattr(fn, "__name__", "builtin")
    return metered


def _ticking(it: Iterable[Any]) -> Any:
    for x in it:
        tick()
        yield x


class _Str:
    """``str`` as ``.wf`` code reaches it (``str(x)``, ``str.join``, ``str.replace``...), with the two methods
    that can multiply a string's size checked first."""

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        return str(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(str, name)

    @staticmethod
    def join(sep: str, items: Any) -> str:
        if type(items) is not list and type(items) is not tuple:
            charge(_hint(items))
            items = list(items)
        else:
            charge(len(items))
        if isinstance(sep, str):
            _check_len(len(sep) * max(len(items) - 1, 0) + sum(len(x) for x in items if isinstance(x, str)))
        return str.join(sep, items)

    @staticmethod
    def replace(s: str, old: str, new: str, *count: int) -> str:
        if isinstance(s, str) and isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
            n = s.count(old) if old else len(s) + 1
            _check_len(len(s) + n * (len(new) - len(old)))
        return str.replace(s, old, new, *count)


_BINOPS: dict[type[ast.operator], tuple[str, str]] = {
    ast.Add: ("_wfc_add", "_wfc_iadd"),
    ast.Mult: ("_wfc_mul", "_wfc_imul"),
    ast.Pow: ("_wfc_pow", "_wfc_ipow"),
    ast.LShift: ("_wfc_lshift", "_wfc_ilshift"),
    ast.Mod: ("_wfc_mod", "_wfc_imod"),
}

_WRAPPED = {
    "list": "_wfc_list",
    "sorted": "_wfc_sorted",
    "sum": "_wfc_sum",
    "min": "_wfc_min",
    "max": "_wfc_max",
    "dict": "_wfc_dict",
    "enumerate": "_wfc_enumerate",
    "zip": "_wfc_zip",
    "reversed": "_wfc_reversed",
    "str": "_wfc_str",
}

INTRINSICS: dict[str, Any] = {
    "_wfc_tick": tick,
    "_wfc_add": _add,
    "_wfc_iadd": _iadd,
    "_wfc_mul": _mul,
    "_wfc_imul": _imul,
    "_wfc_pow": _pow,
    "_wfc_ipow": _ipow,
    "_wfc_lshift": _lshift,
    "_wfc_ilshift": _ilshift,
    "_wfc_mod": _mod,
    "_wfc_imod": _imod,
    "_wfc_wide": _wide,
    "_wfc_list": _consume(list),
    "_wfc_sorted": _consume(sorted),
    "_wfc_sum": _consume(sum),
    "_wfc_min": _consume(min),
    "_wfc_max": _consume(max),
    "_wfc_dict": _consume(dict),
    "_wfc_enumerate": _lazy(enumerate),
    "_wfc_zip": _lazy(zip),
    "_wfc_reversed": _lazy(reversed),
    "_wfc_str": _Str(),
    **attribute_guard.INTRINSICS,
}
"""The names instrumented code calls (reserved ``_wfc_`` names: never a ``.wf`` author's)."""


def _tick_stmt(node: ast.AST) -> ast.stmt:
    call = ast.Expr(ast.Call(ast.Name("_wfc_tick", ast.Load()), [], []))
    return ast.copy_location(call, node)


class _Instrument(ast.NodeTransformer):
    def __init__(self, stored: set[str]) -> None:
        self.stored = stored  # names the code binds: never renamed to a metered built-in

    def _loop(self, node: ast.While | ast.For) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, _tick_stmt(node))
        return node

    visit_While = _loop
    visit_For = _loop

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        tick = ast.copy_location(ast.Call(ast.Name("_wfc_tick", ast.Load()), [], []), node.target)
        node.ifs.insert(0, tick)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        names = _BINOPS.get(type(node.op))
        if names is None:
            return node
        call = ast.Call(ast.Name(names[0], ast.Load()), [node.left, node.right], [])
        return ast.copy_location(call, node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        names = _BINOPS.get(type(node.op))
        if names is None or not isinstance(node.target, ast.Name | ast.Subscript):
            return node
        load = _as_load(node.target)
        call = ast.copy_location(ast.Call(ast.Name(names[1], ast.Load()), [load, node.value], []), node)
        return ast.copy_location(ast.Assign([node.target], call), node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        wrapped = _WRAPPED.get(node.id)
        if wrapped is not None and isinstance(node.ctx, ast.Load) and node.id not in self.stored:
            return ast.copy_location(ast.Name(wrapped, ast.Load()), node)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        spec = node.format_spec
        if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
            text = "".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))
            match = _SPEC.match(text)
            width = _widths([match]) if match else 0
            if width > _LAZY:
                wide = ast.Call(ast.Name("_wfc_wide", ast.Load()), [node.value, ast.Constant(width)], [])
                node.value = ast.copy_location(wide, node.value)
        return node


def _as_load(target: ast.Name | ast.Subscript) -> ast.expr:
    """The target of ``x op= y`` read as a value (``.wf`` subscripts are pure: reading them twice is safe)."""
    load = copy.deepcopy(target)
    for node in ast.walk(load):
        if hasattr(node, "ctx"):
            node.ctx = ast.Load()
    return load


def _stored(tree: ast.AST) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
    return out


def instrument(tree: ast.Module) -> ast.Module:
    """Meter the generated module of a ``.wf`` table (see the module docstring), and guard its attribute reads
    (:mod:`wfc.runtime.attribute_guard`: a method is not a value in ``.wf``)."""
    out = _Instrument(_stored(tree)).visit(tree)
    ast.fix_missing_locations(out)
    assert isinstance(out, ast.Module)
    return attribute_guard.guard(out)


register_error(BudgetExceeded)
for _cls in _ERRORS.values():
    register_error(_cls)  # a child's failure re-raised with its own type in its parent


__all__ = [
    "DEFAULT_LIMITS",
    "BudgetExceeded",
    "Exceeded",
    "Interrupted",
    "Limits",
    "charge",
    "instrument",
    "tick",
]
