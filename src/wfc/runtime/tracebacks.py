"""Tracebacks of failures, kept as text with the failure: a step's exception (each attempt), an exception raised
by workflow code (with the workflow's own file and line), a child's failure passed to its parent.

The text travels as the attribute :data:`ATTR` of the exception the workflow sees (persisted by the codec with
the exception's other attributes), and in a retried step's row after its one-line description. Frames of wfc
itself are left out: what a user needs is where *their* code failed. Texts are capped so that a deep recursion
cannot make a failure too large to record.
"""

from __future__ import annotations

import os
import traceback

ATTR = "wfc_traceback"
_LIMIT = 16_000  # characters kept (the innermost frames, which say where it failed)
_WFC_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_HEADER = "Traceback (most recent call last):\n"
_SEPARATOR = "\n\n" + _HEADER


def format_traceback(exc: BaseException) -> str | None:
    """``Traceback (most recent call last): ...`` for ``exc``: its own frames (outside wfc: the workflow's, with
    the line of the ``yield`` an outcome was raised at), then those it carries from where it came from (a step
    attempt, a child workflow). ``None`` when it has neither."""
    carried = getattr(exc, ATTR, None)
    carried = carried if isinstance(carried, str) and carried else None
    tb = exc.__traceback__
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_WFC_DIR)] if tb else []
    if not frames:
        return carried
    own = "".join(traceback.format_list(frames))
    if carried is None:
        text = _HEADER + own + "".join(traceback.format_exception_only(type(exc), exc))
    else:
        # As Python shows a call: the workflow's frames (the yield that received it, where it was raised on),
        # then the frames it carries from the step attempt or child workflow that raised it, innermost last.
        inner = carried[len(_HEADER) :] if carried.startswith(_HEADER) else carried
        text = _HEADER + own + inner
    return cap(text, _LIMIT, _LIMIT // 4)


def cap(text: str, limit: int, message_limit: int) -> str:
    """A traceback text within ``limit`` characters: its innermost frames (where it failed) and the start of its
    exception's text, itself at most ``message_limit`` (a huge message must not push the frames out)."""
    if len(text) <= limit:
        return text
    lines = text.splitlines(keepends=True)
    last_frame = max((i for i, line in enumerate(lines) if line.startswith("  ")), default=-1)
    frames, message = "".join(lines[: last_frame + 1]), "".join(lines[last_frame + 1 :])
    if len(message) > message_limit:
        message = message[:message_limit] + "…\n"
    room = max(limit - len(message), 0)
    return ("…" + frames[-room:] if len(frames) > room else frames) + message


def attach(exc: BaseException, text: str | None) -> None:
    """Keep ``text`` with ``exc`` (an exception whose class refuses new attributes keeps none)."""
    if text:
        try:
            setattr(exc, ATTR, text)
        except (AttributeError, TypeError):
            pass


def of(exc: object) -> str | None:
    text = getattr(exc, ATTR, None)
    return text if isinstance(text, str) and text else None


def with_note(description: str, text: str | None) -> str:
    """A retried step's row keeps its last attempt's error as ``description`` then its traceback."""
    return description if not text else description + _SEPARATOR + text.split("\n", 1)[1]


def split_note(note: str) -> tuple[str, str | None]:
    """Inverse of :func:`with_note`: (the one-line description, the traceback or ``None``)."""
    head, sep, rest = note.partition(_SEPARATOR)
    return (head, "Traceback (most recent call last):\n" + rest) if sep else (note, None)


def where(text: str | None) -> str | None:
    """The innermost frame of a traceback text, ``path:line in function``: where it failed, in one line."""
    if not text:
        return None
    location = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('File "'):
            try:
                path, rest = stripped[6:].split('", line ', 1)
                number, _, function = rest.partition(", in ")
                location = f"{path}:{number} in {function}" if function else f"{path}:{number}"
            except ValueError:
                continue
    return location
