"""Python's own warnings while wfc parses or compiles code: kept apart from the process's warnings.

CPython warns while parsing (``"\\d"``: an invalid escape, a ``DeprecationWarning`` before 3.12) and compiling
(``x is 1``, ``assert (x, "msg")``, ``[1, 2][1.5]``: ``SyntaxWarning``). wfc parses and compiles a workflow's code
several times — its source, snippets of it, the state table's code, the module linked from the table — and each
time CPython would warn again, under a name that is not the user's file (``<order>``, ``<shop:w:L9.resume>``) or
at a line of a snippet. So every such call runs through :func:`quietly`: the warnings it raises are returned to
the caller instead of shown, and are never turned into errors by the process's filters (``-W error`` must not
make a workflow fail to link). The front ends report the ones about the user's code as diagnostics at the user's
file and line (``WFC116`` for Python, ``WFC160`` for ``.wf``); the others are wfc's own and dropped.

Thread safety. ``warnings.catch_warnings`` is not usable here: it swaps the process's whole warnings state
(the filter list and the function that shows a warning) and restores a snapshot when it ends, so a compile on a
worker's registry thread that overlaps another thread's own ``catch_warnings`` (a step, a library, pytest)
records that thread's warnings as its own (and shows them again from the compiling thread, where an ``error``
filter raises them), and when the two blocks do not end in the order they began, leaves the process recording
every later warning into a list nobody reads. :func:`quietly` changes nothing another thread can see:

* Its filters (``always`` for ``SyntaxWarning`` and ``DeprecationWarning``) sit permanently at the front of the
  process's filter list, and match only in a thread inside :func:`quietly`, only for the file it compiles: a
  filter's module pattern is any object with a ``match`` method, and :class:`_Here` answers from a thread-local.
  To every other thread (and to this one outside a block) they match nothing, so snapshots other threads take
  and restore carry them along harmlessly. Each block puts them back in front if the list was replaced or a
  filter was inserted before them since (``simplefilter("error")``), and runs its action again if that happened
  *while* it ran (parsing and compiling are pure; the run that kept them throughout is the one reported).
* ``warnings._showwarnmsg`` (the hook CPython calls to show a warning; its docstring invites replacing it, and
  ``catch_warnings`` never touches it) is replaced for the block by a router: a warning raised in this thread
  about the file is recorded, anything else goes at once, untouched, to the hook that was there, so another
  thread's warning is shown, recorded or raised exactly as without wfc. A lock runs wfc's own blocks one at a
  time, so the hook is always restored in the order it was installed (the same lock keeps wfc's AST conversions
  apart, which CPython 3.11 cannot run on two threads at once: :mod:`wfc._ast_lock`).

What Python itself makes process-wide stays so: a filter another thread puts in front *while* a block runs
applies to the block too (the block then runs again, up to five times). ``tests/compiler/test_python_warnings.py``
compiles on several threads beside a thread cycling through ``catch_warnings`` blocks of its own, under an
``error`` filter.
"""

from __future__ import annotations

import ast
import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

from wfc._ast_lock import AST_LOCK

_T = TypeVar("_T")
_CATEGORIES = (SyntaxWarning, DeprecationWarning)
# wfc's own blocks run one at a time (the router is always removed in the order it was installed), and so do
# its AST conversions, which CPython 3.11 cannot run on two threads at once (wfc._ast_lock)
_lock = AST_LOCK
_ATTEMPTS = 5


class _Here(threading.local):
    """The module pattern of wfc's filters: matches the module name of the file being compiled, in the thread
    compiling it (CPython calls ``pattern.match(module)``)."""

    module: str | None = None

    def match(self, module: str) -> bool:
        return module == self.module

    def __repr__(self) -> str:
        return "<wfc: the file wfc compiles in this thread>"


_HERE = _Here()
_FILTERS: list[tuple[Any, ...]] = [("always", None, category, _HERE, 0) for category in _CATEGORIES]


def _module(filename: str) -> str:
    """The module name CPython gives a warning about ``filename`` (what a filter's module pattern matches)."""
    if not filename:
        return "<unknown>"
    return filename[:-3] if filename.endswith(".py") else filename


