"""Mermaid ``flowchart TD`` text for a :class:`Graph` (renders on GitHub, GitLab, in many editors and docs).

Layout of the output, in this order so that Mermaid places every node in its subgraph: node declarations
(each try region a ``subgraph ... end``, nested as the region tree), then the edges, then the styles
(``classDef``/``class`` per node kind and highlight, ``linkStyle`` by edge index).

Labels are always double-quoted and escaped with Mermaid's entity codes (``#quot;``, ``#lt;``, ...), so user
text cannot end a label or be read as markup. Node ids are the state ids made safe (``L12.for`` →
``s_L12_for``): a prefix keeps them clear of Mermaid keywords such as ``end``.
"""

from __future__ import annotations

import re

from wfc.compiler.graph import Edge, Graph, Highlight, Node
from wfc.compiler.render_dot import (
    BACK_COLOR,
    CURRENT_BORDER,
    CURRENT_FILL,
    EXCEPTION_COLOR,
    FINALLY_COLOR,
    PATH_COLOR,
)

# (open, close) brackets per node kind: Mermaid's shapes.
_SHAPES: dict[str, tuple[str, str]] = {
    "start": ("([", "])"),
    "code": ("[", "]"),
    "step": ("(", ")"),
    "child": ("[[", "]]"),
    "start_child": ("[[", "]]"),
    "join": (">", "]"),
    "sleep": ("(", ")"),
    "event": (">", "]"),
    "all_of": ("[/", "/]"),
    "any_of": ("[/", "/]"),
    "branch": ("{", "}"),
    "loop": ("{{", "}}"),
    "return": ("([", "])"),
    "raise": ("([", "])"),
    "leave": ("[", "]"),
    "finally_end": ("[\\", "/]"),
}
_KIND_STYLE: dict[str, str] = {
    "start": "fill:#eeeeee,stroke:#555555",
    "code": "fill:#ffffff,stroke:#555555",
    "step": "fill:#e8f1fb,stroke:#555555",
    "child": "fill:#e8f1fb,stroke:#555555,stroke-width:2px",
    "start_child": "fill:#e8f1fb,stroke:#555555,stroke-dasharray:4 3",
    "join": "fill:#e8f1fb,stroke:#555555",
    "sleep": "fill:#fdf3e1,stroke:#555555",
    "event": "fill:#fdf3e1,stroke:#555555",
    "all_of": "fill:#eaf6ea,stroke:#555555",
    "any_of": "fill:#eaf6ea,stroke:#555555",
    "branch": "fill:#ffffff,stroke:#555555",
    "loop": "fill:#f1ebfa,stroke:#555555",
    "return": "fill:#e0f3db,stroke:#555555",
    "raise": "fill:#fde0dd,stroke:#555555",
    "leave": "fill:#ffffff,stroke:#555555,stroke-dasharray:4 3",
    "finally_end": "fill:#eeeeee,stroke:#555555",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def escape(text: str) -> str:
    """Text for inside a double-quoted Mermaid label. ``#`` first: the others are written with it."""
    for ch, code in (
        ("#", "#35;"),
        ('"', "#quot;"),
        ("<", "#lt;"),
        (">", "#gt;"),
        ("&", "#amp;"),
        ("`", "#96;"),
    ):
        text = text.replace(ch, code)
    return text


def _ids(graph: Graph) -> dict[str, str]:
    """A Mermaid-safe, unique id for every state (``s_``) and try region (``r_``), stable across runs."""
    out: dict[str, str] = {}
    used: set[str] = set()
    names = [(n.id, "s_") for n in graph.nodes] + [(c.id, "r_") for c in graph.clusters]
    for name, prefix in names:
        base = prefix + _UNSAFE.sub("_", name)
        mid, k = base, 1
        while mid in used:
            k += 1
            mid = f"{base}_{k}"
        used.add(mid)
        out[prefix + name] = mid
    return out


def render_mermaid(graph: Graph, highlight: Highlight | None = None) -> str:
    hl = highlight or Highlight()
    ids = _ids(graph)
    out = ["flowchart TD", f"  %% workflow {graph.name.replace(chr(10), ' ')}"]
    _members(graph, None, ids, out, "  ")
    link_styles: dict[str, list[int]] = {}
    for i, e in enumerate(graph.edges):
        out.append("  " + _edge(e, ids))
        style = _edge_style(e, hl)
        if style:
            link_styles.setdefault(style, []).append(i)
    for kind, style in _KIND_STYLE.items():
        members = [ids["s_" + n.id] for n in graph.nodes if n.kind == kind]
        if members:
            out.append(f"  classDef wfc_{kind} {style}")
            out.append(f"  class {','.join(members)} wfc_{kind}")
    visited = [ids["s_" + n.id] for n in graph.nodes if n.id in hl.visited and n.id not in hl.current]
    if visited:
        out.append(f"  classDef wfc_visited stroke:{PATH_COLOR},stroke-width:2px")
        out.append(f"  class {','.join(visited)} wfc_visited")
    current = [ids["s_" + n.id] for n in graph.nodes if n.id in hl.current]
    if current:
        out.append(f"  classDef wfc_current fill:{CURRENT_FILL[hl.status]},stroke:{CURRENT_BORDER[hl.status]},"
                   "stroke-width:3px")  # fmt: skip
        out.append(f"  class {','.join(current)} wfc_current")
    for style, indexes in link_styles.items():
        out.append(f"  linkStyle {','.join(map(str, indexes))} {style}")
    return "\n".join(out) + "\n"


def _members(graph: Graph, cluster: str | None, ids: dict[str, str], out: list[str], indent: str) -> None:
    for node in graph.members(cluster):
        out.append(indent + _node(node, ids))
    for child in graph.children(cluster):
        out.append(f'{indent}subgraph {ids["r_" + child.id]} ["{escape(child.label)}"]')
        _members(graph, child.id, ids, out, indent + "  ")
        out.append(f"{indent}end")


def _node(node: Node, ids: dict[str, str]) -> str:
    lines = [node.title]
    if node.lanes:
        lines.append(" ‖ ".join(node.lanes))  # parallel lanes side by side
    elif node.fanout:
        lines.append(f"{node.fanout} × N")
    lines.append(node.caption)
    open_, close = _SHAPES[node.kind]
    return f'{ids["s_" + node.id]}{open_}"{"<br/>".join(escape(x) for x in lines)}"{close}'


def _edge(e: Edge, ids: dict[str, str]) -> str:
    src = ids["r_" + e.cluster] if e.cluster is not None else ids["s_" + e.src]
    arrow = "-.->" if e.dashed else "-->"
    label = f'|"{escape(e.label)}"|' if e.label else ""
    return f"{src} {arrow}{label} {ids['s_' + e.dst]}"


def _edge_style(e: Edge, hl: Highlight) -> str:
    if e.key in hl.visited_edges:
        return f"stroke:{PATH_COLOR},stroke-width:3px"
    if e.kind == "exception":
        return f"stroke:{EXCEPTION_COLOR}"
    if e.kind in ("finally", "completion"):
        return f"stroke:{FINALLY_COLOR}"
    if e.back:
        return f"stroke:{BACK_COLOR},stroke-width:2px"
    return ""
