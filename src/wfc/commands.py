"""Step and workflow definitions, and the commands a workflow yields.

This module sits below both the compiler and the runtime: the compiler recognises these objects when it checks
what a workflow yields, and the runtime executes them. Calling a step or a workflow inside a workflow does not run
it: it returns a *command* (:class:`StepCall`, :class:`ChildCall`), and ``yield command`` asks the runtime to run it.
Commands are plain values: they can be stored in variables and lists (``wfc.all_of(*[charge(o) for o in orders])``)
and persisted (a step is persisted by its registry key, never by its code).
"""

from __future__ import annotations

import datetime as dt
import gc
import inspect
import math
import threading
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Generic, Literal, Self, overload

import attrs
from typing_extensions import ParamSpec, TypeVar

from wfc.errors import WfcError

StepKind = Literal["step", "transaction"]
_E = TypeVar("_E", bound=type[BaseException])
# Defaults (PEP 696) let code that does not care write plain ``StepDef``/``Command`` (meaning ``[..., Any]``).
R = TypeVar("R", covariant=True, default=Any)
"""The result type of a command: what ``yield from command`` evaluates to."""
P = ParamSpec("P", default=...)
_T = TypeVar("_T")
_T1 = TypeVar("_T1")
_T2 = TypeVar("_T2")
_T3 = TypeVar("_T3")
_T4 = TypeVar("_T4")
_T5 = TypeVar("_T5")
_T6 = TypeVar("_T6")


MAX_DELAY_SECONDS = 100 * 366 * 86400
"""The longest duration a sleep, a timeout, a ``run_after`` or a retry backoff may have (a little over 100
years). Every delay becomes a due time stored in the database and shown as a date: refusing longer ones where
they are written keeps ``inf``, ``nan`` and ``1e308`` out of the database (where they would break every reader
that shows a date) and out of a sleep that never ends."""


def check_seconds(value: object, what: str) -> float:
    """``value`` as a delay in seconds, validated as every delay is (:data:`MAX_DELAY_SECONDS`); raises
    :class:`WfcError` (``WFC402``)."""
    seconds = _seconds(value, what)  # type: ignore[arg-type]
    assert seconds is not None
    return seconds


