"""Semantic checks of a parsed ``.wf`` file: every problem is reported (``WFC13x``–``WFC15x``), none raised.

The checks are also the compile-time sandbox: after them, every call in the program is a built-in, a workflow
of the file, an imported step or workflow, or an error type in a ``raise``, and no attribute reaches Python's
internals (see :mod:`wfc.dsl.names`).
"""

from __future__ import annotations

import builtins

import attrs

from wfc.dsl import ast as wf
from wfc.dsl.codes import Reporter
from wfc.dsl.expressions import CommandChecker
from wfc.dsl.names import (
    BUILTIN_ERRORS,
    BUILTINS,
    LOWERING_NAMES,
    WFC_ERRORS,
    did_you_mean,
    is_reserved,
)
from wfc.dsl.resolve import Env, bound_names, terminates, walk_statements
from wfc.dsl.types import SIMPLE, conforms, describe, python_type, type_problem
from wfc.dsl.valueclasses import ValueClasses
from wfc.dsl.values import constant_value

MAX_BLOCK_NESTING = 18
"""Loops and ``try`` statements open at once. CPython refuses to compile more than 20 nested blocks, and the
lowered code nests each inside the machine's own ``try``."""


def check_module(module: wf.Module, env: Env, reporter: Reporter) -> None:
    _check_declarations(module, env, reporter)
    for decl in module.workflows:
        if env.workflows.get(decl.name) is decl:
            WorkflowChecker(decl, env, reporter).run()
    if not module.workflows:
        reporter.report(
            "WFC138", "this file defines no workflow", None, "declare one: `workflow name() { ... }`"
        )


def _check_declarations(module: wf.Module, env: Env, reporter: Reporter) -> None:
    aliases: dict[str, wf.Import] = {}
    for imp in module.imports:
        if is_reserved(imp.alias) or imp.alias == "_" or not imp.alias.isidentifier():
            reporter.report(
                "WFC136", f"`{imp.alias}` cannot name an import", imp.span, "choose another name with `as`"
            )
        elif imp.alias in aliases:
            first = aliases[imp.alias].span
            reporter.report(
                "WFC131",
                f"`{imp.alias}` is imported twice (first at line {first.line})",
                imp.span,
                "give one of them another name: `import package.module as other`",
            )
        elif imp.alias in BUILTINS:
            reporter.report(
                "WFC158",
                f"the import `{imp.alias}` hides the built-in `{imp.alias}()`",
                imp.span,
                "import it `as` another name",
            )
        elif _hides_python(imp.alias):
            reporter.report(
                "WFC158",
                f"the import `{imp.alias}` would hide {_python_name(imp.alias)}",
                imp.span,
                "import it `as` another name",
            )
        aliases.setdefault(imp.alias, imp)
    seen: dict[str, wf.WorkflowDecl] = {}
    for decl in module.workflows:
        if decl.name in seen:
            first = seen[decl.name].name_span
            reporter.report(
                "WFC130",
                f"a workflow named `{decl.name}` is already declared at line {first.line}",
                decl.name_span,
                "rename one of them: workflow names are unique in a file",
            )
            continue
        seen[decl.name] = decl
        if is_reserved(decl.name) or decl.name == "_":
            reporter.report(
                "WFC136", f"`{decl.name}` cannot name a workflow", decl.name_span, "choose another name"
            )
        elif decl.name in aliases:
            reporter.report(
                "WFC131",
                f"the workflow `{decl.name}` has the name of an import",
                decl.name_span,
                "rename one of them",
            )
        elif decl.name in BUILTINS:
            reporter.report(
                "WFC158",
                f"the workflow `{decl.name}` hides the built-in `{decl.name}()`",
                decl.name_span,
                "rename it",
            )
        elif _hides_python(decl.name):
            reporter.report(
                "WFC158",
                f"the workflow `{decl.name}` would hide {_python_name(decl.name)}",
                decl.name_span,
                "rename it",
            )


def _hides_python(name: str) -> bool:
    """Names the lowered code, the machine and ``catch`` rely on: every Python built-in (``Exception``,
    ``KeyError``, ``isinstance``...) and wfc's error types. A file-level name (a workflow or an import) is a
    global of the lowered code, so it would replace them for every workflow of the file."""
    return name in _PYTHON_BUILTINS or name in WFC_ERRORS


