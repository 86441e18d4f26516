"""The post-lexer: decides which newlines end a statement, so the grammar can stay free of optional newlines.

Rules (the grammar then sees exactly one ``_NL`` after every statement and declaration):

* A newline ends a statement only if the token before it can end one (a name, a literal, ``)``, ``]``, ``}``,
  ``return``, ``break``...), as in Go. So ``x = a +`` ⏎ ``b`` is one statement and ``} else`` ⏎ ``{`` works.
* Inside ``(...)``, ``[...]`` and dict braces newlines are dropped, as in Python.
* A ``{`` opens a *block* when the token before it ends an expression or is ``else``/``try``/``finally``/
  ``catch`` (``if x {``, ``-> dict {``, ``} else {``); otherwise it opens a dict (``x = {``, ``f({``).
* A newline is added before a block's ``}`` and at the end of the file when missing (``if x { return 1 }``).
* Runs of newlines and ``;`` become one.

It also enforces :data:`MAX_NESTING`, so that the parse tree, and every recursive pass after it, stays shallow.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator

from lark import Token
from lark.lark import PostLex

MAX_NESTING = 40
"""Brackets and blocks open at once. Python's own parser stops at 200; people stop long before 40."""

ENDS_STATEMENT = frozenset(
    {
        "NAME",
        "INT",
        "FLOAT",
        "DURATION",
        "STRING",
        "RPAR",
        "RSQB",
        "RBRACE",
        "TRUE",
        "FALSE",
        "NULL",
        "RETURN",
        "BREAK",
        "CONTINUE",
        "RAISE",
        "RETRY",  # `with no retry`
        "DETACHED",  # `async child(x) with detached`
    }
)
_BLOCK_AFTER = (ENDS_STATEMENT - {"RETURN", "BREAK", "CONTINUE", "RAISE", "RETRY", "DETACHED"}) | {
    "ELSE",
    "TRY",
    "FINALLY",
    "CATCH",
}
_OPENERS = {"LPAR": "(", "LSQB": "["}
_CLOSERS = frozenset({"RPAR", "RSQB", "RBRACE"})


class TooDeep(Exception):
    """Raised from inside the token stream when brackets nest deeper than :data:`MAX_NESTING`."""

    def __init__(self, token: Token) -> None:
        super().__init__("nested too deeply")
        self.token = token


SHIFT: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar("wfc_dsl_shift", default=None)
"""``(lines, columns)`` added to the position of every token of a one-line fragment parsed on its own (a string's
``{...}`` part), so its nodes carry file positions without the fragment being padded to its place in the file
(re-lexing that padding made checking quadratic in the number of interpolations)."""


def _shift(tok: Token, shift: tuple[int, int]) -> None:
    lines, cols = shift
    if tok.line is not None:
        if tok.line == 1:
            tok.column = (tok.column or 1) + cols
        tok.line += lines
    if tok.end_line is not None:
        if tok.end_line == 1 and tok.end_column is not None:
            tok.end_column += cols
        tok.end_line += lines


class Layout(PostLex):
    # The contextual lexer only lexes what the parser state accepts; `}` must reach this post-lexer even where
    # only a newline is acceptable (`if x { break }`), since the newline it needs is added here.
    always_accept = ("_NL", "RBRACE")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        # Per-parse state lives in this generator's locals: the parser (and this object) are shared.
        stack: list[str] = []  # "(", "[", "dict" or "block"
        prev: str | None = None
        last: Token | None = None
        shift = SHIFT.get()
        for tok in stream:
            if shift is not None:
                _shift(tok, shift)
            kind = tok.type
            if kind == "_NL":
                if prev is None or prev == "_NL" or prev not in ENDS_STATEMENT:
                    continue
                if stack and stack[-1] != "block":
                    continue
                yield tok
                prev = kind
                continue
            if kind in _OPENERS:
                stack.append(_OPENERS[kind])
            elif kind == "LBRACE":
                stack.append("block" if prev in _BLOCK_AFTER else "dict")
            elif kind in _CLOSERS:
                opened = stack.pop() if stack else None
                if kind == "RBRACE" and opened == "block" and prev not in ("_NL", "LBRACE"):
                    yield Token.new_borrow_pos("_NL", "\n", tok)
            if len(stack) > MAX_NESTING:
                raise TooDeep(tok)
            yield tok
            prev = kind
            last = tok
        if last is not None and prev != "_NL":
            end = Token(
                "_NL", "\n", last.end_pos, last.end_line, last.end_column, last.end_line, last.end_column
            )
            yield end