def _seconds(value: float | dt.timedelta | None, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{what} must be a number of seconds or a datetime.timedelta, not {type(value).__name__}"
        raise WfcError(msg, code="WFC402")
    else:
        try:
            seconds = float(value)
        except OverflowError:  # an int too large for a float
            seconds = math.inf
    if math.isnan(seconds):
        raise WfcError(f"{what} must be a number of seconds, not nan", code="WFC402")
    if seconds < 0:
        raise WfcError(f"{what} must not be negative (got {value})", code="WFC402")
    if seconds > MAX_DELAY_SECONDS:
        shown = f"{seconds:.6g}" if math.isfinite(seconds) else "inf"
        raise WfcError(
            f"{what} of {shown} seconds is too long (at most {MAX_DELAY_SECONDS} seconds, about 100 years)",
            code="WFC402",
            hint="wait for an event instead of a timer that never ends: `wait_event(name)` without a timeout",
        )
    return seconds


def _required_seconds(value: float | dt.timedelta, what: str) -> float:
    seconds = _seconds(value, what)
    assert seconds is not None
    return seconds


def _initial_backoff(value: float | dt.timedelta) -> float:
    return _required_seconds(value, "initial_backoff")


def _max_backoff(value: float | dt.timedelta) -> float:
    return _required_seconds(value, "max_backoff")


def _error_names(types: Iterable[type[BaseException] | str]) -> tuple[str, ...]:
    if isinstance(types, str | type):
        types = (types,)  # one name or class, not a list of them: never iterate a string by its letters
    if not isinstance(types, Iterable):
        raise WfcError(
            f"non_retryable takes a list of exception classes or their names, not {types!r:.60}",
            code="WFC402",
            hint='e.g. non_retryable=[KeyError, "InvalidAccountError", "billing.errors.CardDeclined"]',
        )
    names = []
    for t in types:
        if isinstance(t, type) and issubclass(t, BaseException):
            names.append(error_type_name(t))
        elif isinstance(t, str) and t and all(part.isidentifier() for part in t.split(".")):
            names.append(t)
        else:
            raise WfcError(
                f"non_retryable takes exception classes or their names, not {t!r}",
                code="WFC402",
                hint='e.g. non_retryable=[KeyError, "InvalidAccountError", "billing.errors.CardDeclined"]',
            )
    return tuple(sorted(set(names)))


def _check_max_attempts(_policy: object, _attr: object, value: int | None) -> None:
    if value is None:
        return  # unlimited: retried until it succeeds or fails with a non-retryable error
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        msg = f"max_attempts must be a whole number >= 1 or None for no limit (got {value!r})"
        raise WfcError(msg, code="WFC402")


@attrs.frozen
class RetryPolicy:
    """How often, and how far apart, a failing step runs again.

    Attempt *n* (counting from 1) that fails is retried after
    ``min(initial_backoff * backoff_base ** (n - 1), max_backoff)`` seconds, multiplied by a random factor in
    ``[1 - jitter, 1 + jitter]`` (the cap applies first, so attempt 10,000 waits ``max_backoff`` like attempt 20).
    An exception whose type (or a base type) is named in ``non_retryable`` is not retried: a name with dots
    (``billing.errors.CardDeclined``) names that class, a bare name (``CardDeclined``, Temporal's spelling) any
    class of that name. ``max_attempts=1`` means "run once, never retry"; ``None`` means no limit.
    """

    max_attempts: int | None = attrs.field(default=5, validator=_check_max_attempts)
    initial_backoff: float = attrs.field(default=0.5, converter=_initial_backoff)
    backoff_base: float = 2.0
    max_backoff: float = attrs.field(default=60.0, converter=_max_backoff)
    jitter: float = 0.5
    non_retryable: tuple[str, ...] = attrs.field(default=(), converter=_error_names)

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.jitter <= 1:
            raise WfcError(f"jitter must be between 0 and 1 (got {self.jitter})", code="WFC402")
        if self.backoff_base < 1:
            raise WfcError(f"backoff_base must be >= 1 (got {self.backoff_base})", code="WFC402")

    def backoff(self, attempt: int, rand: float) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based); ``rand`` is uniform in [0, 1)."""
        base = self._capped(attempt - 1)
        factor = 1 - self.jitter + 2 * self.jitter * rand
        return max(0.0, base * factor)

    def _capped(self, exponent: int) -> float:
        """``min(initial_backoff * backoff_base ** exponent, max_backoff)`` without computing a power that
        overflows a float (``2.0 ** 1024`` raises): past the cap the power is never evaluated."""
        initial, cap = self.initial_backoff, self.max_backoff
        if initial <= 0 or initial >= cap or self.backoff_base == 1:
            return min(initial, cap)
        if exponent >= math.log(cap / initial, self.backoff_base):
            return cap
        return min(initial * self.backoff_base**exponent, cap)

    def may_retry(self, attempt: int, exc_type_names: Iterable[str]) -> bool:
        """Whether failed attempt number ``attempt`` of an error with these type names runs again."""
        if self.max_attempts is not None and attempt >= self.max_attempts:
            return False
        return self.retries(exc_type_names)

    def retries(self, exc_type_names: Iterable[str]) -> bool:
        """Whether an error with these type names (the type and its bases) may be retried: none is named in
        ``non_retryable``, by its full name or, for bare names there, by its class name."""
        refused = self.non_retryable
        return not any(name in refused or name.rpartition(".")[2] in refused for name in exc_type_names)


NO_RETRY = RetryPolicy(max_attempts=1)

RetryOption = RetryPolicy | bool | None
"""``None`` or ``True``: the default policy (of the call, else the workflow, else the runtime); ``False``: never."""


@attrs.frozen
class CallOptions:
    """Per-call options set with ``.options(...)``; ``None`` means "not set here"."""

    name: str | None = None
    retry: RetryOption = None
    run_after: float | None = None
    run_at: dt.datetime | None = None
    inline: bool | None = None
    timeout: float | None = None
    id: str | None = None
    """A child workflow's instance id (default: ``<parent id>/<seq>[.<path>]``)."""
    detached: bool | None = None
    """A started child workflow that keeps running when its parent ends (default: it is canceled then)."""
    queue: Any = None
    """A child's named queue (a ``wfc.Queue`` or its name; ``wfc.runtime.queues``), and its place there."""
    priority: int | None = None
    partition_key: str | None = None
    dedup_id: str | None = None


_NO_OPTIONS = CallOptions()


MAX_TIMEOUT = 366 * 24 * 3600.0  # a year: an attempt bound longer than that is a mistake