def _in_front() -> list[tuple[Any, ...]]:
    """wfc's filters at the front of the current filter list (moved there in place if they are not)."""
    current = cast(list[tuple[Any, ...]], warnings.filters)
    if current[: len(_FILTERS)] != _FILTERS:
        for f in _FILTERS:
            while f in current:
                current.remove(f)
        current[:0] = _FILTERS
        warnings._filters_mutated()  # type: ignore[attr-defined]
    return current


def _kept(installed: list[tuple[Any, ...]]) -> bool:
    return warnings.filters is installed and installed[: len(_FILTERS)] == _FILTERS


def quietly(action: Callable[[], _T], filename: str) -> tuple[_T, list[warnings.WarningMessage]]:
    """Run ``action`` (a parse or compile of code named ``filename``) and return its result and the parser's
    and compiler's warnings about ``filename`` (see the module docstring: safe beside other threads)."""
    thread = threading.get_ident()
    with _lock:
        shown: Any = warnings._showwarnmsg  # type: ignore[attr-defined]
        own: list[warnings.WarningMessage] = []

        def route(msg: warnings.WarningMessage) -> None:
            mine = threading.get_ident() == thread and msg.filename == filename
            if mine and issubclass(msg.category, _CATEGORIES):
                own.append(msg)
            else:
                shown(msg)  # another thread's, or about another file: as if wfc were not there

        warnings._showwarnmsg = route  # type: ignore[attr-defined]
        _HERE.module = _module(filename)
        try:
            for attempt in range(_ATTEMPTS):
                own.clear()
                installed = _in_front()
                try:
                    result = action()
                except SyntaxError:  # perhaps a warning that a filter put in front of wfc's made an error
                    if _kept(installed) or attempt == _ATTEMPTS - 1:
                        raise
                    continue
                if _kept(installed):
                    break
        finally:
            _HERE.module = None
            if warnings._showwarnmsg is route:  # type: ignore[attr-defined]
                warnings._showwarnmsg = shown  # type: ignore[attr-defined]
    return result, own


def silently(action: Callable[[], _T], filename: str) -> _T:
    """:func:`quietly` for code wfc generated, whose warnings were reported when it was compiled (or concern
    only wfc's own text)."""
    return quietly(action, filename)[0]


def hint(message: str) -> str:
    """What to do about one of Python's warnings (its text as CPython words it)."""
    if message.startswith(('"is" with a literal', '"is not" with a literal')):
        return "compare values with `==` or `!=`: `is` asks whether two objects are the same object"
    if message.startswith("invalid escape sequence"):
        return 'double the backslash ("\\\\d") or write a raw string (r"\\d")'
    if message.startswith("assertion is always true"):
        return 'a non-empty tuple is always true: write `assert condition, "message"`'
    if "indices must be" in message:
        return "index it with an int (or a slice), or put in the comma missing between two items"
    if "not subscriptable" in message:
        return "this value cannot be indexed: put in the comma missing between two items, or index another value"
    if "not callable" in message:
        return "this value cannot be called: put in the comma missing between two items, or call another value"
    return "Python warns about this code; the workflow runs it as Python does"


_KINDS: tuple[tuple[str, tuple[type[ast.AST], ...]], ...] = (
    ("with a literal", (ast.Compare,)),
    ("invalid escape sequence", (ast.Constant, ast.JoinedStr)),
    ("assertion", (ast.Assert,)),
    ("indices must be", (ast.Subscript,)),
    ("not subscriptable", (ast.Subscript,)),
    ("not callable", (ast.Call,)),
)


def node_at(tree: ast.AST, line: int, message: str) -> ast.AST | None:
    """The node of ``tree`` at ``line`` that the warning ``message`` is about (else the line's first node)."""
    on_line = [n for n in ast.walk(tree) if getattr(n, "lineno", None) == line]
    for text, kinds in _KINDS:
        if text in message:
            for node in on_line:
                if isinstance(node, kinds):
                    return node
    return on_line[0] if on_line else None
