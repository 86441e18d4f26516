"""An instance's *live* history across restarts and forks, without copying rows.

A restart of instance ``n`` from step ``N`` writes its new rows after every row the instance has (seq ``M + 1``
on) and records ``(n, M + 1) continues (n, before N)``; a fork ``f`` of ``n`` writes its rows from ``N`` on and
records ``(f, N) continues (n, before N)``. The live history is then a list of *segments* — ``(instance, low,
high)``, rows with ``low <= seq < high`` — read back to front through those records. Rows of an instance outside
its segments are *archived*: kept, shown on request, never run.

Only reading history (``Runtime.history``, watching, finding a step by name) walks segments; transitions read
their own row and never look here.
"""

from __future__ import annotations

import attrs

from wfc.runtime.errors import RestartError
from wfc.runtime.store.protocol import ON_COMPLETE, START, ControlStore, LeafRow

END = 1 << 62
_MAX_DEPTH = 10_000  # restarts of restarts: a bound that only a corrupted lineage table reaches


@attrs.frozen
class Segment:
    instance: int
    low: int
    high: int

    def __contains__(self, seq: object) -> bool:
        return isinstance(seq, int) and self.low <= seq < self.high


def segments(store: ControlStore, n: int, high: int = END) -> list[Segment]:
    """The segments of instance ``n``'s live history below ``high``, oldest first."""
    out: list[Segment] = []
    for _ in range(_MAX_DEPTH):
        # Invariant: every record's seq is above its origin_seq when origin == n, so this walk only goes down.
        records = [r for r in store.lineage(n) if r[0] < high]
        if not records:
            out.append(Segment(n, 0, high))
            break
        seq, origin, origin_seq, _kind = records[-1]
        out.append(Segment(n, seq, high))
        n, high = origin, origin_seq
    out.reverse()
    return out


def live_rows(store: ControlStore, n: int) -> list[LeafRow]:
    """The rows of instance ``n``'s live history (``start`` rows included), in order."""
    rows: list[LeafRow] = []
    for seg in segments(store, n):
        rows.extend(r for r in store.rows_from(seg.instance, seg.low) if r.seq < seg.high)
    return rows


def archived_rows(store: ControlStore, n: int) -> list[LeafRow]:
    """Instance ``n``'s own rows that a restart left out of its live history."""
    own = [s for s in segments(store, n) if s.instance == n]
    return [r for r in store.rows_from(n, 0) if not any(r.seq in s for s in own)]


def find_step(store: ControlStore, n: int, step: int | str) -> tuple[int, int]:
    """``(instance, seq)`` of the suspension a restart or fork starts from: ``step`` is a step number as
    ``history()`` shows it (``0``: the start) or a command's name (its last occurrence)."""
    segs = segments(store, n)
    if isinstance(step, bool) or not isinstance(step, int | str):
        raise RestartError(f"from_step must be a step number or a step name, not {step!r}")
    if isinstance(step, int):
        for seg in reversed(segs):
            if step in seg and store_has(store, seg.instance, step):
                return seg.instance, step
        raise RestartError(
            f"step {step} is not in the history of this workflow",
            hint="use a number from Runtime.history(id) (the `seq` of a record; 0 is the start)",
        )
    for seg in reversed(segs):
        seq = store.last_named(seg.instance, step, seg.low, seg.high)
        if seq is not None:
            return seg.instance, seq
    raise RestartError(
        f"no step named {step!r} in the history of this workflow",
        hint="use a step's name as Runtime.history(id) shows it, or its number",
    )


def store_has(store: ControlStore, n: int, seq: int) -> bool:
    with store.read():
        rows = store.group(n, seq)
    return any(r.kind != ON_COMPLETE for r in rows)


def version_at(store: ControlStore, n: int, seq: int, current: str) -> str:
    """The table version instance ``n``'s rows at ``seq`` were written by: migrations after ``seq`` moved it
    from the ``old_hash`` of the first of them."""
    for move_seq, old_hash, _new in store.version_moves(n):
        if move_seq > seq:
            return old_hash
    return current


def is_start(rows: list[LeafRow]) -> bool:
    return bool(rows) and rows[0].kind == START


__all__ = ["Segment", "archived_rows", "find_step", "live_rows", "segments", "version_at"]
