"""The instance page's timeline: each history record as segments on one time axis shared by the whole history,
as Temporal's timeline draws an event history.

A record's row shows, left to right:

* **queued** (pale): from when the workflow asked for it (``scheduled_at``) to when its first attempt started — a
  ``run_after``, a fan-out window, a wait for a free worker;
* **each failed attempt** (red), from its start (when the store has it) to its end, with its error as the
  segment's title — the gap after it is the retry's backoff;
* **the last attempt or the wait itself**, coloured by the record's status (running ones reach the right edge).

Positions are percentages of the axis, written as ``data-l``/``data-w`` and applied by ``ui.js`` (the page's
content-security policy allows no inline styles). Every text is escaped.
"""

from __future__ import annotations

import datetime as dt
from html import escape as e
from typing import Any


def _at(text: str | None) -> float | None:
    return dt.datetime.fromisoformat(text).timestamp() if text else None


class Axis:
    """The time axis of one history: from its earliest ``scheduled_at`` to its latest ``finished_at`` — or to
    ``now`` for an instance that has not ended, so a record still open shows how long it has been."""

    def __init__(self, history: list[dict[str, Any]], now: float | None = None) -> None:
        times = [t for r in history for k in ("scheduled_at", "started_at", "finished_at") if (t := _at(r.get(k)))]
        for r in history:
            times += [t for a in r.get("failed_attempts") or () for k in ("started_at", "finished_at")
                      if (t := _at(a.get(k)))]  # fmt: skip
        self.start = min(times) if times else 0.0
        self.end = max(times) if times else 0.0
        if now is not None and times and now > self.end:
            self.end = now
        self.span = self.end - self.start

    def where(self, t: float) -> float:
        return (t - self.start) / self.span * 100 if self.span > 0 else 0.0

    def header(self) -> str:
        """The column's heading: the axis's length."""
        if self.span <= 0:
            return "Timeline"
        return f'Timeline <small class="axis">0 – {_seconds(self.span)}</small>'

    def row(self, r: dict[str, Any]) -> str:
        """One record's segments."""
        scheduled = _at(r.get("scheduled_at"))
        if self.span <= 0 or scheduled is None:
            return ""
        started = _at(r.get("started_at"))
        finished = _at(r.get("finished_at"))
        out: list[str] = []
        if started is not None and started > scheduled:
            out.append(self._segment("queued", scheduled, started, f"queued {_seconds(started - scheduled)}"))
        edge = started if started is not None else scheduled
        for a in sorted(r.get("failed_attempts") or (), key=lambda a: a["attempt"]):
            end = _at(a.get("finished_at"))
            if end is None:
                continue
            begin = _at(a.get("started_at")) or edge
            title = f"attempt {a['attempt']} failed after {_seconds(end - begin)}: {a.get('error') or ''}"
            out.append(self._segment("attempt failed", begin, end, title))
            edge = end
        end = finished if finished is not None else self.end
        last = f"{r['status']} {_seconds(end - edge)}" if finished is not None else f"{r['status']}, still open"
        if r.get("failed_attempts"):
            last = f"backoff and attempt {r.get('attempts')}: " + last
        out.append(self._segment(str(r["status"]), edge, end, last))
        return "".join(out)

    def _segment(self, kind: str, begin: float, end: float, title: str) -> str:
        left = self.where(begin)
        width = max(self.where(end) - left, 0.6)
        return f'<div class="bar {e(kind)}" data-l="{left:.1f}" data-w="{width:.1f}" title="{e(title)}"></div>'


def _seconds(s: float) -> str:
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


__all__ = ["Axis"]
