"""The state table: a workflow's control-flow graph cut at every suspension.

Invariants (checked by :mod:`wfc.compiler.verify`, which returns every violation):

* A :class:`Table` has a unique ``id`` per state, an ``entry`` state, and every state is reachable from it
  (normal edges, exception edges and finally completions).
* A :class:`State` runs its ``code`` (straight-line Python, possibly with yield-free compound statements inside)
  and then exactly one control op: :class:`Goto`, :class:`Branch`, :class:`Suspend`, :class:`Return`,
  :class:`Raise`, :class:`Leave` or :class:`EndFinally`. Every op's targets name states of the table.
* Every state has ``region``: the innermost try region whose *protected body* contains it, or ``None``. An
  exception raised in a state (by its code, its op, or a step failure delivered at its suspension) is dispatched
  through ``region`` and its ancestors: the first region with a matching handler catches it; a region with a
  ``finally`` and no matching handler runs its finally with a pending *raise* completion.
* Regions form a tree through ``parent``. A try statement with handlers *and* a finally has two regions: one
  for its body (handlers + finally) and one for its handlers and ``else`` (finally only), sharing the finally.
* A :class:`Return` op is never inside a region that has a finally: lowering emits :class:`Leave` instead,
  which stores a pending completion in the region's ``completion`` variable and enters the finally. The finally
  body ends with :class:`EndFinally`, which resumes the completion: jump, return (through any further
  finallies) or re-raise.
* ``locals`` lists every variable a table uses, user and internal (``_wfc_*``). A :class:`Suspend` lists in
  ``live`` exactly the variables needed after it resumes (on success or failure): only those are persisted.
* Code is canonical Python source (``ast.unparse`` output) and runs in the workflow's global namespace, with the
  runtime's intrinsics (``_wfc_loop``) bound.

The table is named by :meth:`Table.hash`: the sha256 of its canonical JSON (see :mod:`wfc.compiler.serialize`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import attrs

FORMAT_VERSION = 3
"""Format 2 added :attr:`State.loop`, :attr:`Suspend.shape` and :attr:`Region.handling`. Format 3 has the same
fields as format 2 and changes what the compiler emits for ``locals()`` only: every user variable is live
*before* a statement that calls it (format 2 left out the ones the statement itself assigns, so a ``try`` whose
``finally`` assigns ``a`` lost ``a`` from the cursor, and ``locals()`` after the next resume missed it). Tables
of the older formats are still read and run (and hashed as their own format): see :mod:`wfc.compiler.serialize`
and :func:`wfc.compiler.driver.compile_in_format`."""
READABLE_VERSIONS = (1, 2, 3)

RESULT_VAR = "_wfc_r"
"""The variable a :class:`Suspend`'s bind code reads the delivered result from. Never persisted."""


@attrs.frozen
class Pos:
    """Where a state's first statement sits in its source file (1-based). Not part of the table's identity."""

    line: int
    col: int = 1


@attrs.frozen
class Code:
    """Straight-line Python. ``reads``/``writes`` are the table locals it touches; ``gen`` those it reads before
    assigning (upward-exposed uses), ``defs`` those it assigns on every path."""

    source: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    gen: tuple[str, ...] = ()
    defs: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()
    """The source line of each line of ``source`` (a position: not part of the hash)."""


@attrs.frozen
class Expr:
    """An expression; ``writes`` lists the locals it binds with ``:=`` (stored back like a block's writes)."""

    source: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()


@attrs.frozen
class Bind:
    """Assignment of a delivered step result: ``targets[0] = targets[1] = ... = result``."""

    targets: tuple[str, ...]
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    annotation: str | None = None


StateMap = Callable[[str], str]