def check_timeout(value: float | dt.timedelta | None) -> float | None:
    """A step attempt's time limit in seconds (``None``: none), or ``WFC402``."""
    seconds = _seconds(value, "timeout")
    if seconds is None:
        return None
    if seconds <= 0 or seconds > MAX_TIMEOUT:
        raise WfcError(
            f"timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds (got {value})",
            code="WFC402",
            hint="give the seconds one attempt may take, e.g. timeout=30 or timedelta(minutes=5)",
        )
    return seconds


class Command(Generic[R]):
    """Base of everything a workflow may ``yield``; ``R`` is the type of its result.

    A command is iterable: iterating yields the command itself once and returns what is sent back, so
    ``x = yield from cmd`` means exactly ``x = yield cmd`` in Python, and the compiler makes the same table of
    both. Type checkers see ``Generator[Command[R], Any, R]``, so ``x`` gets the command's result type without an
    annotation (a plain ``yield`` gives every result the generator's one send type, ``Any``).
    """

    __slots__ = ()

    def __iter__(self) -> Generator[Command[R], Any, R]:
        result: R = yield self
        return result


Workflow = Generator[Command[Any], Any, _T]
"""The return annotation of a workflow function that returns ``T``: ``def checkout(order: str) ->
wfc.Workflow[Receipt]``. It yields commands; what a ``yield`` evaluates to is typed by the command through
``yield from`` (see :class:`Command`)."""


def _check_run_at(value: object) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise WfcError(f"run_at must be a datetime.datetime, not {type(value).__name__}", code="WFC402")
    if value.tzinfo is None:
        raise WfcError(
            "run_at must be timezone-aware", code="WFC402", hint="use datetime(..., tzinfo=datetime.UTC)"
        )
    return value


class _Callable(Command[R]):
    """Shared ``.options()`` of step and child calls."""

    __slots__ = ()
    opts: CallOptions

    def options(
        self,
        *,
        name: str | None = None,
        retry: RetryOption = None,
        run_after: float | dt.timedelta | None = None,
        run_at: dt.datetime | None = None,
        inline: bool | None = None,
        timeout: float | dt.timedelta | None = None,
        id: str | None = None,
        detached: bool | None = None,
        queue: Any = None,
        priority: int | None = None,
        partition_key: str | None = None,
        dedup_id: str | None = None,
    ) -> Self:
        """A copy of this call with options set for this call only (``timeout``: a step's time limit per
        attempt, see ``@wfc.step``; ``id``: a child workflow's instance id; ``detached``: a started child
        workflow outlives its parent; ``queue``, ``priority``, ``partition_key``, ``dedup_id``: a child, started or
        called, waits on a named queue, docs/queues.md)."""
        old = self.opts
        queued = (queue, priority, partition_key, dedup_id)
        if (id is not None or detached is not None or queued != (None,) * 4) and not isinstance(self, ChildCall):
            raise WfcError(
                "id=, detached= and the queue options are options of a child workflow call, not of a step",
                code="WFC402",
                hint="a step has no instance of its own; `child(x).options(id=\"order-42\")` names a child",
            )
        check_instance_id(id)
        if detached is not None and not isinstance(detached, bool):
            raise WfcError(f"detached must be True or False, not {detached!r:.40}", code="WFC402")
        if timeout is not None and not (isinstance(self, StepCall) and self.step.kind == "step"):
            raise WfcError(
                "timeout= bounds a step's attempts; a child workflow or a @wfc.transaction takes none",
                code="WFC402",
                hint="a transaction runs inside the transition; bound the work it waits for instead",
            )
        new = CallOptions(
            name=name if name is not None else old.name,
            retry=retry if retry is not None else old.retry,
            run_after=_seconds(run_after, "run_after") if run_after is not None else old.run_after,
            run_at=_check_run_at(run_at) if run_at is not None else old.run_at,
            inline=inline if inline is not None else old.inline,
            timeout=check_timeout(timeout) if timeout is not None else old.timeout,
            id=id if id is not None else old.id,
            detached=detached if detached is not None else old.detached,
            queue=queue if queue is not None else old.queue,
            priority=priority if priority is not None else old.priority,
            partition_key=partition_key if partition_key is not None else old.partition_key,
            dedup_id=dedup_id if dedup_id is not None else old.dedup_id,
        )
        if not isinstance(new.retry, RetryPolicy | bool | None):
            msg = f"retry must be a wfc.RetryPolicy, True or False, not {type(new.retry).__name__}"
            raise WfcError(msg, code="WFC402")
        return attrs.evolve(self, opts=new)  # type: ignore[misc,no-any-return,unused-ignore]


