"""The machine: a linked state table that advances a cursor from one suspension to the next.

Linking turns each state's code and op into one Python function ``f(v)`` over the variables dict ``v``.
Generated functions load the workflow locals they touch from ``v`` into real locals (so comprehensions, lambdas
and closures behave exactly as in the original generator), run the code, and store what they wrote back into
``v`` in a ``finally`` (so an exception half-way leaves ``v`` as Python's frame would be). A local absent from
``v`` stays unbound, and reading it raises ``UnboundLocalError`` as in Python.

:meth:`Machine.start` and :meth:`Machine.resume` run states until the next suspension or the end. Nothing here
knows about storage, time or steps: the callers (the in-memory test runner, the durable runtime) do.
"""

from __future__ import annotations
import __future__

import ast
import linecache
import os
from collections.abc import Callable, Mapping
from types import CellType, CodeType, FrameType, FunctionType, TracebackType
from typing import Any

import attrs

from wfc import _frames
from wfc.commands import Command
from wfc.compiler import ir
from wfc.compiler.pywarnings import silently
from wfc.errors import InternalError, WorkflowRuntimeError
from wfc.runtime import budget
from wfc.runtime.loops import INTRINSICS as LOOP_INTRINSICS

INTRINSICS: dict[str, Any] = {**LOOP_INTRINSICS, "_wfc_KeyError": KeyError, "_wfc_NameError": NameError}
"""What generated code names besides the workflow's own names: the loop helpers, and the builtin exceptions its
wrappers catch under reserved names — a workflow may bind ``KeyError`` or ``NameError`` itself (a module-level
name, an import alias, a parameter), and its code must then behave exactly as Python's does."""

_GOTO, _BRANCH, _SUSPEND, _RETURN, _RAISE, _LEAVE, _END = range(7)
_KINDS: dict[type[ir.Op], int] = {
    ir.Goto: _GOTO,
    ir.Branch: _BRANCH,
    ir.Suspend: _SUSPEND,
    ir.Return: _RETURN,
    ir.Raise: _RAISE,
    ir.Leave: _LEAVE,
    ir.EndFinally: _END,
}


@attrs.define
class Pending:
    """A finally's pending completion, kept in the region's completion variable (persisted with the cursor)."""

    kind: str  # "jump" | "return" | "raise"
    target: str | None = None
    value: Any = None


@attrs.frozen
class Suspended:
    """The workflow waits at ``state`` for ``command``; ``vars`` holds exactly the live variables."""

    state: str
    command: Command
    vars: dict[str, Any]


@attrs.frozen
class Completed:
    value: Any


@attrs.frozen
class Failed:
    error: BaseException


Outcome = Suspended | Completed | Failed


@attrs.define
class _Linked:
    id: str
    kind: int
    fn: Callable[[dict[str, Any]], Any] | None
    region: str | None
    handling: str | None
    targets: tuple[str, ...] = ()
    bind: Callable[[dict[str, Any], Any], None] | None = None
    throw: Callable[[dict[str, Any], BaseException], None] | None = None
    live: frozenset[str] = frozenset()
    op_region: str | None = None
    delegates: bool = False  # the suspension is written `yield from cmd` (see _at_yield)


@attrs.define
class _LinkedRegion:
    id: str
    parent: str | None
    handlers: list[tuple[Callable[[dict[str, Any]], Any] | None, str]]
    slot: str | None
    finally_entry: str | None
    completion: str | None


