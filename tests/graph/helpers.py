"""Checks shared by the graph tests: Mermaid structure, SVG well-formedness, Graphviz availability."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from wfc.commands import WorkflowDef
from wfc.compiler.graph import Graph

from . import flows

HAVE_DOT = shutil.which("dot") is not None
SVG = "{http://www.w3.org/2000/svg}"

_SHAPE = r'(\(\[|\[\[|\{\{|\[/|\[\\|\(|\[|\{|>)"([^"]*)"(\]\)|\]\]|\}\}|/\]|\)|\]|\})'
MERMAID_NODE = re.compile(r"^\s*(s_\w+)" + _SHAPE + "$")
MERMAID_EDGE = re.compile(r'^\s*([sr]_\w+) (-->|-\.->)(?:\|"([^"]*)"\|)? (s_\w+)$')
MERMAID_SUBGRAPH = re.compile(r'^\s*subgraph (r_\w+) \["([^"]*)"\]$')


def flow_defs() -> list[tuple[str, WorkflowDef]]:
    return [(name, d) for name, d in vars(flows).items() if isinstance(d, WorkflowDef)]


def mermaid_unescape(text: str) -> str:
    codes = {"quot": '"', "lt": "<", "gt": ">", "amp": "&", "35": "#", "96": "`"}
    return re.sub(r"#(\w+);", lambda m: codes[m.group(1)], text)


def check_mermaid(text: str, graph: Graph) -> dict[str, str]:
    """Structure of Mermaid output: every line understood, one node line per state, subgraph/end balanced and
    matching the clusters. Returns {state id: decoded label}."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    labels: dict[str, str] = {}
    depth = 0
    subgraphs = []
    ids = {"s_" + re.sub(r"\W", "_", n.id): n.id for n in graph.nodes}
    for line in lines[1:]:
        stripped = line.strip()
        if m := MERMAID_NODE.match(line):
            assert m.group(1) not in labels, f"node declared twice: {line}"
            labels[m.group(1)] = mermaid_unescape(m.group(3))
        elif m := MERMAID_SUBGRAPH.match(line):
            depth += 1
            subgraphs.append(m.group(1))
        elif stripped == "end":
            depth -= 1
            assert depth >= 0, "end without subgraph"
        elif MERMAID_EDGE.match(line):
            assert depth == 0, "edges come after every subgraph"
        else:
            assert stripped.startswith(("%%", "classDef ", "class ", "linkStyle ")), (
                f"unexpected line: {line!r}"
            )
    assert depth == 0, "unbalanced subgraph/end"
    assert sorted(subgraphs) == sorted("r_" + c.id for c in graph.clusters)
    assert set(labels) == set(ids), "one node line per state"
    return {ids[k]: v for k, v in labels.items()}


def parse_svg(svg: str) -> ET.Element:
    root = ET.fromstring(svg.encode())
    assert root.tag == SVG + "svg"
    return root


def svg_node_classes(root: ET.Element) -> dict[str, str]:
    """{state id: class attribute} of the node groups Graphviz wrote (ids ``state:<id>``)."""
    out = {}
    for g in root.iter(SVG + "g"):
        gid = g.get("id", "")
        if gid.startswith("state:"):
            out[gid.removeprefix("state:")] = g.get("class", "")
    return out


def dot_canon(dot_text: str) -> str:
    """Graphviz's own parse of the text (``dot -Tcanon``); raises when Graphviz rejects it."""
    done = subprocess.run(["dot", "-Tcanon"], input=dot_text.encode(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr.strip(), f"Graphviz warnings: {done.stderr.decode()}"
    return done.stdout.decode()


MERMAID_CHECK = Path(__file__).with_name("mermaid_check.mjs")