_UNKNOWN = object()

RUNNING: ContextVar[Any] = ContextVar("wfc_transition", default=None)
"""The transition whose workflow code runs in this context (set by both runners, :mod:`wfc.runtime.context`).
Calling a step or workflow builds a command only there: anywhere else the call would silently do nothing."""


def _outside(kind: str, name: str) -> WfcError:
    return WfcError(
        f"{kind} {name}() was called outside a running workflow: calling it only makes a command for a workflow "
        "to yield, so nothing would run",
        code="WFC406",
        hint=f"inside a @wfc.workflow write `result = yield from {name}(...)`; to run the function itself (a unit "
        f"test, a script) call {name}.fn(...)",
    )


def _plain_arity(signature: inspect.Signature | None) -> int | None:
    """The number of parameters when all are plain positional ones without defaults, else ``None``."""
    if signature is None:
        return None
    params = list(signature.parameters.values())
    plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if all(p.kind in plain and p.default is inspect.Parameter.empty for p in params):
        return len(params)
    return None


@attrs.frozen(eq=False)
class StepDef(Generic[P, R]):
    """A function decorated with ``@wfc.step`` or ``@wfc.transaction``.

    Calling it returns a :class:`StepCall`; ``.fn`` is the original function (call it directly in unit tests).
    ``key`` (``module:qualname``) is how history and work items name the step; ``name`` is what people read.
    """

    fn: Callable[..., Any]
    name: str
    key: str
    kind: StepKind = "step"
    retry: RetryOption = None
    inline: bool = False
    is_async: bool = False
    signature: inspect.Signature | None = None
    cache: dict[str, Any] = attrs.field(factory=dict, repr=False)
    timeout: float | None = None  # seconds per attempt (None: no limit)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> StepCall[R]:
        if RUNNING.get() is None:
            raise _outside("step", self.name)
        arity = self.cache.get("arity", _UNKNOWN)
        if arity is _UNKNOWN:
            arity = self.cache["arity"] = _plain_arity(self.signature)
        # The common call, positional arguments to plain parameters, is checked by counting; anything else by
        # binding (which is ~20x slower and runs on every step of every workflow).
        if (kwargs or arity is None or len(args) != arity) and self.signature is not None:
            try:
                self.signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"step {self.name}(): {exc}") from None
        return StepCall(self, args, kwargs, _NO_OPTIONS)

    def __repr__(self) -> str:
        return f"<wfc.{self.kind} {self.key}>"

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StepDef) and other.key == self.key and other.fn is self.fn


@attrs.frozen(eq=False)
class WorkflowDef(Generic[P, R]):
    """A workflow: a generator function decorated with ``@wfc.workflow``, or one loaded from a ``.wf`` file.

    Calling it inside a workflow returns a :class:`ChildCall`. ``fn`` is the generator function (``None`` for
    ``.wf`` workflows, which carry their front-end syntax in ``syntax`` instead). ``namespace`` is the global
    namespace its code runs in. Compiled tables are cached on the definition by the compiler.
    """

    fn: Callable[..., Any] | None
    name: str
    key: str
    signature: inspect.Signature
    namespace: Mapping[str, Any]
    frontend: Literal["python", "wf"] = "python"
    retry: RetryOption = None
    max_parallelism: int | None = None
    syntax: Any = None
    timeout: float | None = None  # seconds from its start: then it is canceled with wfc.WorkflowTimeout
    cache: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> ChildCall[R]:
        if RUNNING.get() is None:
            raise _outside("workflow", self.name)
        try:
            self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"workflow {self.name}(): {exc}") from None
        return ChildCall(self, args, kwargs, CallOptions())

    def options(
        self, *, id: str | None = None, name: str | None = None, detached: bool | None = None, queue: Any = None,
        priority: int | None = None, partition_key: str | None = None, dedup_id: str | None = None,
    ) -> ConfiguredWorkflow[P, R]:  # fmt: skip
        """This workflow with options for the calls made through it: ``child.options(id="order-42")(order)``
        (a called child) or ``wfc.start_child(child.options(id="order-42", detached=True), order)``; a child on a
        named queue: ``wfc.start_child(child.options(queue=emails, priority=1), order)`` or, waiting at the call,
        ``yield child.options(queue=emails)(order)``."""
        check_instance_id(id)
        if detached is not None and not isinstance(detached, bool):
            raise WfcError(f"detached must be True or False, not {detached!r:.40}", code="WFC402")
        return ConfiguredWorkflow(self, CallOptions(name=name, id=id, detached=detached, queue=queue,
                                                    priority=priority, partition_key=partition_key,
                                                    dedup_id=dedup_id))  # fmt: skip

    def closure_values(self) -> dict[str, Any]:
        """Free variables of a workflow defined inside a function: its code reads them like globals."""
        out: dict[str, Any] = {}
        code = getattr(self.fn, "__code__", None)
        for name, cell in zip(getattr(code, "co_freevars", ()), getattr(self.fn, "__closure__", None) or ()):
            try:
                out[name] = cell.cell_contents
            except ValueError:
                continue  # an empty cell: not bound yet
        return out

    def __repr__(self) -> str:
        return f"<wfc.workflow {self.key}>"

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkflowDef) and other.key == self.key


