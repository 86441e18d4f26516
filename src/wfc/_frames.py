"""Tracebacks that read as the workflow's Python would: frames of the user's code only, kept across suspensions.

A compiled workflow runs as generated state functions called by wfc's machine, and an exception it handles may
have been raised in another process. Python code in a handler still expects ``traceback.format_exc()``,
``logging.exception()`` and ``sys.exc_info()[2]`` to show what a plain generator would show: a frame of the
workflow at the line that raised (or at the ``yield`` a step failure was thrown in at), then the frames of the
helpers it called. So:

* :func:`normalize` rewrites a traceback as the workflow sees it: wfc's own frames are dropped (generated code
  is compiled at the workflow's own file, lines and columns, so its frames already read as the workflow's), all
  but the command's ``__iter__`` that Python shows below a ``yield from``;
* :func:`summary` and :func:`rebuild` turn a traceback into plain data (``[path, function, line]`` triples,
  which the codec persists with the exception) and back.

A rebuilt frame is a real frame object of a tiny code object that carries the path and function name; its
traceback entry has no instruction offset, so printers show the line (read from the file, as for any frame) and
no carets. Invariant: nothing here changes an exception other than its ``__traceback__``.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterator
from types import CodeType, FrameType, FunctionType, TracebackType
from typing import Any

from wfc._ast_lock import AST_LOCK

_WFC_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_MAX_FRAMES = 100  # persisted per exception: the innermost ones, which say where it was raised
_TEMPLATE: CodeType = (lambda: sys._getframe()).__code__
_frames: dict[tuple[str, str], FrameType] = {}

Frame = tuple[str, str, int]  # (path, function, line)


def _frame(path: str, name: str) -> FrameType:
    key = (path, name)
    frame = _frames.get(key)
    if frame is None:
        code = _TEMPLATE.replace(co_filename=path, co_name=name, co_qualname=name)
        frame = _frames[key] = FunctionType(code, {"sys": sys, "__name__": "__wfc_frame__"})()
    return frame


def _entries(tb: TracebackType | None) -> Iterator[TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


# ``Command.__iter__``: the one frame of wfc's that Python shows in a workflow's traceback. An exception thrown
# in at ``x = yield from cmd`` passes through the command's own generator, so its traceback has that frame below
# the workflow's (the machine adds it at such a ``yield``, see ``Machine._at_yield``); it is kept like the user's.
_DELEGATION = (os.path.join(_WFC_DIR, "commands.py"), "__iter__")


def _is_wfc(code: CodeType) -> bool:
    return code.co_filename.startswith(_WFC_DIR) and (code.co_filename, code.co_name) != _DELEGATION


def normalize(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without wfc's own frames (the machine that called the workflow's code)."""
    kept = [e for e in _entries(tb) if not _is_wfc(e.tb_frame.f_code)]
    out: TracebackType | None = None
    for entry in reversed(kept):
        out = TracebackType(out, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return out


def _columns(entry: TracebackType) -> tuple[int, int, int] | None:
    """The position a printer underlines in this entry, as ``(col, end_col, end_line)`` (``None``: none known)."""
    if entry.tb_lasti < 0:
        return None
    for k, (line, end_line, col, end_col) in enumerate(entry.tb_frame.f_code.co_positions()):
        if k == entry.tb_lasti // 2:
            if line is not None and end_line is not None and col is not None and end_col is not None:
                return col, end_col, end_line
            return None
    return None


_positioned: dict[tuple[str, str, int, int, int, int], tuple[FrameType, int]] = {}


def _frame_at(path: str, name: str, line: int, col: int, end_col: int, end_line: int) -> tuple[FrameType, int]:
    """A frame of ``path``/``name`` and an instruction of it that sits at ``line``-``end_line``, columns
    ``col``-``end_col``: made by raising from code compiled at that very place (so printers draw the same carets
    as the original)."""
    key = (path, name, line, col, end_col, end_line)
    made = _positioned.get(key)
    if made is None:
        where = {"lineno": line, "end_lineno": end_line, "col_offset": col, "end_col_offset": end_col}
        body = ast.Raise(exc=ast.Name("_wfc_e", ast.Load(), **where), cause=None, **where)
        fn = ast.FunctionDef(
            name="_wfc_frame",
            args=ast.arguments([], [ast.arg("_wfc_e")], None, [], [], None, []),
            body=[body],
            decorator_list=[],
            returns=None,
            type_comment=None,
            **where,
        )
        module = ast.fix_missing_locations(ast.Module([fn], []))
        scope: dict[str, Any] = {}
        with AST_LOCK:  # CPython 3.11 converts AST objects on one thread at a time only (wfc._ast_lock)
            code_object = compile(module, path, "exec", dont_inherit=True)
        exec(code_object, scope)
        code = scope["_wfc_frame"].__code__.replace(co_name=name, co_qualname=name)
        try:
            FunctionType(code, {})(RuntimeError())
        except RuntimeError as exc:
            tb = exc.__traceback__
            assert tb is not None and tb.tb_next is not None
            made = _positioned[key] = (tb.tb_next.tb_frame, tb.tb_next.tb_lasti)
    assert made is not None, "the raise above always runs"
    return made


def summary(tb: TracebackType | None) -> list[list[str | int]]:
    """The frames of ``tb`` outside wfc as ``[path, function, line]``, with ``col, end_col`` appended where the
    entry's position is known, and its ``end_line`` too when that is another line (the innermost
    ``_MAX_FRAMES``)."""
    out: list[list[str | int]] = []
    for e in _entries(tb):
        code = e.tb_frame.f_code
        if _is_wfc(code):
            continue
        item: list[str | int] = [code.co_filename, code.co_name, e.tb_lineno]
        columns = _columns(e)
        if columns is not None:
            col, end_col, end_line = columns
            item.extend([col, end_col] if end_line == e.tb_lineno else [col, end_col, end_line])
        out.append(item)
    return out[-_MAX_FRAMES:]


def rebuild(frames: object) -> TracebackType | None:
    """Inverse of :func:`summary`; anything that is not such a list (damaged data) gives no traceback."""
    if not isinstance(frames, list):
        return None
    out: TracebackType | None = None
    for item in reversed(frames[-_MAX_FRAMES:]):
        if not (
            isinstance(item, list)
            and len(item) in (3, 5, 6)
            and isinstance(item[0], str)
            and isinstance(item[1], str)
            and all(type(x) is int and x >= 0 for x in item[2:])
        ):
            continue
        path, name, line = item[0], item[1], item[2]
        end_line = item[5] if len(item) == 6 else line
        if len(item) >= 5 and line > 0 and (item[3] <= item[4] or end_line > line) and end_line >= line:
            try:
                frame, lasti = _frame_at(path, name, line, item[3], item[4], end_line)
            except (SyntaxError, ValueError):  # a position no code can have: keep the line, not the columns
                frame, lasti = _frame(path, name), -1
        else:
            frame, lasti = _frame(path, name), -1
        out = TracebackType(out, frame, lasti, line)
    return out
