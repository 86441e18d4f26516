"""What a ``.wf`` name can mean: reserved words, the built-in functions, catchable error types, and the attribute
rule. This module is the compile-time half of the sandbox (:mod:`wfc.dsl.sandbox` is the run-time half).

The attribute rule: ``value.attr`` is rejected by its name when ``attr`` starts with ``_`` (dunders and private
names) or is in :data:`BLOCKED_ATTRIBUTES` (frame, code and generator introspection, ``mro``,
``format``/``format_map``, which can reach attributes by name from a string), or is a Python keyword (the
lowered code could not spell it). Whether it is a *method* (which is not a value in ``.wf``: only built-ins are
called, and a bound method's text shows a memory address) is decided by what it is, never by its name, so a
data class field named ``count`` reads as data: by the checks when the file shows the value's class
(:mod:`wfc.dsl.valueclasses`), at run time otherwise (:mod:`wfc.runtime.attribute_guard`).
"""

from __future__ import annotations

import difflib
import keyword
from collections.abc import Iterable

import attrs

WF_KEYWORDS = frozenset(
    {
        "import",
        "workflow",
        "if",
        "elif",
        "else",
        "while",
        "for",
        "in",
        "break",
        "continue",
        "try",
        "catch",
        "finally",
        "return",
        "fail",
        "raise",
        "log",
        "sleep",
        "wait",
        "all",
        "first",
        "and",
        "or",
        "not",
        "true",
        "false",
        "null",
        "with",
    }
)
"""Words that are keywords where a statement or an expression may start, so can never name a variable.
(``name``, ``retry``, ``timeout``, ``of``... are keywords only after ``with``/``wait``/``all``, and free names
elsewhere.)"""

HELPERS_NAME = "wfc"
"""The name the lowered code reaches the wfc helpers by; a .wf file cannot use it."""

RESERVED = WF_KEYWORDS | frozenset(keyword.kwlist) | {HELPERS_NAME}


def is_reserved(name: str) -> bool:
    """Whether ``name`` can never be a variable: a keyword, ``wfc``, or private (``_x``; ``_`` alone is fine)."""
    return name in RESERVED or (name.startswith("_") and name != "_")


BLOCKED_ATTRIBUTES = frozenset(
    {
        # generators, coroutines, async generators
        "gi_frame", "gi_code", "gi_yieldfrom", "gi_running", "gi_suspended",
        "cr_frame", "cr_code", "cr_await", "cr_origin", "cr_running", "cr_suspended",
        "ag_frame", "ag_code", "ag_await", "ag_running",
        # frames and tracebacks
        "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "f_trace", "f_lasti", "f_lineno",
        "tb_frame", "tb_next", "tb_lasti", "tb_lineno",
        # code objects and Python 2 style function attributes
        "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_cellvars", "co_freevars",
        "func_globals", "func_code", "func_closure", "func_defaults", "func_dict",
        "im_func", "im_self", "im_class",
        # type introspection and string formatting by attribute name
        "mro", "format", "format_map", "with_traceback",
        # wfc's own definitions: a step's function, a Python workflow's module globals
        "fn", "namespace",
    }
)  # fmt: skip


def attribute_problem(name: str) -> str | None:
    """Why ``.name`` may not be used, or ``None`` when it may."""
    if name.startswith("_"):
        return "names starting with `_` are private"
    if name in BLOCKED_ATTRIBUTES:
        return "it gives access to the interpreter's internals"
    if keyword.iskeyword(name):
        return "it is a Python keyword, so no value has such an attribute"
    return None


@attrs.frozen
class Builtin:
    """A built-in function: its arity, keyword arguments, and how it is spelled in the lowered Python.

    ``style``: ``"call"`` (``len(x)``), ``"helper"`` (``wfc.now()``), ``"view"`` (``list(d.keys())``, and
    ``d.keys()`` as the iterable of a ``for``), ``"str"`` (``str.upper(s)``, which raises for a non-string).
    """

    name: str
    min_args: int
    max_args: int | None
    keywords: frozenset[str] = frozenset()
    style: str = "call"
    python: str = ""

    @property
    def target(self) -> str:
        return self.python or self.name


def _b(
    name: str, lo: int, hi: int | None, kw: Iterable[str] = (), style: str = "call", python: str = ""
) -> Builtin:
    return Builtin(name, lo, hi, frozenset(kw), style, python)


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        _b("len", 1, 1),
        _b("str", 0, 1),
        _b("int", 1, 2),
        _b("float", 0, 1),
        _b("bool", 0, 1),
        _b("list", 0, 1),
        _b("dict", 0, 1),
        _b("min", 1, None, ["default"]),
        _b("max", 1, None, ["default"]),
        _b("sum", 1, 2, ["start"]),
        _b("sorted", 1, 1, ["reverse"]),
        _b("range", 1, 3),
        _b("round", 1, 2),
        _b("abs", 1, 1),
        _b("enumerate", 1, 2, ["start"]),
        _b("zip", 1, None),
        _b("reversed", 1, 1),
        _b("keys", 1, 1, style="view"),
        _b("values", 1, 1, style="view"),
        _b("items", 1, 1, style="view"),
        _b("now", 0, 0, style="helper", python="now"),
        _b("random", 0, 0, style="helper", python="random"),
        _b("uuid", 0, 0, style="helper", python="uuid4"),
        _b("set_status", 2, 2, style="helper", python="set_status"),
        _b("continue_as_new", 0, None, style="helper", python="continue_as_new"),
        _b("upper", 1, 1, style="str"),
        _b("lower", 1, 1, style="str"),
        _b("strip", 1, 1, style="str"),
        _b("split", 1, 2, style="str"),
        _b("join", 2, 2, style="str"),
        _b("replace", 3, 3, style="str"),
        _b("startswith", 2, 2, style="str"),
        _b("endswith", 2, 2, style="str"),
    )
}

EFFECTS = frozenset({"set_status"})
"""Built-ins called for what they do, not for a value: a statement of its own may be one."""

LOWERING_NAMES = frozenset({"list", "str"})
"""Built-ins the lowered code calls on its own (``list(d.keys())``, ``str.upper(s)``): no variable may hide them."""

PYTHON_BUILTINS = frozenset(b.name for b in BUILTINS.values() if b.style == "call") | LOWERING_NAMES
"""Python built-ins the lowered code calls (``view`` lowers to ``list(...)``, ``str`` style to ``str.x``)."""

BUILTIN_ERRORS = frozenset(
    {
        "Exception", "ArithmeticError", "AttributeError", "ConnectionError", "FileNotFoundError", "IndexError",
        "KeyError", "LookupError", "NotImplementedError", "OSError", "OverflowError", "PermissionError",
        "RuntimeError", "TimeoutError", "TypeError", "UnicodeError", "ValueError", "ZeroDivisionError",
    }
)  # fmt: skip
"""Python exception types a ``catch`` may name and ``raise`` may construct, spelled as in Python."""

WFC_ERRORS = frozenset({"StepFailed", "Timeout", "WorkflowFailed"})
"""wfc's exception types, reached as ``wfc.StepFailed`` etc. in the lowered code."""

HELPERS = frozenset(
    {"sleep", "wait_event", "all_of", "any_of", "now", "random", "uuid4", "set_status", "log", "RetryPolicy",
     "continue_as_new", "start_child", "join"}
    | WFC_ERRORS
)
"""Everything the lowered code may reach through ``wfc.``."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None