@attrs.frozen
class ConfiguredWorkflow(Generic[P, R]):
    """A workflow with call options (:meth:`WorkflowDef.options`): calling it makes a :class:`ChildCall` with
    them."""

    workflow: WorkflowDef[P, R]
    opts: CallOptions

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> ChildCall[R]:
        call = self.workflow(*args, **kwargs)
        return attrs.evolve(call, opts=self.opts)

    @property
    def name(self) -> str:
        return self.workflow.name

    @property
    def key(self) -> str:
        return self.workflow.key


@attrs.frozen
class StepCall(_Callable[R]):
    step: StepDef[..., R]
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    opts: CallOptions = CallOptions()

    @property
    def display_name(self) -> str:
        return self.opts.name or self.step.name


@attrs.frozen
class ChildCall(_Callable[R]):
    workflow: WorkflowDef[..., R]
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    opts: CallOptions = CallOptions()

    @property
    def display_name(self) -> str:
        return self.opts.name or self.workflow.name


@attrs.frozen
class ChildHandle(Generic[R]):
    """A child workflow started with :func:`start_child`: ``id`` is its instance id (``rt.status(handle.id)``
    works on it), ``workflow`` its workflow's key, ``name`` the name its records show. A plain value: keep it in
    a variable across any number of suspensions (it is persisted with them) and pass it to :func:`join`."""

    id: str
    workflow: str
    name: str
    detached: bool = False


@attrs.frozen
class StartChild(Command[ChildHandle[R]]):
    """Start a child workflow and go on at once: the result is its :class:`ChildHandle`."""

    call: ChildCall[R]

    @property
    def display_name(self) -> str:
        return self.call.display_name


@attrs.frozen
class Join(Command[R]):
    """Wait for a started child workflow to end: its result, or its failure raised (as a called child's)."""

    handle: ChildHandle[R]

    @property
    def display_name(self) -> str:
        return f"join {self.handle.name}"


def start_child(
    workflow: Callable[P, ChildCall[R]] | ChildCall[R], /, *args: P.args, **kwargs: P.kwargs
) -> StartChild[R]:
    """``handle = yield from wfc.start_child(child, *args, **kwargs)``: start a child workflow durably and go on
    at once, with its :class:`ChildHandle`; ``result = yield from wfc.join(handle)`` waits for it later.
    ``child.options(id=..., detached=True)`` names it and lets it outlive its parent (else it is canceled when
    the parent ends); a call already made is taken as it is: ``wfc.start_child(child(x).options(id=...))``."""
    if isinstance(workflow, ChildCall):
        if args or kwargs:
            raise TypeError("start_child() takes a child call or a workflow and its arguments, not both")
        return StartChild(workflow)
    if not isinstance(workflow, WorkflowDef | ConfiguredWorkflow):
        raise WfcError(
            f"start_child() takes a workflow, not {type(workflow).__name__}",
            code="WFC403",
            hint="pass the @wfc.workflow itself and its arguments: `wfc.start_child(ship, order)`",
        )
    return StartChild(workflow(*args, **kwargs))


