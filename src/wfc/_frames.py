"""Tracebacks that read as the workflow's Python would: frames of the user's code only, kept across suspensions.

A compiled workflow runs as generated state functions called by wfc's machine, and an exception it handles may
have been raised in another process. Python code in a handler still expects ``traceback.format_exc()``,
``logging.exception()`` and ``sys.exc_info()[2]`` to show what a plain generator would show: a frame of the
workflow at the line that raised (or at the ``yield`` a step failure was thrown in at), then the frames of the
helpers it called. So:

* :func:`normalize` rewrites a traceback as the workflow sees it: wfc's own frames are dropped (generated code
  is compiled at the workflow's own file, lines and columns, so its frames already read as the workflow's);
* :func:`summary` and :func:`rebuild` turn a traceback into plain data (``[path, function, line]`` triples,
  which the codec persists with the exception) and back.

A rebuilt frame is a real frame object of a tiny code object that carries the path and function name; its
traceback entry has no instruction offset, so printers show the line (read from the file, as for any frame) and
no carets. Invariant: nothing here changes an exception other than its ``__traceback__``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from types import CodeType, FrameType, FunctionType, TracebackType

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


def _is_wfc(code: CodeType) -> bool:
    return code.co_filename.startswith(_WFC_DIR)


def normalize(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without wfc's own frames (the machine that called the workflow's code)."""
    kept = [e for e in _entries(tb) if not _is_wfc(e.tb_frame.f_code)]
    out: TracebackType | None = None
    for entry in reversed(kept):
        out = TracebackType(out, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return out


def summary(tb: TracebackType | None) -> list[list[str | int]]:
    """The frames of ``tb`` outside wfc as ``[path, function, line]`` (the innermost ``_MAX_FRAMES``)."""
    out: list[list[str | int]] = [
        [e.tb_frame.f_code.co_filename, e.tb_frame.f_code.co_name, e.tb_lineno]
        for e in _entries(tb)
        if not _is_wfc(e.tb_frame.f_code)
    ]
    return out[-_MAX_FRAMES:]


def rebuild(frames: object) -> TracebackType | None:
    """Inverse of :func:`summary`; anything that is not such a list (damaged data) gives no traceback."""
    if not isinstance(frames, list):
        return None
    out: TracebackType | None = None
    for item in reversed(frames[-_MAX_FRAMES:]):
        if (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and isinstance(item[1], str)
            and type(item[2]) is int
            and item[2] >= 0
        ):
            out = TracebackType(out, _frame(item[0], item[1]), -1, item[2])
    return out
