"""The drawable graph of a state table: nodes, edges and try-region clusters (``wfc graph``).

The compiled table *is* the workflow's graph, so this module only interprets it for people:

* one :class:`Node` per state, its :data:`NodeKind` read from the state's op (a suspension is classified by its
  command: step, child workflow, sleep, event wait, ``all_of``/``any_of``), labelled with the state's source line;
* one :class:`Edge` per control transfer: normal flow (gotos, branches, resumes), *finally* edges (a ``Leave``
  into a finally), *completion* edges (a finally's end resuming its pending jump), and *exception* edges, drawn
  once per try region to each handler and to its finally rather than once per state, so they stay readable;
  edges that close a loop (back edges of a depth-first search from the entry) are flagged ``back``;
* one :class:`Cluster` per try region, nested as the region tree.

Renderers (:mod:`wfc.compiler.render_dot`, :mod:`~wfc.compiler.render_mermaid`, :mod:`~wfc.compiler.render_html`)
draw a :class:`Graph`, optionally with a :class:`Highlight` showing where a running instance is and how it got
there. Everything is ordered by the table, so the output is stable and golden tests are possible.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import attrs

from wfc.compiler import ir
from wfc.compiler.shapes import LANE_LIMIT, command_shape

NodeKind = Literal[
    "start", "code", "step", "child", "sleep", "event", "all_of", "any_of", "start_child", "join",
    "branch", "loop", "return", "raise", "leave", "finally_end",
]  # fmt: skip
EdgeKind = Literal["normal", "exception", "finally", "completion"]
Status = Literal["running", "finished", "failed"]

SUSPENSIONS: frozenset[str] = frozenset(
    {"step", "child", "sleep", "event", "all_of", "any_of", "start_child", "join"}
)
MAX_LABEL = 48
_CONTINUE = re.compile(r"^(?:[\w.]+\.)?continue_as_new\(")  # `return wfc.continue_as_new(...)`
_INTERNAL = "_wfc_"


@attrs.frozen
class Node:
    """A state. ``title`` says what it does, ``line`` where (``None`` for tables without positions).

    ``lanes`` are the branches of a parallel ``all_of``/``any_of`` written as a literal call with several
    commands; ``fanout`` the repeated command of a comprehension fan-out (drawn as "× N")."""

    id: str
    kind: NodeKind
    title: str
    line: int | None = None
    region: str | None = None
    entry: bool = False
    loop_head: bool = False
    lanes: tuple[str, ...] = ()
    fanout: str | None = None

    @property
    def caption(self) -> str:
        kind = {"finally_end": "end finally", "start_child": "start child"}.get(
            self.kind, self.kind
        )
        if self.entry and self.kind != "start":
            kind = f"start: {kind}"  # the entry state itself suspends or branches
        return f"{kind} · line {self.line}" if self.line is not None else kind


@attrs.frozen
class Edge:
    """``src`` → ``dst``. An exception or finally edge taken from a whole try region has ``cluster`` set: it is
    drawn from the region's box; ``src`` is then the region's anchor state (its first state), for renderers that
    need a node. :attr:`key` identifies the edge in a :class:`Highlight`."""

    src: str
    dst: str
    kind: EdgeKind = "normal"
    label: str = ""
    back: bool = False
    cluster: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.cluster or self.src, self.dst)

    @property
    def dashed(self) -> bool:
        return self.kind != "normal"


@attrs.frozen
class Cluster:
    """A try region: ``parent`` is the enclosing region, ``anchor`` its first state (``None`` if it has none)."""

    id: str
    label: str
    parent: str | None = None
    anchor: str | None = None


@attrs.frozen
class Graph:
    name: str
    entry: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...] = ()

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def children(self, cluster: str | None) -> list[Cluster]:
        """Clusters directly inside ``cluster`` (top-level ones for ``None``), in table order."""
        return [c for c in self.clusters if c.parent == cluster]

    def members(self, cluster: str | None) -> list[Node]:
        """Nodes directly inside ``cluster`` (outside every cluster for ``None``), in table order."""
        return [n for n in self.nodes if n.region == cluster]


@attrs.frozen
class Highlight:
    """Where an instance is and how it got there. ``visited_edges`` holds :attr:`Edge.key` pairs.

    The runtime (or :func:`wfc.compiler.graph_path.highlight_path`) fills it; renderers colour ``current`` (green when ``finished``,
    red when ``failed``), and the visited states and edges."""

    current: frozenset[str] = frozenset()
    visited: frozenset[str] = frozenset()
    visited_edges: frozenset[tuple[str, str]] = frozenset()
    status: Status = "running"


# ---- building ---------------------------------------------------------------------------------------------------


def build_graph(table: ir.Table, namespace: Mapping[str, Any] | None = None) -> Graph:
    """The graph of ``table``. Everything is read from the table's structure: a suspension's kind from its
    recorded :attr:`~wfc.compiler.ir.Suspend.shape`, loop heads from :attr:`~wfc.compiler.ir.State.loop`.
    ``namespace`` (the workflow's globals) is only used for a table without shapes (built by other tools), to
    tell steps from child workflows."""
    ns = namespace or {}
    nodes = [_node(table, s, ns) for s in table.states]
    edges: list[Edge] = []
    for s in table.states:
        edges.extend(_state_edges(table, s))
    clusters = _clusters(table)
    anchors = {c.id: c.anchor for c in clusters}
    for r in table.regions:
        anchor = anchors[r.id]
        if anchor is None:
            continue  # an empty try body raises nothing: no box, no edges
        for h in r.handlers:
            label = h.types.source if h.types else "Exception"
            edges.append(Edge(anchor, h.target, "exception", _short(label), cluster=r.id))
        if r.finally_entry:
            edges.append(Edge(anchor, r.finally_entry, "finally", "finally", cluster=r.id))
    edges = _mark_back_edges(table, list(dict.fromkeys(edges)))
    heads = {e.dst for e in edges if e.back} | {s.id for s in table.states if s.loop is not None}
    nodes = [_loop_head(n, table.state(n.id)) if n.id in heads else n for n in nodes]
    # A loop head's test decides between another round and leaving the loop: say so on its two edges.
    loops = {n.id for n in nodes if n.kind == "loop"}
    relabel = {"true": "loop", "false": "exit"}
    edges = [
        attrs.evolve(e, label=relabel[e.label]) if e.src in loops and e.label in relabel else e for e in edges
    ]
    return Graph(table.name, table.entry, tuple(nodes), tuple(edges), tuple(clusters))


def _loop_head(node: Node, state: ir.State) -> Node:
    # A suspension that heads a loop keeps its kind (it is what the user wrote) and only gains the flag.
    if node.kind in ("branch", "code"):
        title = _short(state.loop.title) if state.loop is not None else node.title
        return attrs.evolve(node, kind="loop", loop_head=True, title=title)
    return attrs.evolve(node, loop_head=True)


def _node(table: ir.Table, s: ir.State, ns: Mapping[str, Any]) -> Node:
    line = s.pos.line if s.pos else None
    base = Node(s.id, "code", "", line, s.region, entry=s.id == table.entry)
    op = s.op
    if isinstance(op, ir.Suspend):
        shape = op.shape or command_shape(op.command.source, ns)
        title = _command_title(op.command.source, shape)
        if op.bind and not _internal(op.bind.targets[0]):
            title = f"{' = '.join(op.bind.targets)} = {title}"
        lanes = tuple(_short(lane, LANE_LIMIT) for lane in shape.lanes)
        fanout = _short(shape.fanout, LANE_LIMIT) if shape.fanout is not None else None
        return attrs.evolve(base, kind=shape.kind, title=_short(title), lanes=lanes, fanout=fanout)  # type: ignore[arg-type]
    if isinstance(op, ir.Branch):
        return attrs.evolve(base, kind="branch", title=_short(s.label or f"if {op.test.source}"))
    if isinstance(op, ir.Return | ir.Leave | ir.EndFinally | ir.Raise):
        kind, title = _end_title(s, op)
        return attrs.evolve(base, kind=kind, title=_short(title))
    if s.id == table.entry:
        params = ", ".join(p.name for p in table.params)
        name = table.name.rpartition(":")[2] or "start"
        return attrs.evolve(base, kind="start", title=_short(f"{name}({params})"))
    return attrs.evolve(base, title=_short(s.label or _code_title(table, s)))


def _end_title(s: ir.State, op: ir.Return | ir.Leave | ir.EndFinally | ir.Raise) -> tuple[NodeKind, str]:
    if isinstance(op, ir.Return):
        if op.value and _CONTINUE.match(op.value.source):  # ends the run: the workflow starts again (same id)
            args = op.value.source[op.value.source.index("(") :]
            return "return", f"continue as new{args} → start"
        return "return", f"return {op.value.source}" if op.value else "return"
    if isinstance(op, ir.Raise):
        if op.exc is None or _internal(op.exc.source):
            return "raise", "raise (re-raise)"
        return "raise", f"raise {op.exc.source}" + (f" from {op.cause.source}" if op.cause else "")
    if isinstance(op, ir.Leave):
        c = op.completion
        if isinstance(c, ir.ReturnWith):
            what = c.describe()
        else:
            what = s.label if s.label in ("break", "continue") else "leave try"
        return "leave", f"{what} → finally"
    return "finally_end", "end finally"


def _command_title(source: str, shape: ir.CommandShape) -> str:
    if shape.lanes or shape.fanout:
        # The lanes (or "× N") show the commands: the title keeps only the call's head.
        return f"{shape.callee}({'… ' + shape.over if shape.over else '…'})"
    if shape.options:
        return f"{shape.call}.options(…)"  # the call matters more than its options
    return source


def _code_title(table: ir.Table, s: ir.State) -> str:
    lines = [ln for ln in (s.code.source.splitlines() if s.code else []) if not _internal(ln)]
    # A for loop's body starts by taking the next item from the loop's cursor (named by its head).
    cursors = {st.loop.cursor for st in table.states if st.loop is not None and st.loop.cursor}
    nexts = {f"{c}.next()" for c in cursors}
    for i, ln in enumerate(lines):
        for n in nexts:
            if ln.endswith(" = " + n):
                lines[i] = ln[: -len(n)] + "next item"
    if not lines:
        return s.id.rpartition(".")[2] if "." in s.id else s.id
    return lines[0] + (" …" if len(lines) > 1 else "")


def _internal(text: str) -> bool:
    return text.lstrip().startswith(_INTERNAL)


def _short(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _state_edges(table: ir.Table, s: ir.State) -> list[Edge]:
    op = s.op
    if isinstance(op, ir.Branch):
        return [Edge(s.id, op.if_true, label="true"), Edge(s.id, op.if_false, label="false")]
    if op.finally_region is None:
        return [Edge(s.id, t) for t in op.targets()]
    if isinstance(op, ir.Leave):
        entry = table.region(op.region).finally_entry
        return [Edge(s.id, entry, "finally", "finally")] if entry else []
    return [Edge(s.id, x, "completion") for x in table.region(op.finally_region).exits]


def classify_command(source: str, ns: Mapping[str, Any]) -> tuple[NodeKind, str, tuple[str, ...], str | None]:
    """(kind, title, lanes, fanout) of a command from its source (for tables without recorded shapes)."""
    shape = command_shape(source, ns)
    lanes = tuple(_short(lane, LANE_LIMIT) for lane in shape.lanes)
    fanout = _short(shape.fanout, LANE_LIMIT) if shape.fanout is not None else None
    return shape.kind, _command_title(source, shape), lanes, fanout  # type: ignore[return-value]


def _clusters(table: ir.Table) -> list[Cluster]:
    parents = {r.id: r.parent for r in table.regions}
    anchors: dict[str, str] = {}
    for s in table.states:  # table order: the first state met in a region (or below it) anchors it
        rid = s.region
        while rid is not None:
            anchors.setdefault(rid, s.id)
            rid = parents.get(rid)
    by_finally: dict[str, list[ir.Region]] = {}
    for r in table.regions:
        if r.finally_entry:
            by_finally.setdefault(r.finally_entry, []).append(r)
    out = []
    for r in table.regions:
        line = f" (line {r.pos.line})" if r.pos else ""
        # The handlers/else region of a try that has a finally shares the body region's finally.
        twins = [t for t in by_finally.get(r.finally_entry or "", []) if t.id != r.id and t.handlers]
        if r.handlers:
            label = "try" + line
        elif twins:
            label = "except/else" + line
        else:
            label = "try/finally" + line
        out.append(Cluster(r.id, label, r.parent, anchors.get(r.id)))
    return out


def _mark_back_edges(table: ir.Table, edges: list[Edge]) -> list[Edge]:
    """Flag the edges that close a cycle in a depth-first search from the entry (then from any state not yet
    reached, in table order, e.g. handlers, which only exception edges reach)."""
    out_edges: dict[str, list[int]] = {}
    for i, e in enumerate(edges):
        if e.cluster is None:
            out_edges.setdefault(e.src, []).append(i)
    back: set[int] = set()
    done: set[str] = set()
    for root in [table.entry, *(s.id for s in table.states)]:
        if root in done:
            continue
        on_stack = {root}
        stack: list[tuple[str, Iterator[int]]] = [(root, iter(out_edges.get(root, [])))]
        done.add(root)
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                on_stack.discard(node)
                continue
            i = nxt
            dst = edges[i].dst
            if dst in on_stack:
                back.add(i)
            elif dst not in done:
                done.add(dst)
                on_stack.add(dst)
                stack.append((dst, iter(out_edges.get(dst, []))))
    return [attrs.evolve(e, back=True) if i in back else e for i, e in enumerate(edges)]
