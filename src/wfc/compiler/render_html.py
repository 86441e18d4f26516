"""A single self-contained HTML page for a :class:`Graph`: no script, no stylesheet or font from the network.

The drawing is the SVG Graphviz lays out, inlined, when ``dot`` is installed; otherwise the page shows the
Mermaid source in a ``<pre>`` with a note on how to draw it (paste it into any Mermaid viewer, or install
Graphviz). A legend explains node shapes and edge styles; with an instance, the page also shows its status and
its step history.
"""

from __future__ import annotations

import html as _html
import re

import attrs

from wfc.compiler.graph import Graph, Highlight
from wfc.compiler.render_dot import (
    BACK_COLOR,
    CURRENT_BORDER,
    CURRENT_FILL,
    EXCEPTION_COLOR,
    FINALLY_COLOR,
    GRAPHVIZ_HINT,
    PATH_COLOR,
    have_graphviz,
    render_svg,
)
from wfc.compiler.render_mermaid import render_mermaid


@attrs.frozen
class InstanceInfo:
    """What the page says about an instance: its id, status, current state and history rows (one per record,
    as strings, under ``columns``)."""

    id: str
    status: str
    state: str | None = None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


_NODE_LEGEND = [
    ("start", "the workflow's entry"),
    ("step", "a step call: the workflow suspends until it completes"),
    ("child", "a child workflow call (double border)"),
    ("start child", "a child workflow started without waiting (wfc.start_child): the workflow goes on at once"),
    ("join", "waiting for a started child workflow to end (wfc.join)"),
    ("sleep", "a durable timer"),
    ("event", "waiting for an external event"),
    ("all_of / any_of", "parallel commands; one cell per lane, or “× N” for a comprehension fan-out"),
    ("branch", "an if test"),
    ("loop", "a loop head (hexagon)"),
    ("code", "straight-line code between suspensions"),
    ("leave", "leaving a try through its finally (dashed border)"),
    ("end finally", "the end of a finally: continues where the try was left"),
    ("return / raise", "the workflow ends"),
]

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.5rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
td, th { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
.wfc-drawing { overflow: auto; border: 1px solid #ddd; padding: 0.5rem; }
.wfc-drawing svg { max-width: 100%; height: auto; }
pre { background: #f6f6f6; padding: 0.75rem; overflow: auto; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.5rem 0.75rem; }
.swatch { display: inline-block; width: 2.2rem; height: 0; vertical-align: middle; margin-right: 0.4rem; }
.box { display: inline-block; width: 1rem; height: 0.8rem; vertical-align: middle; margin-right: 0.4rem;
       border: 2px solid #555; }
"""


def render_html(
    graph: Graph,
    highlight: Highlight | None = None,
    instance: InstanceInfo | None = None,
    *,
    use_graphviz: bool | None = None,
) -> str:
    """The page. ``use_graphviz``: ``None`` uses Graphviz when it is installed; ``False`` never does."""
    esc = _html.escape
    if use_graphviz is None:
        use_graphviz = have_graphviz()
    title = f"wfc graph: {graph.name}" + (f" — instance {instance.id}" if instance else "")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if instance is not None:
        parts.extend(_instance(instance))
    parts.append("<h2>State graph</h2>")
    if use_graphviz:
        parts.append(f'<div class="wfc-drawing">{_inline_svg(render_svg(graph, highlight))}</div>')
    else:
        parts.append(
            '<p class="note">Graphviz is not installed, so this page shows the graph as Mermaid text: paste it '
            f"into any Mermaid viewer (a Markdown file on GitHub or GitLab renders it), or {esc(GRAPHVIZ_HINT)}"
            " and run <code>wfc graph</code> again for a drawing.</p>"
        )
        parts.append(f'<pre class="mermaid-source">{esc(render_mermaid(graph, highlight))}</pre>')
    parts.extend(_legend(highlight))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _inline_svg(svg: str) -> str:
    # Drop the XML declaration, doctype and comments Graphviz writes before <svg>: they are not valid inside HTML.
    start = svg.find("<svg")
    return re.sub(r"<!--.*?-->", "", svg[start:] if start >= 0 else svg, flags=re.DOTALL).strip()


def _instance(info: InstanceInfo) -> list[str]:
    esc = _html.escape
    out = [
        "<h2>Instance</h2><table>",
        f"<tr><th>id</th><td>{esc(info.id)}</td></tr>",
        f"<tr><th>status</th><td>{esc(info.status)}</td></tr>",
        f"<tr><th>current state</th><td>{esc(info.state or '-')}</td></tr>",
        "</table>",
    ]
    if info.rows:
        out.append(
            "<h2>History</h2><table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in info.columns) + "</tr>"
        )
        out.extend("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in info.rows)
        out.append("</table>")
    return out


def _legend(highlight: Highlight | None) -> list[str]:
    esc = _html.escape
    out = ["<h2>Legend</h2><table>"]
    out.extend(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _NODE_LEGEND)
    edges = [
        ("#555555", "solid", "normal flow (labels: true/false of a branch, loop/exit of a loop)"),
        (BACK_COLOR, "solid", "back edge: the loop goes round again"),
        (EXCEPTION_COLOR, "dashed", "exception: from a try region (dashed box) to its handler"),
        (FINALLY_COLOR, "dashed", "into a finally, or from its end back to where the try was left"),
    ]
    for color, style, text in edges:
        out.append(f'<tr><th><span class="swatch" style="border-top: 2px {style} {color}"></span></th>'
                   f"<td>{esc(text)}</td></tr>")  # fmt: skip
    if highlight is not None:
        fill, border = CURRENT_FILL[highlight.status], CURRENT_BORDER[highlight.status]
        out.append(f'<tr><th><span class="box" style="background:{fill}; border-color:{border}"></span></th>'
                   f"<td>current state ({esc(highlight.status)})</td></tr>")  # fmt: skip
        out.append(f'<tr><th><span class="swatch" style="border-top: 3px solid {PATH_COLOR}"></span></th>'
                   "<td>the path taken so far</td></tr>")  # fmt: skip
    out.append("</table>")
    return out
