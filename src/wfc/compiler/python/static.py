"""Reading Python modules from their source without running them: what ``wfc check``, ``wfc compile`` and
``wfc graph`` (and a ``.wf`` file's imports) see when imports are not allowed.

Importing a module runs it, and the module may come from someone the platform does not trust (a ``.wf`` author
ships ``./steps.py`` beside the ``.wf`` file). The compiler needs little of a module: which names are steps,
workflows and error types (with their parameters), the source of each workflow and helper function, and what the
module-level names refer to. All of it is written in the source, so a :class:`_Reader` rebuilds a module's
namespace from its syntax tree:

* ``def`` statements become real function objects by executing the ``def`` alone, stripped of what would run
  code: decorators, default values (replaced by ``...``) and annotations. A function's body never runs; its code
  object keeps the file name and line numbers, so the front end reads the same source as for an imported one;
* ``@wfc.step``/``@wfc.transaction``/``@wfc.workflow`` (with or without arguments, through any alias of ``wfc``
  or of the decorator), and ``name = wfc.step(function)``, wrap them in :class:`~wfc.commands.StepDef` /
  :class:`~wfc.commands.WorkflowDef` values exactly as the decorators would (never registered);
* a ``class`` becomes an empty class of the same name (an exception class when its bases are error types);
* a literal assignment (``LIMIT = 10``) keeps its value (``ast.literal_eval``);
* ``import``/``from ... import`` of the standard library, of ``wfc`` and of installed packages (found in
  site-packages) really import them: that is not the user's code. Any other module is read the same way,
  recursively, and appears as a module object holding what was read.

What cannot be known without running the module (members made in a loop, ``from x import *``, ``globals()``,
values computed by calls) is left out and the module is marked *dynamic*; callers say that checking with imports
allowed (``--allow-imports``) would tell. Modules are found by searching ``sys.path`` for their source file, not
with ``importlib.util.find_spec`` (which imports parent packages).
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import importlib.machinery
import inspect
import os
import re
import site
import stat
import sys
import sysconfig
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from wfc.commands import StepDef, WorkflowDef
from wfc.compiler.pywarnings import silently
from wfc.errors import CompileError, Diagnostic, Span

MAX_SOURCE_BYTES = 8 * 1024 * 1024
"""A module larger than this is not read (a step module is source code, not data)."""

_DECORATORS = {"step": "step", "transaction": "transaction", "workflow": "workflow"}
_ERROR_BASES = frozenset(
    name for name in dir(builtins)
    if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), BaseException)
) | {"StepFailed", "Timeout", "WorkflowFailed", "WfcError"}  # fmt: skip


@attrs.frozen
class StaticModule:
    """What reading a module's source found: its namespace (as importing would have made it, minus what only
    running it can make) and whether it may define more at run time (``dynamic``)."""

    name: str
    path: Path
    namespace: dict[str, Any]
    dynamic: bool

    @property
    def members(self) -> dict[str, Any]:
        """What a ``.wf`` import of it exposes: its public steps, workflows and exception types."""
        return {
            k: v
            for k, v in sorted(self.namespace.items())
            if not k.startswith("_")
            # type(v), not isinstance: a lazy proxy (Django's settings) raises when asked for its __class__
            and (issubclass(type(v), StepDef | WorkflowDef) or (issubclass(type(v), type) and issubclass(v, Exception)))
            and k != RUNTIME_NAMES
        }

    def workflows(self) -> list[WorkflowDef]:
        """The workflows the module defines itself, in source order."""
        out = [
            v
            for v in self.namespace.values()
            if issubclass(type(v), WorkflowDef) and v.fn is not None and v.fn.__module__ == self.name
        ]
        return sorted(out, key=lambda w: w.fn.__code__.co_firstlineno if w.fn else 0)


class StaticImportError(Exception):
    """The module's source cannot be found or read (the message says why)."""