def join(handle: ChildHandle[R]) -> Join[R]:
    """``result = yield from wfc.join(handle)``: wait for a child workflow :func:`start_child` started (at once if
    it has ended); its failure raises here. A join that loses a race (``any_of(wfc.join(h), wfc.sleep(60))``)
    leaves the child running: join it again later."""
    if not isinstance(handle, ChildHandle):
        raise WfcError(
            f"join() takes the handle wfc.start_child() returned, not {type(handle).__name__}",
            code="WFC403",
            hint="`handle = yield from wfc.start_child(child, x)` ... `result = yield from wfc.join(handle)`",
        )
    return Join(handle)


@attrs.frozen
class Sleep(Command[None]):
    seconds: float

    @property
    def display_name(self) -> str:
        return f"sleep {self.seconds:g}s"


@attrs.frozen
class WaitEvent(Command[Any]):
    name: str
    timeout: float | None = None

    @property
    def display_name(self) -> str:
        return f"event {self.name}"


def _commands(items: tuple[Any, ...], what: str) -> tuple[Command[Any], ...]:
    if len(items) == 1 and isinstance(items[0], list | tuple):
        items = tuple(items[0])
    for i, item in enumerate(items):
        if not isinstance(item, Command):
            msg = f"{what}() argument {i} is {type(item).__name__}, not a command"
            raise WfcError(msg, code="WFC403", hint="pass step calls like charge(order), not their results")
    return items


@attrs.frozen
class AllOf(Command[R]):
    """Run every command at once; the result holds their results, in argument order: a tuple when the commands
    were given as separate arguments (``separate``: ``all_of(a, b)``, ``all_of(*cmds)``), a list when they were
    given as one list (``all_of([...])``) — the types the type checkers see."""

    items: tuple[Command[Any], ...]
    separate: bool = False

    @property
    def display_name(self) -> str:
        return f"all_of({len(self.items)})"


@attrs.frozen
class AnyOf(Command[R]):
    """Run every command at once; the result is ``(index, value)`` of the first to finish. The rest are canceled."""

    items: tuple[Command[Any], ...]

    @property
    def display_name(self) -> str:
        return f"any_of({len(self.items)})"


# Typed overloads: separate commands give a tuple of their results, position by position (more than six, or
# `*cmds`: a tuple of one type); one list gives a list. The run-time value is the same: a tuple for separate
# arguments (a call cannot tell `all_of(*cmds)` from `all_of(a, b)`), a list for one list.
@overload
def all_of(c1: Command[_T1], /) -> AllOf[tuple[_T1]]: ...
@overload
def all_of(c1: Command[_T1], c2: Command[_T2], /) -> AllOf[tuple[_T1, _T2]]: ...
@overload
def all_of(c1: Command[_T1], c2: Command[_T2], c3: Command[_T3], /) -> AllOf[tuple[_T1, _T2, _T3]]: ...
@overload
def all_of(
    c1: Command[_T1], c2: Command[_T2], c3: Command[_T3], c4: Command[_T4], /
) -> AllOf[tuple[_T1, _T2, _T3, _T4]]: ...
@overload
def all_of(
    c1: Command[_T1], c2: Command[_T2], c3: Command[_T3], c4: Command[_T4], c5: Command[_T5], /
) -> AllOf[tuple[_T1, _T2, _T3, _T4, _T5]]: ...
@overload
def all_of(
    c1: Command[_T1], c2: Command[_T2], c3: Command[_T3], c4: Command[_T4], c5: Command[_T5], c6: Command[_T6], /
) -> AllOf[tuple[_T1, _T2, _T3, _T4, _T5, _T6]]: ...
@overload
def all_of(commands: Sequence[Command[_T]], /) -> AllOf[list[_T]]: ...
@overload
def all_of(*commands: Command[_T]) -> AllOf[tuple[_T, ...]]: ...


def all_of(*commands: Any) -> AllOf[Any]:
    """``results = yield from wfc.all_of(a, b, c)``: run in parallel, results in argument order.

    Also accepts one list: ``yield from wfc.all_of([charge(o) for o in orders])``. If one fails, the first failure
    raises at the ``yield`` and the others are canceled. Separate commands give a tuple (``a, b = yield from
    wfc.all_of(x(), y())``; type checkers see each position's type for up to six commands, ``tuple[T, ...]`` for
    more or for ``*commands``), one list gives a list (``list[T]``): at run time as the type checkers see it.
    """
    one_list = len(commands) == 1 and isinstance(commands[0], list | tuple)
    return AllOf(_commands(commands, "all_of"), separate=not one_list)


