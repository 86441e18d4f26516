"""A strict little DOT parser for the subset wfc writes, so tests check DOT syntax without Graphviz.

It rejects what Graphviz would reject in that subset (unbalanced braces or ``<...>`` labels, an unterminated
string, a statement without its ``;``), and returns the nodes, edges and subgraph tree it read. Every HTML-like
label is also parsed as XML, which catches escaping mistakes in label text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import attrs

_TOKEN = re.compile(r'\s+|//[^\n]*|"(?:\\.|[^"\\])*"|->|[{}\[\];,=]|[A-Za-z0-9_.#-]+')


class DotError(Exception):
    pass


@attrs.define
class Dot:
    name: str
    nodes: dict[str, dict[str, str]] = attrs.field(factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = attrs.field(factory=list)
    # subgraph name -> (parent subgraph name or None, node ids declared directly inside)
    subgraphs: dict[str, tuple[str | None, list[str]]] = attrs.field(factory=dict)
    node_parent: dict[str, str | None] = attrs.field(factory=dict)


def tokens(text: str) -> list[str]:
    out, i = [], 0
    while i < len(text):
        if text[i] == "<":  # an HTML-like string: balanced angle brackets
            depth, j = 0, i
            while j < len(text):
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            if depth:
                raise DotError(f"unbalanced <...> at {i}")
            out.append(text[i:j])
            i = j
            continue
        m = _TOKEN.match(text, i)
        if not m:
            raise DotError(f"bad character {text[i]!r} at {i}: {text[i : i + 40]!r}")
        if not m.group().isspace() and not m.group().startswith("//"):
            out.append(m.group())
        i = m.end()
    return out


def unquote(tok: str) -> str:
    if tok.startswith('"'):
        return re.sub(r"\\(.)", lambda m: m.group(1), tok[1:-1])
    return tok


def _check_html(tok: str) -> None:
    try:
        ET.fromstring(f"<x>{tok[1:-1]}</x>")
    except ET.ParseError as exc:
        raise DotError(f"HTML-like label is not well-formed ({exc}): {tok}") from None


def parse(text: str) -> Dot:
    toks = tokens(text)
    pos = 0

    def peek() -> str:
        return toks[pos] if pos < len(toks) else ""

    def take(expected: str | None = None) -> str:
        nonlocal pos
        if pos >= len(toks):
            raise DotError("unexpected end of input")
        tok = toks[pos]
        if expected is not None and tok != expected:
            raise DotError(f"expected {expected!r}, got {tok!r} (token {pos})")
        pos += 1
        return tok

    def ident() -> str:
        tok = take()
        if tok in "{}[];,=" or tok == "->":
            raise DotError(f"expected an identifier, got {tok!r}")
        if tok.startswith("<"):
            _check_html(tok)
        return tok if tok.startswith("<") else unquote(tok)

    def attr_list() -> dict[str, str]:
        out: dict[str, str] = {}
        if peek() != "[":
            return out
        take("[")
        while peek() != "]":
            key = ident()
            take("=")
            out[key] = ident()
            if peek() == ",":
                take(",")
        take("]")
        return out

    take("digraph")
    dot = Dot(ident())

    def body(sub: str | None) -> None:
        take("{")
        while peek() != "}":
            if peek() in ("graph", "node", "edge"):
                take()
                attr_list()
            elif peek() == "subgraph":
                take()
                name = ident()
                if name in dot.subgraphs:
                    raise DotError(f"subgraph {name} twice")
                dot.subgraphs[name] = (sub, [])
                body(name)
                continue  # a subgraph's closing brace ends the statement
            else:
                first = ident()
                if peek() == "->":
                    take()
                    dot.edges.append((first, ident(), attr_list()))
                else:
                    if first in dot.nodes:
                        raise DotError(f"node {first} declared twice")
                    dot.nodes[first] = attr_list()
                    dot.node_parent[first] = sub
                    if sub is not None:
                        dot.subgraphs[sub][1].append(first)
            take(";")
        take("}")

    body(None)
    if pos != len(toks):
        raise DotError(f"trailing input: {toks[pos : pos + 5]}")
    return dot


def styles(attrs_: dict[str, Any]) -> set[str]:
    return set(attrs_.get("style", "").split(","))