def find_source(name: str) -> Path | None:
    """The source file of the module ``name`` on ``sys.path`` (``pkg/mod.py`` or ``pkg/mod/__init__.py``)."""
    parts = name.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    for entry in sys.path:
        try:
            base = Path(entry or os.getcwd()).joinpath(*parts)
            for candidate in (base.with_name(parts[-1] + ".py"), base / "__init__.py"):
                if candidate.is_file():
                    return candidate
        except (OSError, ValueError):
            continue
    return None


def read_module(name: str, path: Path | None = None) -> StaticModule:
    """Read the module ``name`` (from ``path`` when given, else found on ``sys.path``) without running it.
    Raises :class:`StaticImportError`."""
    return _Reader().module(name, path)


def module_name_for(path: Path) -> str:
    """The name importing ``path`` gives its module (as its package's submodule when it sits in a package)."""
    path = path.resolve()
    root = path.parent
    parts = [path.stem] if path.name != "__init__.py" else []
    while (root / "__init__.py").exists():
        parts.insert(0, root.name)
        root = root.parent
    return ".".join(parts) or path.parent.name


def static_workflows(path: Path) -> list[WorkflowDef]:
    """The workflows of a ``.py`` file, read without importing it. Raises :class:`CompileError` (``WFC100``)."""
    name = module_name_for(path)
    try:
        return _Reader().module(name, path.resolve(), top=True).workflows()
    except StaticImportError as exc:
        diag = Diagnostic(
            "WFC100",
            f"cannot read {path.name}: {exc}",
            Span(str(path), 1),
            hint="wfc reads the module's source to find its workflows (it runs nothing unless --allow-imports)",
        )
        raise CompileError([diag]) from None


@functools.cache
def _installed_roots() -> tuple[Path, ...]:
    roots: list[str] = []
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        with_path = sysconfig.get_paths().get(key)
        if with_path:
            roots.append(with_path)
    try:
        roots.extend(site.getsitepackages())
        roots.append(site.getusersitepackages())
    except AttributeError:  # pragma: no cover - virtualenvs of old Pythons
        pass
    out = []
    for r in roots:
        try:
            out.append(Path(r).resolve())
        except OSError:
            continue
    return tuple(out)


def is_trusted(name: str) -> bool:
    """Whether importing ``name`` runs no code of the user's: ``wfc``, the standard library, or a package
    installed in site-packages (not a file of the project that is being checked)."""
    top = name.partition(".")[0]
    if top == "wfc" or top in sys.builtin_module_names:
        return True
    loaded = sys.modules.get(top)
    origin = getattr(loaded, "__file__", None) if loaded is not None else None
    if loaded is None:
        try:  # a top-level name: finding its spec imports nothing
            spec = importlib.machinery.PathFinder.find_spec(top)
        except (ImportError, ValueError, OSError):
            return False
        origin = spec.origin if spec is not None else None
        if spec is not None and origin is None and spec.submodule_search_locations:
            origin = next(iter(spec.submodule_search_locations), None)  # a namespace package
    if origin is None:
        return loaded is not None  # a built-in module already loaded
    try:
        resolved = Path(origin).resolve()
    except OSError:
        return False
    return any(resolved.is_relative_to(root) for root in _installed_roots())


