"""The deployment: which workflows this process ships, and which table versions it may run.

An instance records the hash of the table it started on and keeps running on it after the code changes. The
runtime runs a table only if the *deployment* can produce it: the current code compiles to that hash (in the current
IR format, or in an older one still read: an instance started before a wfc upgrade that changed the format keeps
running when its code did not change), or a versions
directory shipped with the application (written by ``wfc compile --versions DIR``: ``DIR/<module>/<qualname>/
<hash>.json``) holds a table that really has that hash (it is re-hashed on load) for that workflow. A table stored
in the database is never run: the database is not a way to run code the application does not contain. An instance
whose version is unknown waits, blocked with a clear error (``WFC423``); nothing is lost, and deploying the version
(or its versions file) lets it continue.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from wfc.commands import WORKFLOWS, WorkflowDef
from wfc.compiler import ir, serialize
from wfc.compiler.driver import compile_workflow, older_formats
from wfc.errors import CompileError, WfcError
from wfc.runtime.errors import ConfigError, UnknownVersion, UnknownWorkflow
from wfc.runtime.link import machine_for
from wfc.runtime.machine import Machine


def _same_code(defn: WorkflowDef, current: ir.Table, table_hash: str) -> ir.Table | None:
    """The table to run for ``table_hash`` when it is the current code's: its table, or the same code's table in
    an older IR format (an instance started before wfc changed its format; the code is the same)."""
    if current.hash == table_hash:
        return current
    for older in older_formats(defn):
        if older.hash == table_hash:
            return older
    return None


def version_path(directory: Path, key: str, table_hash: str) -> Path:
    return directory / key.replace(":", "/") / f"{table_hash}.json"


class Deployment:
    """Workflows by key (default: every ``@wfc.workflow`` imported in this process) and their runnable tables."""

    def __init__(
        self, workflows: Iterable[WorkflowDef] | None = None, versions: str | Path | None = None
    ) -> None:
        self._explicit = {w.key: w for w in workflows} if workflows is not None else None
        self.versions_dir = Path(versions) if versions is not None else None
        if self.versions_dir is not None and not self.versions_dir.is_dir():
            raise ConfigError(
                f"the versions directory {self.versions_dir} does not exist",
                hint="write it with `wfc compile --versions DIR` and ship it with the application",
            )
        self._machines: dict[tuple[str, str], Machine] = {}
        self._lock = threading.Lock()

    def _known(self) -> dict[str, WorkflowDef]:
        return self._explicit if self._explicit is not None else WORKFLOWS

    def known(self) -> dict[str, WorkflowDef]:
        """The deployed workflows by key (a live view: every ``@wfc.workflow`` imported, unless given)."""
        return self._known()

    def workflow(self, ref: str | WorkflowDef) -> WorkflowDef:
        """A deployed workflow, by definition, key (``module:qualname``) or unique name."""
        if isinstance(ref, str):
            hit = self._known().get(ref)
            if hit is not None:
                return hit
        known = self._known()
        if isinstance(ref, WorkflowDef):
            if self._explicit is not None and ref.key not in known:
                raise UnknownWorkflow(
                    f"workflow {ref.key} is not in this runtime's workflows=[...]",
                    hint="add it to Runtime(workflows=[...])",
                )
            return ref
        if not isinstance(ref, str):
            raise UnknownWorkflow(
                f"expected a workflow (a function decorated with @wfc.workflow) or its name, got {ref!r}",
                hint="decorate the generator function with @wfc.workflow",
            )
        found = known.get(ref)
        if found is not None:
            return found
        by_name = [w for w in list(known.values()) if w.name == ref]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            keys = ", ".join(sorted(w.key for w in by_name))
            raise UnknownWorkflow(f"the workflow name {ref!r} is ambiguous ({keys})", hint="use its key")
        raise UnknownWorkflow(
            f"no workflow {ref!r} in this deployment",
            hint="import the module that defines it before starting the runtime (workflows register when their "
            "module is imported)",
        )

    def current(self, defn: WorkflowDef) -> ir.Table:
        """The table the current code compiles to (raises :class:`~wfc.CompileError`)."""
        return compile_workflow(defn)

    def machine(self, key: str, table_hash: str) -> Machine:
        """The machine for an instance of workflow ``key`` on table version ``table_hash``."""
        hit = self._machines.get((key, table_hash))
        if hit is not None:
            return hit
        defn = self.workflow(key)
        table: ir.Table | None = None
        problem = ""
        try:
            current = compile_workflow(defn)
        except CompileError as exc:
            problem = f" (its current code does not compile: {str(exc).splitlines()[0]})"
        else:
            table = _same_code(defn, current, table_hash)
        if table is None:
            table = self._load_version(defn, table_hash, problem)
        machine = machine_for(defn, table)
        with self._lock:
            self._machines[(key, table_hash)] = machine
        return machine

    def _load_version(self, defn: WorkflowDef, table_hash: str, problem: str) -> ir.Table:
        short = table_hash[:12]
        if self.versions_dir is None:
            raise UnknownVersion(
                f"workflow {defn.key} instance runs table version {short}, which this deployment does not ship "
                f"(its code is now another version){problem}",
                hint="deploy the old version's tables (wfc compile --versions DIR, Runtime(versions=DIR)); the "
                "instance waits meanwhile, nothing is lost",
            )
        path = version_path(self.versions_dir, defn.key, table_hash)
        if not path.is_file():
            raise UnknownVersion(
                f"workflow {defn.key} instance runs table version {short}, which is neither the current code nor "
                f"in {self.versions_dir}{problem}",
                hint=f"ship {path.relative_to(self.versions_dir)} (wfc compile --versions DIR); the instance waits "
                "meanwhile, nothing is lost",
            )
        try:
            table = serialize.from_json(path.read_text())
        except (OSError, WfcError) as exc:
            raise UnknownVersion(
                f"cannot load {path}: {exc}", hint="rewrite it with wfc compile --versions"
            ) from None
        if table.hash != table_hash or table.name != defn.key:
            raise UnknownVersion(
                f"{path} does not contain version {short} of {defn.key} (it hashes to {table.hash[:12]}, "
                f"workflow {table.name}): refusing to run it",
                hint="versions files must be written by wfc compile --versions, never edited",
            )
        return table

    def versions(self, defn: WorkflowDef) -> list[str]:
        """Every table hash of ``defn`` this deployment can run: the current one first, then shipped ones."""
        out = []
        try:
            current = compile_workflow(defn)
        except CompileError:
            pass
        else:
            out.append(current.hash)
            out.extend(t.hash for t in older_formats(defn) if t.hash not in out)
        if self.versions_dir is not None:
            folder = self.versions_dir / defn.key.replace(":", "/")
            out.extend(p.stem for p in sorted(folder.glob("*.json")) if p.stem not in out)
        return out
