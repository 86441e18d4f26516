"""Python's own warnings while wfc parses or compiles code: kept apart from the process's warnings.

CPython warns while parsing (``"\\d"``: an invalid escape, a ``DeprecationWarning`` before 3.12) and compiling
(``x is 1``, ``assert (x, "msg")``, ``[1, 2][1.5]``: ``SyntaxWarning``). wfc parses and compiles a workflow's code
several times — its source, snippets of it, the state table's code, the module linked from the table — and each
time CPython would warn again, under a name that is not the user's file (``<order>``, ``<shop:w:L9.resume>``) or
at a line of a snippet. So every such call runs through :func:`quietly`: the warnings it raises are returned to
the caller instead of shown, and are never turned into errors by the process's filters (``-W error`` must not
make a workflow fail to link). The front ends report the ones about the user's code as diagnostics at the user's
file and line (``WFC116`` for Python, ``WFC160`` for ``.wf``); the others are wfc's own and dropped.

Everything else is left to the process: a warning from another thread while the block runs, of another
category, or about another file is shown again through the process's filters.
"""

from __future__ import annotations

import ast
import threading
import warnings
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")
_CATEGORIES = (SyntaxWarning, DeprecationWarning)
_lock = threading.Lock()  # catch_warnings swaps process-wide state: one block at a time


def quietly(action: Callable[[], _T], filename: str) -> tuple[_T, list[warnings.WarningMessage]]:
    """Run ``action`` (a parse or compile of code named ``filename``) and return its result and the parser's
    and compiler's warnings about ``filename``."""
    own: list[warnings.WarningMessage] = []
    caught: list[warnings.WarningMessage] = []
    try:
        with _lock, warnings.catch_warnings(record=True) as recorded:
            warnings.simplefilter("always", SyntaxWarning)
            warnings.simplefilter("always", DeprecationWarning)
            try:
                result = action()
            finally:
                caught = list(recorded)
    finally:
        for w in caught:
            if issubclass(w.category, _CATEGORIES) and w.filename == filename:
                own.append(w)
            else:  # not ours: another thread's, shown as the process's filters say
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
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