@overload
def any_of(c1: Command[_T1], /) -> AnyOf[tuple[int, _T1]]: ...
@overload
def any_of(c1: Command[_T1], c2: Command[_T2], /) -> AnyOf[tuple[int, _T1 | _T2]]: ...
@overload
def any_of(c1: Command[_T1], c2: Command[_T2], c3: Command[_T3], /) -> AnyOf[tuple[int, _T1 | _T2 | _T3]]: ...
@overload
def any_of(
    c1: Command[_T1], c2: Command[_T2], c3: Command[_T3], c4: Command[_T4], /
) -> AnyOf[tuple[int, _T1 | _T2 | _T3 | _T4]]: ...
@overload
def any_of(commands: Sequence[Command[_T]], /) -> AnyOf[tuple[int, _T]]: ...
@overload
def any_of(*commands: Command[_T]) -> AnyOf[tuple[int, _T]]: ...


def any_of(*commands: Any) -> AnyOf[Any]:
    """``index, value = yield from wfc.any_of(a, b)``: the first command to finish wins; the others are canceled.

    If the first to finish failed, its failure raises at the ``yield`` (a race, like ``Promise.race``). Type
    checkers see ``tuple[int, A | B]``: the winner's index and the union of the commands' result types.
    """
    items = _commands(commands, "any_of")
    if not items:
        raise WfcError("any_of() needs at least one command", code="WFC403")
    return AnyOf(items)


def sleep(duration: float | dt.timedelta) -> Sleep:
    """``yield from wfc.sleep(seconds_or_timedelta)``: a durable timer. A sleeping workflow costs a row, no thread."""
    seconds = _seconds(duration, "sleep duration")
    assert seconds is not None
    return Sleep(seconds)


def sleep_until(when: dt.datetime) -> Sleep:
    """``yield from wfc.sleep_until(deadline)``: a durable timer until ``when``, a timezone-aware datetime (a time
    already past wakes at once). It is measured from the workflow's clock (``wfc.now()``), so a re-run of the
    transition makes the same timer, and ``wfc.now()`` after it is ``when`` (or later, if the worker was late)."""
    ctx = RUNNING.get()
    if ctx is None:
        raise WfcError(
            "wfc.sleep_until() can only be called inside a running workflow (it measures from wfc.now())",
            code="WFC406",
            hint="inside a @wfc.workflow write `yield from wfc.sleep_until(when)`; elsewhere use wfc.sleep(seconds)",
        )
    if not isinstance(when, dt.datetime):
        raise WfcError(f"sleep_until() takes a datetime, not {type(when).__name__}", code="WFC402")
    if when.tzinfo is None or when.utcoffset() is None:
        raise WfcError(
            f"sleep_until({when.isoformat()}) needs a timezone-aware datetime: a naive one names no instant",
            code="WFC402",
            hint="give it a zone: `datetime(2027, 1, 1, 9, tzinfo=ZoneInfo('Europe/Paris'))` or `tzinfo=UTC`",
        )
    seconds = _seconds(max((when - ctx.now).total_seconds(), 0.0), "the wait until " + when.isoformat())
    assert seconds is not None
    return Sleep(seconds)


def wait_event(name: str, timeout: float | dt.timedelta | None = None) -> WaitEvent:
    """``value = yield from wfc.wait_event("approved", timeout=3600)``: the first unconsumed event of that name.

    An event sent before the wait is kept and taken at once. An event sent with an error raises here; if
    ``timeout`` passes first, :class:`wfc.Timeout` raises here.
    """
    if not isinstance(name, str) or not name:
        raise WfcError("wait_event() needs an event name (a non-empty string)", code="WFC403")
    return WaitEvent(name, _seconds(timeout, "timeout"))


MAX_ID_LENGTH = 1000
"""The longest instance id (an id is a key stored in every row of an instance, and shown by every command)."""