class _Op:
    """What every control op answers, so that each pass handles all ops in one place (mypyc's ``Op.targets()``
    / ``set_target()``): a pass asks the op instead of re-coding each op's meaning in an ``isinstance`` chain.

    * :meth:`targets`: the states the op continues at directly (finally entries and exits excluded);
    * :meth:`exprs`: the expressions it evaluates, in order (:meth:`reads` / :meth:`writes`: their locals);
    * :meth:`retarget`: a copy with its state references (and region references) mapped;
    * :attr:`finally_region`: the region whose finally the op enters (:class:`Leave`) or ends
      (:class:`EndFinally`), else ``None``;
    * :meth:`describe`: its text form (``wfc compile --emit ir``).
    """

    __slots__ = ()
    tag: ClassVar[str]
    """The op's name in JSON (``{"op": tag, ...}``) and in the text form."""

    def targets(self) -> tuple[str, ...]:
        return ()

    def exprs(self) -> tuple[Expr, ...]:
        return ()

    def retarget(self, state: StateMap, region: StateMap | None = None) -> Op:
        return self  # type: ignore[return-value]

    @property
    def finally_region(self) -> str | None:
        return None

    def describe(self) -> list[str]:
        return [self.tag]

    def reads(self) -> set[str]:
        return {n for e in self.exprs() for n in e.reads}

    def writes(self) -> set[str]:
        """Locals bound by ``:=`` in the op's expressions."""
        return {n for e in self.exprs() for n in e.writes}


def _same(name: str) -> str:
    return name


@attrs.frozen
class Goto(_Op):
    tag: ClassVar[str] = "goto"
    target: str

    def targets(self) -> tuple[str, ...]:
        return (self.target,)

    def retarget(self, state: StateMap, region: StateMap | None = None) -> Op:
        return Goto(state(self.target))

    def describe(self) -> list[str]:
        return [f"goto {self.target}"]


@attrs.frozen
class Branch(_Op):
    tag: ClassVar[str] = "branch"
    test: Expr
    if_true: str
    if_false: str

    def targets(self) -> tuple[str, ...]:
        return (self.if_true, self.if_false)

    def exprs(self) -> tuple[Expr, ...]:
        return (self.test,)

    def retarget(self, state: StateMap, region: StateMap | None = None) -> Op:
        return attrs.evolve(self, if_true=state(self.if_true), if_false=state(self.if_false))

    def describe(self) -> list[str]:
        return [f"branch {self.test.source} ? {self.if_true} : {self.if_false}"]


COMMAND_KINDS = ("step", "child", "sleep", "event", "all_of", "any_of", "start_child", "join")
"""What a suspension can wait for (:attr:`CommandShape.kind`)."""


@attrs.frozen
class CommandShape:
    """What a suspension's command is, recorded by the compiler (format 2) so that tools never parse its code.

    ``kind``: one of :data:`COMMAND_KINDS`, from the callee resolved in the workflow's namespace (by its name
    when it cannot be resolved). ``callee``: the called name as written (``fetch``, ``wfc.sleep``); ``options``:
    whether ``.options(...)`` is applied to the call ``call``. For ``all_of``/``any_of``: ``lanes``, the commands of a
    literal call with several of them; ``fanout``, the repeated command of a comprehension, ``over`` its
    ``for`` clauses."""

    kind: str
    callee: str = ""
    call: str = ""
    """The command's call without its ``.options(...)``."""
    options: bool = False
    lanes: tuple[str, ...] = ()
    fanout: str | None = None
    over: str = ""


@attrs.frozen
class Suspend(_Op):
    """Evaluate ``command`` and wait for its result; on success run ``bind`` and continue at ``resume``; on
    failure raise at this state (dispatched through its region). ``live``: the variables persisted meanwhile.
    ``shape``: what the command is (format 2; ``None`` only in tables built by other tools)."""

    tag: ClassVar[str] = "suspend"
    command: Expr
    resume: str
    bind: Bind | None = None
    live: tuple[str, ...] = ()
    shape: CommandShape | None = None

    def targets(self) -> tuple[str, ...]:
        return (self.resume,)

    def exprs(self) -> tuple[Expr, ...]:
        return (self.command,)

    def retarget(self, state: StateMap, region: StateMap | None = None) -> Op:
        return attrs.evolve(self, resume=state(self.resume))

    def describe(self) -> list[str]:
        bind = f" -> {' = '.join(self.bind.targets)}" if self.bind else ""
        ann = f": {self.bind.annotation}" if self.bind and self.bind.annotation else ""
        kind = f"  [{self.shape.kind}]" if self.shape else ""
        return [
            f"suspend {self.command.source}{bind}{ann}{kind}",
            f"  resume {self.resume}",
            f"  live {', '.join(self.live) if self.live else '-'}",
        ]