class _Gen:
    """Accumulates the generated module source, and for each generated line the workflow source line it stands
    for (so that a traceback through workflow code shows the user's own file and line)."""

    def __init__(self, cells: frozenset[str] = frozenset()) -> None:
        self.lines: list[str] = []
        self.origin: list[int] = []
        self.count = 0
        self.cells = cells

    def function(
        self, args: str, names: set[str], writes: set[str], body: list[str], origin: list[int], at: int
    ) -> str:
        """``origin[i]`` is the source line of ``body[i]``; ``at`` the line the wrapper code stands for.

        Locals captured by a nested function (``cells``) are the factory's cells, shared by every state of a
        transition (the machine gives each transition its own); the others are loaded from ``_wfc_v``."""
        self.count += 1
        name = f"_wfc_f{self.count}"
        out = [(f"def {name}({args}):", at)]
        shared = sorted((names | writes) & self.cells)
        if shared:
            out.append((f"    nonlocal {', '.join(shared)}", at))
        for n in sorted(names - self.cells):
            out += [(f"    try: {n} = _wfc_v[{n!r}]", at), ("    except _wfc_KeyError: pass", at)]
        indent = "        " if writes else "    "
        if writes:
            out.append(("    try:", at))
        out.extend((f"{indent}{line}", line_no) for line, line_no in zip(body, origin))
        if writes:
            out.append(("    finally:", at))
            for n in sorted(writes):
                out += [
                    (f"        try: _wfc_v[{n!r}] = {n}", at),
                    (f"        except _wfc_NameError: _wfc_v.pop({n!r}, None)", at),
                ]
        self.lines.extend(text for text, _ in out)
        self.origin.extend(line_no for _, line_no in out)
        return name


def _compile_at_source(
    source: str, origin: list[int], table: ir.Table, namespace: Mapping[str, Any], metered: bool = False
) -> CodeType:
    """Compile the generated module so that its code objects name the workflow's own file and lines: a
    traceback through workflow code then shows the user's source, not the generated text.

    The code gets the ``__future__`` features of the workflow's own module, never this module's: a nested
    function's annotations are objects unless the user's module asked for ``from __future__ import annotations``. ``metered``: with the budget's fuel and size checks
    (:func:`wfc.runtime.budget.instrument`)"""
    tree = silently(lambda: ast.parse(source), "<unknown>")
    path = table.path
    real = bool(path) and os.path.exists(path)
    columns = _Columns(source.splitlines(), path if real else None)
    last = len(origin)
    for node in ast.walk(tree):
        if hasattr(node, "lineno"):
            at = min(node.lineno, last)
            line = origin[at - 1]
            end = getattr(node, "end_lineno", None)
            end_at = min(end, last) if end is not None else at
            end_line = max(origin[end_at - 1], line)
            node.lineno = line
            node.end_lineno = end_line  # type: ignore[attr-defined]
            columns.place(node, at, line, end_at, end_line)  # may move a raise at a yield onto the yield's lines
    if metered:
        tree = budget.instrument(tree)
    if not real:
        path = f"<wfc {table.name}>"
        linecache.cache[path] = (len(source), None, source.splitlines(True), path)
    # `from __future__ import annotations` binds the feature object to the name `annotations`.
    future = __future__.annotations
    flags = future.compiler_flag if namespace.get("annotations") is future else 0
    # Python's warnings about this code were reported when the workflow was compiled (or are about wfc's text)
    code: CodeType = silently(lambda: compile(tree, path, "exec", flags=flags, dont_inherit=True), path)
    return code


class _Columns:
    """Columns of generated code moved onto the workflow's own lines, so that a traceback's carets point at what
    failed in the user's line as they do in Python. A generated line that is the user's line re-indented moves by
    the indentation; one that is not (code the compiler wrote for it, such as raising an outcome at a ``yield``)
    spans the whole user line, which Python shows without carets."""

    def __init__(self, generated: list[str], path: str | None) -> None:
        self.generated = generated
        self.path = path

    def place(self, node: Any, at: int, line: int, end_at: int, end_line: int) -> None:
        if self.path is None or not hasattr(node, "col_offset"):
            return
        start, end = self._shift(at, line), self._shift(end_at, end_line)
        if start is not None and end is not None and node.end_col_offset is not None:
            col, end_col = node.col_offset + start, node.end_col_offset + end
            if line != end_line or col <= end_col:
                node.col_offset, node.end_col_offset = col, end_col
                return
        user, last = linecache.getline(self.path, line), linecache.getline(self.path, end_line)
        generated = self.generated[at - 1] if at <= len(self.generated) else ""
        if generated.strip() == _THROW_LINE and line == end_line:
            site = _yield_site(self.path, line)
            if site is not None:  # raised at the yield: Python's position is the `yield` expression's
                node.lineno, node.end_lineno = site.line, site.end_line
                node.col_offset, node.end_col_offset = site.col, site.end_col
                return
        end_col = len(last.rstrip().encode())
        col = len(user) - len(user.lstrip())
        node.col_offset = min(col, end_col) if line == end_line else col
        node.end_col_offset = end_col

    def _shift(self, at: int, line: int) -> int | None:
        """How far generated line ``at`` moves to become user line ``line`` (``None``: it is not that line)."""
        generated = self.generated[at - 1] if at <= len(self.generated) else ""
        user = linecache.getline(self.path or "", line)
        if not user.strip() or user.strip() != generated.strip():
            return None
        return (len(user) - len(user.lstrip())) - (len(generated) - len(generated.lstrip()))