class _Reader:
    def __init__(self) -> None:
        self.cache: dict[str, StaticModule] = {}
        self.reading: set[str] = set()

    def module(self, name: str, path: Path | None = None, *, top: bool = False) -> StaticModule:
        if name in self.cache:
            return self.cache[name]
        file = path or find_source(name)
        if file is None:
            raise StaticImportError(f"no source file for module `{name}` on the import path")
        if name in self.reading:  # an import cycle: nothing known yet, marked incomplete
            return StaticModule(name, file, {}, True)
        try:
            info = file.stat()
            if not stat.S_ISREG(info.st_mode):  # a FIFO or a device: reading would block or never end
                raise StaticImportError(f"{file.name} is not a regular file")
            if info.st_size > MAX_SOURCE_BYTES:
                raise StaticImportError(f"{file} is larger than {MAX_SOURCE_BYTES // 1024 // 1024} MiB")
            text = file.read_bytes()
        except OSError as exc:
            raise StaticImportError(f"cannot read {file}: {exc.strerror or exc}") from None
        try:
            # Python warns about the file's code when it imports it; reading it warns nothing (a workflow's
            # own code is reported by the front end, at its line, as importing would show it)
            tree = silently(lambda: ast.parse(text, filename=str(file)), str(file))
        except SyntaxError as exc:
            where = f"line {exc.lineno}: " if exc.lineno else ""
            raise StaticImportError(f"{file.name}: {where}{exc.msg}") from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise StaticImportError(f"{file.name}: {exc}") from None
        self.reading.add(name)
        try:
            found = _ModuleReader(self, name, file).read(tree)
        finally:
            self.reading.discard(name)
        self.cache[name] = found
        return found

    def module_object(self, name: str) -> types.ModuleType | None:
        """A module object holding what reading ``name`` found (``None`` when it has no readable source)."""
        try:
            found = self.module(name)
        except StaticImportError:
            return None
        mod = types.ModuleType(name)
        mod.__dict__.update({k: v for k, v in found.namespace.items() if k not in ("__builtins__",)})
        return mod


