"""Resolving a ``.wf`` file's ``import`` declarations to the steps, workflows and error types they provide.

Importing a Python module *executes* it. Only :func:`wfc.dsl.load` (which builds workflows to run) imports by
default; checking, compiling and drawing read each module's source instead (:mod:`wfc.dsl.static_imports`) unless
the caller asks for imports (``execute=True``, ``wfc check --allow-imports``). A platform that accepts ``.wf``
files from people it does not trust also passes ``allowed_imports`` (module name prefixes): any other import is a
``WFC133`` error reported before anything is imported or read, and a path import is allowed only when the file is
an allowed module on ``sys.path``.

A path import (``import "./steps.py" as steps``) names a file relative to the ``.wf`` file. When the file lies
on ``sys.path`` it is imported under its module name, so the ``.wf`` file and Python code share one module
object (and one set of step definitions); otherwise it is loaded under a name derived from its absolute path.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from wfc.compiler.python.static import StaticImportError, StaticModule, read_module
from wfc.dsl import ast as wf
from wfc.dsl.codes import Reporter
from wfc.dsl.sandbox import module_members


@attrs.frozen
class Imported:
    """One resolved import. ``members``: what the alias exposes; ``None`` when the import failed (already
    reported), so that uses of the alias are not reported again."""

    alias: str
    module: str
    members: dict[str, Any] | None
    read_statically: bool = False
    """The members were read from the module's source (it was not imported)."""
    dynamic: bool = False
    """Read statically from a module that may define members at run time: an unknown member may exist."""


def allowed(module: str, prefixes: Sequence[str] | None) -> bool:
    if prefixes is None:
        return True
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def resolve(
    module: wf.Module,
    base_dir: Path,
    allowed_imports: Sequence[str] | None,
    reporter: Reporter,
    *,
    execute: bool = True,
) -> dict[str, Imported]:
    """Each import's members. ``execute``: import the modules (running their code); otherwise read their
    source."""
    out: dict[str, Imported] = {}
    for imp in module.imports:
        name = imp.module or imp.file or ""
        source: Path | None = None
        if imp.file is not None:
            found = _module_for_file(imp, base_dir, reporter)
            if found is None:
                out[imp.alias] = Imported(imp.alias, name, None)
                continue
            name, file, source = found
        else:
            file = None
        if not allowed(name, allowed_imports):
            shown = ", ".join(f"`{p}`" for p in allowed_imports or ()) or "none"
            reporter.report(
                "WFC133",
                f"importing `{name}` is not allowed here",
                imp.span,
                f"modules this loader may import: {shown}",
            )
            out[imp.alias] = Imported(imp.alias, name, None)
            continue
        if execute or _is_wfc(name):
            mod = _import(name, file, imp, reporter)
            if mod is None:
                out[imp.alias] = Imported(imp.alias, name, None)
                continue
            members = module_members(mod)
            dynamic = read = False
        else:
            found_static = _read(name, source, imp, reporter)
            if found_static is None:
                out[imp.alias] = Imported(imp.alias, name, None)
                continue
            members, dynamic, read = found_static.members, found_static.dynamic, True
        if not members and not dynamic:
            reporter.report(
                "WFC137",
                f"module `{name}` provides no steps, workflows or error types",
                imp.span,
                "decorate its functions with @wfc.step or @wfc.workflow",
            )
        out[imp.alias] = Imported(imp.alias, name, members, read, dynamic)
    return out


def _is_wfc(name: str) -> bool:
    """wfc's own modules (``wfc.stdlib``...) are trusted code: importing them runs nothing of the user's."""
    return name == "wfc" or name.startswith("wfc.")


def _read(name: str, source: Path | None, imp: wf.Import, reporter: Reporter) -> StaticModule | None:
    if not all(part.isidentifier() for part in name.split(".")):
        reporter.report("WFC132", f"`{name}` is not a module name", imp.span)
        return None
    try:
        return read_module(name, source)
    except StaticImportError as exc:
        reporter.report(
            "WFC132",
            f"cannot read `{imp.module or imp.file}` without importing it: {exc}",
            imp.span,
            "check the module name and the import path; a module without Python source can only be checked "
            "with imports allowed (`wfc check --allow-imports`, which runs the module's code)",
        )
        return None


def _module_for_file(
    imp: wf.Import, base_dir: Path, reporter: Reporter
) -> tuple[str, Path | None, Path] | None:
    """(module name, file to load if it is not importable by name, the file) for a path import."""
    assert imp.file is not None
    if not imp.file.endswith(".py"):
        reporter.report(
            "WFC139",
            f"`{imp.file}` is not a Python file",
            imp.span,
            'import a `.py` file: `import "./steps.py" as steps`',
        )
        return None
    try:
        path = (base_dir / imp.file).resolve()
        exists = path.is_file()
    except (OSError, ValueError, RuntimeError) as exc:
        reporter.report("WFC139", f"invalid import path `{imp.file}`: {exc}", imp.span)
        return None
    if not exists:
        reporter.report(
            "WFC139",
            f"no such file: `{imp.file}` (looked for {path})",
            imp.span,
            "a relative path starts from the .wf file's folder",
        )
        return None
    name = _name_on_sys_path(path)
    if name is not None:
        return name, None, path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    return f"wfc_file_{_identifier(path.stem)}_{digest}", path, path


def _name_on_sys_path(path: Path) -> str | None:
    # A module already imported from this very file wins, so .wf code and Python code share definitions.
    for name, mod in list(sys.modules.items()):
        file = getattr(mod, "__file__", None)
        if file and _same_file(file, path):
            return name
    candidates = []
    for entry in sys.path:
        try:
            root = Path(entry or os.getcwd()).resolve()
            rel = path.relative_to(root)
        except (OSError, ValueError, RuntimeError):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(p.isidentifier() for p in parts):
            candidates.append(".".join(parts))
    return min(candidates, key=len) if candidates else None


def _same_file(a: str, b: Path) -> bool:
    try:
        return Path(a).resolve() == b
    except (OSError, RuntimeError):
        return False


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in text) or "module"


def _import(name: str, file: Path | None, imp: wf.Import, reporter: Reporter) -> object | None:
    if file is None and not all(part.isidentifier() for part in name.split(".")):
        reporter.report("WFC132", f"`{name}` is not a module name", imp.span)
        return None
    try:
        if file is None:
            return importlib.import_module(name)
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {file}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return mod
    except (Exception, SystemExit) as exc:  # the module's own code failed: report it, never crash
        reporter.report(
            "WFC132",
            f"cannot import `{imp.module or imp.file}`: {type(exc).__name__}: {exc}",
            imp.span,
            "check the module name and that the module imports cleanly with `python -c 'import ...'`",
        )
        return None
