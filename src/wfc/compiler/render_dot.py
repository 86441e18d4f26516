"""Graphviz DOT (written by our own code) and SVG (DOT piped through Graphviz's ``dot``) for a :class:`Graph`.

Every label is an HTML-like label (``<...>``), so user text needs one escaping (``& < > "``) and never meets
DOT's backslash escapes (``\\n``, ``\\l``) by accident; identifiers are double-quoted. Output order follows the
graph (clusters nested as the region tree, members in table order), so the text is stable for golden tests.

In SVG output each state's group has ``id="state:<state id>"`` and a ``class`` naming its kind and, with a
highlight, ``wfc-current``/``wfc-visited``: pages and tests can find the highlighted node.
"""

from __future__ import annotations

import shutil
import subprocess

from wfc.compiler.graph import Cluster, Edge, Graph, Highlight, Node
from wfc.errors import InternalError, WfcError

# (shape, fill) per node kind. Colours are pale so that the highlight colours stand out on top of them.
_SHAPES: dict[str, tuple[str, str]] = {
    "start": ("oval", "#eeeeee"),
    "code": ("box", "#ffffff"),
    "step": ("box", "#e8f1fb"),
    "child": ("box", "#e8f1fb"),
    "start_child": ("box", "#e8f1fb"),
    "join": ("cds", "#e8f1fb"),
    "sleep": ("box", "#fdf3e1"),
    "event": ("cds", "#fdf3e1"),
    "all_of": ("box", "#eaf6ea"),
    "any_of": ("box", "#eaf6ea"),
    "branch": ("diamond", "#ffffff"),
    "loop": ("hexagon", "#f1ebfa"),
    "return": ("oval", "#e0f3db"),
    "raise": ("oval", "#fde0dd"),
    "leave": ("box", "#ffffff"),
    "finally_end": ("invtrapezium", "#eeeeee"),
}
EXCEPTION_COLOR = "#c0392b"
FINALLY_COLOR = "#2c7fb8"
BACK_COLOR = "#7b3fbf"
PATH_COLOR = "#e67e22"
CURRENT_FILL = {"running": "#ffd08a", "finished": "#a6dba0", "failed": "#f4a582"}
CURRENT_BORDER = {"running": "#e67e22", "finished": "#1a9641", "failed": "#d7191c"}


def quote(text: str) -> str:
    """A DOT double-quoted identifier: only ``"`` (and the backslash that could escape it) need care."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def html(text: str) -> str:
    """Text for inside an HTML-like label."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def cluster_id(cluster: str) -> str:
    # Graphviz draws a subgraph as a box only when its name starts with "cluster".
    return f"cluster_{cluster}"


def render_dot(graph: Graph, highlight: Highlight | None = None) -> str:
    hl = highlight or Highlight()
    out = [
        f"digraph {quote(graph.name)} {{",
        f'  graph [compound=true, rankdir=TB, fontname="Helvetica", fontsize=11, labelloc=t, '
        f"label=<<b>{html(graph.name)}</b>>];",
        '  node [fontname="Helvetica", fontsize=10, style="filled", color="#555555", margin="0.15,0.06"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555", fontcolor="#333333"];',
    ]
    _members(graph, None, hl, out, "  ")
    out.extend(f"  {_edge(e, hl)}" for e in graph.edges)
    out.append("}")
    return "\n".join(out) + "\n"


def _members(graph: Graph, cluster: str | None, hl: Highlight, out: list[str], indent: str) -> None:
    for node in graph.members(cluster):
        out.append(indent + _node(node, hl))
    for child in graph.children(cluster):
        out.extend(_cluster_open(child, indent))
        _members(graph, child.id, hl, out, indent + "  ")
        out.append(indent + "}")


def _cluster_open(c: Cluster, indent: str) -> list[str]:
    return [
        f"{indent}subgraph {quote(cluster_id(c.id))} {{",
        f'{indent}  graph [label=<{html(c.label)}>, style="rounded,dashed", color="#888888", '
        f'fontcolor="#555555", fontsize=10, labeljust=l, id={quote("region:" + c.id)}];',
    ]


