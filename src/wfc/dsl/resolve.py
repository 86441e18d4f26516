"""Name resolution shared by the checks and the lowering: which names are locals, and what a call calls.

Only four kinds of thing are callable in a ``.wf`` file — built-ins, the file's workflows, the steps and
workflows of imported modules, and error types (only in ``raise``) — so a call's meaning is decided by its
callee's spelling alone, never by a value computed at run time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

import attrs

from wfc.commands import StepDef, WorkflowDef
from wfc.dsl import ast as wf
from wfc.dsl.imports import Imported
from wfc.dsl.names import BUILTIN_ERRORS, BUILTINS, WFC_ERRORS, Builtin


@attrs.frozen
class Env:
    """What a file's names refer to: its imports (by alias) and its workflows (by name)."""

    imports: Mapping[str, Imported]
    workflows: Mapping[str, wf.WorkflowDecl]


CalleeKind = Literal["builtin", "workflow", "step", "child", "error", "unknown", "failed", "invalid"]


@attrs.frozen
class Callee:
    """What a call's ``func`` names.

    ``builtin``: :data:`builtin` is set; ``workflow``: a workflow of this file (``name``); ``step``/``child``:
    an imported step or workflow (``alias.name``, ``value`` the definition); ``error``: an error type;
    ``unknown``: an imported module has no such member; ``failed``: the import failed (already reported);
    ``invalid``: anything else (a local, a method, an unknown name).
    """

    kind: CalleeKind
    name: str = ""
    alias: str | None = None
    builtin: Builtin | None = None
    value: Any = None

    @property
    def is_command(self) -> bool:
        return self.kind in ("workflow", "step", "child")

    @property
    def dotted(self) -> str:
        return f"{self.alias}.{self.name}" if self.alias else self.name


def resolve_callee(func: wf.Expr, env: Env, locals_: frozenset[str]) -> Callee:
    if isinstance(func, wf.Name):
        name = func.id
        if name in locals_:
            return Callee("invalid", name)
        if name in env.workflows:
            return Callee("workflow", name)
        if name in BUILTINS:
            return Callee("builtin", name, builtin=BUILTINS[name])
        if name in BUILTIN_ERRORS or name in WFC_ERRORS:
            return Callee("error", name)
        return Callee("invalid", name)
    if isinstance(func, wf.Attr) and isinstance(func.value, wf.Name):
        alias = func.value.id
        imported = env.imports.get(alias)
        if imported is None or alias in locals_:
            return Callee("invalid", func.name, alias)
        if imported.members is None:
            return Callee("failed", func.name, alias)
        value = imported.members.get(func.name)
        if isinstance(value, StepDef):
            return Callee("step", func.name, alias, value=value)
        if isinstance(value, WorkflowDef):
            return Callee("child", func.name, alias, value=value)
        if isinstance(value, type):
            return Callee("error", func.name, alias, value=value)
        return Callee("unknown", func.name, alias)
    return Callee("invalid")


def error_type_members(imported: Imported) -> list[str]:
    return sorted(n for n, v in (imported.members or {}).items() if isinstance(v, type))


def callable_members(imported: Imported) -> list[str]:
    return sorted(n for n, v in (imported.members or {}).items() if isinstance(v, StepDef | WorkflowDef))


# ---- locals ------------------------------------------------------------------------------------------------------


def bound_names(decl: wf.WorkflowDecl) -> frozenset[str]:
    """Parameters and every name the workflow binds anywhere (Python's rule for what is local). Names bound by
    ``all of (... for x in xs)`` belong to that group, not to the workflow."""
    out = {p.name for p in decl.params}
    for stmt in walk_statements(decl.body):
        if isinstance(stmt, wf.Assign):
            for t in stmt.targets:
                if isinstance(t, wf.Name):
                    out.add(t.id)
        elif isinstance(stmt, wf.AugAssign) and isinstance(stmt.target, wf.Name):
            out.add(stmt.target.id)
        elif isinstance(stmt, wf.For):
            out.update(t.id for t in stmt.targets)
        elif isinstance(stmt, wf.Try):
            out.update(h.name for h in stmt.handlers if h.name)
    return frozenset(out)


def walk_statements(body: tuple[wf.Stmt, ...]) -> Iterator[wf.Stmt]:
    """Every statement in ``body``, nested ones included (iteratively: blocks nest at most a few dozen deep)."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        stack.extend(reversed(children(stmt)))


def children(stmt: wf.Stmt) -> tuple[wf.Stmt, ...]:
    if isinstance(stmt, wf.If):
        return stmt.body + stmt.orelse
    if isinstance(stmt, wf.While | wf.For):
        return stmt.body
    if isinstance(stmt, wf.Try):
        out = stmt.body
        for h in stmt.handlers:
            out += h.body
        return out + (stmt.finalbody or ())
    return ()


def terminates(stmt: wf.Stmt) -> bool:
    """Whether control never continues after ``stmt`` (used for the unreachable-code warning)."""
    if isinstance(stmt, wf.Return | wf.Fail | wf.Raise | wf.Break | wf.Continue):
        return True
    if isinstance(stmt, wf.If):
        return bool(stmt.orelse) and block_terminates(stmt.body) and block_terminates(stmt.orelse)
    if isinstance(stmt, wf.Try):
        if stmt.finalbody is not None and block_terminates(stmt.finalbody):
            return True
        return block_terminates(stmt.body) and all(block_terminates(h.body) for h in stmt.handlers)
    return False


def block_terminates(body: tuple[wf.Stmt, ...]) -> bool:
    return any(terminates(s) for s in body)