_THROW_LINE = "raise _wfc_e"  # the code that raises an outcome's exception at a suspension's `yield`


@attrs.frozen
class _YieldSite:
    """Where the ``yield`` of a suspension's statement is in the workflow's file: Python's code positions of the
    expression (lines 1-based, columns in UTF-8 bytes), and whether it is written ``yield from``."""

    line: int
    end_line: int
    col: int
    end_col: int
    delegates: bool


def _yield_site(path: str | None, line: int) -> _YieldSite | None:
    """The yield of the statement that starts at ``line`` of ``path`` (``None``: the file cannot be read, or no
    whole statement holding a yield starts there). A statement may span lines: it is parsed from its first line
    until it is whole. The table is the same for ``yield`` and ``yield from``, so only the source tells them apart."""
    if not path or line <= 0:
        return None
    text = ""
    for k in range(line, line + 200):
        nxt = linecache.getline(path, k)
        if not nxt:
            return None
        text += nxt
        stripped = text.lstrip()
        try:
            tree = silently(lambda: ast.parse(stripped), "<unknown>")  # noqa: B023 - called at once
        except SyntaxError:
            continue
        indent = len(text.encode()) - len(stripped.encode())  # bytes cut from the first line
        for node in ast.walk(tree):
            if isinstance(node, ast.Yield | ast.YieldFrom):
                assert node.end_lineno is not None and node.end_col_offset is not None
                return _YieldSite(
                    line + node.lineno - 1,
                    line + node.end_lineno - 1,
                    node.col_offset + (indent if node.lineno == 1 else 0),
                    node.end_col_offset + (indent if node.end_lineno == 1 else 0),
                    isinstance(node, ast.YieldFrom),
                )
        return None
    return None


_delegation: tuple[FrameType, int, int] | None = None


def _delegation_entry() -> tuple[FrameType, int, int]:
    """The traceback entry of ``Command.__iter__`` at its ``yield``, as an exception thrown into it gets: made once by
    throwing into a real one, so path, line and columns are Python's own."""
    global _delegation
    if _delegation is None:
        delegate = iter(Command[Any]())
        next(delegate)
        try:
            delegate.throw(_Probe())
        except _Probe as probe:
            tb = probe.__traceback__
            assert tb is not None and tb.tb_next is not None
            _delegation = (tb.tb_next.tb_frame, tb.tb_next.tb_lasti, tb.tb_next.tb_lineno)
    assert _delegation is not None
    return _delegation


class _Probe(Exception):
    pass


def _code_origin(code: ir.Code, fallback: int) -> list[int]:
    """The source line of every text line of a state's code."""
    count = code.source.count("\n") + 1
    if len(code.lines) == count:
        return [line or fallback for line in code.lines]
    return [fallback] * count


def _tail(op: ir.Op) -> list[str]:
    """The generated lines that evaluate the op's expressions after the state's code: a branch returns its
    test's truth, a raise raises, every other op returns the value of its one expression (if it has one)."""
    if isinstance(op, ir.Raise):
        if op.exc is None:
            return ["raise"]
        if op.cause is None:
            return [f"raise ({op.exc.source})"]
        return [f"raise ({op.exc.source}) from ({op.cause.source})"]
    exprs = op.exprs()
    if not exprs:
        return []
    (e,) = exprs
    if isinstance(op, ir.Branch):
        return [f"return True if ({e.source}) else False"]
    return [f"return ({e.source})"]