def _node(node: Node, hl: Highlight) -> str:
    shape, fill = _SHAPES[node.kind]
    styles = ["filled"] if node.kind in ("code", "branch") else ["rounded", "filled"]
    if node.kind == "leave":
        styles.append("dashed")
    attrs = {"shape": shape, "label": f"<{_label(node)}>", "id": quote("state:" + node.id),
             "tooltip": quote(node.id)}  # fmt: skip
    classes = [f"wfc-{node.kind}"]
    penwidth = 2.0 if node.entry else 1.0
    color = "#555555"
    if node.kind == "child":
        attrs["peripheries"] = "2"
    if node.id in hl.visited:
        color, penwidth = PATH_COLOR, 2.0
        classes.append("wfc-visited")
    if node.id in hl.current:
        fill, color, penwidth = CURRENT_FILL[hl.status], CURRENT_BORDER[hl.status], 3.0
        classes.append("wfc-current")
    attrs.update(
        style=quote(",".join(styles)),
        fillcolor=quote(fill),
        color=quote(color),
        penwidth=f"{penwidth:g}",
        **{"class": quote(" ".join(classes))},
    )
    return f"{quote(node.id)} [{', '.join(f'{k}={v}' for k, v in attrs.items())}];"


def _label(node: Node) -> str:
    title = f"<b>{html(node.title)}</b>"
    caption = f'<font point-size="8" color="#666666">{html(node.caption)}</font>'
    cells = list(node.lanes) or ([f"{node.fanout} × N"] if node.fanout else [])
    if not cells:
        return f"{title}<br/>{caption}"
    # Parallel lanes: one cell per branch of the all_of/any_of, side by side.
    span = len(cells)
    row = "".join(f'<td bgcolor="#ffffff">{html(c)}</td>' for c in cells)
    return (
        f'<table border="0" cellborder="1" cellspacing="3" cellpadding="3">'
        f'<tr><td colspan="{span}" border="0">{title}</td></tr><tr>{row}</tr>'
        f'<tr><td colspan="{span}" border="0">{caption}</td></tr></table>'
    )


def _edge(e: Edge, hl: Highlight) -> str:
    attrs: dict[str, str] = {}
    if e.label:
        attrs["label"] = f"<{html(e.label)}>"
    if e.kind == "exception":
        attrs.update(style="dashed", color=quote(EXCEPTION_COLOR), fontcolor=quote(EXCEPTION_COLOR))
    elif e.kind in ("finally", "completion"):
        attrs.update(style="dashed", color=quote(FINALLY_COLOR), fontcolor=quote(FINALLY_COLOR))
    if e.back:
        attrs.update(color=quote(BACK_COLOR), penwidth="1.5")
    if e.cluster is not None:
        attrs["ltail"] = quote(cluster_id(e.cluster))  # drawn from the try region's box (compound=true)
    if e.key in hl.visited_edges:
        attrs.update(color=quote(PATH_COLOR), penwidth="2.5")
    text = f"{quote(e.src)} -> {quote(e.dst)}"
    return f"{text} [{', '.join(f'{k}={v}' for k, v in attrs.items())}];" if attrs else f"{text};"


# ---- SVG --------------------------------------------------------------------------------------------------------

GRAPHVIZ_HINT = (
    "install Graphviz: apt-get install graphviz / brew install graphviz, or use --format dot|mermaid|html"
)


def have_graphviz() -> bool:
    return shutil.which("dot") is not None


def render_svg(graph: Graph, highlight: Highlight | None = None) -> str:
    """The graph as SVG, laid out by Graphviz's ``dot``. Raises ``WFC410`` when ``dot`` is not installed."""
    return dot_to_svg(render_dot(graph, highlight))


def dot_to_svg(dot_text: str) -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise WfcError("SVG output needs Graphviz's `dot` program, which is not installed", code="WFC410",
                       hint=GRAPHVIZ_HINT)  # fmt: skip
    try:
        done = subprocess.run([exe, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=120,
                              check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WfcError(f"running Graphviz's dot failed: {exc}", code="WFC410", hint=GRAPHVIZ_HINT) from None
    if done.returncode != 0:
        # Our DOT is generated: dot rejecting it is our bug, not the user's.
        raise InternalError(
            f"Graphviz's dot rejected the generated DOT: {done.stderr.decode(errors='replace')}"
        )
    return done.stdout.decode()