def _python_name(name: str) -> str:
    value = getattr(builtins, name, None)
    if name in WFC_ERRORS or (isinstance(value, type) and issubclass(value, BaseException)):
        return f"the error type `{name}` (a `catch {name}` would no longer catch it)"
    return f"Python's built-in `{name}`, which compiled code may call"


_PYTHON_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))


@attrs.define
class _Ctx:
    loops: int = 0
    in_catch: bool = False
    blocks: int = 0


class WorkflowChecker:
    def __init__(self, decl: wf.WorkflowDecl, env: Env, reporter: Reporter) -> None:
        self.decl = decl
        self.env = env
        self.reporter = reporter
        self.locals = bound_names(decl)
        self.commands = CommandChecker(env, reporter, self.locals, ValueClasses(decl, self.locals))

    def run(self) -> None:
        self._params()
        seen: set[str] = set()
        for name, node in self._assigned_names():
            if name not in seen:
                seen.add(name)
                self._bind(name, node)
        self._block(self.decl.body, _Ctx())

    # ---- declarations ----------------------------------------------------------------------------------------

    def _params(self) -> None:
        seen: set[str] = set()
        defaults = False
        for p in self.decl.params:
            if p.name in seen:
                self.reporter.report(
                    "WFC135", f"duplicate parameter `{p.name}`", p.span, "rename one of them"
                )
            seen.add(p.name)
            if p.type is not None:
                self._type(p.type)
            if p.default is None:
                if defaults:
                    self.reporter.report(
                        "WFC135",
                        f"parameter `{p.name}` without a default follows one with a default",
                        p.span,
                        "put parameters with defaults last",
                    )
                continue
            defaults = True
            ok, value = constant_value(p.default)
            if not ok:
                self.reporter.report(
                    "WFC135",
                    f"the default of `{p.name}` is not a constant",
                    p.default.span,
                    "defaults are literals: numbers, strings, true/false/null, lists and dicts of them",
                )
            elif p.type is not None and type_problem(p.type) is None:
                annotation = python_type(p.type)
                if not conforms(value, annotation):
                    self.reporter.report(
                        "WFC157",
                        f"the default of `{p.name}` is not {describe(annotation)}",
                        p.default.span,
                        "change the default or the type (`T | null` allows `null`)",
                    )
        if self.decl.returns is not None:
            self._type(self.decl.returns)

    def _type(self, t: wf.TypeExpr) -> None:
        problem = type_problem(t)
        if problem is not None:
            message, where = problem
            hint = (
                did_you_mean(where.name, SIMPLE)
                or "types: int, float, str, bool, list[T], dict[K, V], any, null"
            )
            self.reporter.report("WFC134", message, where.span, hint)

    def _assigned_names(self) -> list[tuple[str, wf.Name | wf.Param]]:
        out: list[tuple[str, wf.Name | wf.Param]] = [(p.name, p) for p in self.decl.params]
        for stmt in walk_statements(self.decl.body):
            if isinstance(stmt, wf.Assign):
                out.extend((t.id, t) for t in stmt.targets if isinstance(t, wf.Name))
            elif isinstance(stmt, wf.AugAssign) and isinstance(stmt.target, wf.Name):
                out.append((stmt.target.id, stmt.target))
            elif isinstance(stmt, wf.For):
                out.extend((t.id, t) for t in stmt.targets)
            elif isinstance(stmt, wf.Try):
                for h in stmt.handlers:
                    if h.name and h.name_span is not None:
                        out.append((h.name, wf.Name(h.name, h.name_span)))
        return out

    def _bind(self, name: str, node: wf.Name | wf.Param) -> None:
        """A name the workflow binds: it must be free to use, and must not hide what the program (or the lowered
        code, which spells `keys(d)` as `list(d.keys())`) calls by name. Other built-ins may be hidden: calling
        one then reports that the name is a variable."""
        if is_reserved(name):
            why = "starts with `_`" if name.startswith("_") else "is a reserved word"
            self.reporter.report(
                "WFC136", f"`{name}` cannot name a variable: it {why}", node.span, "rename it"
            )
            return
        if name in self.env.workflows:
            what = f"the workflow `{name}`"
        elif name in self.env.imports:
            what = f"the import `{name}`"
        elif name in LOWERING_NAMES:
            what = f"the built-in `{name}()`"
        elif name in BUILTIN_ERRORS or name in WFC_ERRORS:
            what = f"the error type `{name}`"
        else:
            return
        self.reporter.report(
            "WFC158", f"the variable `{name}` would hide {what}", node.span, "rename the variable"
        )

    # ---- statements ------------------------------------------------------------------------------------------

    def _block(self, body: tuple[wf.Stmt, ...], ctx: _Ctx) -> None:
        warned = False
        for i, stmt in enumerate(body):
            if not warned and i > 0 and terminates(body[i - 1]):
                warned = True  # one warning per block; the rest is still checked for errors
                self.reporter.report(
                    "WFC147",
                    "unreachable code",
                    stmt.span,
                    "the statement before it always returns, fails or jumps: remove this code or move it up",
                )
            self._stmt(stmt, ctx)

    def _stmt(self, s: wf.Stmt, ctx: _Ctx) -> None:
        c = self.commands
        if isinstance(s, wf.Assign):
            for t in s.targets:
                self._target(t)
            c.value(s.value, frozenset())
        elif isinstance(s, wf.AugAssign):
            self._target(s.target)
            c.expr(s.value, frozenset())
        elif isinstance(s, wf.ExprStmt):
            c.statement(s.value)
        elif isinstance(s, wf.Return):
            if s.value is not None:
                c.value(s.value, frozenset())
        elif isinstance(s, wf.Fail | wf.Log):
            c.expr(s.message, frozenset())
        elif isinstance(s, wf.Raise):
            c.raise_(s, ctx.in_catch)
        elif isinstance(s, wf.Break | wf.Continue):
            if ctx.loops == 0:
                word = "break" if isinstance(s, wf.Break) else "continue"
                self.reporter.report(
                    "WFC146",
                    f"`{word}` outside a loop",
                    s.span,
                    f"`{word}` only works inside `for` or `while`",
                )
        elif isinstance(s, wf.If):
            c.expr(s.test, frozenset())
            self._block(s.body, ctx)
            self._block(s.orelse, ctx)
        elif isinstance(s, wf.While | wf.For):
            if isinstance(s, wf.While):
                c.expr(s.test, frozenset())
            else:
                c.expr(s.iter, frozenset())
            inner = self._nested(s, ctx)
            self._block(s.body, _Ctx(ctx.loops + 1, ctx.in_catch, inner))
        elif isinstance(s, wf.Try):
            inner = self._nested(s, ctx)
            self._block(s.body, attrs.evolve(ctx, blocks=inner))
            for h in s.handlers:
                c.catch_types(h)
                self._block(h.body, _Ctx(ctx.loops, True, inner + 1))
            if s.finalbody is not None:
                self._block(s.finalbody, attrs.evolve(ctx, blocks=inner + 1))

    def _nested(self, s: wf.While | wf.For | wf.Try, ctx: _Ctx) -> int:
        inner = ctx.blocks + 1
        if inner == MAX_BLOCK_NESTING + 1:
            self.reporter.report(
                "WFC128",
                f"more than {MAX_BLOCK_NESTING} loops and `try` statements nested in each other",
                s.span,
                "move the inner part into a workflow of its own and call it",
            )
        return inner

    def _target(self, t: wf.Expr) -> None:
        if isinstance(t, wf.Name):
            return  # checked once, by _bind
        if isinstance(t, wf.Index):
            self.commands.expr(t.value, frozenset())
            if isinstance(t.index, wf.Slice):
                self.reporter.report("WFC153", "cannot assign to a slice", t.span, "build a new list instead")
            else:
                self.commands.expr(t.index, frozenset())
            return
        if isinstance(t, wf.Attr):
            self.reporter.report(
                "WFC153",
                f"cannot assign to the attribute `.{t.name}`",
                t.span,
                'values are plain data in a workflow: use a dict and `d["key"] = value`',
            )
            return
        self.reporter.report(
            "WFC153",
            "cannot assign to this expression",
            t.span,
            "assign to a variable (`x = ...`), a list item or a dict key (`d[k] = ...`)",
        )