def _expr_names(*exprs: ir.Expr | None) -> set[str]:
    out: set[str] = set()
    for e in exprs:
        if e is not None:
            out.update(e.reads)
            out.update(e.writes)
    return out


class Machine:
    """A table linked against the namespace its code runs in."""

    def __init__(
        self,
        table: ir.Table,
        namespace: Mapping[str, Any],
        closure: Mapping[str, Any] | None = None,
        *,
        metered: bool = False,
    ):
        self.table = table
        self.metered = metered  # untrusted (.wf) code: runs on a budget (see wfc.runtime.budget)
        self.regions: dict[str, _LinkedRegion] = {}
        self.captured: frozenset[str] = frozenset()
        self._templates: dict[int, _Template] = {}
        self.states: dict[str, _Linked] = {}
        # How a state's `handling` variable falls back when it holds no exception (a finally entered without
        # one runs under what its try statement runs under); handler slots always hold one.
        self._outer: dict[str, str | None] = {}
        for r in table.regions:
            if r.completion:
                self._outer[r.completion] = r.handling
            if r.slot:
                self._outer.setdefault(r.slot, r.handling)
        self._link(namespace, closure or {})

    # ---- linking --------------------------------------------------------------------------------------------

    def _link(self, namespace: Mapping[str, Any], closure: Mapping[str, Any]) -> None:
        globals_ = namespace if isinstance(namespace, dict) else dict(namespace)
        intrinsics = {**INTRINSICS, **budget.INTRINSICS} if self.metered else INTRINSICS
        for key, value in intrinsics.items():
            if globals_.get(key) is not value:
                globals_[key] = value  # reserved `_wfc_` names: never a user's
        if globals_.get("_wfc_locals") is not _user_locals:
            globals_["_wfc_locals"] = _user_locals  # what the compiler makes of the workflow's `locals()`
        gen, plan, handler_fns = self._generate(frozenset())
        fns = self._compile(gen, globals_, closure)
        # A nested function or lambda of the workflow closes over workflow locals. Each state is its own
        # generated function, so those locals become cells shared by all states of one transition: a closure
        # defined before a branch, loop or try then sees the variables as they are when it is called.
        user = {n for n in self.table.locals if not n.startswith("_wfc_")}
        captured = frozenset(n for fn in fns.values() for n in _captured(fn.__code__) if n in user)
        if captured:
            gen, plan, handler_fns = self._generate(captured)
            fns = self._compile(gen, globals_, closure)
            self._templates = {id(fn): _Template(fn, captured) for fn in fns.values()}
        self.captured = captured
        self._wire(fns, plan, handler_fns)

    def _compile(self, gen: _Gen, globals_: dict[str, Any], closure: Mapping[str, Any]) -> dict[str, Any]:
        # Closure variables of a nested workflow function become free variables of the generated functions,
        # which are defined inside a factory; module globals stay live (the real module dict is the globals).
        table = self.table
        params = sorted(closure)
        factory = [f"def _wfc_factory({', '.join([*params, *sorted(gen.cells)])}):"]
        factory.extend(f"    {line}" for line in gen.lines)
        made = [f"_wfc_f{i}" for i in range(1, gen.count + 1)]
        factory.append(f"    return {{{', '.join(f'{n!r}: {n}' for n in made)}}}")
        source = "\n".join(factory) + "\n"
        scope: dict[str, Any] = {}
        try:
            exec(
                _compile_at_source(source, [1, *gen.origin, 1], table, globals_, self.metered), globals_, scope
            )
        except SyntaxError as exc:
            raise InternalError(f"generated code for {table.name} does not compile: {exc}") from None
        cells = dict.fromkeys(gen.cells)
        fns: dict[str, Any] = scope["_wfc_factory"](**{k: closure[k] for k in params}, **cells)
        # Frames of workflow code read like the workflow's own ("in fulfil_order"), as they do in Python.
        short = table.name.rpartition(":")[2] or table.name
        for fn in fns.values():
            fn.__code__ = fn.__code__.replace(co_name=short.rpartition(".")[2], co_qualname=short)
        return fns

    def _generate(
        self, cells: frozenset[str]
    ) -> tuple[_Gen, list[tuple[str, str, str | None]], dict[tuple[str, int], str]]:
        gen = _Gen(cells)
        plan: list[tuple[str, str, str | None]] = []  # (state id, role, function name)
        table = self.table
        for s in table.states:
            op = s.op
            code_lines = s.code.source.splitlines() if s.code else []
            names = set(s.code.reads) | set(s.code.writes) if s.code else set()
            writes = set(s.code.writes) if s.code else set()
            tail = _tail(op)
            names |= _expr_names(*op.exprs())
            body = code_lines + tail
            at = s.pos.line if s.pos else 1
            origin = (_code_origin(s.code, at) if s.code else []) + [s.op_line or at] * len(tail)
            writes |= op.writes()
            fname = gen.function("_wfc_v", names, writes, body, origin, at) if body else None
            plan.append((s.id, "state", fname))
            if isinstance(op, ir.Suspend) and op.bind is not None:
                bind = op.bind
                bnames = set(bind.reads) | set(bind.writes)
                line = " = ".join([*bind.targets, ir.RESULT_VAR])
                op_at = s.op_line or at
                bname = gen.function(
                    f"_wfc_v, {ir.RESULT_VAR}", bnames, set(bind.writes), [line], [op_at], op_at
                )
                plan.append((s.id, "bind", bname))
            if isinstance(op, ir.Suspend):
                # Raises an outcome's exception "at the yield" (see Machine._at_yield): compiled at the yield's
                # line, its frame is the one Python shows for an exception thrown into a generator.
                op_at = s.op_line or at
                tname = gen.function("_wfc_v, _wfc_e", set(), set(), [_THROW_LINE], [op_at], op_at)
                plan.append((s.id, "throw", tname))
        handler_fns: dict[tuple[str, int], str] = {}
        for r in table.regions:
            for i, h in enumerate(r.handlers):
                if h.types is not None:
                    where = r.pos.line if r.pos else 1
                    handler_fns[(r.id, i)] = gen.function(
                        "_wfc_v", set(h.types.reads), set(), [f"return ({h.types.source})"], [where], where
                    )
        return gen, plan, handler_fns

    def _wire(
        self,
        fns: dict[str, Any],
        plan: list[tuple[str, str, str | None]],
        handler_fns: dict[tuple[str, int], str],
    ) -> None:
        table = self.table
        state_fns: dict[tuple[str, str], Any] = {
            (sid, role): fns[f] for sid, role, f in plan if f is not None
        }
        for r in table.regions:
            self.regions[r.id] = _LinkedRegion(
                r.id,
                r.parent,
                [
                    (fns[handler_fns[(r.id, i)]] if (r.id, i) in handler_fns else None, h.target)
                    for i, h in enumerate(r.handlers)
                ],
                r.slot,
                r.finally_entry,
                r.completion,
            )
        for s in table.states:
            op = s.op
            linked = _Linked(
                s.id,
                _KINDS[type(op)],
                state_fns.get((s.id, "state")),
                s.region,
                s.handling,
                op.targets(),
                op_region=op.finally_region,
            )
            if isinstance(op, ir.Suspend):
                linked.bind = state_fns.get((s.id, "bind"))
                linked.throw = state_fns.get((s.id, "throw"))
                linked.live = frozenset(op.live)
                site = _yield_site(table.path, s.op_line or (s.pos.line if s.pos else 0))
                linked.delegates = site is not None and site.delegates
            self.states[s.id] = linked

    # ---- running --------------------------------------------------------------------------------------------

    def start(self, v: dict[str, Any]) -> Outcome:
        """Run from the entry state. ``v`` holds the bound parameters and becomes the cursor's variables."""
        frame = self._frame(v)
        if self.metered:
            budget.refill()
            try:
                return self._run(self.table.entry, v, frame)
            except budget.Exceeded as exc:
                return Failed(exc.error)  # the instance ends; no handler of the workflow saw it
        return self._run(self.table.entry, v, frame)

    def _frame(self, v: dict[str, Any]) -> _Frame | None:
        """The cells of one transition (``None`` when no nested function closes over a workflow local)."""
        return _Frame(self.captured, v, self._templates) if self.captured else None

    def resume(
        self, state: str, v: dict[str, Any], *, value: Any = None, error: BaseException | None = None
    ) -> Outcome:
        """Deliver a suspension's result (or raise ``error`` at it) and run to the next suspension."""
        linked = self.states.get(state)
        if linked is None or linked.kind != _SUSPEND:
            raise WorkflowRuntimeError(
                f"state {state!r} of {self.table.name} is not a suspension of this table version",
                code="WFC407",
            )
        if self.metered:
            budget.refill()
            try:
                return self._resume(linked, v, value, error)
            except budget.Exceeded as exc:
                return Failed(exc.error)  # the instance ends; no handler of the workflow saw it
        return self._resume(linked, v, value, error)

    def _resume(self, linked: _Linked, v: dict[str, Any], value: Any, error: BaseException | None) -> Outcome:
        if isinstance(error, budget.Exceeded | budget.Interrupted):  # only wfc raises these; data cannot
            error = WorkflowRuntimeError(
                f"a stored outcome holds a {type(error).__name__}, which only wfc itself raises (a tampered "
                "database?)",
                code="WFC407",
            )
        frame = self._frame(v)
        if error is not None:
            return self._throw(linked, v, _at_yield(linked, v, error), frame)
        if linked.bind is not None:
            bind = linked.bind if frame is None else frame.fn(linked.bind)
            try:
                if linked.handling is None:
                    bind(v, value)
                else:
                    _handling(self.handled(linked.handling, v), bind, v, value)
            except BaseException as exc:
                return self._throw(linked, v, exc, frame, set_context=False)
        return self._run(linked.targets[0], v, frame)

    def handled(self, name: str | None, v: dict[str, Any]) -> BaseException | None:
        """The exception Python would be handling in a state whose ``handling`` is ``name``."""
        while name is not None:
            value = v.get(name)
            if isinstance(value, BaseException):
                return value
            if isinstance(value, Pending) and value.kind == "raise" and isinstance(value.value, BaseException):
                return value.value
            name = self._outer.get(name)
        return None

    def _run(self, sid: str, v: dict[str, Any], frame: _Frame | None) -> Outcome:
        states = self.states
        metered = self.metered
        while True:
            st = states[sid]
            fn = st.fn
            if frame is not None and fn is not None:
                fn = frame.fn(fn)
            try:
                if metered:
                    budget.tick()  # a loop through states without a suspension is a loop too
                if fn is None:
                    result = None
                elif st.handling is None:
                    result = fn(v)
                else:
                    result = _handling(self.handled(st.handling, v), fn, v)
            except BaseException as exc:
                # Raised by the workflow's own code: Python has already chained it to the handled exception.
                outcome = self._dispatch(st, v, exc, frame, set_context=False)
                if isinstance(outcome, str):
                    sid = outcome
                    continue
                return outcome
            kind = st.kind
            if kind == _GOTO:
                sid = st.targets[0]
            elif kind == _BRANCH:
                sid = st.targets[0] if result else st.targets[1]
            elif kind == _SUSPEND:
                if not isinstance(result, Command):
                    err = WorkflowRuntimeError(
                        f"the workflow yielded {type(result).__name__} {result!r:.60}, which is not a command",
                        code="WFC403",
                        hint="yield a step or workflow call, wfc.sleep(), wfc.wait_event(), wfc.all_of() or "
                        "wfc.any_of()",
                    )
                    outcome = self._dispatch(st, v, _at_yield(st, v, err), frame)
                    if isinstance(outcome, str):
                        sid = outcome
                        continue
                    return outcome
                for name in [n for n in v if n not in st.live]:
                    del v[name]
                return Suspended(sid, result, v)
            elif kind == _RETURN:
                return Completed(result)
            elif kind == _LEAVE:
                region = self.regions[st.op_region]  # type: ignore[index]
                if st.targets:
                    v[region.completion] = Pending("jump", st.targets[0])  # type: ignore[index]
                else:
                    v[region.completion] = Pending("return", value=result)  # type: ignore[index]
                sid = region.finally_entry  # type: ignore[assignment]
            elif kind == _END:
                region = self.regions[st.op_region]  # type: ignore[index]
                pending = v.pop(region.completion, None)  # type: ignore[arg-type]
                if not isinstance(pending, Pending):
                    raise InternalError(f"finally of {region.id} ended without a pending completion")
                if pending.kind == "jump":
                    sid = pending.target  # type: ignore[assignment]
                elif pending.kind == "return":
                    outer = self._enclosing_finally(region.parent)
                    if outer is None:
                        return Completed(pending.value)
                    v[outer.completion] = pending  # type: ignore[index]
                    sid = outer.finally_entry  # type: ignore[assignment]
                else:
                    outcome = self._dispatch(st, v, pending.value, frame, set_context=False)
                    if isinstance(outcome, str):
                        sid = outcome
                        continue
                    return outcome
            else:
                raise InternalError(f"state {sid} has no control op")

    def _throw(
        self, st: _Linked, v: dict[str, Any], exc: BaseException, frame: _Frame | None, *, set_context: bool = True
    ) -> Outcome:
        outcome = self._dispatch(st, v, exc, frame, set_context=set_context)
        if isinstance(outcome, str):
            return self._run(outcome, v, frame)
        return outcome

    def _enclosing_finally(self, region_id: str | None) -> _LinkedRegion | None:
        while region_id is not None:
            region = self.regions[region_id]
            if region.finally_entry is not None:
                return region
            region_id = region.parent
        return None

    def _dispatch(
        self,
        st: _Linked,
        v: dict[str, Any],
        exc: BaseException,
        frame: _Frame | None,
        *,
        set_context: bool = True,
    ) -> str | Failed:
        """Where an exception raised in ``st`` continues: a handler or finally entry, or the workflow fails.

        ``set_context``: the exception arrives from outside the workflow's code (a step failure thrown in at a
        suspension): it is chained to the exception being handled there, as ``generator.throw`` would."""
        if isinstance(exc, budget.Exceeded | budget.Interrupted):
            raise exc  # a budget ran out, or the worker stops: never the workflow's business to catch
        # The traceback the workflow's code sees (a handler's `traceback.format_exc()`): without this machine's
        # frames, as a plain generator's traceback reads.
        exc.__traceback__ = _frames.normalize(exc.__traceback__)
        # Anything else — SystemExit and KeyboardInterrupt raised by workflow code too — goes where Python would
        # send it: to a handler that matches, through finally blocks, or out (the instance fails).
        if set_context and st.handling is not None:
            _chain(exc, self.handled(st.handling, v))
        region_id = st.region
        while region_id is not None:
            region = self.regions[region_id]
            for types_fn, target in region.handlers:
                try:
                    if types_fn is not None and frame is not None:
                        types_fn = frame.fn(types_fn)
                    matched = types_fn is None or _matches(exc, types_fn(v))
                except Exception as new:  # evaluating the `except` clause itself failed
                    new.__context__ = exc
                    exc, matched = new, False
                    break
                if matched:
                    v[region.slot] = exc  # type: ignore[index]
                    return target
            if region.finally_entry is not None:
                v[region.completion] = Pending("raise", value=exc)  # type: ignore[index]
                return region.finally_entry
            region_id = region.parent
        if isinstance(exc, StopIteration):
            # PEP 479: a StopIteration leaving a generator becomes a RuntimeError.
            err = RuntimeError("generator raised StopIteration")
            err.__cause__ = exc
            return Failed(err)
        return Failed(exc)


