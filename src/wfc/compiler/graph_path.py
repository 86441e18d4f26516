"""Where an instance has been, on its workflow's :class:`~wfc.compiler.graph.Graph`: a :class:`Highlight` from
the states its history recorded.

The runtime records one entry per suspension, not every state a transition passes through. Between two
recorded states the route is filled in only when it is certain: exactly one simple path through states that do
not suspend (exception edges included, expanded to every state of their try region). Where the run could have
gone two ways, the recorded states are coloured and no edge is guessed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

from wfc.compiler.graph import SUSPENSIONS, Graph, Highlight, Status

Step = tuple[str, tuple[str, str], str]
"""One step of a route: (state, :attr:`Edge.key` of the edge taken, next state)."""


def highlight_path(
    graph: Graph,
    path: Sequence[str],
    *,
    current: Iterable[str] = (),
    status: Status = "running",
    outcomes: Sequence[bool | None] = (),
) -> Highlight:
    """A :class:`Highlight` from the states an instance passed through, in order (e.g. its history: one entry
    per suspension). Between two recorded states the route is filled in when it is unambiguous: exactly one
    path through states that do not suspend. ``outcomes[i]`` says whether the command at ``path[i]`` succeeded
    (``None``: unknown): a success leaves its suspension by the normal edge, a failure by an exception edge, which
    often settles which way the run went. Ids the graph does not know (another version) are ignored."""
    known = {n.id for n in graph.nodes}
    cur = frozenset(c for c in current if c in known)
    outcome_of = list(outcomes) + [None] * (len(path) - len(outcomes))
    kept = [(p, o) for p, o in zip(path, outcome_of) if p in known]
    steps = [p for p, _ in kept]
    results: list[bool | None] = [o for _, o in kept]
    if len(cur) == 1 and (not steps or steps[-1] not in cur):
        steps.extend(cur)  # the history may or may not already end at the current state
        results.append(None)
    # The entry is where every run begins; a repeated state is kept (a loop that suspends at one state).
    if not steps or steps[0] != graph.entry:
        steps.insert(0, graph.entry)
        results.insert(0, None)
    adjacency = _adjacency(graph)
    kinds = {e.key: e.kind for e in graph.edges}
    visited: set[str] = set(steps)
    edges: set[tuple[str, str]] = set()
    for (a, b), ok in zip(itertools.pairwise(steps), results):
        first: Mapping[str, list[tuple[tuple[str, str], str]]] = adjacency
        if ok is not None:
            # A known outcome fixes the way out of `a`: its resume edge after a success, an exception edge after a
            # failure.
            exits = [(k, n) for k, n in adjacency.get(a, []) if (kinds.get(k) == "normal") == ok]
            first = {**adjacency, a: exits}
        route = _unique_route(graph, first, a, b)
        for src, key, dst in route or []:
            visited.update((src, dst))
            edges.add(key)
    return Highlight(cur, frozenset(visited), frozenset(edges), status)


def _adjacency(graph: Graph) -> dict[str, list[tuple[tuple[str, str], str]]]:
    """state → [(edge key, next state)], exception edges expanded to every state inside their region."""
    inside: dict[str, list[str]] = {}
    parents = {c.id: c.parent for c in graph.clusters}
    for n in graph.nodes:
        r = n.region
        while r is not None:
            inside.setdefault(r, []).append(n.id)
            r = parents.get(r)
    adj: dict[str, list[tuple[tuple[str, str], str]]] = {}
    for e in graph.edges:
        for src in inside.get(e.cluster, []) if e.cluster else [e.src]:
            adj.setdefault(src, []).append((e.key, e.dst))
    return adj


def final_state(graph: Graph, last: str) -> str | None:
    """Where a completed run ended: the only ``return`` state reachable from ``last`` (its last suspension, or
    the entry) without suspending again, by exactly one route; ``None`` when that is not certain."""
    adjacency = _adjacency(graph)
    found: list[str] = []
    for node in graph.nodes:
        if node.kind == "return":
            routes = _routes(graph, adjacency, last, node.id)
            if routes is None:
                return None
            found.extend(node.id for _ in routes)
    return found[0] if len(found) == 1 else None


def _unique_route(
    graph: Graph, adj: Mapping[str, list[tuple[tuple[str, str], str]]], a: str, b: str
) -> list[Step] | None:
    routes = _routes(graph, adj, a, b)
    return routes[0] if routes is not None and len(routes) == 1 else None


def _routes(
    graph: Graph, adj: Mapping[str, list[tuple[tuple[str, str], str]]], a: str, b: str, budget: int = 20000
) -> list[list[Step]] | None:
    """Up to two simple paths a → b whose inner states do not suspend (two: "more than one"), or ``None`` when
    the search was too costly to finish. Each step is (state, edge key, next state)."""
    suspends = {n.id for n in graph.nodes if n.kind in SUSPENSIONS}
    found: list[list[Step]] = []
    trail: list[Step] = []
    seen = {a}
    work = budget

    def walk(node: str) -> bool:  # False: stop (enough found, or out of budget)
        nonlocal work
        for key, nxt in adj.get(node, []):
            work -= 1
            if work < 0 or len(found) > 1:
                return False
            if nxt == b:
                found.append([*trail, (node, key, nxt)])
                continue
            if nxt in seen or nxt in suspends:
                continue
            seen.add(nxt)
            trail.append((node, key, nxt))
            ok = walk(nxt)
            trail.pop()
            seen.discard(nxt)
            if not ok:
                return False
        return True

    if not walk(a) and work < 0:
        return None
    return found[:2]
