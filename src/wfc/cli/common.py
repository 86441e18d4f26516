"""Shared pieces of the command line: options, loading workflows from files, and error reporting."""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import click

from wfc.commands import WorkflowDef
from wfc.errors import CompileError, Diagnostic, Span, WfcError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_SKIP_DIRS = {".venv", "venv", "__pycache__", "node_modules", "build", "dist", ".git", ".tox", ".mypy_cache"}


class CliError(click.ClickException):
    """One clear line (plus an optional hint) and an exit code; raised for anything the user can fix."""

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.hint = hint
        setattr(self, "exit_code", exit_code)  # noqa: B010 - click declares it a class variable

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)
        if self.hint:
            click.echo(f"  hint: {self.hint}", err=True)


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")(fn)


def db_option(fn: F) -> F:
    return click.option(
        "--db",
        "db_url",
        default="sqlite:///wfc.db",
        show_default=True,
        envvar="WFC_DB",
        help="Database URL (sqlite:///path.db, sqlite:///:memory:, postgresql://...). Env: WFC_DB.",
    )(fn)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    span = d.span
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "path": span.path if span else None,
        "line": span.line if span else None,
        "col": span.col if span else None,
        "hint": d.hint,
        "notes": list(d.notes),
    }


# ---- loading ----------------------------------------------------------------------------------------------------


def split_target(target: str) -> tuple[Path, str | None]:
    """``path/to/file.py:name`` → (path, name). A Windows-style drive letter is not a name."""
    path, sep, name = target.rpartition(":")
    if sep and path and name and "/" not in name and not (len(path) == 1 and path.isalpha()):
        return Path(path), name
    return Path(target), None


def import_file(path: Path) -> ModuleType:
    """Import a Python file as a module (as its package's submodule when it sits in a package)."""
    path = path.resolve()
    root = path.parent
    parts = [path.stem]
    while (root / "__init__.py").exists():
        parts.insert(0, root.name)
        root = root.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    name = ".".join(parts)
    try:
        return importlib.import_module(name)
    except SyntaxError as exc:
        diag = Diagnostic(
            "WFC100",
            f"cannot import {path.name}: {exc.msg}",
            Span(str(exc.filename or path), exc.lineno or 1, exc.offset or 1),
            source_line=exc.text,
        )
        raise CompileError([diag]) from None
    except WfcError:
        raise
    except Exception as exc:
        diag = Diagnostic(
            "WFC100",
            f"importing {path.name} failed: {type(exc).__name__}: {exc}",
            Span(str(path), 1),
            hint="wfc imports the module to find its workflows; it must import cleanly",
        )
        raise CompileError([diag]) from None


def workflows_in_module(module: ModuleType) -> list[WorkflowDef]:
    """The workflows a module defines itself (not the ones it imports)."""
    out = []
    for value in vars(module).values():
        if isinstance(value, WorkflowDef) and value.fn is not None and value.fn.__module__ == module.__name__:
            out.append(value)
    return sorted(out, key=lambda w: w.fn.__code__.co_firstlineno if w.fn else 0)


def load_workflows(path: Path) -> list[WorkflowDef]:
    """Every workflow in a ``.py`` or ``.wf`` file. Raises :class:`CompileError` or :class:`CliError`."""
    if not path.exists():
        raise CliError(f"no such file: {path}", hint="give the path of a .py or .wf file")
    if path.suffix == ".wf":
        from wfc import dsl

        return list(dsl.load(path).values())
    if path.suffix != ".py":
        raise CliError(f"{path} is neither a .py nor a .wf file")
    return workflows_in_module(import_file(path))


def load_target(target: str) -> list[WorkflowDef]:
    """``PATH[:NAME]``: the named workflow, or all of the file's workflows when no name is given."""
    path, name = split_target(target)
    found = load_workflows(path)
    if name is None:
        if not found:
            raise CliError(
                f"{path} defines no workflow", hint="decorate a generator function with @wfc.workflow"
            )
        return found
    for w in found:
        if w.name == name or (w.fn is not None and w.fn.__name__ == name):
            return [w]
    names = ", ".join(w.name for w in found) or "none"
    raise CliError(f"{path} has no workflow named {name!r}", hint=f"workflows in that file: {names}")


def iter_sources(paths: tuple[str, ...]) -> Iterator[Path]:
    """The .py and .wf files named, or found below the directories named (skipping virtualenvs and caches)."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if any(
                    part in _SKIP_DIRS or part.startswith(".") for part in child.relative_to(path).parts[:-1]
                ):
                    continue
                if child.suffix == ".wf" or (child.suffix == ".py" and _mentions_workflows(child)):
                    yield child
        elif path.exists():
            yield path
        else:
            raise CliError(f"no such file or directory: {path}")


def _mentions_workflows(path: Path) -> bool:
    """Only files that define workflows are imported when checking a directory (importing runs code)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "workflow" in text and "wfc" in text


def handle_errors(fn: F) -> F:
    """Turn library errors into one clear line and an exit code; a traceback only with ``--debug``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return fn(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except CompileError as exc:
            if debug:
                raise
            click.echo(exc.args[0] if exc.args else str(exc), err=True)
            ctx.exit(EXIT_FAILED)
        except WfcError as exc:
            if debug:
                raise
            code = f"[{exc.code}]" if exc.code else ""
            click.echo(f"error{code}: {exc.args[0] if exc.args else exc}", err=True)
            if getattr(exc, "hint", None):
                click.echo(f"  hint: {exc.hint}", err=True)
            ctx.exit(EXIT_FAILED)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:
            if debug:
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("  hint: run again with --debug for the traceback, and please report it", err=True)
            ctx.exit(EXIT_FAILED)

    return wrapper  # type: ignore[return-value]
