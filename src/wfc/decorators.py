"""The authoring decorators: ``@wfc.workflow``, ``@wfc.step`` and ``@wfc.transaction``.

Decorating registers the definition (so workers in other processes find it by key) and returns a
:class:`~wfc.commands.StepDef` / :class:`~wfc.commands.WorkflowDef`. Compiling happens lazily, on first use or
with ``wfc.compile()`` / ``wfc check``, so a module can define workflows before the steps they call.
"""

from __future__ import annotations

import datetime as dt
import inspect
import sys
from collections.abc import Callable, Coroutine, Generator
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, overload

from wfc.commands import (
    RetryOption,
    RetryPolicy,
    StepDef,
    StepKind,
    WorkflowDef,
    check_seconds,
    check_timeout,
    register_step,
    register_workflow,
)
from wfc.errors import WfcError

P = ParamSpec("P")
R = TypeVar("R")


class StepDecorator(Protocol):
    """What ``@wfc.step(...)`` with options returns: a decorator keeping the function's signature."""

    @overload
    def __call__(self, fn: Callable[P, Coroutine[Any, Any, R]], /) -> StepDef[P, R]: ...
    @overload
    def __call__(self, fn: Callable[P, R], /) -> StepDef[P, R]: ...


class TransactionDecorator(Protocol):
    """What ``@wfc.transaction(...)`` with options returns: the signature without the database handle."""

    def __call__(self, fn: Callable[Concatenate[Any, P], R], /) -> StepDef[P, R]: ...


class WorkflowDecorator(Protocol):
    """What ``@wfc.workflow(...)`` with options returns."""

    @overload
    def __call__(self, fn: Callable[P, Generator[Any, Any, R]], /) -> WorkflowDef[P, R]: ...
    @overload
    def __call__(self, fn: Callable[P, R], /) -> WorkflowDef[P, R]: ...


def _key(fn: Callable[..., Any], name: str | None = None) -> str:
    """A definition's stable identity, which history and work items name it by in every process:
    ``module:qualname``. Never ``__main__``: a script run as ``python app.py`` is named by its module path
    (``app``, or ``pkg.app`` inside a package), as a worker importing it names it. A function made inside
    another (a factory: ``make.<locals>.flow`` is the same for every one it makes) is named by its ``name=``
    when it has one, ``module:name``; without one, a second one made is refused at registration."""
    module = fn.__module__
    if module == "__main__":
        module = main_module_name() or module
    qualname = fn.__qualname__
    if name and "<locals>" in qualname:
        return f"{module}:{name}"
    return f"{module}:{qualname}"


