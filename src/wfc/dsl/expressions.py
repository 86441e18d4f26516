"""Checks of expressions, calls and commands (the parts of :mod:`wfc.dsl.checks` below the statement level).

A *command* suspends the workflow: a call of a step or workflow (with or without ``with`` options), ``sleep``,
``wait`` and ``all of``/``first of``. Commands may stand only where the lowered Python has a ``yield``: alone
as a statement, as the whole right side of ``=``, after ``return``, and as the items of a parallel group.
"""

from __future__ import annotations

import inspect
from typing import Any

import attrs

from wfc._attributes import always_method, class_attribute
from wfc.commands import RetryPolicy, StepDef, WorkflowDef, check_seconds
from wfc.dsl import ast as wf
from wfc.dsl.childoptions import check_child_options
from wfc.dsl.codes import Reporter
from wfc.dsl.names import (
    BUILTIN_ERRORS,
    BUILTINS,
    EFFECTS,
    WFC_ERRORS,
    attribute_problem,
    did_you_mean,
    is_reserved,
)
from wfc.dsl.resolve import Callee, Env, callable_members, error_type_members, resolve_callee
from wfc.dsl.valueclasses import ValueClasses
from wfc.dsl.values import constant_value, is_number
from wfc.errors import WfcError

_RETRY_FIELDS = tuple(f.name for f in attrs.fields(RetryPolicy))
_ANY = object()