@attrs.frozen
class Return(_Op):
    tag: ClassVar[str] = "return"
    value: Expr | None = None

    def exprs(self) -> tuple[Expr, ...]:
        return (self.value,) if self.value is not None else ()

    def describe(self) -> list[str]:
        return [f"return {self.value.source}" if self.value else "return"]


@attrs.frozen
class Raise(_Op):
    """``raise exc from cause``. ``exc`` is ``None`` only for a bare ``raise`` with no exception being handled,
    which raises ``RuntimeError`` exactly as Python does."""

    tag: ClassVar[str] = "raise"
    exc: Expr | None = None
    cause: Expr | None = None

    def exprs(self) -> tuple[Expr, ...]:
        return tuple(e for e in (self.exc, self.cause) if e is not None)

    def describe(self) -> list[str]:
        if self.exc is None:
            return ["raise"]
        cause = f" from {self.cause.source}" if self.cause else ""
        return [f"raise {self.exc.source}{cause}"]


@attrs.frozen
class Jump:
    """A pending completion that continues at ``target`` (normal fall-through, ``break``, ``continue``)."""

    tag: ClassVar[str] = "jump"
    target: str

    def describe(self) -> str:
        return f"jump {self.target}"


@attrs.frozen
class ReturnWith:
    """A pending completion that returns ``value`` once every enclosing finally has run."""

    tag: ClassVar[str] = "return"
    value: Expr | None = None

    def describe(self) -> str:
        return f"return {self.value.source}" if self.value else "return"


@attrs.frozen
class Leave(_Op):
    """Enter the finally of ``region`` with a pending ``completion``."""

    tag: ClassVar[str] = "leave"
    region: str
    completion: Jump | ReturnWith

    def targets(self) -> tuple[str, ...]:
        return (self.completion.target,) if isinstance(self.completion, Jump) else ()

    def exprs(self) -> tuple[Expr, ...]:
        c = self.completion
        return (c.value,) if isinstance(c, ReturnWith) and c.value is not None else ()

    def retarget(self, state: StateMap, region: StateMap | None = None) -> Op:
        c = self.completion
        return Leave((region or _same)(self.region), Jump(state(c.target)) if isinstance(c, Jump) else c)

    @property
    def finally_region(self) -> str | None:
        return self.region

    def describe(self) -> list[str]:
        return [f"leave {self.region} ({self.completion.describe()})"]


@attrs.frozen
class EndFinally(_Op):
    """End of the finally of ``region``: resume its pending completion."""

    tag: ClassVar[str] = "end_finally"
    region: str

    def retarget(self, state: StateMap, region: StateMap | None = None) -> Op:
        return EndFinally((region or _same)(self.region))

    @property
    def finally_region(self) -> str | None:
        return self.region

    def describe(self) -> list[str]:
        return [f"end_finally {self.region}"]


Op = Goto | Branch | Suspend | Return | Raise | Leave | EndFinally
OPS: tuple[type[Op], ...] = (Goto, Branch, Suspend, Return, Raise, Leave, EndFinally)


@attrs.frozen
class LoopHead:
    """Recorded on the state that heads a loop whose body suspends (format 2), so that tools know the loop
    without reading its code. ``kind``: ``for`` or ``while``. A ``for`` loop keeps its position in ``cursor``
    (``_wfc_it1``), created from ``over`` (the iterable as written: ``d.items()``) and assigned to ``target``;
    a ``while`` loop has its ``test`` (``True`` for ``while True``)."""

    kind: str
    cursor: str | None = None
    over: str | None = None
    target: str | None = None
    test: str | None = None

    @property
    def title(self) -> str:
        if self.kind == "for":
            return f"for {self.target} in {self.over}"
        return f"while {self.test}"


