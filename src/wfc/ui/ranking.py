"""The vertical half of the dashboard's graph layout: which row (rank) each state of a
:class:`~wfc.compiler.graph.Graph` sits on.

Rows follow the code: the entry on top, each state below every state that leads to it — except along an edge
that closes a loop, which would make the ranking impossible. Two rules make the drawing read like the source:

* the code after a loop sits below the whole loop body (not beside its first state, where the longest-path
  rule alone would put it: the exit edge leaves from the loop's head);
* a handler or ``finally`` entered from a whole try region sits below every state of that region.

Both are *constraints* only (virtual edges used for ranking, never drawn). A loop here is a natural loop: the
states that reach the edge's source without passing through its head. Back edges are the ones
:func:`~wfc.compiler.graph.build_graph` flagged, plus any edge into a loop head from a state the head reaches —
``build_graph`` does not follow exception edges, so a handler that continues its loop is found here.
"""

from __future__ import annotations

from collections.abc import Iterable

from wfc.compiler.graph import Graph


def back_edges(graph: Graph) -> set[int]:
    """Indexes (into ``graph.edges``) of the edges that close a loop."""
    heads = {n.id for n in graph.nodes if n.loop_head}
    succ: dict[str, set[str]] = {n.id: set() for n in graph.nodes}
    for e in graph.edges:
        if not e.back and e.src in succ and e.dst in succ:
            succ[e.src].add(
                e.dst
            )  # (an outer loop's back edge would make every inner loop's entry look like one)
    reach = {h: _reach(succ, h) for h in heads}
    return {
        i
        for i, e in enumerate(graph.edges)
        if e.back or e.src == e.dst or (e.dst in heads and e.src in reach[e.dst])
    }


def _reach(succ: dict[str, set[str]], start: str) -> set[str]:
    found: set[str] = set()
    todo = [start]
    while todo:
        for m in succ[todo.pop()]:
            if m not in found:
                found.add(m)
                todo.append(m)
    return found


def ranks(graph: Graph, back: set[int]) -> dict[str, int]:
    """Each state's row: the longest distance from the entry over the forward and constraint edges."""
    ids = [n.id for n in graph.nodes]
    order = {n: i for i, n in enumerate(ids)}
    succ: dict[str, set[str]] = {n: set() for n in ids}
    for i, e in enumerate(graph.edges):
        if i not in back and e.src in succ and e.dst in succ and e.src != e.dst:
            succ[e.src].add(e.dst)
    for src, dst in _constraints(graph, back):
        # A constraint that would close a cycle (code where a handler or a finally leaves its loop, say) is
        # dropped: the rows stay a ranking of an acyclic graph, so every forward edge still points down.
        if src != dst and dst not in succ[src] and src not in _reach(succ, dst):
            succ[src].add(dst)
    return _longest_paths(succ, graph.entry, order)


def _constraints(graph: Graph, back: set[int]) -> Iterable[tuple[str, str]]:
    preds: dict[str, set[str]] = {n.id: set() for n in graph.nodes}
    for e in graph.edges:
        if e.src in preds and e.dst in preds:
            preds[e.dst].add(e.src)
    bodies: dict[str, set[str]] = {}  # loop head -> its body: the natural loops of all its back edges, merged
    for i in back:
        e = graph.edges[i]
        if e.src == e.dst or e.dst not in preds or e.src not in preds:
            continue
        body = bodies.setdefault(e.dst, {e.dst})
        todo = [e.src]
        while todo:
            n = todo.pop()
            if n not in body:
                body.add(n)
                todo.extend(preds[n])
    for body in bodies.values():
        exits = {  # (an edge that leaves by closing an outer loop is no exit to rank below)
            x.dst
            for k, x in enumerate(graph.edges)
            if k not in back and x.src in body and x.dst not in body and x.dst in preds
        }
        yield from ((b, t) for b in body for t in exits)
    inside = _cluster_members(graph)
    for e in graph.edges:
        if e.cluster is not None and e.dst in preds:
            yield from ((m, e.dst) for m in inside.get(e.cluster, ()) if m != e.dst)


def _cluster_members(graph: Graph) -> dict[str, set[str]]:
    """Every state inside each try region, its nested regions' included."""
    out: dict[str, set[str]] = {c.id: set() for c in graph.clusters}
    parent = {c.id: c.parent for c in graph.clusters}
    for n in graph.nodes:
        region = n.region
        while region is not None and region in out:
            out[region].add(n.id)
            region = parent[region]
    return out


def _longest_paths(succ: dict[str, set[str]], entry: str, order: dict[str, int]) -> dict[str, int]:
    """Longest-path ranks on a graph that should be acyclic; a cycle left over (constraints that contradict in
    code no structured program makes) is broken at its first state in table order that something ranked
    reaches, so every state gets a rank and every edge that does not close a cycle still points down."""
    preds: dict[str, list[str]] = {n: [] for n in succ}
    indeg = dict.fromkeys(succ, 0)
    for n, targets in succ.items():
        for m in targets:
            preds[m].append(n)
            indeg[m] += 1
    rank = dict.fromkeys(succ, 0)
    ready = sorted((n for n, d in indeg.items() if d == 0), key=lambda n: (n != entry, order[n]))
    seen: set[str] = set()
    while len(seen) < len(succ):
        if not ready:
            rest = [n for n in succ if n not in seen]
            forced = min(rest, key=lambda n: (not any(p in seen for p in preds[n]), order[n]))
            rank[forced] = max([0] + [rank[p] + 1 for p in preds[forced] if p in seen])
            ready.append(forced)
        n = ready.pop(0)
        if n in seen:
            continue
        seen.add(n)
        for m in sorted(succ[n], key=order.__getitem__):
            if m in seen:
                continue
            rank[m] = max(rank[m], rank[n] + 1)
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
    return rank


__all__ = ["back_edges", "ranks"]
