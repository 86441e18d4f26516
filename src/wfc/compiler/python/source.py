"""Find a Python function's source and map its AST nodes back to file positions."""

from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
from collections.abc import Callable
from typing import Any

import attrs

from wfc.compiler.pywarnings import quietly
from wfc.errors import CompileError, Diagnostic, Severity, Span


@attrs.frozen
class SourceMap:
    """Turns positions in the dedented function source into file positions.

    ``line_offset`` is added to node line numbers; ``col_offset`` (the indentation removed by dedent) to columns.
    ``lines`` are the whole file's lines, for caret snippets.
    """

    path: str
    lines: tuple[str, ...]
    line_offset: int
    col_offset: int

    def span(self, node: ast.AST) -> Span:
        line = getattr(node, "lineno", 1) + self.line_offset
        col = getattr(node, "col_offset", 0) + self.col_offset + 1
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        return Span(
            self.path,
            line,
            col,
            end_line + self.line_offset if end_line is not None else None,
            end_col + self.col_offset + 1 if end_col is not None else None,
        )

    def line_text(self, line: int) -> str | None:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return None

    def diagnostic(
        self,
        code: str,
        message: str,
        node: ast.AST | None,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
        notes: tuple[str, ...] = (),
    ) -> Diagnostic:
        span = self.span(node) if node is not None else None
        text = self.line_text(span.line) if span is not None else None
        return Diagnostic(code, message, span, hint, severity, text, notes)


@attrs.frozen
class FunctionSource:
    """``warnings``: what Python's parser warned about the source (``"\\d"``), as (line in ``tree``, text)."""

    tree: ast.FunctionDef | ast.AsyncFunctionDef
    map: SourceMap
    warnings: tuple[tuple[int, str], ...] = ()


def function_source(fn: Callable[..., Any]) -> FunctionSource:
    """Parse ``fn``'s own source. Raises :class:`CompileError` (``WFC100``) when it is unavailable."""
    fn = inspect.unwrap(fn)
    path: str = inspect.getsourcefile(fn) or str(
        getattr(getattr(fn, "__code__", None), "co_filename", "<unknown>")
    )
    name = getattr(fn, "__qualname__", repr(fn))
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        diag = Diagnostic(
            "WFC100",
            f"cannot read the source of {name}: {exc}",
            Span(path, getattr(getattr(fn, "__code__", None), "co_firstlineno", 1)),
            hint="workflows must be defined in a .py file (not typed into a REPL or built with exec)",
        )
        raise CompileError([diag]) from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = _indent_of(lines[0]) - _indent_of(dedented.splitlines(True)[0]) if lines else 0
    file_lines = tuple(linecache.getlines(path)) or tuple(lines)
    smap = SourceMap(path, file_lines, max(first - 1, 0), indent)
    try:
        module, caught = quietly(lambda: ast.parse(dedented, filename=path), path)
    except SyntaxError as exc:
        diag = Diagnostic(
            "WFC100",
            f"cannot parse the source of {name}: {exc.msg}",
            Span(path, (exc.lineno or 1) + smap.line_offset, (exc.offset or 1) + indent),
            source_line=smap.line_text((exc.lineno or 1) + smap.line_offset),
        )
        raise CompileError([diag]) from None
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == fn.__name__:
            return FunctionSource(node, smap, tuple((w.lineno, str(w.message)) for w in caught))
    diag = Diagnostic("WFC100", f"cannot find the definition of {name} in its source", Span(path, first))
    raise CompileError([diag])


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())
