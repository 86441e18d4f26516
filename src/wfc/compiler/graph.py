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

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs

from wfc.compiler import ir

NodeKind = Literal[
    "start", "code", "step", "child", "sleep", "event", "all_of", "any_of",
    "branch", "loop", "return", "raise", "leave", "finally_end",
]  # fmt: skip
EdgeKind = Literal["normal", "exception", "finally", "completion"]
Status = Literal["running", "finished", "failed"]

SUSPENSIONS: frozenset[str] = frozenset({"step", "child", "sleep", "event", "all_of", "any_of"})
MAX_LABEL = 48
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
        kind = {"all_of": "all_of", "any_of": "any_of", "finally_end": "end finally", "loop": "loop"}.get(
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
    """The graph of ``table``. ``namespace`` (the workflow's globals) tells steps from child workflows."""
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
    heads = {e.dst for e in edges if e.back}
    nodes = [_loop_head(n) if n.id in heads or _looks_like_loop(n.id) else n for n in nodes]
    # A loop head's test decides between another round and leaving the loop: say so on its two edges.
    loops = {n.id for n in nodes if n.kind == "loop"}
    relabel = {"true": "loop", "false": "exit"}
    edges = [
        attrs.evolve(e, label=relabel[e.label]) if e.src in loops and e.label in relabel else e for e in edges
    ]
    return Graph(table.name, table.entry, tuple(nodes), tuple(edges), tuple(clusters))


def _loop_head(node: Node) -> Node:
    # A suspension that heads a loop keeps its kind (it is what the user wrote) and only gains the flag.
    if node.kind in ("branch", "code"):
        # Without the lowering's labels (an old table) a while head reads "if <test>": it is a loop.
        title = "while " + node.title[3:] if node.title.startswith("if ") else node.title
        return attrs.evolve(node, kind="loop", loop_head=True, title=title)
    return attrs.evolve(node, loop_head=True)


def _looks_like_loop(state_id: str) -> bool:
    return state_id.endswith((".for", ".while"))


def _node(table: ir.Table, s: ir.State, ns: Mapping[str, Any]) -> Node:
    line = s.pos.line if s.pos else None
    base = Node(s.id, "code", "", line, s.region, entry=s.id == table.entry)
    op = s.op
    if isinstance(op, ir.Suspend):
        kind, title, lanes, fanout = classify_command(op.command.source, ns)
        if op.bind and not _internal(op.bind.targets[0]):
            title = f"{' = '.join(op.bind.targets)} = {title}"
        return attrs.evolve(base, kind=kind, title=_short(title), lanes=lanes, fanout=fanout)
    if isinstance(op, ir.Branch):
        title = s.label or _branch_title(s, op)
        return attrs.evolve(base, kind="branch", title=_short(title))
    if isinstance(op, ir.Return):
        title = f"return {op.value.source}" if op.value else "return"
        return attrs.evolve(base, kind="return", title=_short(title))
    if isinstance(op, ir.Raise):
        if op.exc is None or _internal(op.exc.source):
            title = "raise (re-raise)"
        else:
            title = f"raise {op.exc.source}" + (f" from {op.cause.source}" if op.cause else "")
        return attrs.evolve(base, kind="raise", title=_short(title))
    if isinstance(op, ir.Leave):
        c = op.completion
        if isinstance(c, ir.ReturnWith):
            what = f"return {c.value.source}" if c.value else "return"
        else:
            what = s.label if s.label in ("break", "continue") else "leave try"
        return attrs.evolve(base, kind="leave", title=_short(f"{what} → finally"))
    if isinstance(op, ir.EndFinally):
        return attrs.evolve(base, kind="finally_end", title="end finally")
    if s.id == table.entry:
        params = ", ".join(p.name for p in table.params)
        name = table.name.rpartition(":")[2] or "start"
        return attrs.evolve(base, kind="start", title=_short(f"{name}({params})"))
    return attrs.evolve(base, title=_short(s.label or _code_title(s)))


def _branch_title(s: ir.State, op: ir.Branch) -> str:
    # A state the lowering gave no label (e.g. a table built by other tools): rebuild one from the test.
    test = op.test.source
    if test.startswith(_INTERNAL) and test.endswith(".more()"):
        return "for loop"
    return f"while {test}" if _looks_like_loop(s.id) else f"if {test}"


def _code_title(s: ir.State) -> str:
    lines = [ln for ln in (s.code.source.splitlines() if s.code else []) if not _internal(ln)]
    # A for loop's body starts by taking the next item from the loop's internal iterator.
    lines = [re.sub(r"\b_wfc_it\d+\.next\(\)", "next item", ln) for ln in lines]
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
    if isinstance(op, ir.Goto):
        return [Edge(s.id, op.target)]
    if isinstance(op, ir.Branch):
        return [Edge(s.id, op.if_true, label="true"), Edge(s.id, op.if_false, label="false")]
    if isinstance(op, ir.Suspend):
        return [Edge(s.id, op.resume)]
    if isinstance(op, ir.Leave):
        entry = table.region(op.region).finally_entry
        return [Edge(s.id, entry, "finally", "finally")] if entry else []
    if isinstance(op, ir.EndFinally):
        return [Edge(s.id, x, "completion") for x in table.region(op.region).exits]
    return []


def classify_command(source: str, ns: Mapping[str, Any]) -> tuple[NodeKind, str, tuple[str, ...], str | None]:
    """(kind, title, lanes, fanout) of the command a suspension yields, from its source text.

    The callee is resolved in the workflow's namespace when possible (so ``from wfc import sleep as nap`` or a
    user step called ``sleep`` are told apart); otherwise its name decides."""
    try:
        expr: ast.expr = ast.parse(source, mode="eval").body
    except SyntaxError:
        return "step", source, (), None
    # `a(x).options(retry=False)`: the command is still a call of `a`.
    title = source
    while (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
           and expr.func.attr == "options"):  # fmt: skip
        expr = expr.func.value
        title = f"{ast.unparse(expr)}.options(…)"  # the call matters more than its options
    if not isinstance(expr, ast.Call):
        return "step", source, (), None
    kind = _command_kind(*_callee(expr.func, ns))
    if kind not in ("all_of", "any_of"):
        return kind, title, (), None
    lanes, fanout, over = _parallel(expr)
    if lanes or fanout:
        # The lanes (or "× N") show the commands: the title keeps only the call's head.
        return kind, f"{ast.unparse(expr.func)}({over or '…'})", lanes, fanout
    return kind, source, (), None


_BY_NAME: dict[str, NodeKind] = {
    "sleep": "sleep",
    "wait_event": "event",
    "all_of": "all_of",
    "any_of": "any_of",
}


def _command_kind(name: str, value: Any) -> NodeKind:
    from wfc import commands

    if isinstance(value, commands.WorkflowDef):
        return "child"
    if isinstance(value, commands.StepDef):
        return "step"
    if value is None:  # not resolvable (no namespace, a .wf file): trust the name
        return _BY_NAME.get(name.rpartition(".")[2], "step")
    for fn_name, kind in _BY_NAME.items():
        if value is getattr(commands, fn_name):
            return kind
    return "step"


def _callee(func: ast.expr, ns: Mapping[str, Any]) -> tuple[str, Any]:
    """The dotted name of a callee and the object it names in ``ns`` (``None`` when unknown)."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.insert(0, func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return ast.unparse(func), None
    parts.insert(0, func.id)
    value: Any = ns.get(func.id)
    for p in parts[1:]:
        value = getattr(value, p, None) if value is not None else None
    return ".".join(parts), value


def _parallel(call: ast.Call) -> tuple[tuple[str, ...], str | None, str]:
    """(lanes, fanout command, fanout generators) of an ``all_of``/``any_of`` call."""
    args: Sequence[ast.expr] = call.args
    if len(args) == 1:
        only = args[0].value if isinstance(args[0], ast.Starred) else args[0]
        if isinstance(only, ast.ListComp | ast.GeneratorExp):
            gens = " ".join(ast.unparse(g) for g in only.generators).strip()
            return (), _short(ast.unparse(only.elt), 32), f"… {gens}"
        if isinstance(only, ast.List | ast.Tuple) and not isinstance(args[0], ast.Starred):
            args = only.elts
    if len(args) >= 2 and not any(isinstance(a, ast.Starred) for a in args):
        return tuple(_short(ast.unparse(a), 32) for a in args), None, ""
    return (), None, ""


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
