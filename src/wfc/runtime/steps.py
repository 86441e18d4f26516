"""Running one attempt of a step, and what follows from it: a result to deliver, a retry later, or a failure to
raise at the workflow's ``yield``.

Steps run outside the workflow's transaction, at least once: an attempt whose outcome was not committed (a crash,
a lost lease) runs again. A result must be persistable and within the runtime's ``max_value_size``, else the step
fails with a clear error (never retried: it would fail the same way). Backoff is exponential with jitter, capped
by the policy's ``max_backoff``.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import random
import threading
from collections.abc import Callable
from typing import Any

import attrs

from wfc import convert
from wfc.commands import NO_RETRY, STEPS, RetryPolicy, StepDef
from wfc.errors import StepTimeout, WfcError
from wfc.runtime import attempts, tracebacks, tracing
from wfc.runtime.clock import to_datetime
from wfc.runtime.errors import UnknownStep, ValueTooLarge
from wfc.runtime.failures import error_info, to_exception
from wfc.runtime.step_context import CancelFlag, StepContext, running
from wfc.runtime.store.protocol import InstanceRow, LeafRow

log = logging.getLogger("wfc.runtime")

# Values a round trip through the codec gives back unchanged: delivered as they are.
_PLAIN = (int, str, bool, type(None))


@attrs.define(slots=True)
class Task:
    """A history row this process acts on, with its instance. ``vars``: the workflow's live variables as the
    transition that scheduled this step left them, kept in memory so the next transition need not decode the
    snapshot (used once; a re-run decodes)."""

    leaf: LeafRow
    inst: InstanceRow
    vars: dict[str, Any] | None = None
    call: tuple[list[Any], dict[str, Any]] | None = (
        None  # the arguments, when decoding would give them back as is
    )
    cancel: CancelFlag | None = None  # set by the worker running it when its row is canceled (StepContext)


@attrs.define(slots=True)
class StepResult:
    """The outcome of one attempt. Exactly one of: ``ok`` (``value``/``text``), ``retry_at`` (with ``note``, the
    attempt's error) or a final failure (``error``/``error_text``). ``missing``: the step is not deployed here.
    ``failed``: a failed attempt's error and traceback, as its row's attempts keep them (``wfc.runtime.attempts``).
    ``started_at``: when the attempt started (``None``: it did not run; where its start is not known, its end)."""

    task: Task
    attempts: int
    finished_at: float
    ok: bool = False
    value: Any = None
    text: str | None = None
    error: BaseException | None = None
    error_text: str | None = None
    retry_at: float | None = None
    note: str | None = None
    missing: str | None = None
    failed: tuple[str, str | None] | None = None
    started_at: float | None = None


def check_size(text: str, limit: int, what: str, *args: object) -> str:
    """``text`` if it is within ``limit`` bytes (UTF-8), else :class:`ValueTooLarge` naming ``what.format(*args)``
    (formatted only then: this runs on every step)."""
    if len(text) * 4 > limit:
        size = len(text.encode())
        if size > limit:
            raise ValueTooLarge(
                f"{what.format(*args)} is {size:,} bytes encoded, over the limit of {limit:,}",
                hint="keep large data outside the workflow (a file or table) and pass its id, or raise the "
                "runtime's max_value_size",
            )
    return text


_SMALL_INT = 1 << 62


def encode(value: Any, limit: int, what: str, *args: object) -> str:
    kind = type(value)
    if kind is int and -_SMALL_INT < value < _SMALL_INT:
        return str(value)  # what the codec writes for a plain int
    if kind is list and all(type(x) is int and -_SMALL_INT < x < _SMALL_INT for x in value):
        return f"[{','.join(map(str, value))}]"
    return check_size(convert.dumps(value), limit, what, *args)


def roundtrip(value: Any, text: str) -> Any:
    """The value a workflow receives: what decoding ``text`` gives (the original when that is the same)."""
    if type(value) in _PLAIN:
        return value
    return convert.loads(text)


def step_def(key: str | None) -> StepDef:
    step = STEPS.get(key or "")
    if step is None:
        raise UnknownStep(
            f"step {key!r} is not part of this deployment",
            hint="import the module that defines it in the worker (the call waits, nothing is lost), or cancel "
            "the workflow",
        )
    return step


@attrs.frozen
class Timed:
    """A step call's retry policy and its time limit per attempt, as its history row keeps them (a row without
    a limit keeps the bare :class:`RetryPolicy`, or nothing when it is not retried)."""

    policy: RetryPolicy
    timeout: float


def policy_of(leaf: LeafRow) -> RetryPolicy:
    if leaf.retry is None:
        return NO_RETRY
    policy = convert.loads(leaf.retry)
    if isinstance(policy, Timed):
        return policy.policy
    return policy if isinstance(policy, RetryPolicy) else NO_RETRY


def timeout_of(leaf: LeafRow) -> float | None:
    """The call's time limit per attempt, in seconds (``None``: none)."""
    if leaf.retry is None or not leaf.retry.startswith("{"):
        return None
    policy = convert.loads(leaf.retry)
    return policy.timeout if isinstance(policy, Timed) else None


