"""Random concurrent workflow programs for the twin suite (``tests/twin/test_generated.py``): ``wf(a, b)`` and a
child workflow ``kid(n)`` built from steps (plain, failing, retried with jittered backoff, transactional, delayed
by ``run_after``), sleeps, event waits with and without timeouts, child workflow calls (``kid``, and
``grandkid``, which races an event against a delayed step), children started with ``wfc.start_child`` (some
detached) and joined later or racing a timer or left to their parent's end, a ``max_parallelism=2`` window on
some workflows, and ``all_of``/``any_of`` trees nesting all of them, inside
``if``/``for`` and ``try``/``except`` — the commands of :mod:`programgen`'s control flow, racing. With
:func:`schedules`, the events to send (to the workflow or to one of its children, some with an error) at random
moments.

Durations and event times are drawn from a table of irregular values, so the outcomes of concurrent branches do
not meet at one virtual moment by accident: at such a tie the two runners differ by design (docs/testing.md,
"Ties"), and a program that made one would test the clock, not the runners.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import strategies as st

from wfc.testing import Event

from .programgen import _indent

HEADER = """\
import wfc


@wfc.step
def s(n):
    return (n * 7 + 3) % 11


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=0.713, jitter=0.3))
def flaky(n, fails):
    attempt = wfc.step_context().attempt
    if attempt <= fails:
        raise ConnectionError(f"flaky {n} attempt {attempt}")
    return n + 100


@wfc.step
def bad(n):
    raise ValueError(f"bad {n}")


@wfc.transaction
def note(db, n):
    db.execute("CREATE TABLE IF NOT EXISTS notes (n)")
    db.execute("INSERT INTO notes VALUES (?)", (n,))
    return db.execute("SELECT count(*) FROM notes").fetchone()[0] * 0 + n


@wfc.workflow
def grandkid(n):
    got = yield wfc.any_of(wfc.wait_event("z", timeout=6.131), s(n).options(run_after=2.719))
    return [n, got]


"""

# Started children and windows (issue 14) in generated programs: on unless WFC_TWIN_STARTED=0 (to bisect a
# failure). The disagreement they first found was wfc.testing's: a started child moved only after everything else
# due at its moment, so a parent whose child call ended at that moment ended first and canceled it.
STARTED = os.environ.get("WFC_TWIN_STARTED", "1") == "1"

DURATIONS = (0.0, 1.171, 2.393, 3.617, 5.849, 8.269, 13.457)
LATER = (0.0, 1.283, 2.551, 3.709, 6.113, 8.677, 12.941)  # run_after: a step racing a sleep of its own delay ties
TIMEOUTS = (None, 0.0, 1.913, 4.271, 9.733)
EVENT_TIMES = (0.0, 0.419, 1.637, 3.061, 4.993, 7.309, 11.83)
NAMES = ("x", "y", "z")


@st.composite
def commands(draw: st.DrawFn, depth: int, child: bool) -> str:
    kinds = ["step", "flaky", "bad", "sleep", "wait", "wait", "note", "later", "grandkid"]
    if child:
        kinds += ["kid", "kid"]
    if depth > 0:
        kinds += ["all", "any", "any"]
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(0, 9))
    if kind == "step":
        return f"s({draw(st.sampled_from(['a', 'b', str(n)] if child else ['n', str(n)]))})"
    if kind == "flaky":
        return f"flaky({n}, {draw(st.integers(0, 3))})"
    if kind == "bad":
        return f"bad({n})"
    if kind == "sleep":
        return f"wfc.sleep({draw(st.sampled_from(DURATIONS))})"
    if kind == "wait":
        return f"wfc.wait_event({draw(st.sampled_from(NAMES))!r}, timeout={draw(st.sampled_from(TIMEOUTS))})"
    if kind == "kid":
        return f"kid({n})"
    if kind == "grandkid":
        return f"grandkid({n})"
    if kind == "note":
        return f"note({n})"
    if kind == "later":
        return f"s({n}).options(run_after={draw(st.sampled_from(LATER))})"
    items = draw(st.lists(commands(depth - 1, child), min_size=1, max_size=3))
    return f"wfc.{'all_of' if kind == 'all' else 'any_of'}({', '.join(items)})"


@st.composite
def statements(draw: st.DrawFn, depth: int, child: bool) -> list[str]:
    kinds = ["yield", "yield", "yield", "if", "for"] if depth > 0 else ["yield"]
    kind = draw(st.sampled_from([*kinds, "started"] if child and STARTED else kinds))
    if kind == "started":  # a child started without waiting, joined later (maybe racing a timer), or left behind
        n = draw(st.integers(0, 9))
        opts = ".options(detached=True)" if draw(st.integers(0, 3)) == 0 else ""
        between = draw(commands(1, False))
        join = draw(st.sampled_from(["wfc.join(h)", "any", "none"]))
        if join == "any":
            join = f"wfc.any_of(wfc.join(h), wfc.sleep({draw(st.sampled_from(DURATIONS[1:]))}))"
        lines = [
            "try:",
            f"    h = yield wfc.start_child(kid{opts}, {n})",
            "    out.append(h.id)",
            f"    got = yield {between}",
            "    out.append(got)",
        ]
        if join != "none":
            lines += [f"    got = yield {join}", "    out.append(got)"]
        return [*lines, "except Exception as e:", "    out.append(['error', type(e).__name__, str(e)])"]
    if kind == "yield":
        cmd = draw(commands(2, child))
        return [
            "try:",
            f"    got = yield {cmd}",
            "    out.append(got)",
            "except Exception as e:",
            "    out.append(['error', type(e).__name__, str(e)])",
        ]
    body = [line for _ in range(draw(st.integers(1, 2))) for line in draw(statements(depth - 1, child))]
    if kind == "if":
        return ["if (a + len(out)) % 2 == 0:", *_indent(body), "else:", "    out.append('even')"]
    return [f"for i in range({draw(st.integers(1, 2))}):", *_indent(body)]


@st.composite
def concurrent_programs(draw: st.DrawFn) -> str:
    kid = [line for _ in range(draw(st.integers(1, 2))) for line in draw(statements(0, False))]
    wf = [line for _ in range(draw(st.integers(1, 3))) for line in draw(statements(1, True))]
    return (
        HEADER
        + "@wfc.workflow\ndef kid(n):\n"
        + "\n".join(_indent(["out = [n]", *kid, "return out"]))
        + f"\n\n\n@wfc.workflow{draw(st.sampled_from(['', '', '(max_parallelism=2)'])) if STARTED else ''}\ndef wf(a, b):\n"
        + "\n".join(_indent(["out = []", *wf, "return out"]))
        + "\n"
    )


@st.composite
def schedules(draw: st.DrawFn, children: int) -> list[tuple[str, Any, str | None, float, int | None]]:
    """Events as ``(name, value, error, at, target)``: ``target`` ``None`` is the workflow, ``i`` its ``i``-th
    child (resolved by :func:`events` against the ids a run made)."""
    out = []
    for i in range(draw(st.integers(0, 6))):
        target = draw(st.one_of(st.none(), st.integers(0, max(children - 1, 0)))) if children else None
        error = "no" if draw(st.integers(0, 9)) == 0 else None
        out.append((draw(st.sampled_from(NAMES)), i, error, draw(st.sampled_from(EVENT_TIMES)), target))
    return out


def events(schedule: list[tuple[str, Any, str | None, float, int | None]], children: list[str]) -> list[Event]:
    return [
        Event(name, value, error=error, at=at, to=None if target is None else children[target])
        for name, value, error, at, target in schedule
    ]