def check_instance_id(value: object) -> None:
    """An instance id given by the caller: text of 1 to :data:`MAX_ID_LENGTH` characters that is valid UTF-8
    (no lone surrogates, as a byte string decoded with ``surrogateescape`` has) and holds no NUL. Raises
    :class:`WfcError` (``WFC402``)."""
    if value is None:
        return
    hint = "use a short text id such as an order number: `order-1234`"
    if not isinstance(value, str):
        raise WfcError(f"an instance id is text, not {type(value).__name__}", code="WFC402", hint=hint)
    if not value or len(value) > MAX_ID_LENGTH:
        raise WfcError(
            f"an instance id has 1 to {MAX_ID_LENGTH} characters, not {len(value)}", code="WFC402", hint=hint
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise WfcError(
            f"the instance id {value[:60]!r} is not valid UTF-8 text", code="WFC402", hint=hint
        ) from None
    if "\x00" in value:
        raise WfcError("an instance id cannot contain a NUL character", code="WFC402", hint=hint)


# ---- registries -------------------------------------------------------------------------------------------------

_lock = threading.Lock()
STEPS: dict[str, StepDef] = {}
WORKFLOWS: dict[str, WorkflowDef] = {}
ERRORS: dict[str, type[BaseException]] = {}


def _same_identity(kind: str, old: Any, new: Any) -> None:
    """Two definitions under one key would make every process run whichever registered last (a factory's
    second product silently ran the first one's closure): refuse the second. Registering the same definition
    again, or the module's new code after a reload (another code object, the same qualname), replaces it."""
    old_fn, new_fn = getattr(old, "fn", None), getattr(new, "fn", None)
    if old is new or old_fn is None or new_fn is None:
        return
    if old_fn is new_fn:
        # One function wrapped twice under two names (``wfc.workflow(name="a")(f)`` and ``name="b"``): both get
        # the function's key, so instances of either would run with the options of whichever came last.
        if getattr(old, "name", None) != getattr(new, "name", None) and _still_used(old):
            raise WfcError(
                f"{old_fn.__qualname__} is registered as two {kind}s, {old.name!r} and {new.name!r}, under one key "
                f"({new.key}): instances name a definition by its key, so both would run as the one defined last",
                code="WFC411",
                hint=f"give each {kind} its own function (a def that calls a shared helper), or define one and "
                "vary it with .options(...) at the call",
            )
        return
    factory = old_fn.__code__ is new_fn.__code__  # one def statement run twice: two closures
    renamed = old_fn.__qualname__ != new_fn.__qualname__  # two functions given one name=
    if (factory or renamed) and _still_used(old):
        raise WfcError(
            f"{kind} {new.key} is defined twice ({old_fn.__qualname__} and {new_fn.__qualname__}, each with its "
            "own code or closure): instances name a definition by its key, so every process would run one of "
            "them for both",
            code="WFC411",
            hint=f"give each {kind} its own name=..., e.g. @wfc.{'workflow' if kind == 'workflow' else 'step'}"
            '(name=f"charge_{region}") in a factory',
        )


def _still_used(old: Any) -> bool:
    """Whether anything but the registries still holds ``old``: a test that defines a workflow inside a
    function run many times (a parametrized test) leaves only garbage behind, which the new one replaces; a
    factory's products held by the application are both alive, and would be confused. (Run on a collision
    only: it collects garbage first so that cycles do not count.)"""
    gc.collect()
    ours = {_same_identity.__code__, _still_used.__code__, register_step.__code__, register_workflow.__code__}
    for holder in gc.get_referrers(old):
        if holder is STEPS or holder is WORKFLOWS:
            continue
        if inspect.isframe(holder):
            if holder.f_code not in ours:
                return True  # a local variable of a running function
        elif isinstance(holder, dict | list | tuple | set):
            return True  # a module's (or an object's) attribute, or a collection of definitions
        # else a closure cell or the internals of another definition: kept alive by the registry only
    return False


def register_step(step: StepDef) -> StepDef:
    with _lock:
        old = STEPS.get(step.key)
        if old is not None:
            _same_identity("step", old, step)
        STEPS[step.key] = step
    return step


def register_workflow(wf: WorkflowDef) -> WorkflowDef:
    with _lock:
        old = WORKFLOWS.get(wf.key)
        if old is not None:
            _same_identity("workflow", old, wf)
        WORKFLOWS[wf.key] = wf
    return wf


def error_type_name(cls: type[BaseException]) -> str:
    """``ValueError`` for builtins, ``package.module.Name`` for everything else."""
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def register_error(cls: _E) -> _E:
    """Let a step's exception of this type be re-raised as that type at the workflow's ``yield``.

    Builtin exception types are known already. Usable as a decorator. Subclasses are not registered implicitly.
    """
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        raise WfcError(f"register_error() takes an exception class, not {cls!r}", code="WFC402")
    with _lock:
        ERRORS[error_type_name(cls)] = cls
    return cls