class _ModuleReader:
    def __init__(self, reader: _Reader, name: str, file: Path) -> None:
        self.reader = reader
        self.name = name
        self.file = file
        self.package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        self.ns: dict[str, Any] = {"__name__": name, "__file__": str(file), "__package__": self.package}
        self.dynamic = False
        self.runtime_names: dict[str, int] = {}  # names only running the module binds -> line
        self.ns[RUNTIME_NAMES] = self.runtime_names

    def read(self, tree: ast.Module) -> StaticModule:
        for stmt in _top_level(tree.body):
            try:
                self._statement(stmt)
            except (SyntaxError, ValueError, TypeError, RecursionError):
                self.dynamic = True  # a definition Python itself would refuse: leave it out
        return StaticModule(self.name, self.file, self.ns, self.dynamic)

    # ---- statements ------------------------------------------------------------------------------------------

    def _statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                self._import(alias)
        elif isinstance(stmt, ast.ImportFrom):
            self._import_from(stmt)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self._def(stmt)
        elif isinstance(stmt, ast.ClassDef):
            error = any(self._is_error_base(b) for b in stmt.bases)
            base: type = Exception if error else object
            self.ns[stmt.name] = type(
                stmt.name, (base,), {"__module__": self.name, "__qualname__": stmt.name}
            )
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            self._assign(stmt)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            pass  # a docstring
        elif isinstance(stmt, ast.Pass | ast.Assert):
            pass
        else:
            self.dynamic = True  # a loop, a call, `del`, `global`...: only running the module can tell

    def _import(self, alias: ast.alias) -> None:
        bound = alias.asname or alias.name.partition(".")[0]
        target = alias.name if alias.asname else alias.name.partition(".")[0]
        if is_trusted(alias.name):
            try:
                importlib.import_module(alias.name)
                self.ns[bound] = importlib.import_module(target)
            except Exception:
                self.ns.pop(bound, None)
            return
        mod = self.reader.module_object(target)
        if mod is None:
            self.ns.pop(bound, None)
            return
        if not alias.asname and "." in alias.name:
            self._attach_submodules(mod, alias.name)
        self.ns[bound] = mod

    def _attach_submodules(self, mod: types.ModuleType, dotted: str) -> None:
        parts = dotted.split(".")
        parent = mod
        for i in range(1, len(parts)):
            child = self.reader.module_object(".".join(parts[: i + 1]))
            if child is None:
                return
            setattr(parent, parts[i], child)
            parent = child

    def _import_from(self, stmt: ast.ImportFrom) -> None:
        module = _absolute(stmt.module, stmt.level, self.package)
        if not module:
            self.dynamic = True
            return
        trusted = is_trusted(module)
        for alias in stmt.names:
            bound = alias.asname or alias.name
            if alias.name == "*":
                self.dynamic = True
                continue
            self.ns.pop(bound, None)
            if trusted:
                try:
                    source_mod = importlib.import_module(module)
                    value = getattr(source_mod, alias.name, None)
                    if value is None:
                        value = importlib.import_module(f"{module}.{alias.name}")
                    self.ns[bound] = value
                except Exception:
                    pass
                continue
            try:
                source = self.reader.module(module)
            except StaticImportError:
                source = None
            if source is not None and alias.name in source.namespace:
                self.ns[bound] = source.namespace[alias.name]
                continue
            sub = self.reader.module_object(f"{module}.{alias.name}")
            if sub is not None:
                self.ns[bound] = sub
            elif source is None or source.dynamic:
                self.dynamic = True

    def _assign(self, stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        for target in targets:
            if not isinstance(target, ast.Name):
                self.dynamic = True
                continue
            self.ns.pop(target.id, None)
            if value is None or isinstance(stmt, ast.AugAssign):
                continue
            made = self._made_by_call(value)
            if made is not None:
                self.ns[target.id] = made
                continue
            try:
                self.ns[target.id] = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                if isinstance(value, ast.Name) and value.id in self.ns:
                    self.ns[target.id] = self.ns[value.id]
                else:
                    self.runtime_names[target.id] = stmt.lineno
                    if isinstance(value, ast.Call):
                        self.dynamic = True  # a call's result might be a step: only importing can tell

    def _def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        fn = self._function(node)
        self.ns[node.name] = fn
        for decorator in node.decorator_list:
            kind = self._decorator_kind(decorator)
            if kind is not None:
                options = decorator if isinstance(decorator, ast.Call) else None
                self.ns[node.name] = self._definition(kind, fn, options)
                return

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> types.FunctionType:
        """The function a ``def`` makes, made without running anything of the user's: no decorators, no default
        values (``...`` stands for each), no annotations. The body is compiled, never run."""
        args = node.args

        def plain(a: ast.arg) -> ast.arg:
            return ast.copy_location(ast.arg(a.arg, None), a)

        def placeholder(d: ast.expr) -> ast.expr:
            return ast.copy_location(ast.Constant(...), d)

        stripped_args = ast.arguments(
            posonlyargs=[plain(a) for a in args.posonlyargs],
            args=[plain(a) for a in args.args],
            vararg=plain(args.vararg) if args.vararg else None,
            kwonlyargs=[plain(a) for a in args.kwonlyargs],
            kw_defaults=[None if d is None else placeholder(d) for d in args.kw_defaults],
            kwarg=plain(args.kwarg) if args.kwarg else None,
            defaults=[placeholder(d) for d in args.defaults],
        )
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        cls = ast.AsyncFunctionDef if isinstance(node, ast.AsyncFunctionDef) else ast.FunctionDef
        clone = cls(
            name=node.name,
            args=stripped_args,
            body=node.body,
            decorator_list=[],
            returns=None,
            type_comment=None,
            lineno=first,
            col_offset=node.col_offset,
            end_lineno=node.end_lineno,
            end_col_offset=node.end_col_offset,
            **({"type_params": []} if sys.version_info >= (3, 12) else {}),
        )
        module = ast.Module([clone], [])
        ast.fix_missing_locations(module)
        path = str(self.file)
        code = silently(lambda: compile(module, path, "exec", dont_inherit=True), path)
        scratch: dict[str, Any] = {}
        exec(code, self.ns, scratch)  # runs only the `def`: constants for defaults, nothing else
        fn: types.FunctionType = scratch[node.name]
        fn.__module__ = self.name
        return fn

    def _decorator_kind(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Call):
            node = node.func
        value = self._static_value(node)
        import wfc

        for name, kind in _DECORATORS.items():
            if value is getattr(wfc, name):
                return kind
        return None

    def _static_value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return self.ns.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._static_value(node.value)
            if isinstance(base, types.ModuleType):
                return base.__dict__.get(node.attr)
        return None

    def _made_by_call(self, value: ast.expr) -> Any:
        """``wfc.step(fn)`` or ``wfc.step(name=...)(fn)`` of a function of this module."""
        if not isinstance(value, ast.Call) or len(value.args) != 1 or not isinstance(value.args[0], ast.Name):
            return None
        fn = self.ns.get(value.args[0].id)
        kind = self._decorator_kind(value.func)
        if not isinstance(fn, types.FunctionType) or kind is None:
            return None
        return self._definition(kind, fn, value.func if isinstance(value.func, ast.Call) else None)

    def _is_error_base(self, base: ast.expr) -> bool:
        value = self._static_value(base)
        if isinstance(value, type):
            return issubclass(value, BaseException)
        return isinstance(base, ast.Name) and base.id in _ERROR_BASES and base.id not in self.ns

    def _definition(
        self, kind: str, fn: types.FunctionType, options: ast.Call | None
    ) -> StepDef | WorkflowDef:
        """What the decorator would have made (its options: the literal ones; others are not needed to compile)."""
        name = _literal_keyword(options, "name") or fn.__name__
        key = f"{self.name}:{fn.__qualname__}"
        signature = inspect.signature(fn)
        if kind == "workflow":
            max_parallelism = _literal_keyword(options, "max_parallelism")
            return WorkflowDef(
                fn=fn,
                name=name if isinstance(name, str) else fn.__name__,
                key=key,
                signature=signature,
                namespace=self.ns,
                frontend="python",
                max_parallelism=max_parallelism if isinstance(max_parallelism, int) else None,
            )
        if kind == "transaction":
            params = list(signature.parameters.values())
            signature = signature.replace(parameters=params[1:])
        return StepDef(
            fn=fn,
            name=name if isinstance(name, str) else fn.__name__,
            key=key,
            kind="transaction" if kind == "transaction" else "step",
            is_async=inspect.iscoroutinefunction(fn),
            signature=signature,
        )


RUNTIME_NAMES = "__wfc_runtime_names__"
"""The key, in a namespace read from source, of the names only running the module binds (name -> line)."""

_UNSEEN = re.compile(r"`([A-Za-z_][\w.]*)\(\)` calls a name that is not defined")


def explain(defn: WorkflowDef, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics of a workflow read from source, where a name the reading could not know (``charge =
    make_step()``) is reported as undefined: say why, and that checking with imports allowed would tell."""
    names = defn.namespace.get(RUNTIME_NAMES) if isinstance(defn.namespace, dict) else None
    if not names:
        return diagnostics
    out = []
    for d in diagnostics:
        found = _UNSEEN.match(d.message)
        line = names.get(found.group(1).partition(".")[0]) if found else None
        if found and line is not None:
            name = found.group(1)
            d = attrs.evolve(
                d,
                message=f"`{name}()` calls a name bound at line {line} by code that runs only on import",
                hint="wfc reads the file without running it, so it cannot see what it is: check with "
                "`--allow-imports` (which runs the module) to check this call",
            )
        out.append(d)
    return out


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The module's statements, the branches of top-level ``if`` and ``try`` included (``if TYPE_CHECKING``,
    ``try: import x except ImportError``): a definition in either branch may exist; the last one read wins."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            yield from _top_level(stmt.body)
            yield from _top_level(stmt.orelse)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            yield from _top_level(stmt.body)
            for handler in stmt.handlers:
                yield from _top_level(handler.body)
            yield from _top_level(stmt.orelse)
            yield from _top_level(stmt.finalbody)
        else:
            yield stmt


def _absolute(module: str | None, level: int, package: str) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return ""
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def _literal_keyword(call: ast.Call | None, name: str) -> Any:
    for kw in call.keywords if call is not None else ():
        if kw.arg == name:
            try:
                return ast.literal_eval(kw.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
    return None
