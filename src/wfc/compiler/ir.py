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

import attrs

FORMAT_VERSION = 1

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


@attrs.frozen
class Goto:
    target: str


@attrs.frozen
class Branch:
    test: Expr
    if_true: str
    if_false: str


@attrs.frozen
class Suspend:
    """Evaluate ``command`` and wait for its result; on success run ``bind`` and continue at ``resume``; on
    failure raise at this state (dispatched through its region). ``live``: the variables persisted meanwhile."""

    command: Expr
    resume: str
    bind: Bind | None = None
    live: tuple[str, ...] = ()


@attrs.frozen
class Return:
    value: Expr | None = None


@attrs.frozen
class Raise:
    """``raise exc from cause``. ``exc`` is ``None`` only for a bare ``raise`` with no exception being handled,
    which raises ``RuntimeError`` exactly as Python does."""

    exc: Expr | None = None
    cause: Expr | None = None


@attrs.frozen
class Jump:
    """A pending completion that continues at ``target`` (normal fall-through, ``break``, ``continue``)."""

    target: str


@attrs.frozen
class ReturnWith:
    """A pending completion that returns ``value`` once every enclosing finally has run."""

    value: Expr | None = None


@attrs.frozen
class Leave:
    """Enter the finally of ``region`` with a pending ``completion``."""

    region: str
    completion: Jump | ReturnWith


@attrs.frozen
class EndFinally:
    """End of the finally of ``region``: resume its pending completion."""

    region: str


Op = Goto | Branch | Suspend | Return | Raise | Leave | EndFinally


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
    """Normal-flow successors of a state (exception edges excluded)."""
    op = state.op
    if isinstance(op, Goto):
        return [op.target]
    if isinstance(op, Branch):
        return [op.if_true, op.if_false]
    if isinstance(op, Suspend):
        return [op.resume]
    if isinstance(op, Leave):
        entry = table.region(op.region).finally_entry
        return [entry] if entry else []
    if isinstance(op, EndFinally):
        return list(table.region(op.region).exits)
    return []


def jump_targets(op: Op) -> list[str]:
    """The states an op continues at directly (finally entries and completions excluded)."""
    if isinstance(op, Goto):
        return [op.target]
    if isinstance(op, Branch):
        return [op.if_true, op.if_false]
    if isinstance(op, Suspend):
        return [op.resume]
    if isinstance(op, Leave) and isinstance(op.completion, Jump):
        return [op.completion.target]
    return []


def op_exprs(op: Op) -> list[Expr]:
    """The expressions an op evaluates, in order."""
    if isinstance(op, Branch):
        return [op.test]
    if isinstance(op, Suspend):
        return [op.command]
    if isinstance(op, Return):
        return [op.value] if op.value is not None else []
    if isinstance(op, Raise):
        return [e for e in (op.exc, op.cause) if e is not None]
    if isinstance(op, Leave) and isinstance(op.completion, ReturnWith) and op.completion.value is not None:
        return [op.completion.value]
    return []


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
