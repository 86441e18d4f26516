"""Shared pieces of the command line: options, loading workflows from files, and error reporting."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import functools
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import attrs
import click

from wfc.commands import WorkflowDef
from wfc.errors import CompileError, Diagnostic, Span, WfcError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
USAGE_CODE = "WFC460"
"""The code of a bad command-line input: an option's value, an argument, a path that cannot be used."""
MAX_CONCURRENCY = 1024
"""Worker threads one process may run (each is an OS thread with its own stack)."""
MAX_PARALLELISM = 10_000
"""Steps one process may run at once."""
_SKIP_DIRS = {".venv", "venv", "__pycache__", "node_modules", "build", "dist", ".git", ".tox", ".mypy_cache"}


class CliError(click.ClickException):
    """One clear line (plus an optional hint) and an exit code; raised for anything the user can fix. A usage
    error (exit 2) carries the code :data:`USAGE_CODE` unless given another."""

    def __init__(
        self, message: str, *, hint: str | None = None, exit_code: int = EXIT_USAGE, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.hint = hint
        self.code = code or (USAGE_CODE if exit_code == EXIT_USAGE else None)
        setattr(self, "exit_code", exit_code)  # noqa: B010 - click declares it a class variable

    def show(self, file: Any = None) -> None:
        code = f"[{self.code}]" if self.code else ""
        click.echo(f"error{code}: {self.format_message()}", err=True)
        if self.hint:
            click.echo(f"  hint: {self.hint}", err=True)


def shown_path(path: object, limit: int = 80) -> str:
    """A path as an error message shows it: at most ``limit`` characters, undecodable bytes escaped."""
    text = os.fsdecode(path) if isinstance(path, str | bytes | os.PathLike) else str(path)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return (
        text if len(text) <= limit else f"{text[: limit // 2]}…{text[-limit // 2 :]} ({len(text)} characters)"
    )


class Seconds(click.ParamType):  # type: ignore[type-arg]
    """A number of seconds: finite, from 0 to a bound (``nan``, ``inf`` and ``1e999`` are refused)."""

    name = "seconds"

    def __init__(self, maximum: float = 100 * 366 * 86400, minimum: float = 0.0) -> None:
        self.maximum = maximum
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = float(value)
        else:
            try:
                seconds = float(str(value))
            except ValueError:
                self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not self.minimum <= seconds <= self.maximum:  # false for nan
            self.fail(f"{value!r} is not a number of seconds from {self.minimum:g} to {self.maximum:g}", param, ctx)
        return seconds


SECONDS = Seconds()
# A worker's lease: below a second its heartbeats (every lease / 3) become a write load and a short pause (a GC, a
# busy machine) hands its steps to another worker; above a day a dead machine's steps wait a day.
LEASE_SECONDS = Seconds(minimum=1.0, maximum=86400.0)


def allow_imports_option(fn: F) -> F:
    return click.option(
        "--allow-imports",
        is_flag=True,
        help="Import the .py files and the modules .wf files import (this runs their code). By default they "
        "are read from source and nothing of yours runs.",
    )(fn)


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


def load_workflows(path: Path, *, execute_imports: bool = True) -> list[WorkflowDef]:
    """Every workflow in a ``.py`` or ``.wf`` file. Raises :class:`CompileError` or :class:`CliError`.

    ``execute_imports=False``: nothing is imported: a ``.py`` file and a ``.wf`` file's imports are read from
    source (see ``--allow-imports``); the workflows compile and draw, but cannot run.
    """
    if not path.exists():
        raise CliError(f"no such file: {shown_path(path)}", hint="give the path of a .py or .wf file")
    if not path.is_file():  # a FIFO or a device: reading it would block or never end
        raise CliError(f"{shown_path(path)} is not a regular file", hint="give the path of a .py or .wf file")
    if path.suffix == ".wf":
        from wfc import dsl

        return list(dsl.load(path, execute_imports=execute_imports).values())
    if path.suffix != ".py":
        raise CliError(f"{path} is neither a .py nor a .wf file")
    if not execute_imports:
        from wfc.compiler.python.static import static_workflows

        return static_workflows(path)
    return workflows_in_module(import_file(path))


def load_target(target: str, *, execute_imports: bool = True) -> list[WorkflowDef]:
    """``PATH[:NAME]``: the named workflow, or all of the file's workflows when no name is given."""
    path, name = split_target(target)
    found = load_workflows(path, execute_imports=execute_imports)
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
                if (
                    (child.suffix == ".wf"
                    and child.is_file())
                    or (child.suffix == ".py" and _mentions_workflows(child))
                ):
                    yield child
        elif path.exists():
            if not path.is_file():  # a FIFO or a device: reading it would block or never end
                raise CliError(f"{shown_path(path)} is not a regular file", hint="give .py and .wf files")
            yield path
        else:
            raise CliError(f"no such file or directory: {shown_path(path)}")


def _mentions_workflows(path: Path) -> bool:
    """Only files that define workflows are imported when checking a directory (importing runs code)."""
    try:
        if not path.is_file():  # a FIFO or a device would block or never end
            return False
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
        except OSError as exc:  # a path that cannot be used: too long, unwritable, not a directory...
            if debug:
                raise
            where = f"{shown_path(exc.filename)}: " if exc.filename is not None else ""
            raise CliError(
                f"{where}{exc.strerror or exc}", hint="check the path and its permissions"
            ) from None
        except Exception as exc:
            if debug:
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("  hint: run again with --debug for the traceback, and please report it", err=True)
            ctx.exit(EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


# ---- the operating commands: inputs, ids, the runtime, JSON -------------------------------------------------------

# Runtime errors that are the caller's to fix (a bad argument, id, name or URL): exit 2, like a usage error.
USAGE_CODES = frozenset(
    {"WFC402", "WFC405", "WFC409", "WFC420", "WFC421", "WFC422", "WFC429", "WFC430", "WFC445", "WFC446"}
)


class RuntimeUsageError(CliError):
    """A runtime error the caller can fix, shown with its code: ``error[WFC405]: ...`` (exit 2)."""

    def __init__(self, exc: WfcError) -> None:
        super().__init__(str(exc.args[0] if exc.args else exc), hint=getattr(exc, "hint", None))
        self.code = exc.code

    def show(self, file: Any = None) -> None:
        click.echo(f"error[{self.code}]: {self.format_message()}", err=True)
        if self.hint:
            click.echo(f"  hint: {self.hint}", err=True)


@contextlib.contextmanager
def usage_errors() -> Iterator[None]:
    """Runtime errors with a code in :data:`USAGE_CODES` become usage errors (one line, exit 2)."""
    try:
        yield
    except WfcError as exc:
        if exc.code in USAGE_CODES and not click.get_current_context().find_root().params.get("debug"):
            raise RuntimeUsageError(exc) from None
        raise


def parse_value(text: str) -> Any:
    """A command-line value: JSON when it parses as JSON (``3``, ``true``, ``{"a": 1}``), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_input(input_json: str | None, pairs: tuple[str, ...]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``--input JSON`` (an object of keyword arguments or a list of positional ones) and ``key=value`` pairs."""
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    if input_json is not None:
        try:
            value = json.loads(input_json)
        except ValueError as exc:
            raise CliError(f"--input is not valid JSON: {exc}",
                           hint='give an object of arguments, e.g. --input \'{"order_id": "A-1"}\', '
                           "or a list of positional ones") from None  # fmt: skip
        if isinstance(value, dict):
            kwargs.update(value)
        elif isinstance(value, list):
            args = tuple(value)
        else:
            raise CliError(f"--input must be a JSON object or list, not {type(value).__name__}",
                           hint='e.g. --input \'{"order_id": "A-1", "amount": 12.5}\' or --input \'["A-1", 12.5]\'')  # fmt: skip
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.isidentifier():
            raise CliError(f"expected an argument as key=value, got {pair!r}",
                           hint="e.g. order_id=A-1 amount=12.5 'items={\"book\": 1}' (values are JSON when they "
                           "parse as JSON, else text)")  # fmt: skip
        if key in kwargs:
            raise CliError(f"argument {key!r} is given twice")
        kwargs[key] = parse_value(text)
    return args, kwargs


START_OPTIONS = ("id", "on_complete", "context")
"""Keywords ``Runtime.start`` takes for itself: a workflow parameter of one of these names is passed by position."""


def start_arguments(
    defn: WorkflowDef, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments as ``Runtime.start`` takes them: ``id=A-1`` on the command line is the workflow's parameter
    ``id``, never the instance id (``--id``), so such parameters go by position."""
    if not any(name in kwargs for name in START_OPTIONS):
        return args, kwargs
    try:
        bound = defn.signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise CliError(f"cannot start workflow {defn.name}: {exc}", code="WFC405",
                       hint=f"its signature is {defn.name}{defn.signature}") from None  # fmt: skip
    bound.apply_defaults()  # every parameter before it bound, so that it can go by position
    clash = sorted(name for name in bound.kwargs if name in START_OPTIONS)
    if clash:
        raise CliError(
            f"the workflow's keyword-only parameter `{clash[0]}` cannot be given: Runtime.start takes "
            f"`{clash[0]}=` for itself",
            code="WFC405",
            hint=f"make `{clash[0]}` a positional parameter of {defn.name}, or rename it",
        )
    return tuple(bound.args), dict(bound.kwargs)


def input_options(fn: F) -> F:
    """``--input JSON`` and ``[KEY=VALUE]...``; the command receives them parsed as ``inputs=(args, kwargs)``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, input_json: str | None, pairs: tuple[str, ...], **kwargs: Any) -> Any:
        kwargs["inputs"] = parse_input(input_json, pairs)
        return fn(*args, **kwargs)

    wrapper = click.argument("pairs", nargs=-1, metavar="[KEY=VALUE]...")(wrapper)
    return click.option(  # type: ignore[return-value]
        "--input",
        "input_json",
        metavar="JSON",
        help="The workflow's arguments: a JSON object (by name) or list (by position). "
        "KEY=VALUE pairs add arguments by name (VALUE is JSON when it parses, else text).",
    )(wrapper)


def id_option(fn: F) -> F:
    return click.option("--id", "instance_id", metavar="ID", help="The instance's id (start is idempotent).")(
        fn
    )


def sqlite_file(db_url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names (``None`` for an in-memory database or a URL that is not SQLite's)."""
    from wfc.runtime.store import local_file

    path = local_file(db_url)
    return None if path is None else Path(path)


def parallelism_options(fn: F) -> F:
    """``--max-parallelism`` (the runtime's workpool: steps this process runs at once, across all workflows) and
    ``--concurrency`` (worker threads; default: the workpool's size)."""
    fn = click.option(
        "--concurrency",
        type=click.IntRange(min=1, max=MAX_CONCURRENCY),
        default=None,
        help="Worker threads (default: --max-parallelism). Never more steps than --max-parallelism run at once.",
    )(fn)
    return click.option(
        "--max-parallelism",
        type=click.IntRange(min=1, max=MAX_PARALLELISM),
        default=25,
        show_default=True,
        help="Steps this process runs at once, across all workflows (a workflow's own limit also applies).",
    )(fn)


@contextlib.contextmanager
def open_runtime(db_url: str, *, existing: bool = False, **options: Any) -> Iterator[Any]:
    """``wfc.Runtime(db_url)``, closed afterwards. ``existing``: the database must exist already (commands that
    only look at instances do not create an empty database for a mistyped path)."""
    from wfc.runtime.runtime import Runtime

    path = sqlite_file(db_url)
    if existing and path is not None and not path.exists():
        raise CliError(f"no database at {path}",
                       hint="give the URL the workflows run on with --db (or WFC_DB), e.g. --db sqlite:///app.db")  # fmt: skip
    with usage_errors():
        runtime = Runtime(db_url, **options)
    try:
        yield runtime
    finally:
        runtime.close()


def jsonable(value: Any) -> Any:
    """A value as plain JSON data: attrs classes and dataclasses as objects, datetimes in ISO 8601, enums as their
    values, tuples and sets as lists, bytes as text, anything else as its ``str``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if attrs.has(type(value)):
        return {a.name: jsonable(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}" if str(value) else type(value).__name__
    return str(value)


def print_json(value: Any) -> None:
    """Exactly one JSON document on stdout."""
    emit_json(jsonable(value))


def import_app(app: str) -> ModuleType | list[WorkflowDef]:
    """``--app``: a dotted module name (imported from the working directory too) or the path of a ``.py`` file
    (a module, imported) or ``.wf`` file (its workflows, loaded). Registering workflows and steps is the point."""
    if app.endswith((".py", ".wf")) or "/" in app or "\\" in app:
        path = Path(app)
        if not path.exists():
            raise CliError(
                f"no such file: {path}", hint="give a dotted module name or the path of a .py/.wf file"
            )
        if path.suffix == ".wf":
            return load_workflows(path)
        return import_file(path)
    if not all(part.isidentifier() for part in app.split(".")):
        raise CliError(
            f"{app!r} is neither a module name nor a .py or .wf path", hint="e.g. --app myapp.workflows"
        )
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(app)
    except ModuleNotFoundError as exc:
        if exc.name and app.startswith(exc.name):
            raise CliError(f"no module named {app!r}",
                           hint="run from the directory that contains it, or set PYTHONPATH") from None  # fmt: skip
        raise


def load_workflow(target: str) -> WorkflowDef:
    """One workflow: ``PATH[:NAME]`` (a .py or .wf file) or ``MODULE[:NAME]`` (a dotted module name); the name
    may be left out when there is only one workflow."""
    path, name = split_target(target)
    text = str(path)
    if (
        not path.exists()
        and path.suffix not in (".py", ".wf")
        and all(p.isidentifier() for p in text.split("."))
    ):
        module = import_app(text)
        defns = module if isinstance(module, list) else workflows_in_module(module)
        if name is not None:
            defns = [w for w in defns if name in (w.name, w.fn.__name__ if w.fn else None)]
            if not defns:
                raise CliError(f"module {text} has no workflow named {name!r}")
        elif not defns:
            raise CliError(
                f"module {text} defines no workflow", hint="decorate a generator with @wfc.workflow"
            )
    else:
        defns = load_target(target)
    if len(defns) > 1:
        names = ", ".join(d.name for d in defns)
        raise CliError(f"{target} defines {len(defns)} workflows; name the one to run as PATH:NAME",
                       hint=f"workflows in it: {names}")  # fmt: skip
    return defns[0]


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.level = record.levelname.lower()
        return super().format(record)


class _EchoHandler(logging.Handler):
    """Log records on stderr as it is now (a live view redirects it to print above the table)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:
            self.handleError(record)


@contextlib.contextmanager
def log_to_stderr(*, timestamps: bool = False) -> Iterator[None]:
    """While in the block, show workflows' ``wfc.log`` records and the runtime's warnings on stderr (everything
    at DEBUG with ``--debug``; the runtime's INFO too with ``timestamps``, for a worker's log)."""
    ctx = click.get_current_context(silent=True)
    debug = bool(ctx and ctx.find_root().params.get("debug"))
    handler = _EchoHandler(logging.DEBUG if debug else logging.INFO)
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s" if timestamps else "%(level)s: %(message)s"
    handler.setFormatter(_Formatter(fmt, "%H:%M:%S"))
    if not debug and not timestamps:
        handler.addFilter(lambda r: r.levelno >= logging.WARNING or r.name.startswith("wfc.workflow"))
    logger = logging.getLogger("wfc")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