@attrs.frozen
class State:
    """``handling`` names the innermost variable that holds the exception Python would be handling here: the
    slot of the ``except`` body this state is in, or the completion variable of the ``finally`` it is in (which
    holds an exception while the finally runs for a pending *raise*; otherwise the handling of the region's
    try statement applies, :attr:`Region.handling`). The machine runs the state's code with that exception
    active, so ``sys.exc_info()``, a bare ``raise`` and implicit ``__context__`` chaining behave as in Python."""

    id: str
    op: Op
    code: Code | None = None
    region: str | None = None
    handling: str | None = None
    label: str = ""
    pos: Pos | None = None
    op_line: int | None = None
    """The source line of the statement the op comes from (a position: not part of the hash)."""
    loop: LoopHead | None = None
    """Set on a loop's head state (format 2)."""


@attrs.frozen
class Handler:
    """``except types`` (``types`` ``None``: catch every ``Exception``) continuing at ``target``."""

    types: Expr | None
    target: str


@attrs.frozen
class Region:
    """A try region. ``slot`` receives the caught exception. ``finally_entry`` / ``completion``: the finally's
    first state and the variable holding its pending completion. ``exits``: every state a pending jump
    completion of this finally can continue at (for graphs and liveness)."""

    id: str
    parent: str | None = None
    handlers: tuple[Handler, ...] = ()
    slot: str | None = None
    finally_entry: str | None = None
    completion: str | None = None
    exits: tuple[str, ...] = ()
    pos: Pos | None = None
    handling: str | None = None
    """The ``handling`` of the try statement itself: what is active in its finally when no raise is pending."""


@attrs.frozen
class Param:
    name: str
    kind: str = "positional_or_keyword"
    annotation: str | None = None
    default: str | None = None


@attrs.frozen
class Table:
    name: str
    params: tuple[Param, ...]
    returns: str | None
    entry: str
    states: tuple[State, ...]
    regions: tuple[Region, ...] = ()
    locals: tuple[str, ...] = ()
    path: str = ""
    format_version: int = FORMAT_VERSION

    @property
    def hash(self) -> str:
        from wfc.compiler.serialize import table_hash

        return table_hash(self)

    def state(self, state_id: str) -> State:
        for s in self.states:
            if s.id == state_id:
                return s
        raise KeyError(state_id)

    def region(self, region_id: str) -> Region:
        for r in self.regions:
            if r.id == region_id:
                return r
        raise KeyError(region_id)

    @property
    def suspensions(self) -> tuple[State, ...]:
        return tuple(s for s in self.states if isinstance(s.op, Suspend))


def successors(table: Table, state: State) -> list[str]:
    """Normal-flow successors of a state (exception edges excluded): a :class:`Leave` continues at its
    region's finally, an :class:`EndFinally` at any of the region's exits."""
    op = state.op
    if isinstance(op, Leave):
        entry = table.region(op.region).finally_entry
        return [entry] if entry else []
    if isinstance(op, EndFinally):
        return list(table.region(op.region).exits)
    return list(op.targets())


def jump_targets(op: Op) -> list[str]:
    """The states an op continues at directly (finally entries and completions excluded): ``op.targets()``."""
    return list(op.targets())


def op_exprs(op: Op) -> list[Expr]:
    """The expressions an op evaluates, in order: ``op.exprs()``."""
    return list(op.exprs())


def exception_targets(table: Table, region_id: str | None) -> list[str]:
    """Every state an exception raised inside ``region_id`` may continue at: handlers and finallies outward."""
    out: list[str] = []
    regions = {r.id: r for r in table.regions}
    while region_id is not None:
        region = regions[region_id]
        out.extend(h.target for h in region.handlers)
        if region.finally_entry:
            out.append(region.finally_entry)
        region_id = region.parent
    return out
