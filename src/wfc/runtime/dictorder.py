"""Iterating a dict whose loop body suspends, visiting its keys exactly as CPython's dict iterator would.

Python's dict iterator walks the dict's *entries array*: keys in insertion order, with a hole where a key was
deleted; a new key goes at the end. It raises ``RuntimeError: dictionary changed size during iteration`` when the
size differs from the size at the start, and ``dictionary keys changed during iteration`` when it finds more keys
than the dict had (a deleted key replaced by a new one can be visited: ``del d["b"]; d["c"] = 3`` while at ``"a"``
visits ``["a", "c"]``). When an insertion finds no free entry, the dict is *resized*: the holes are squeezed out
and the iterator's position, an index into the array, now points further along (so a key can be skipped).

A persisted loop cannot keep Python's iterator, nor the dict's memory layout (the dict is rebuilt, compact, when
the cursor is loaded). So the cursor keeps a model of the entries array (:class:`~wfc.runtime.loops.Loop` fields
``keys``, ``dead``, ``usable``, ``general``), started from the real dict's layout (its capacity, read through
``sys.getsizeof``), and brings it up to date at every step from the dict as it is now: keys missing from the dict
were deleted (holes), keys after the last kept one were inserted (in the dict's order, each taking a free entry
or resizing first, by CPython's growth rule). This is exact when the body's deletions come before its insertions
and the dict had no holes when the loop started; otherwise (a key deleted and inserted again within one step,
``popitem()`` then an insertion) it follows the most likely history.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfc.runtime.loops import Loop

_MIN_LOG2 = 3  # PyDict_MINSIZE = 8


def usable_fraction(size: int) -> int:
    return (size << 1) // 3


def _log2_keysize(minsize: int) -> int:
    """CPython's ``calculate_log2_keysize``: the table size chosen for ``minsize`` entries."""
    minsize = (minsize | 8) - 1
    return max((minsize | 7).bit_length(), _MIN_LOG2)


def capacity(d: dict[Any, Any], general: bool) -> int:
    """The size of ``d``'s hash table (a power of two), read from ``sys.getsizeof`` on CPython; elsewhere (or
    when the layout is not the known one) the size a dict growing from empty to ``len(d)`` keys has."""
    entry = 24 if general else 16
    measured = sys.getsizeof(d)
    base = sys.getsizeof({})
    for log2 in range(_MIN_LOG2, 40):
        size = 1 << log2
        index_bytes = size * (1 if log2 < 8 else 2 if log2 < 16 else 4 if log2 < 32 else 8)
        if base + 32 + index_bytes + usable_fraction(size) * entry == measured:
            return size
    size = 1 << _MIN_LOG2
    while usable_fraction(size) < len(d):
        size = 1 << _log2_keysize(usable_fraction(size) * 3)
    return size


def start(loop: Loop, d: dict[Any, Any]) -> None:
    """Fill in the model of ``d`` as a new iterator over it sees it."""
    keys = list(d)
    general = not all(type(k) is str for k in keys)
    loop.keys = keys
    loop.dead = []
    loop.general = general
    loop.usable = usable_fraction(capacity(d, general)) - len(keys) if keys else 0
    loop.size = len(keys)
    loop.count = len(keys)  # keys still expected: more raise "keys changed"
    loop.found = -1


def _sync(loop: Loop) -> None:
    """Bring the model up to date with the dict: deletions become holes, new keys are appended."""
    d = loop.seq
    keys = loop.keys
    assert keys is not None and loop.dead is not None
    dead = set(loop.dead)
    live = [i for i in range(len(keys)) if i not in dead]
    if len(live) == len(d):
        # The common case, nothing changed: the live keys are the dict's, in order.
        same = True
        for i, k in zip(live, d):
            if keys[i] is not k and keys[i] != k:
                same = False
                break
        if same:
            return
    position = {keys[i]: i for i in live}
    kept: set[int] = set()
    last = -1
    current = list(d)
    cut = len(current)
    for n, key in enumerate(current):
        at = position.get(key)
        if at is None or at <= last:
            cut = n
            break
        kept.add(at)
        last = at
    for i in live:
        if i not in kept:
            dead.add(i)
    used = len(kept)
    for key in current[cut:]:
        if not loop.general and type(key) is not str:
            _resize(loop, dead, used)  # a non-str key turns the table into a general one
            dead = set()
            loop.general = True
        if loop.usable <= 0:
            _resize(loop, dead, used)
            dead = set()
        keys.append(key)
        loop.usable -= 1
        used += 1
    loop.dead = sorted(dead)


def _resize(loop: Loop, dead: set[int], used: int) -> None:
    """CPython's ``insertion_resize``: a new table for ``used * 3`` entries, holes squeezed out. The iterator's
    position stays the same number, so it now points past as many more keys as there were holes before it."""
    assert loop.keys is not None
    loop.keys[:] = [k for i, k in enumerate(loop.keys) if i not in dead]
    loop.usable = usable_fraction(1 << _log2_keysize(used * 3)) - used


def more(loop: Loop) -> bool:
    d = loop.seq
    if loop.size < 0 or len(d) != loop.size:
        loop.size = -1  # Python's iterator stays broken: it raises again if asked again
        raise RuntimeError("dictionary changed size during iteration")
    _sync(loop)
    keys = loop.keys
    assert keys is not None and loop.dead is not None
    dead = set(loop.dead)
    i = loop.index
    if loop.kind == "rmap":
        i = min(i, len(keys) - 1)
        while i >= 0 and i in dead:
            i -= 1
        if i < 0:
            return False
    else:
        while i < len(keys) and i in dead:
            i += 1
        if i >= len(keys):
            return False
        if loop.count == 0:
            raise RuntimeError("dictionary keys changed during iteration")
    loop.found = i
    return True


def next_item(loop: Loop) -> Any:
    assert loop.keys is not None
    i = loop.found
    key = loop.keys[i]
    loop.index = i - 1 if loop.kind == "rmap" else i + 1
    loop.count -= 1
    if loop.part == "keys":
        return key
    value = loop.seq[key]
    return value if loop.part == "values" else (key, value)
