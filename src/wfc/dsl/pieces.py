"""Pieces the builder (:mod:`wfc.dsl.builder`) passes between its callbacks, and how it computes spans.

Intermediate results (a block, a parameter list, a call's arguments...) carry a span, so that a rule whose
first or last part is one of them can still be given its extent.
"""

from __future__ import annotations

from typing import Any

import attrs
from lark import Token

from wfc.errors import Span

# ---- intermediate results (carry a span so that enclosing rules can cover them) ----------------------------------


class Block(tuple[Any, ...]):
    span: Span


class Finally(Block):
    pass


class SpannedList(list[Any]):
    span: Span


class Params(SpannedList):
    pass


class Types(SpannedList):
    pass


@attrs.frozen
class Part:
    """A piece of a rule (arguments, a trailer, a signed operand, a parallel group, a dict pair)."""

    kind: str
    value: Any
    span: Span


def with_span(obj: Any, span: Span) -> Any:
    obj.span = span
    return obj


# ---- positions -----------------------------------------------------------------------------------------------


def cover(path: str, children: list[Any]) -> Span:
    """The span from the first to the last child that has a position (a token other than a newline, or a node).

    Hot: runs once per reduction, hence written out rather than with helpers."""
    line = col = end_line = end_col = 0
    for c in children:
        if isinstance(c, Token):
            if c.type != "_NL":
                line, col = c.line or 1, c.column or 1
                break
        else:
            span = getattr(c, "span", None)
            if span is not None:
                line, col = span.line, span.col
                break
    if not line:
        return Span(path, 1, 1)
    for c in reversed(children):
        if isinstance(c, Token):
            if c.type != "_NL":
                end_line, end_col = c.end_line or line, c.end_column or col
                break
        else:
            span = getattr(c, "span", None)
            if span is not None:
                end_line, end_col = span.end_line or span.line, span.end_col or span.col
                break
    return Span(path, line, col, end_line or line, end_col or col)


def tspan(path: str, tok: Token) -> Span:
    return Span(path, tok.line or 1, tok.column or 1, tok.end_line, tok.end_column)


def depth(*children: Any) -> int:
    best = 0
    for c in children:
        d = getattr(c, "depth", 0)
        if d > best:
            best = d
    return best + 1


def join(a: Span, b: Span) -> Span:
    return Span(a.path, a.line, a.col, b.end_line, b.end_col)