def _at_yield(linked: _Linked, v: dict[str, Any], exc: BaseException) -> BaseException:
    """``exc`` raised at the suspension's ``yield`` in the workflow's own code, as ``generator.throw`` raises it:
    its traceback then has the frame Python would show (the workflow's file, the line of the ``yield``), so an
    uncaught step failure says where the workflow received it. Raising does not chain it to anything the caller
    may be handling (its ``__context__`` is put back); the machine chains it as the workflow's code would."""
    throw = linked.throw
    if throw is None:
        return exc
    context, suppress = exc.__context__, exc.__suppress_context__
    if linked.delegates:  # Python throws it into the command's generator first: its frame is the innermost
        frame, lasti, line = _delegation_entry()
        exc.__traceback__ = TracebackType(exc.__traceback__, frame, lasti, line)
    try:
        throw(v, exc)
    except BaseException as raised:
        if raised is not exc:
            raise  # a budget that ran out (.wf code is metered), never the outcome itself
    exc.__context__, exc.__suppress_context__ = context, suppress
    return exc


def _matches(exc: BaseException, types: Any) -> bool:
    if isinstance(types, tuple):
        return any(_matches(exc, t) for t in types)
    if isinstance(types, type) and issubclass(types, BaseException):
        return isinstance(exc, types)
    raise TypeError("catching classes that do not inherit from BaseException is not allowed")