def retry_text(policy: RetryPolicy, timeout: float | None) -> str | None:
    """What a step's row keeps of its policy and time limit (``None``: neither)."""
    if timeout is not None:
        return convert.dumps(Timed(policy, timeout))
    return None if policy.max_attempts == 1 else convert.dumps(policy)


def timed_out(name: str, timeout: float) -> StepTimeout:
    return StepTimeout(
        f"step {name!r} did not finish within {timeout:g} seconds (the attempt was abandoned)",
        type_name="wfc.errors.StepTimeout",  # what the yield raises when no attempt is left: this class
        step=name,
    )


_JSON_SCALARS = (int, str, float, bool, type(None))


def _load_args(text: str) -> list[Any]:
    data = json.loads(text)
    if type(data) is list and all(type(x) in _JSON_SCALARS for x in data):
        return data  # plain JSON scalars decode to themselves
    return list(convert.decode(data))


def plain(args: tuple[Any, ...], kwargs: Any) -> bool:
    """Whether these arguments come back from the codec as the very same values (scalars that cannot alias)."""
    return not kwargs and all(type(x) in _PLAIN for x in args)


def arguments(leaf: LeafRow) -> tuple[list[Any], dict[str, Any]]:
    args = _load_args(leaf.args) if leaf.args else []
    kwargs = convert.loads(leaf.kwargs) if leaf.kwargs else {}
    return list(args), dict(kwargs)


def context_of(task: Task, attempt: int, deadline: float | None = None) -> StepContext:
    """What ``wfc.step_context()`` says inside this attempt."""
    policy = policy_of(task.leaf)
    when = None if deadline is None else to_datetime(deadline)
    return StepContext(
        task.inst.id, task.inst.name, task.leaf.name, attempt, policy.max_attempts, when, cancel=task.cancel
    )


async def bounded(coro: Any, timeout: float | None, name: str) -> Any:
    """Await a step's coroutine, cancelling it when ``timeout`` passes (then :class:`StepTimeout`; a
    ``TimeoutError`` the step raises itself stays its own)."""
    if timeout is None:
        return await coro
    try:
        async with asyncio.timeout(timeout) as scope:
            return await coro
    except TimeoutError:
        if scope.expired():
            raise timed_out(name, timeout) from None
        raise


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def call(
    fn: Callable[..., Any],
    is_async: bool,
    args: list[Any],
    kwargs: dict[str, Any],
    timeout: float | None = None,
    name: str = "",
) -> Any:
    """Call a step function in this thread; a coroutine function runs to completion on an event loop. With a
    ``timeout``, an attempt that overruns raises :class:`StepTimeout`: a coroutine is cancelled; a plain
    function runs on in a thread of its own, which Python cannot stop — its result is dropped when it ends."""
    if timeout is None:
        if not is_async:
            return fn(*args, **kwargs)
        if not _in_loop():
            return asyncio.run(fn(*args, **kwargs))
    elif is_async and not _in_loop():
        return asyncio.run(bounded(fn(*args, **kwargs), timeout, name))
    # A thread of its own: an async step called inside a running loop (it gets a loop of its own), or a plain
    # function with a time limit (this thread waits for it no longer than that).
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(bounded(fn(*args, **kwargs), timeout, name)) if is_async else fn(*args, **kwargs)
        except BaseException as exc:
            box["error"] = exc

    # A thread starts with an empty context: it runs in a copy of this one (the step's context goes with it).
    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), daemon=True)
    thread.start()
    thread.join(None if is_async else timeout)
    if thread.is_alive():  # a plain function past its time: abandoned (see docs/python-workflows.md)
        assert timeout is not None
        raise timed_out(name, timeout)
    if "error" in box:
        raise box["error"]
    return box["value"]


def conclude(
    task: Task,
    attempt: int,
    now: float,
    limit: int,
    *,
    value: Any = None,
    exc: BaseException | None = None,
    started: float | None = None,
) -> StepResult:
    """Turn one attempt's return value or exception into a :class:`StepResult` (``started``: when the attempt
    started; ``None`` when not known, then its end stands for it)."""
    leaf = task.leaf
    retryable = True
    if started is None:
        started = now
    if exc is None:
        try:
            text = encode(value, limit, "the result of step {!r}", leaf.name)
            return StepResult(task, attempt, now, ok=True, value=roundtrip(value, text), text=text, started_at=started)
        except WfcError as err:
            exc, retryable = err, False  # it would fail the same way again
    info = error_info(exc)
    policy = policy_of(leaf)
    failed = attempts.capped(info.describe(), info.traceback)
    if retryable and policy.may_retry(attempt, info.bases or (info.type_name,)):
        rng = random.Random(f"{task.inst.id}:{leaf.seq}.{leaf.pos}:{attempt}")
        delay = policy.backoff(attempt, rng.random())
        note = tracebacks.with_note(info.describe(), info.traceback)  # the row keeps the last attempt's
        return StepResult(task, attempt, now, retry_at=now + delay, note=note, failed=failed, started_at=started)
    failure = to_exception(info, step=leaf.name, attempts=attempt)
    return StepResult(
        task,
        attempt,
        now,
        error=failure,
        error_text=convert.dumps_failure(failure),
        note=info.describe(),
        failed=failed,
        started_at=started,
    )


