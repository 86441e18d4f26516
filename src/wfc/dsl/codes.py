"""The ``.wf`` front end's diagnostic codes (``WFC120``–``WFC160``) and the helper that builds diagnostics.

One table, :data:`CODES`: code → (title, severity). ``docs/language.md`` documents each code under "Errors", and a
test keeps the two in step. Codes are stable: a code is never reused for a different problem.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from wfc.errors import Diagnostic, Severity, Span

E = Severity.ERROR
W = Severity.WARNING

CODES: dict[str, tuple[str, Severity]] = {
    # syntax
    "WFC120": ("syntax error", E),
    "WFC121": ("unexpected character", E),
    "WFC122": ("unclosed or mismatched bracket", E),
    "WFC123": ("`=` where a comparison `==` was meant", E),
    "WFC124": ("invalid string literal", E),
    "WFC125": ("`else`, `elif`, `catch` or `finally` not after a `}`", E),
    "WFC126": ("invalid number or duration", E),
    "WFC127": ("the file cannot be read", E),
    "WFC128": ("nested too deeply", E),
    "WFC129": ("Python syntax in a .wf file", E),
    # declarations and imports
    "WFC130": ("duplicate workflow name", E),
    "WFC131": ("duplicate or clashing name", E),
    "WFC132": ("cannot import a module", E),
    "WFC133": ("import not allowed", E),
    "WFC134": ("unknown type", E),
    "WFC135": ("invalid parameter", E),
    "WFC136": ("reserved name", E),
    "WFC137": ("imported module provides no steps or workflows", W),
    "WFC138": ("the file defines no workflow", W),
    "WFC139": ("invalid import path", E),
    # names and calls
    "WFC140": ("undefined variable", E),
    "WFC141": ("unknown step or workflow", E),
    "WFC142": ("not callable", E),
    "WFC143": ("wrong arguments", E),
    "WFC144": ("forbidden attribute", E),
    "WFC145": ("a command where a value is needed", E),
    "WFC146": ("`break` or `continue` outside a loop", E),
    "WFC147": ("unreachable code", W),
    "WFC148": ("unknown or invalid error type", E),
    "WFC149": ("`raise` without an error outside a `catch`", E),
    # statements and commands
    "WFC150": ("invalid call options", E),
    "WFC151": ("statement has no effect", E),
    "WFC152": ("not a value", E),
    "WFC153": ("invalid assignment target", E),
    "WFC154": ("empty parallel group", E),
    "WFC155": ("not a command", E),
    "WFC156": ("invalid constant argument", E),
    "WFC157": ("default value does not match the parameter's type", E),
    "WFC158": ("name shadows a built-in, workflow or import", E),
    "WFC159": ("internal error in the .wf front end", E),
    "WFC160": ("code that never works as written (warning)", W),
}


def severity(code: str) -> Severity:
    return CODES[code][1]


@attrs.define
class Reporter:
    """Collects the diagnostics of one file. Every diagnostic gets its source line for the caret snippet."""

    path: str
    lines: Sequence[str]
    diagnostics: list[Diagnostic] = attrs.field(factory=list)

    def report(
        self,
        code: str,
        message: str,
        span: Span | None,
        hint: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        if code not in CODES:  # pragma: no cover - a typo in wfc itself
            raise KeyError(code)
        text = None
        if span is not None and 1 <= span.line <= len(self.lines):
            text = self.lines[span.line - 1]
        self.diagnostics.append(Diagnostic(code, message, span, hint, severity(code), text, notes))

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def source_lines(text: str) -> tuple[str, ...]:
    """The lines as the lexer counts them (only ``\n`` ends a line, unlike ``str.splitlines``)."""
    return tuple(line.removesuffix("\r") for line in text.split("\n"))


def sort_key(d: Diagnostic) -> tuple[int, int, str]:
    if d.span is None:
        return (0, 0, d.code)
    return (d.span.line, d.span.col, d.code)