def _handling(exc: BaseException | None, fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn`` as code inside an ``except`` block handling ``exc``: ``sys.exc_info()``, a bare ``raise``
    (also in a helper it calls) and implicit ``__context__`` chaining then see ``exc``, as in Python.

    Raising ``exc`` to enter the block would add this frame to its traceback and may chain it to an exception the
    caller handles: both are put back, so the exception is exactly what the workflow caught."""
    if exc is None:
        return fn(*args)
    tb, context, suppress = exc.__traceback__, exc.__context__, exc.__suppress_context__
    try:
        raise exc
    except BaseException:
        exc.__traceback__, exc.__context__, exc.__suppress_context__ = tb, context, suppress
        return fn(*args)


def _chain(exc: BaseException, handled: BaseException | None) -> None:
    """Set ``exc.__context__`` as raising it while ``handled`` is handled does (CPython breaks cycles)."""
    if handled is None or handled is exc:
        return
    link: BaseException | None = handled
    while link is not None:
        if link.__context__ is exc:
            link.__context__ = None
            break
        link = link.__context__
    exc.__context__ = handled


_EAGER = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>"})


def _captured(code: CodeType) -> set[str]:
    """Names that functions, lambdas, classes and generator expressions nested in ``code`` close over.
    Comprehensions other than generator expressions run at once, within the state: they need no shared cell
    (but what is nested in them may)."""
    out: set[str] = set()
    for const in code.co_consts:
        if isinstance(const, CodeType):
            if const.co_name not in _EAGER:
                out.update(const.co_freevars)
            out |= _captured(const)
    return out


class _Template:
    """How to rebuild a generated function over the cells of a transition."""

    __slots__ = ("base", "code", "defaults", "globals", "slots")

    def __init__(self, fn: Any, captured: frozenset[str]) -> None:
        self.code: CodeType = fn.__code__
        self.globals: dict[str, Any] = fn.__globals__
        self.defaults = fn.__defaults__
        self.base: list[Any] = list(fn.__closure__ or ())
        self.slots = [(i, n) for i, n in enumerate(self.code.co_freevars) if n in captured]


class _Frame:
    """One transition's cells for the captured locals: created from the variables when the transition starts,
    kept equal to them by the generated functions (which store what they write back into ``v``)."""

    __slots__ = ("cells", "made", "templates")

    def __init__(self, captured: frozenset[str], v: dict[str, Any], templates: dict[int, _Template]) -> None:
        self.cells = {n: (CellType(v[n]) if n in v else CellType()) for n in captured}
        self.made: dict[int, Any] = {}
        self.templates = templates

    def fn(self, fn: Any) -> Any:
        made = self.made.get(id(fn))
        if made is None:
            t = self.templates[id(fn)]
            closure = list(t.base)
            for i, name in t.slots:
                closure[i] = self.cells[name]
            made = FunctionType(t.code, t.globals, t.code.co_name, t.defaults, tuple(closure))
            self.made[id(fn)] = made
        return made


def _user_locals(frame: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """The workflow's ``locals()``: its bound locals in the order of its own frame, the compiler's slots (and the
    generated function's ``_wfc_v``) left out. Every local is loaded into the frame of a state that calls it."""
    return {name: frame[name] for name in order if name in frame}