def outcome_of(result: StepResult) -> str:
    """An attempt's outcome as its span says it: ``ok``, ``retry`` or ``failed``."""
    return "ok" if result.ok else "retry" if result.retry_at is not None else "failed"


def run(
    task: Task, now: Callable[[], float], limit: int, tracer: tracing.Tracing = tracing.NOOP
) -> StepResult:
    """Run one attempt of a (non-transactional) step in this thread."""
    leaf = task.leaf
    attempt = leaf.attempts + 1
    step = STEPS.get(leaf.step or "")
    if step is None:
        try:
            step_def(leaf.step)
        except UnknownStep as exc:
            return StepResult(task, leaf.attempts, now(), missing=f"{exc.code}: {exc}")
    assert step is not None
    inst = task.inst
    with tracer.attempt(inst.trace, inst.name, inst.id, leaf.name, attempt) as span:
        started = now()
        try:
            args, kwargs = task.call if task.call is not None else arguments(leaf)
            timeout = timeout_of(leaf)
            if timeout is None:
                with running(context_of(task, attempt)):
                    value = step.fn(*args, **kwargs) if not step.is_async else call(step.fn, True, args, kwargs)
            else:
                with running(context_of(task, attempt, now() + timeout)):
                    value = call(step.fn, step.is_async, args, kwargs, timeout, leaf.name)
        except Exception as exc:
            span.error(exc)
            result = conclude(task, attempt, now(), limit, exc=exc, started=started)
        else:
            if type(value) is int and -_SMALL_INT < value < _SMALL_INT:  # the common case, without the codec
                result = StepResult(task, attempt, now(), ok=True, value=value, text=str(value), started_at=started)
            else:
                result = conclude(task, attempt, now(), limit, value=value, started=started)
        span.outcome(outcome_of(result))
    return result


def start_async(
    task: Task,
    loop: asyncio.AbstractEventLoop,
    now: Callable[[], float],
    limit: int,
    done: Callable[[StepResult], None],
    tracer: tracing.Tracing = tracing.NOOP,
) -> bool:
    """Start an async step on ``loop``; ``done`` gets its result. ``False`` when the step is not async."""
    step = STEPS.get(task.leaf.step or "")
    if step is None or not step.is_async:
        return False
    attempt = task.leaf.attempts + 1
    inst = task.inst

    async def go() -> None:
        # The span is current in this task's context only: other steps on the loop have their own.
        with tracer.attempt(inst.trace, inst.name, inst.id, task.leaf.name, attempt) as span:
            result = await attempt_async(span)
            span.outcome(outcome_of(result))
        done(result)

    async def attempt_async(span: tracing.Attempt) -> StepResult:
        # Whatever the step raises — SystemExit, KeyboardInterrupt, CancelledError too — is this attempt's
        # outcome: raised out of a task it would stop the worker's event loop and every async step on it.
        started = now()
        try:
            args, kwargs = arguments(task.leaf)
            timeout = timeout_of(task.leaf)
            deadline = None if timeout is None else now() + timeout
            with running(context_of(task, attempt, deadline)):  # this task's own context
                flag = task.cancel
                if flag is not None:  # its row canceled (the instance canceled): CancelledError at its await,
                    # caught below like any outcome. (Not a task of its own: a task re-raises SystemExit and
                    # KeyboardInterrupt into the loop, which would stop every async step.)
                    this = asyncio.current_task()
                    if this is not None:
                        flag.on_set = lambda: loop.call_soon_threadsafe(this.cancel)
                        if flag.requested:
                            this.cancel()
                value = await bounded(step.fn(*args, **kwargs), timeout, task.leaf.name)
        except BaseException as exc:
            span.error(exc)
            try:
                return conclude(task, attempt, now(), limit, exc=exc, started=started)
            except BaseException:
                described = RuntimeError(f"step {task.leaf.name!r} raised a {type(exc).__name__}")
                return conclude(task, attempt, now(), limit, exc=described, started=started)
        return conclude(task, attempt, now(), limit, value=value, started=started)

    asyncio.run_coroutine_threadsafe(go(), loop)
    return True


def on_complete_key(handler: Any) -> str:
    """The registry key of an ``on_complete`` handler: a ``@wfc.step`` or ``@wfc.transaction`` function."""
    if isinstance(handler, StepDef):
        return handler.key
    raise WfcError(
        f"on_complete must be a function decorated with @wfc.step or @wfc.transaction, not {handler!r}",
        code="WFC402",
        hint="@wfc.transaction def done(db, workflow_id, completion, context): ...",
    )