class CommandChecker:
    """Checks values where they stand: plain expressions, calls, and commands in the places a command may go."""

    def __init__(
        self, env: Env, reporter: Reporter, locals_: frozenset[str], classes: ValueClasses | None = None
    ) -> None:
        self.env = env
        self.reporter = reporter
        self.locals = locals_
        self.classes = classes

    def report(self, code: str, message: str, node: Any, hint: str | None = None) -> None:
        self.reporter.report(code, message, node.span, hint)

    # ---- positions where a command may stand -----------------------------------------------------------------

    def statement(self, v: wf.Value) -> None:
        """``v`` alone as a statement: it must be a command (anything else would do nothing)."""
        if self.command(v, frozenset()):
            return
        self.expr(v, frozenset())  # type: ignore[arg-type]
        if isinstance(v, wf.Call) and resolve_callee(v.func, self.env, self.locals).kind != "builtin":
            return  # what is wrong with the call is reported already
        if isinstance(v, wf.Call) and isinstance(v.func, wf.Name) and v.func.id in EFFECTS:
            return  # a helper called for what it does (set_status)
        hint = "assign its value to a variable, or remove it"
        if isinstance(v, wf.Compare) and v.ops == ("==",):
            hint = "to assign, write `=` instead of `==`"
        elif isinstance(v, wf.Call) and isinstance(v.func, wf.Name) and v.func.id in BUILTINS:
            hint = f"`{v.func.id}()` only computes a value: assign it, e.g. `n = {v.func.id}(...)`"
        self.report("WFC151", "this statement has no effect", v, hint)

    def value(self, v: wf.Value, scope: frozenset[str]) -> None:
        """``v`` on the right of ``=`` or after ``return``: a command or an expression."""
        if not self.command(v, scope):
            self.expr(v, scope)  # type: ignore[arg-type]

    def command(self, v: wf.Value, scope: frozenset[str]) -> bool:
        """Checks ``v`` if it is a command and says whether it was."""
        if isinstance(v, wf.Call):
            callee = resolve_callee(v.func, self.env, self.locals | scope)
            if not callee.is_command:
                return False
            self._arguments(v, callee, scope)
            return True
        if isinstance(v, wf.WithOptions):
            self._with_options(v, scope)
        elif isinstance(v, wf.Sleep):
            self.expr(v.duration, scope)
            self._constant(v.duration, "sleep", number=True)
        elif isinstance(v, wf.Wait):
            self.expr(v.event, scope)
            ok, value = constant_value(v.event)
            if ok and not (isinstance(value, str) and value):
                self.report(
                    "WFC156", "an event name is a non-empty string", v.event, 'e.g. `wait "approved"`'
                )
            if v.timeout is not None:
                self.expr(v.timeout, scope)
                self._constant(v.timeout, "timeout", number=True)
        elif isinstance(v, wf.Parallel):
            self._parallel(v, scope)
        elif isinstance(v, wf.StartChild):
            self._start_child(v, scope)
        elif isinstance(v, wf.Join):
            self.expr(v.handle, scope)
        else:
            return False
        return True

    def _constant(self, e: wf.Expr, what: str, *, number: bool) -> None:
        ok, value = constant_value(e)
        if not ok:
            return
        if number and not is_number(value):
            self.report("WFC156", f"{what} takes a number of seconds or a duration such as `10s`", e)
        elif number:
            try:  # exactly the runtime's validation of a delay, so check and run agree
                check_seconds(value, what)
            except WfcError as exc:
                self.report("WFC156", str(exc.args[0]), e, exc.hint)

    def _start_child(self, v: wf.StartChild, scope: frozenset[str]) -> None:
        options, call = (v.call, v.call.call) if isinstance(v.call, wf.WithOptions) else (None, v.call)
        callee = None
        if isinstance(call, wf.Call):
            callee = resolve_callee(call.func, self.env, self.locals | scope)
        if options is not None:
            self._with_options(options, scope, started=True)  # a call's arguments too, or "not a call"
        elif isinstance(call, wf.Call) and callee is not None and callee.is_command:
            self._arguments(call, callee, scope)
        else:
            self.expr(call, scope)
        if callee is not None and callee.kind in ("workflow", "child", "failed", "unknown"):
            return  # started as it should be, or its import's problem is reported already
        if callee is not None and callee.kind == "step":
            self.report(
                "WFC155",
                f"`async` starts a workflow, and `{callee.dotted}` is a step",
                call,
                "call the step (`r = step(x)`), or run steps side by side with `all of (...)`",
            )
        elif options is None:  # with options, what is not a step or workflow call is reported already
            self.report(
                "WFC155",
                "`async` starts a workflow call",
                call,
                "e.g. `handle = async ship(order)`, then `result = await handle`",
            )

    def _with_options(self, v: wf.WithOptions, scope: frozenset[str], *, started: bool = False) -> None:
        callee = None
        if isinstance(v.call, wf.Call) and self.command(v.call, scope):
            callee = resolve_callee(v.call.func, self.env, self.locals | scope)
        else:
            self.expr(v.call, scope)
            self.report(
                "WFC155",
                "options after `with` can only follow a step or workflow call",
                v.call,
                "e.g. `r = billing.charge(order) with retry(max_attempts = 3)`",
            )
        check_child_options(v, callee, started, self.report, self.classes, scope)
        seen: dict[str, wf.Option] = {}
        for opt in v.options:
            kind = "retry" if opt.kind == "no_retry" else opt.kind
            if kind in seen:
                self.report("WFC150", f"the `{kind}` option is given twice", opt, "keep one")
            seen[kind] = opt
            if opt.value is not None:
                self.expr(opt.value, scope)
            if opt.kind == "retry":
                self._retry(opt, scope)
            elif opt.kind == "run_after":
                assert opt.value is not None
                self._constant(opt.value, "run_after", number=True)
            elif opt.kind == "run_at":
                assert opt.value is not None
                if constant_value(opt.value)[0]:
                    self.report(
                        "WFC156", "run_at takes a time (a value such as `now()`), not a constant", opt.value
                    )
            elif opt.kind == "name":
                assert opt.value is not None
                ok, name = constant_value(opt.value)
                if ok and not (isinstance(name, str) and name):
                    self.report("WFC156", "a call's name is a non-empty string", opt.value)

    def _retry(self, opt: wf.Option, scope: frozenset[str]) -> None:
        for arg in opt.args:
            self.report(
                "WFC150", "retry(...) takes keyword arguments only", arg, "e.g. `retry(max_attempts = 3)`"
            )
        constants: dict[str, Any] = {}
        names: set[str] = set()
        for kw in opt.keywords:
            self.expr(kw.value, scope)
            if kw.name in names:
                self.report("WFC150", f"`{kw.name}` is given twice", kw)
            names.add(kw.name)
            if kw.name not in _RETRY_FIELDS:
                hint = did_you_mean(kw.name, _RETRY_FIELDS) or f"retry takes: {', '.join(_RETRY_FIELDS)}"
                self.report("WFC150", f"retry has no setting `{kw.name}`", kw, hint)
                continue
            ok, value = constant_value(kw.value)
            constants[kw.name] = value if ok else _ANY
        # Constant settings are validated now, exactly as the runtime would validate them.
        given = {k: v for k, v in constants.items() if v is not _ANY}
        if given and len(given) == len(constants):
            try:
                RetryPolicy(**given)
            except (WfcError, TypeError, ValueError) as exc:
                self.report("WFC150", f"invalid retry policy: {exc}", opt)

    def _parallel(self, v: wf.Parallel, scope: frozenset[str]) -> None:
        inner = scope
        if v.each is not None:
            self.expr(v.each.iter, scope)
            self._local_names(v.each.targets)
            inner = scope | {t.id for t in v.each.targets}
        if not v.items:
            word = "all of" if v.kind == "all" else "first of"
            self.report(
                "WFC154", f"`{word} ()` runs nothing", v, "list the commands to run in the parentheses"
            )
        for item in v.items:
            if isinstance(item, wf.Parallel):
                self.report(
                    "WFC155", "a parallel group cannot contain another one", item, "flatten it into one group"
                )
                continue
            if not self.command(item, inner):
                self.expr(item, inner)  # type: ignore[arg-type]
                self.report(
                    "WFC155",
                    "not a command: a parallel group runs step or workflow calls, `sleep` and `wait`",
                    item,
                    "compute values before or after the group",
                )

    def _local_names(self, targets: tuple[wf.Name, ...]) -> None:
        for t in targets:
            if is_reserved(t.id):
                self.report("WFC136", f"`{t.id}` cannot name a variable", t, "rename it")

    # ---- calls -----------------------------------------------------------------------------------------------

    def _arguments(self, call: wf.Call, callee: Callee, scope: frozenset[str]) -> None:
        for arg in call.args:
            self.expr(arg, scope)
        for kw in call.keywords:
            self.expr(kw.value, scope)
        problem = self._arity(call, callee)
        if problem is not None:
            message, hint = problem
            self.report("WFC143", message, call, hint)

    def _arity(self, call: wf.Call, callee: Callee) -> tuple[str, str | None] | None:
        names = [kw.name for kw in call.keywords]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate is not None:
            return f"the argument `{duplicate}` is given twice", None
        if callee.kind == "builtin":
            assert callee.builtin is not None
            b = callee.builtin
            n = len(call.args)
            bad_kw = [k for k in names if k not in b.keywords]
            if bad_kw:
                takes = ", ".join(sorted(b.keywords)) or "none"
                return f"`{b.name}()` has no argument `{bad_kw[0]}`", f"its keyword arguments: {takes}"
            if n < b.min_args or (b.max_args is not None and n > b.max_args):
                if b.max_args is None:
                    want = f"at least {b.min_args}"
                elif b.min_args == b.max_args:
                    want = str(b.min_args)
                else:
                    want = f"{b.min_args} to {b.max_args}"
                return f"`{b.name}()` takes {want} argument{'s' if want != '1' else ''}, not {n}", None
            return None
        signature = self._signature(callee)
        if signature is None:
            return None
        try:
            signature.bind(*[None] * len(call.args), **dict.fromkeys(names))
        except TypeError as exc:
            return (
                f"wrong arguments for `{callee.dotted}`: {exc}",
                f"its parameters: {callee.dotted}{signature}",
            )
        return None

    def _signature(self, callee: Callee) -> inspect.Signature | None:
        if callee.kind == "workflow":
            decl = self.env.workflows[callee.name]
            params = []
            for p in decl.params:
                default = inspect.Parameter.empty if p.default is None else None
                try:
                    params.append(
                        inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
                    )
                except ValueError:
                    return None  # an invalid parameter name, reported with the declaration
            try:
                return inspect.Signature(params)
            except ValueError:
                return None  # duplicate or misordered parameters, reported with the declaration
        if isinstance(callee.value, StepDef):
            return callee.value.signature
        if isinstance(callee.value, WorkflowDef):
            # A plain Signature: the values are placeholders here, so types are not checked.
            return inspect.Signature(list(callee.value.signature.parameters.values()))
        return None

    def _bad_call(self, call: wf.Call, callee: Callee, scope: frozenset[str]) -> None:
        """A call in an expression that is not a built-in call."""
        func = call.func
        if callee.is_command:
            self.report(
                "WFC145",
                f"`{callee.dotted}(...)` suspends the workflow: it cannot be part of an expression",
                call,
                f"assign its result to a variable first: `result = {callee.dotted}(...)`, then use `result`",
            )
            self._arguments(call, callee, scope)
            return
        for a in call.args:
            self.expr(a, scope)
        for kw in call.keywords:
            self.expr(kw.value, scope)
        if callee.kind == "failed":
            return
        if callee.kind == "unknown":
            self._unknown_member(func)  # type: ignore[arg-type]
            return
        if callee.kind == "error":
            self.report(
                "WFC142",
                f"`{callee.dotted}` is an error type: it can only be raised",
                call,
                f'write `raise {callee.dotted}(...)`, or `fail "message"`',
            )
            return
        if isinstance(func, wf.Name):
            if func.id in self.locals or func.id in scope:
                message = f"`{func.id}` is a variable, not a function"
                hint = "only built-ins, workflows and imported steps can be called"
                if func.id in BUILTINS:
                    hint = f"the variable hides the built-in `{func.id}()`: rename the variable"
            else:
                candidates = [*BUILTINS, *self.env.workflows]
                for alias, imported in self.env.imports.items():
                    candidates.extend(f"{alias}.{m}" for m in callable_members(imported))
                message = f"unknown function `{func.id}`"
                hint = (
                    did_you_mean(func.id, candidates)
                    or "only built-ins, workflows and imported steps can be called"
                )
            self.report("WFC142", message, func, hint)
            return
        if isinstance(func, wf.Attr):
            self.expr(func.value, scope)
            builtin = BUILTINS.get(func.name)
            hint = (
                f"call the built-in instead: `{func.name}(...)`"
                if builtin is not None and builtin.style == "str"
                else "only built-ins, workflows and imported steps can be called; methods cannot"
            )
            self.report("WFC142", f"`.{func.name}(...)` is a method call", call, hint)
            return
        self.expr(func, scope)
        self.report("WFC142", "only built-ins, workflows and imported steps can be called", call)

    def _unknown_member(self, attr: wf.Attr) -> None:
        assert isinstance(attr.value, wf.Name)
        alias = attr.value.id
        imported = self.env.imports[alias]
        members = callable_members(imported)
        hint = did_you_mean(attr.name, members) or (
            f"`{alias}` provides: {', '.join(members)}"
            if members
            else f"`{imported.module}` provides no steps"
        )
        if imported.dynamic:
            hint = (
                f"`{imported.module}` was read without importing it and may define members at run time: "
                "check with imports allowed (`wfc check --allow-imports`) if it does"
            )
            self.report(
                "WFC141",
                f"`{imported.module}` has no step or workflow `{attr.name}` that its source shows",
                attr,
                hint,
            )
            return
        self.report("WFC141", f"`{imported.module}` has no step or workflow `{attr.name}`", attr, hint)

    # ---- expressions -----------------------------------------------------------------------------------------

    def expr(self, e: wf.Expr, scope: frozenset[str]) -> None:
        if isinstance(e, wf.Name):
            self._name(e, scope)
        elif isinstance(e, wf.Const):
            return
        elif isinstance(e, wf.FString):
            for part in e.parts:
                if isinstance(part, wf.Interp):
                    self.expr(part.expr, scope)
        elif isinstance(e, wf.ListExpr):
            for item in e.items:
                self.expr(item, scope)
        elif isinstance(e, wf.ListComp):
            self.expr(e.iter, scope)
            self._local_names(e.targets)
            inner = scope | {t.id for t in e.targets}
            self.expr(e.element, inner)
            if e.condition is not None:
                self.expr(e.condition, inner)
        elif isinstance(e, wf.DictExpr):
            for item in (*e.keys, *e.values):
                self.expr(item, scope)
        elif isinstance(e, wf.Unary):
            self.expr(e.operand, scope)
        elif isinstance(e, wf.BinOp):
            self.expr(e.left, scope)
            self.expr(e.right, scope)
        elif isinstance(e, wf.BoolOp):
            for item in e.values:
                self.expr(item, scope)
        elif isinstance(e, wf.Compare):
            for item in (e.left, *e.comparators):
                self.expr(item, scope)
        elif isinstance(e, wf.Attr):
            self._attr(e, scope)
        elif isinstance(e, wf.Index):
            self.expr(e.value, scope)
            if isinstance(e.index, wf.Slice):
                for bound in (e.index.lower, e.index.upper):
                    if bound is not None:
                        self.expr(bound, scope)
            else:
                self.expr(e.index, scope)
        elif isinstance(e, wf.Call):
            callee = resolve_callee(e.func, self.env, self.locals | scope)
            if callee.kind == "builtin":
                self._arguments(e, callee, scope)
            else:
                self._bad_call(e, callee, scope)
        else:
            self.report(
                "WFC145",
                "a command cannot be part of an expression",
                e,
                "run it as a statement of its own, or assign its result first: `r = ...`",
            )

    def _name(self, e: wf.Name, scope: frozenset[str]) -> None:
        name = e.id
        if name in self.locals or name in scope:
            return
        if is_reserved(name):
            self.report("WFC136", f"`{name}` is reserved and cannot be used as a name", e)
        elif name in self.env.workflows:
            self.report(
                "WFC152", f"the workflow `{name}` can only be called", e, f"call it: `r = {name}(...)`"
            )
        elif name in self.env.imports:
            self.report(
                "WFC152", f"the import `{name}` is not a value", e, f"call its steps: `{name}.step(...)`"
            )
        elif name in BUILTINS:
            self.report("WFC152", f"the built-in `{name}` can only be called", e, f"call it: `{name}(...)`")
        elif name in BUILTIN_ERRORS or name in WFC_ERRORS:
            self.report(
                "WFC152", f"the error type `{name}` is not a value", e, f"use it in `catch {name}` or `raise`"
            )
        else:
            hint = did_you_mean(name, self.locals | scope) or "assign it before using it, or add a parameter"
            self.report("WFC140", f"undefined variable `{name}`", e, hint)

    def _attr(self, e: wf.Attr, scope: frozenset[str]) -> None:
        problem = attribute_problem(e.name)
        if problem is not None:
            self.reporter.report(
                "WFC144", f"the attribute `.{e.name}` is not allowed: {problem}", e.name_span
            )
            return
        if (
            isinstance(e.value, wf.Name)
            and e.value.id in self.env.imports
            and e.value.id not in self.locals | scope
        ):
            callee = resolve_callee(e, self.env, self.locals | scope)
            if callee.kind == "unknown":
                self._unknown_member(e)
            elif callee.kind != "failed":
                self.report(
                    "WFC152",
                    f"`{callee.dotted}` can only be called",
                    e,
                    f"call it: `r = {callee.dotted}(...)`",
                )
            return
        self.expr(e.value, scope)
        self._method(e, scope)

    def _method(self, e: wf.Attr, scope: frozenset[str]) -> None:
        """``x.name`` where the file shows that ``name`` is a method of every class ``x`` can have."""
        classes = self.classes.of(e.value, scope) if self.classes is not None else None
        if not classes or not always_method(classes, e.name):
            return
        owners = " or ".join(
            f"`{c.__name__}`"
            for c in sorted(classes, key=lambda c: c.__name__)
            if class_attribute(c, e.name) == "method"
        )
        builtin = BUILTINS.get(e.name)
        if builtin is not None and builtin.style in ("str", "view"):
            hint = f"call the built-in instead: `{e.name}(...)`"
        else:
            hint = "a workflow reads data attributes (fields, properties) and calls only built-ins, workflows and steps"
        self.reporter.report(
            "WFC144",
            f"the attribute `.{e.name}` is not allowed: it is a method of {owners}, not a value",
            e.name_span,
            hint,
        )

    # ---- errors ----------------------------------------------------------------------------------------------

    def raise_(self, s: wf.Raise, in_catch: bool) -> None:
        exc = s.exc
        if exc is None:
            if not in_catch:
                self.report(
                    "WFC149",
                    "`raise` without an error is only allowed in a `catch` block",
                    s,
                    'end the workflow with `fail "message"`, or raise an error: `raise ValueError("...")`',
                )
            return
        if isinstance(exc, wf.Const):
            self.report(
                "WFC148", "only errors can be raised", exc, 'to fail with a message, write `fail "message"`'
            )
            return
        if (
            isinstance(exc, wf.Name)
            and exc.id not in self.locals
            and (exc.id in BUILTIN_ERRORS or exc.id in WFC_ERRORS)
        ):
            return
        if isinstance(exc, wf.Call | wf.Attr):
            func = exc.func if isinstance(exc, wf.Call) else exc
            callee = resolve_callee(func, self.env, self.locals)
            if callee.kind == "error":
                if isinstance(exc, wf.Call):
                    for a in exc.args:
                        self.expr(a, frozenset())
                    for kw in exc.keywords:
                        self.expr(kw.value, frozenset())
                return
            if callee.kind == "failed":
                return
            if callee.kind in ("step", "child", "workflow", "builtin"):
                self.report(
                    "WFC148",
                    f"`{callee.dotted}` is not an error type",
                    exc,
                    "raise an error type: `raise ValueError(...)`",
                )
                return
        self.expr(exc, frozenset())

    def catch_types(self, h: wf.Catch) -> None:
        for t in h.types:
            self._error_type(t)

    def _error_type(self, t: wf.ErrorType) -> None:
        parts = t.parts
        if len(parts) == 1:
            name = parts[0]
            if name in BUILTIN_ERRORS or name in WFC_ERRORS:
                return
            hint = did_you_mean(name, BUILTIN_ERRORS | WFC_ERRORS) or (
                "catch wfc's StepFailed, Timeout or WorkflowFailed, a Python error such as ValueError, "
                "or an error type of an imported module: `catch billing.CardDeclined`"
            )
            self.report("WFC148", f"unknown error type `{name}`", t, hint)
            return
        alias, member = parts
        imported = self.env.imports.get(alias)
        if imported is None:
            self.report(
                "WFC148", f"`{alias}` is not an import", t, "import the module that defines the error type"
            )
            return
        if imported.members is None:
            return
        if isinstance(imported.members.get(member), type):
            return
        names = error_type_members(imported)
        if imported.dynamic:
            self.report(
                "WFC148",
                f"`{imported.module}` has no error type `{member}` that its source shows",
                t,
                f"`{imported.module}` was read without importing it and may define members at run time: "
                "check with imports allowed (`wfc check --allow-imports`) if it does",
            )
            return
        hint = did_you_mean(member, names) or (
            f"its error types: {', '.join(names)}" if names else f"`{imported.module}` exports no error types"
        )
        self.report("WFC148", f"`{imported.module}` has no error type `{member}`", t, hint)
