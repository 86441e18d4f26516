"""Parsing ``.wf`` text: the Lark parser (built once, shared), and :func:`parse_module`.

The grammar is ``wfc/grammar/workflow.lark`` (package data): LALR(1) with ``strict=True`` (a conflict or a
terminal collision fails the build, and a test builds it), the contextual lexer, ``propagate_positions``. Parsing
never raises anything but :class:`~wfc.errors.CompileError`: syntax errors are turned into ``WFC12x``
diagnostics by :mod:`wfc.dsl.syntax_errors`.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import cast

from lark import Lark, UnexpectedInput

from wfc.dsl import ast as wf
from wfc.dsl.builder import Builder, Context, ExprTooDeep, parsing
from wfc.dsl.codes import Reporter, source_lines
from wfc.dsl.layout import MAX_NESTING, SHIFT, Layout, TooDeep
from wfc.dsl.syntax_errors import describe
from wfc.errors import CompileError, Span

_lock = threading.Lock()


@functools.cache
def _lark() -> Lark:
    return Lark.open_from_package(
        "wfc",
        "workflow.lark",
        ("grammar",),
        parser="lalr",
        lexer="contextual",
        strict=_strict_available(),
        propagate_positions=True,
        postlex=Layout(),
        start=["start", "expr_start"],
        # The syntax tree is built while parsing (no parse tree); callbacks see every token, for positions.
        transformer=Builder(),
        keep_all_tokens=True,
        maybe_placeholders=False,
    )


def _strict_available() -> bool:
    # Lark's strict mode checks terminal collisions with `interegular`; a missing optional dependency must not
    # make .wf files unloadable (LALR conflicts are still errors without it: Lark never resolves them silently
    # in strict=False for reduce/reduce, and tests build the grammar with strict=True).
    try:
        import interegular  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return False
    return True


def parser() -> Lark:
    """The shared parser (built on first use; thread-safe). Parse inside :func:`wfc.dsl.builder.parsing`."""
    with _lock:
        return _lark()


def parse_module(text: str, path: str) -> wf.Module:
    """The syntax tree of a whole file. Raises :class:`CompileError` with every syntax problem found."""
    reporter = Reporter(path, source_lines(text))

    def parse_expr(fragment: str, line: int, col: int) -> wf.Expr | None:
        if "\n" not in fragment and "\r" not in fragment:
            # Fast path, linear in the fragment: its tokens are shifted to their place in the file.
            mark = len(reporter.diagnostics)
            token = SHIFT.set((line - 1, col - 1))
            try:
                return cast("wf.Expr | None", parser().parse(fragment, start="expr_start"))
            except (UnexpectedInput, TooDeep, ExprTooDeep):
                del reporter.diagnostics[mark:]  # reported again, exactly, by the slow path
            finally:
                SHIFT.reset(token)
        # Padding puts the fragment at its place in the file, so every position inside it (and the snippets of
        # syntax errors) is a file position.
        padded = "\n" * (line - 1) + " " * (col - 1) + fragment
        return cast("wf.Expr | None", _parse(padded, path, "expr_start", reporter))

    with parsing(Context(path, reporter, parse_expr)):
        module = _parse(text, path, "start", reporter)
        if module is None:
            _later_syntax_errors(text, path, reporter)
    if not isinstance(module, wf.Module) or reporter.has_errors:
        raise CompileError(reporter.diagnostics)
    return module


def _parse(text: str, path: str, start: str, reporter: Reporter) -> object | None:
    """Parse with the current context; ``None`` (and diagnostics) on a syntax error."""
    try:
        result: object = parser().parse(text, start=start)
        return result
    except UnexpectedInput as exc:
        reporter.diagnostics.extend(describe(exc, text, path, reporter.lines, start))
    except TooDeep as exc:
        tok = exc.token
        span = Span(path, tok.line or 1, tok.column or 1, tok.end_line, tok.end_column)
        reporter.report(
            "WFC128",
            f"brackets and blocks nested more than {MAX_NESTING} deep",
            span,
            "split the workflow into smaller workflows, or compute parts in variables",
        )
    except ExprTooDeep as exc:
        reporter.report(
            "WFC128", "expression nested too deeply", exc.span, "compute parts of it in variables first"
        )
    return None


_DECLARATION = re.compile(r"^(workflow|import)\b", re.MULTILINE)


def _later_syntax_errors(text: str, path: str, reporter: Reporter) -> None:
    """Recovery, one declaration at a time: after the first syntax error, each ``workflow``/``import`` that
    starts at column 1 on a later line is parsed on its own (at its own position) for its first error, so one
    run reports a problem per broken declaration."""
    if not reporter.diagnostics or reporter.diagnostics[0].span is None:
        return
    first_line = reporter.diagnostics[0].span.line
    starts = [m.start() for m in _DECLARATION.finditer(text)]
    for k, start in enumerate(starts):
        line = text.count("\n", 0, start) + 1
        if line <= first_line:
            continue
        end = starts[k + 1] if k + 1 < len(starts) else len(text)
        _parse("\n" * (line - 1) + text[start:end], path, "start", reporter)
