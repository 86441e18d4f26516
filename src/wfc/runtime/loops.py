"""Loop cursors: how a ``for`` loop whose body suspends keeps its place in a persisted cursor.

``_wfc_loop(kind, *args)`` (bound into every workflow's namespace) returns a :class:`Loop`; the lowered loop
calls ``.more()`` at its head and ``.next()`` at the top of its body. A loop over a list keeps a *reference* to the
list and an index — like Python's list iterator, it sees items appended during the loop — and the value codec
keeps that reference shared with the variable holding the list. A loop over a dict (or its ``keys()``,
``values()``, ``items()``, or ``reversed()``) keeps a reference too, and a model of the dict's entries, so that it
visits keys the body deletes and inserts exactly as Python's dict iterator does, and raises Python's
``RuntimeError`` where Python does (:mod:`wfc.runtime.dictorder`). Ranges are never measured with ``len()``:
``range(10**20)`` works. ``zip(..., strict=True)`` raises Python's ``ValueError`` at the step where Python's would.

Kinds ``dict`` and ``set`` are the snapshots format-1 era cursors persisted; they still run as they did.

Anything that cannot be saved (generators, iterators, files) raises ``WFC402`` at the loop: Python would consume
it lazily, which a persisted cursor cannot do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from wfc.errors import WorkflowRuntimeError
from wfc.runtime import dictorder

_SEQUENCES = (list, tuple, str, bytes, bytearray, range)


@attrs.define
class Loop:
    """A resumable iteration. ``kind``: ``seq``, ``rev``, ``map`` / ``rmap`` (a dict, forwards / reversed),
    ``enumerate``, ``zip``, and the old snapshots ``dict`` and ``set``. Fields are persisted by name: new ones
    have defaults, so cursors persisted before they existed still load."""

    kind: str
    seq: Any = None
    index: int = 0
    keys: list[Any] | None = None
    size: int = 0
    part: str = "keys"
    inner: list[Loop] | None = None
    count: int = 0
    dead: list[int] | None = None
    """``map``: indexes of ``keys`` whose key was deleted (holes in the entries array)."""
    usable: int = 0
    """``map``: entries the dict can still append before it resizes."""
    general: bool = False
    """``map``: the dict holds a key that is not a ``str`` (CPython's general table)."""
    found: int = -1
    """``map``: the entry ``more()`` found, which ``next()`` returns."""
    strict: bool = False
    """``zip``: ``zip(..., strict=True)``."""

    def more(self) -> bool:
        kind = self.kind
        if kind == "seq":
            return bool(self.index < _length(self.seq))
        if kind == "rev":
            return 0 <= self.index < _length(self.seq)
        if kind == "map" or kind == "rmap":
            return dictorder.more(self)
        if kind == "dict" or kind == "set":
            if len(self.seq) != self.size:
                what = "dictionary" if kind == "dict" else "Set"
                raise RuntimeError(f"{what} changed size during iteration")
            assert self.keys is not None
            return self.index < len(self.keys)
        assert self.inner is not None
        if kind == "enumerate":
            return self.inner[0].more()
        if not self.strict:
            return all(loop.more() for loop in self.inner)
        return _zip_strict_more(self.inner)

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
        if kind == "map" or kind == "rmap":
            return dictorder.next_item(self)
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


def _length(seq: Any) -> int:
    """``len(seq)``, also for a range longer than ``sys.maxsize`` (whose ``len()`` raises ``OverflowError``)."""
    if type(seq) is range:
        start, stop, step = seq.start, seq.stop, seq.step
        if step > 0:
            return max(0, (stop - start + step - 1) // step)
        return max(0, (start - stop - step - 1) // -step)
    return len(seq)


def _zip_strict_more(inner: list[Loop]) -> bool:
    """CPython's strict ``zip``: the first iterator to run out decides; it must be the first, and then every
    other must be exhausted too."""
    for i, loop in enumerate(inner):
        if not loop.more():
            if i:
                plural = " " if i == 1 else "s 1-"
                raise ValueError(f"zip() argument {i + 1} is shorter than argument{plural}{i}")
            for j in range(1, len(inner)):
                if inner[j].more():
                    plural = " " if j == 1 else "s 1-"
                    raise ValueError(f"zip() argument {j + 1} is longer than argument{plural}{j}")
            return False
    return True


def _map(value: dict[Any, Any], part: str = "keys", *, reverse: bool = False) -> Loop:
    loop = Loop("rmap" if reverse else "map", value, part=part)
    dictorder.start(loop, value)
    if reverse:
        loop.index = len(value) - 1
    return loop


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
    if type(value) is dict:
        return _map(value)
    if isinstance(value, dict):  # a subclass may iterate its own way: a snapshot of what it yields
        return Loop("seq", list(value))
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
    if fn is zip and position is True:
        return Loop("zip", inner=[over(a) for a in args], strict=True)
    return None


def over_mapping(value: Any, part: str) -> Loop:
    """``d.keys()`` / ``d.values()`` / ``d.items()``: reads the live dict like Python's views do."""
    if type(value) is dict:
        return _map(value, part)
    return over(list(getattr(value, part)()))


def reverse(value: Any) -> Loop:
    if isinstance(value, list | tuple | str | bytes | bytearray | range):
        return Loop("rev", value, index=_length(value) - 1)
    if type(value) is dict:
        return _map(value, reverse=True)
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
    if kind == "zip_strict":  # zip(*args[:-1], strict=args[-1])
        return Loop("zip", inner=[over(a) for a in args[:-1]], strict=bool(args[-1]))
    if kind == "reversed":
        return reverse(args[0])
    raise WorkflowRuntimeError(f"unknown loop kind {kind!r}", code="WFC499")


INTRINSICS = {"_wfc_loop": _wfc_loop}
