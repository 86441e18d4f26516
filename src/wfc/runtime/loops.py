"""Loop cursors: how a ``for`` loop whose body suspends keeps its place in a persisted cursor.

``_wfc_loop(kind, *args)`` (bound into every workflow's namespace) returns a :class:`Loop`; the lowered loop
calls ``.more()`` at its head and ``.next()`` at the top of its body. A loop over a list keeps a *reference* to the
list and an index — like Python's list iterator, it sees items appended during the loop — and the value codec
keeps that reference shared with the variable holding the list. Dicts and sets are snapshotted with their size, so
changing their size during the loop raises the same ``RuntimeError`` Python raises.

Anything that cannot be saved (generators, iterators, files) raises ``WFC402`` at the loop: Python would consume
it lazily, which a persisted cursor cannot do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from wfc.errors import WorkflowRuntimeError

_SEQUENCES = (list, tuple, str, bytes, bytearray, range)


@attrs.define
class Loop:
    """A resumable iteration. ``kind``: ``seq``, ``rev``, ``dict``, ``set``, ``enumerate`` or ``zip``."""

    kind: str
    seq: Any = None
    index: int = 0
    keys: list[Any] | None = None
    size: int = 0
    part: str = "keys"
    inner: list[Loop] | None = None
    count: int = 0

    def more(self) -> bool:
        kind = self.kind
        if kind == "seq":
            return bool(self.index < len(self.seq))
        if kind == "rev":
            return 0 <= self.index < len(self.seq)
        if kind == "dict" or kind == "set":
            if len(self.seq) != self.size:
                what = "dictionary" if kind == "dict" else "Set"
                raise RuntimeError(f"{what} changed size during iteration")
            assert self.keys is not None
            return self.index < len(self.keys)
        assert self.inner is not None
        if kind == "enumerate":
            return self.inner[0].more()
        return all(loop.more() for loop in self.inner)

    def next(self) -> Any:
        kind = self.kind
        if kind == "seq":
            item = self.seq[self.index]
            self.index += 1
            return item
        if kind == "rev":
            item = self.seq[self.index]
            self.index -= 1
            return item
        if kind == "dict":
            assert self.keys is not None
            key = self.keys[self.index]
            self.index += 1
            if self.part == "keys":
                return key
            try:
                value = self.seq[key]
            except KeyError:
                raise RuntimeError("dictionary keys changed during iteration") from None
            return value if self.part == "values" else (key, value)
        if kind == "set":
            assert self.keys is not None
            item = self.keys[self.index]
            self.index += 1
            return item
        assert self.inner is not None
        if kind == "enumerate":
            item = (self.count, self.inner[0].next())
            self.count += 1
            return item
        return tuple(loop.next() for loop in self.inner)


def _cannot_save(value: Any) -> WorkflowRuntimeError:
    return WorkflowRuntimeError(
        f"cannot loop over a {type(value).__name__} when the loop body yields: its position cannot be saved",
        code="WFC402",
        hint="loop over a list, tuple, range, string or dict instead, e.g. `for x in list(...)`",
    )


def over(value: Any) -> Loop:
    """A loop over any iterable Python could loop over, or ``WFC402`` when it cannot be persisted."""
    if isinstance(value, _SEQUENCES):
        return Loop("seq", value)
    if isinstance(value, dict):
        return Loop("dict", value, keys=list(value), size=len(value))
    if isinstance(value, set | frozenset):
        return Loop("set", value, keys=list(value), size=len(value))
    try:
        it = iter(value)
    except TypeError:
        raise TypeError(f"'{type(value).__name__}' object is not iterable") from None
    if it is value:
        saved = _saved_iterator(value)
        if saved is None:
            raise _cannot_save(value)
        return saved
    # A container that is not a plain sequence (a deque, dict view, user class): iterate a snapshot.
    return Loop("seq", list(it))


def _saved_iterator(it: Any) -> Loop | None:
    """A builtin iterator over a sequence (``iter(xs)``, ``reversed(xs)``, ``enumerate``/``zip`` of those) as a
    loop, without consuming it: ``__reduce__`` exposes the underlying sequence and the position."""
    try:
        reduced = it.__reduce__()
    except Exception:
        return None  # generators and the like cannot be described without running them
    if not isinstance(reduced, tuple) or len(reduced) < 2 or not isinstance(reduced[1], tuple):
        return None
    fn, args = reduced[0], reduced[1]
    position = reduced[2] if len(reduced) > 2 else None
    if fn is iter and len(args) == 1 and isinstance(args[0], _SEQUENCES):
        return Loop("seq", args[0], index=position or 0)
    if fn is reversed and len(args) == 1 and isinstance(args[0], _SEQUENCES) and isinstance(position, int):
        return Loop("rev", args[0], index=position)
    if fn is enumerate and len(args) == 2 and isinstance(args[1], int):
        return Loop("enumerate", inner=[over(args[0])], count=args[1])
    if fn is zip and position is None:
        return Loop("zip", inner=[over(a) for a in args])
    return None


def over_mapping(value: Any, part: str) -> Loop:
    """``d.keys()`` / ``d.values()`` / ``d.items()``: reads the live dict like Python's views do."""
    if isinstance(value, dict):
        return Loop("dict", value, keys=list(value), size=len(value), part=part)
    return over(list(getattr(value, part)()))


def reverse(value: Any) -> Loop:
    if isinstance(value, list | tuple | str | bytes | bytearray | range):
        return Loop("rev", value, index=len(value) - 1)
    if isinstance(value, Mapping):
        return Loop("seq", list(reversed(list(value))))
    return Loop("seq", list(reversed(value)))


def _wfc_loop(kind: str, *args: Any) -> Loop:
    """The intrinsic lowered ``for`` loops call (see :mod:`wfc.compiler.lower`)."""
    if kind == "iter":
        return over(args[0])
    if kind in ("keys", "values", "items"):
        return over_mapping(args[0], kind)
    if kind == "enumerate":
        start = args[1]
        if not hasattr(start, "__index__"):
            raise TypeError(f"'{type(start).__name__}' object cannot be interpreted as an integer")
        return Loop("enumerate", inner=[over(args[0])], count=start.__index__())
    if kind == "zip":
        return Loop("zip", inner=[over(a) for a in args])
    if kind == "reversed":
        return reverse(args[0])
    raise WorkflowRuntimeError(f"unknown loop kind {kind!r}", code="WFC499")


INTRINSICS = {"_wfc_loop": _wfc_loop}