def main_module_name() -> str | None:
    """The module name of the running ``__main__``: ``pkg.mod`` under ``python -m pkg.mod``, else its file's
    dotted path from the first directory up that is not a package (as ``wfc --app file.py`` imports it)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name and spec.name != "__main__":
        return str(spec.name).removesuffix(".__main__")
    file = getattr(main, "__file__", None)
    if not file:
        return None  # an interactive session: there is no module path to name it by
    path = Path(file).resolve()
    parts = [path.stem]
    root = path.parent
    while (root / "__init__.py").exists():
        parts.insert(0, root.name)
        root = root.parent
    return ".".join(parts)


def _check_retry(retry: object, where: str) -> None:
    if not isinstance(retry, RetryPolicy | bool | None):
        msg = f"{where}: retry must be a wfc.RetryPolicy, True or False, not {type(retry).__name__}"
        raise WfcError(msg, code="WFC402")


def _make_step(
    fn: Callable[..., Any],
    kind: StepKind,
    name: str | None,
    retry: RetryOption,
    inline: bool,
    timeout: float | None = None,
) -> StepDef[..., Any]:
    if not callable(fn):
        raise WfcError(f"@wfc.{kind} decorates a function, not {fn!r}", code="WFC402")
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        raise WfcError(
            f"@wfc.{kind} cannot decorate the generator function {fn.__qualname__}",
            code="WFC402",
            hint="a generator that yields steps is a workflow: use @wfc.workflow",
        )
    _check_retry(retry, f"@wfc.{kind} {fn.__qualname__}")
    signature = inspect.signature(fn)
    if kind == "transaction":
        params = list(signature.parameters.values())
        if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
            raise WfcError(
                f"@wfc.transaction {fn.__qualname__} must take the database handle as its first parameter",
                code="WFC402",
                hint=f"def {fn.__name__}(db, ...): db.execute(...)",
            )
        signature = signature.replace(parameters=params[1:])
    step = StepDef(
        fn=fn,
        name=name or fn.__name__,
        key=_key(fn, name),
        kind=kind,
        retry=retry,
        inline=inline,
        is_async=inspect.iscoroutinefunction(fn),
        signature=signature,
        timeout=timeout,
    )
    return register_step(step)


# The overloads keep the decorated function's parameters (ParamSpec) so a wrong argument at a step call is a type
# error, and its return type (an async step's awaited type) as the type of the step's result.
@overload
def step(fn: Callable[P, Coroutine[Any, Any, R]], /) -> StepDef[P, R]: ...
@overload
def step(fn: Callable[P, R], /) -> StepDef[P, R]: ...
@overload
def step(
    *, name: str | None = None, retry: RetryOption = None, timeout: float | dt.timedelta | None = None
) -> StepDecorator: ...


def step(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    retry: RetryOption = None,
    timeout: float | dt.timedelta | None = None,
) -> StepDef[..., Any] | StepDecorator:
    """A step: a plain function (sync or async) that does the work — I/O, calls, side effects.

    It runs outside the workflow's transaction, at least once, and is retried per ``retry``
    (a :class:`wfc.RetryPolicy`; ``True`` for the runtime's default policy; by default not retried).
    Inside a workflow, ``result = yield from my_step(args)`` (``result`` has the function's return type).
    ``timeout`` (seconds or a ``timedelta``) bounds each attempt: one that runs longer is abandoned — its late
    result ignored, the retry policy deciding — and when no attempt is left the ``yield`` raises
    :class:`wfc.StepTimeout`.
    """
    seconds = check_timeout(timeout)
    if fn is not None:
        return _make_step(fn, "step", name, retry, False, seconds)
    return _decorator(lambda f: _make_step(f, "step", name, retry, False, seconds))  # type: ignore[no-any-return]


def _decorator(make: Callable[[Callable[..., Any]], Any]) -> Any:
    """The decorator returned when options are given (typed by the protocols above)."""
    return make


@overload
def transaction(fn: Callable[Concatenate[Any, P], R], /) -> StepDef[P, R]: ...
@overload
def transaction(
    *, name: str | None = None, retry: RetryOption = None, inline: bool = False
) -> TransactionDecorator: ...


def transaction(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    retry: RetryOption = None,
    inline: bool = False,
) -> StepDef[..., Any] | TransactionDecorator:
    """A step that runs inside the store's transaction and commits atomically with the workflow's advance.

    Its first parameter receives the database handle (not passed by the workflow): ``def reserve(db, item)``,
    ``yield from reserve(item)``. ``inline=True`` runs it inside the transition itself.
    """
    if fn is not None:
        return _make_step(fn, "transaction", name, retry, inline)
    return _decorator(lambda f: _make_step(f, "transaction", name, retry, inline))  # type: ignore[no-any-return]


def _make_workflow(
    fn: Callable[..., Any],
    name: str | None,
    retry: RetryOption,
    max_parallelism: int | None,
    timeout: float | None = None,
) -> WorkflowDef[..., Any]:
    if not callable(fn) or not hasattr(fn, "__code__"):
        raise WfcError(f"@wfc.workflow decorates a generator function, not {fn!r}", code="WFC402")
    _check_retry(retry, f"@wfc.workflow {fn.__qualname__}")
    if max_parallelism is not None and (not isinstance(max_parallelism, int) or max_parallelism < 1):
        raise WfcError(
            f"max_parallelism must be a whole number >= 1 (got {max_parallelism!r})", code="WFC402"
        )
    defn = WorkflowDef(
        fn=fn,
        name=name or fn.__name__,
        key=_key(fn, name),
        signature=inspect.signature(fn),
        namespace=fn.__globals__,
        frontend="python",
        retry=retry,
        max_parallelism=max_parallelism,
        timeout=timeout,
    )
    return register_workflow(defn)


@overload
def workflow(fn: Callable[P, Generator[Any, Any, R]], /) -> WorkflowDef[P, R]: ...
@overload
def workflow(fn: Callable[P, R], /) -> WorkflowDef[P, R]: ...  # a workflow with no steps
@overload
def workflow(
    *,
    name: str | None = None,
    retry: RetryOption = None,
    max_parallelism: int | None = None,
    timeout: float | dt.timedelta | None = None,
) -> WorkflowDecorator: ...


def workflow(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    retry: RetryOption = None,
    max_parallelism: int | None = None,
    timeout: float | dt.timedelta | None = None,
) -> WorkflowDef[..., Any] | WorkflowDecorator:
    """A workflow: a generator function that yields steps. wfc compiles it to a state machine. A plain function
    (no ``yield``) is a workflow with no steps: it runs in one transition (as a child, say, that only computes).

    ``retry`` is the default retry policy of its steps; ``max_parallelism`` caps how many of its steps run at
    once; ``timeout`` (seconds or a timedelta) is a durable deadline from each instance's start: when it passes,
    the instance is canceled with :class:`wfc.WorkflowTimeout` raised at its current ``yield`` (its cleanup
    runs). Check it with ``wfc check``; run it with ``wfc.testing.run`` in tests and ``wfc.Runtime`` for real.
    """
    seconds = None if timeout is None else check_seconds(timeout, "a workflow's timeout")
    if fn is not None:
        return _make_workflow(fn, name, retry, max_parallelism, seconds)
    return _decorator(lambda f: _make_workflow(f, name, retry, max_parallelism, seconds))  # type: ignore[no-any-return]
