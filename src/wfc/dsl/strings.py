"""String literals: escapes and ``{expr}`` interpolation.

A literal is one token (no raw newlines, so a column in the token is a column in the file). Its text is scanned
here; each ``{...}`` part is parsed as an expression by the caller's ``parse_expr``, at its own position, so
errors inside an interpolation point into the string.

Rules, chosen so that the canonical Python (an f-string) is always valid Python 3.11:

* escapes: ``\\n \\t \\r \\0 \\\\ \\" \\' \\{ \\} \\xHH \\uHHHH \\UHHHHHHHH``; ``{{`` and ``}}`` are braces too;
* ``{expr}`` or ``{expr:spec}``; the spec is plain text (no braces, quotes or backslashes);
* inside ``{...}``: no backslashes, and strings only of the other quote kind, without interpolation of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from wfc.dsl import ast as wf
from wfc.errors import Span

_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "0": "\0",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "{": "{",
    "}": "}",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_OPEN = "([{"
_CLOSE = ")]}"


class StringError(Exception):
    """A problem in a literal; ``col`` is the 1-based file column it starts at."""

    def __init__(self, message: str, col: int, hint: str | None = None, width: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.col = col
        self.hint = hint
        self.width = width


ParseExpr = Callable[[str, int, int], wf.Expr | None]
"""``parse_expr(text, line, col)``: the expression in ``text``, which starts at ``line``:``col`` of the file;
``None`` when it has errors (the callback reports them)."""


def decode(token: str, span: Span, parse_expr: ParseExpr) -> wf.Const | wf.FString | None:
    """The value of a string token (quotes included). Raises :class:`StringError` for the first problem in
    the literal itself; returns ``None`` when an interpolated expression had errors (already reported)."""
    body = token[1:-1]
    base = span.col + 1  # file column of body[0]
    parts: list[str | wf.Interp] = []
    text: list[str] = []
    failed = False
    i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c == "\\":
            value, i = _escape(body, i, base)
            text.append(value)
            continue
        if c == "}":
            if body[i + 1 : i + 2] == "}":
                text.append("}")
                i += 2
                continue
            raise StringError("a single `}` in a string", base + i, "write `}}` or `\\}` for a literal brace")
        if c == "{":
            if body[i + 1 : i + 2] == "{":
                text.append("{")
                i += 2
                continue
            end, spec_at = _interpolation_end(body, i, base, token[0])
            expr_text = body[i + 1 : spec_at if spec_at is not None else end]
            if not expr_text.strip():
                raise StringError(
                    "empty `{}` in a string", base + i, "put an expression inside, or write `{{}}`", 2
                )
            spec = None
            if spec_at is not None:
                spec = body[spec_at + 1 : end]
                _check_spec(spec, base + spec_at + 1)
            expr = parse_expr(expr_text, span.line, base + i + 1)
            if expr is None:
                failed = True
            else:
                if text:
                    parts.append("".join(text))
                    text = []
                ispan = Span(span.path, span.line, base + i, span.line, base + end + 1)
                parts.append(wf.Interp(expr, spec, ispan))
            i = end + 1
            continue
        text.append(c)
        i += 1
    if failed:
        return None
    if text:
        parts.append("".join(text))
    if not any(isinstance(p, wf.Interp) for p in parts):
        return wf.Const("".join(p for p in parts if isinstance(p, str)), "str", span)
    depth = 1 + max(p.expr.depth for p in parts if isinstance(p, wf.Interp))
    return wf.FString(tuple(parts), span, depth=depth)


def _escape(body: str, i: int, base: int) -> tuple[str, int]:
    kind = body[i + 1 : i + 2]
    if kind in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[kind], i + 2
    if kind in _HEX_ESCAPES:
        width = _HEX_ESCAPES[kind]
        digits = body[i + 2 : i + 2 + width]
        if len(digits) == width and all(d in "0123456789abcdefABCDEF" for d in digits):
            code = int(digits, 16)
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code), i + 2 + width
        raise StringError(
            f"invalid `\\{kind}` escape",
            base + i,
            f"`\\{kind}` takes exactly {width} hex digits",
            2 + len(digits),
        )
    raise StringError(
        f"unknown escape `\\{kind}`",
        base + i,
        "known escapes: \\n \\t \\r \\0 \\\\ \\\" \\' \\{ \\} \\xHH \\uHHHH; write `\\\\` for a backslash",
        2,
    )


def _interpolation_end(body: str, start: int, base: int, quote: str) -> tuple[int, int | None]:
    """Index of the ``}`` closing the interpolation opened at ``start``, and of the ``:`` starting its format
    spec (at bracket depth 0), if any."""
    other = "'" if quote == '"' else '"'
    depth = 0
    spec_at: int | None = None
    i = start + 1
    n = len(body)
    while i < n:
        c = body[i]
        if c == "\\":
            raise StringError("a backslash inside `{...}` in a string", base + i, "compute the value first")
        if c == other:
            close = body.find(other, i + 1)
            if close < 0:
                raise StringError("unterminated string inside `{...}`", base + i)
            inner = body[i + 1 : close]
            if "{" in inner or "}" in inner:
                raise StringError(
                    "a string inside `{...}` cannot contain braces", base + i, "assign it to a variable first"
                )
            if "\\" in inner or not inner.isprintable():
                # The lowered f-string could not spell it: Python before 3.12 forbids backslashes there.
                at = next((k for k, ch in enumerate(inner) if ch == "\\" or not ch.isprintable()), 0)
                raise StringError(
                    "a string inside `{...}` cannot contain a backslash or a control character",
                    base + i + 1 + at,
                    "assign it to a variable first",
                )
            i = close + 1
            continue
        if spec_at is None:
            if c in _OPEN:
                depth += 1
            elif c in _CLOSE:
                if depth == 0 and c == "}":
                    return i, spec_at
                depth -= 1
            elif c == ":" and depth == 0:
                spec_at = i
        elif c == "}":
            return i, spec_at
        elif c == "{":
            raise StringError(
                "a `{` inside a format spec", base + i, "format specs are plain text such as `.2f`"
            )
        i += 1
    raise StringError(
        "`{` without a matching `}` in a string", base + start, "write `{{` for a literal brace"
    )


def _check_spec(spec: str, col: int) -> None:
    for k, c in enumerate(spec):
        if c in "{}'\"\\\n":
            raise StringError(f"`{c}` in a format spec", col + k, "format specs are plain text such as `.2f`")
