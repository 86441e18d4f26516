"""The public entry points: :func:`parse`, :func:`check` and :func:`load`.

Pipeline: read → parse (:mod:`wfc.dsl.parser`) → resolve imports (:mod:`wfc.dsl.imports`) → check
(:mod:`wfc.dsl.checks`) → lower each workflow (:mod:`wfc.dsl.lowering`) → :class:`~wfc.commands.WorkflowDef`.

Invariant: no input makes these functions raise anything but :class:`~wfc.errors.CompileError` (``load``,
``parse``) or nothing at all (``check``). A failure inside wfc itself becomes a ``WFC159`` diagnostic that says it
is a bug, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import inspect
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

from wfc.commands import WorkflowDef, register_workflow
from wfc.compiler import syntax
from wfc.dsl import ast as wf
from wfc.dsl.checks import check_module
from wfc.dsl.codes import Reporter, sort_key, source_lines
from wfc.dsl.imports import resolve
from wfc.dsl.lowering import lower_workflow, python_warnings
from wfc.dsl.parser import parse_module
from wfc.dsl.resolve import Env
from wfc.dsl.sandbox import namespace
from wfc.dsl.types import CheckedSignature, python_type
from wfc.dsl.values import constant_value
from wfc.errors import CompileError, Diagnostic, Span


@attrs.frozen
class Analysis:
    """Everything known about one file: the diagnostics always; the rest when parsing succeeded."""

    diagnostics: tuple[Diagnostic, ...]
    module: wf.Module | None = None
    env: Env | None = None
    workflows: tuple[syntax.Workflow, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def parse(text: str, path: str = "<string>") -> wf.Module:
    """The ``.wf`` syntax tree of ``text``. Raises :class:`CompileError` for syntax errors."""
    reporter = Reporter(path, source_lines(text))
    with _guard(reporter):
        return parse_module(text, path)
    raise CompileError(reporter.diagnostics)


def check(
    path: str | os.PathLike[str],
    *,
    allowed_imports: Sequence[str] | None = None,
    execute_imports: bool = False,
) -> list[Diagnostic]:
    """Every problem in a ``.wf`` file, warnings included, in source order. Never raises for bad input.

    Runs no Python of the user's: imported modules are read from their source, unless ``execute_imports``
    (then they are imported, as :func:`load` does)."""
    return list(
        analyze_file(path, allowed_imports=allowed_imports, execute_imports=execute_imports).diagnostics
    )


def load(
    path: str | os.PathLike[str],
    *,
    allowed_imports: Sequence[str] | None = None,
    execute_imports: bool = True,
) -> dict[str, WorkflowDef]:
    """Load a ``.wf`` file: its workflows by name, registered with the runtime's registry.

    Importing executes Python modules: pass ``allowed_imports`` (module name prefixes) when the file comes from
    someone you do not trust. ``execute_imports=False`` reads the imported modules' source instead: the
    workflows compile and draw (to the same tables) but their steps cannot run. Raises :class:`CompileError`
    listing every problem when there is an error.
    """
    return definitions(analyze_file(path, allowed_imports=allowed_imports, execute_imports=execute_imports))


def load_text(
    text: str,
    path: str = "<string>",
    *,
    allowed_imports: Sequence[str] | None = None,
    base_dir: str | None = None,
    execute_imports: bool = True,
) -> dict[str, WorkflowDef]:
    """Like :func:`load`, for source held in memory (relative path imports start from ``base_dir``)."""
    return definitions(
        analyze(
            text,
            path,
            Path(base_dir or os.getcwd()),
            allowed_imports,
            key_base=path,
            execute_imports=execute_imports,
        )
    )


# ---- analysis ----------------------------------------------------------------------------------------------------


def analyze_file(
    path: str | os.PathLike[str],
    *,
    allowed_imports: Sequence[str] | None = None,
    execute_imports: bool = True,
) -> Analysis:
    shown = os.fspath(path)
    if len(shown) > 1000:  # a path no file system accepts: keep the message one readable line
        shown = f"{shown[:40]}…{shown[-40:]} ({len(shown)} characters)"
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device: reading would block or never end
            raise OSError(errno.EINVAL, "not a regular file")
        text = Path(path).read_text(encoding="utf-8")
        where = Path(path).resolve()
    except (OSError, UnicodeDecodeError, ValueError, RuntimeError, TypeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        hint = "check the path, and that the file is UTF-8 text"
        return Analysis((Diagnostic("WFC127", f"cannot read {shown}: {reason}", Span(shown, 1), hint),))
    return analyze(
        text,
        shown,
        where.parent,
        allowed_imports,
        key_base=key_base(where),
        execute_imports=execute_imports,
    )


def key_base(path: Path) -> str:
    """How workflow keys name a file: by its module path, as Python names a module — the file with the packages
    (directories with an ``__init__.py``) it sits in, ``shop/flows/order.wf`` — never by the working directory
    or ``sys.path``, so every process (a worker started anywhere) names its workflows alike, and keys (and table
    hashes) do not depend on where a project is checked out."""
    path = path.resolve()
    parts = [path.name]
    root = path.parent
    while (root / "__init__.py").exists():
        parts.insert(0, root.name)
        root = root.parent
    return "/".join(parts)


def analyze(
    text: str,
    path: str,
    base_dir: Path,
    allowed_imports: Sequence[str] | None,
    *,
    key_base: str,
    execute_imports: bool = True,
) -> Analysis:
    """Parse, resolve imports, check and lower. Workflow keys are ``<key_base>:<name>``."""
    reporter = Reporter(path, source_lines(text))
    module = env = None
    workflows: tuple[syntax.Workflow, ...] = ()
    with _guard(reporter):
        module = parse_module(text, path)
        imports = resolve(module, base_dir, allowed_imports, reporter, execute=execute_imports)
        env = Env(imports, _first_by_name(module))
        check_module(module, env, reporter)
        if not reporter.has_errors:
            workflows = tuple(
                lower_workflow(d, env, f"{key_base}:{d.name}", module) for d in module.workflows
            )
            for d in module.workflows:
                python_warnings(d, env, reporter)
    diagnostics = tuple(sorted(reporter.diagnostics, key=sort_key))
    return Analysis(diagnostics, module, env, workflows)


def _first_by_name(module: wf.Module) -> dict[str, wf.WorkflowDecl]:
    out: dict[str, wf.WorkflowDecl] = {}
    for decl in module.workflows:
        out.setdefault(decl.name, decl)
    return out


@contextlib.contextmanager
def _guard(reporter: Reporter) -> Iterator[None]:
    """Turns every exception into diagnostics: a :class:`CompileError` gives its own, anything else says it is
    a bug in wfc (or, for a stack overflow, that the program is nested too deeply)."""
    try:
        yield
    except CompileError as exc:
        reporter.diagnostics.extend(exc.diagnostics)
    except RecursionError:
        reporter.report(
            "WFC128", "the program is nested too deeply to analyze", Span(reporter.path, 1), "split it up"
        )
    except Exception as exc:
        reporter.report(
            "WFC159",
            f"internal error while reading this file: {type(exc).__name__}: {exc}",
            Span(reporter.path, 1),
            "this is a bug in wfc, please report it with the file",
        )


# ---- definitions -------------------------------------------------------------------------------------------------


def definitions(analysis: Analysis) -> dict[str, WorkflowDef]:
    """Build and register the :class:`WorkflowDef` of every workflow of an analysed file; raises
    :class:`CompileError` if the analysis found errors."""
    module, env = analysis.module, analysis.env
    if not analysis.ok or module is None or env is None or len(analysis.workflows) != len(module.workflows):
        raise CompileError(analysis.diagnostics)
    ns = namespace({alias: imp.members or {} for alias, imp in env.imports.items()}, {})
    defs: dict[str, WorkflowDef] = {}
    for decl, tree in zip(module.workflows, analysis.workflows, strict=True):
        defn = WorkflowDef(
            fn=None,
            name=decl.name,
            key=tree.name,
            signature=_signature(decl),
            namespace=ns,
            frontend="wf",
            syntax=tree,
        )
        defs[decl.name] = register_workflow(defn)
    ns.update(defs)  # the workflows of a file call each other by name
    return defs


def _signature(decl: wf.WorkflowDecl) -> CheckedSignature:
    params = []
    for p in decl.params:
        default = inspect.Parameter.empty
        if p.default is not None:
            _, default = constant_value(p.default)
        annotation = python_type(p.type) if p.type is not None else inspect.Parameter.empty
        params.append(
            inspect.Parameter(
                p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation
            )
        )
    returns = python_type(decl.returns) if decl.returns is not None else inspect.Signature.empty
    return CheckedSignature(params, return_annotation=returns)
