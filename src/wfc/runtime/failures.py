"""How a step's exception becomes the exception raised at the workflow's ``yield``.

A failure is recorded as plain data (:class:`ErrorInfo`: type name, message, args, attributes, the type's bases)
because it crosses processes and is stored in history. It is raised again as the step's own exception type when that type is
a builtin or registered with :func:`wfc.register_error`, combined with :class:`wfc.StepFailed`; otherwise as plain
``StepFailed``. The in-memory test runner goes through the same data, so tests predict production.
"""

from __future__ import annotations

import builtins
from typing import Any

import attrs

from wfc import _codecs, commands
from wfc._encode import exception_state
from wfc.errors import StepFailed, WfcError, step_failure
from wfc.runtime import tracebacks


@attrs.frozen
class ErrorInfo:
    type_name: str
    message: str
    args: tuple[Any, ...] = ()
    bases: tuple[str, ...] = ()
    traceback: str | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict, hash=False)
    """The exception's state besides ``args`` (fields set in its ``__init__``, ``OSError.filename``, notes...), as
    the codec persists it: what cannot be persisted is kept as its ``repr``, with a note saying so."""

    def describe(self) -> str:
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


def resolve_error_type(type_name: str) -> type[BaseException] | None:
    """The exception class for a recorded type name: a builtin, or one registered by the application."""
    if "." not in type_name:
        cls = getattr(builtins, type_name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            return cls
        return None
    registered = commands.ERRORS.get(type_name)
    if registered is None and _codecs.install_integrations():  # pydantic's ValidationError, once it is imported
        registered = commands.ERRORS.get(type_name)
    if registered is not None:
        return registered
    import wfc.errors as errors_module

    if type_name.startswith("wfc.errors."):
        cls = getattr(errors_module, type_name.rsplit(".", 1)[1], None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            return cls
    return None


def error_info(exc: BaseException, *, traceback: str | None = None) -> ErrorInfo:
    """Record an exception as data, with its traceback (:mod:`wfc.runtime.tracebacks`). Args that cannot be
    persisted are replaced by their ``repr``."""
    from wfc.convert import encode

    if traceback is None:
        traceback = tracebacks.format_traceback(exc)

    if isinstance(exc, StepFailed) and (type(exc) is StepFailed or not exc.type_name):
        return ErrorInfo(
            exc.type_name or "StepFailed", exc.message or str(exc), (exc.message,), (), traceback
        )
    cls = type(exc)
    if isinstance(exc, StepFailed):
        # A combined class (ValueError + StepFailed) re-raised by a child workflow: record the original type.
        type_name = exc.type_name
        bases = tuple(commands.error_type_name(b) for b in cls.__mro__[1:] if issubclass(b, BaseException))
    else:
        type_name = commands.error_type_name(cls)
        bases = tuple(commands.error_type_name(b) for b in cls.__mro__ if issubclass(b, BaseException))
    args: tuple[Any, ...]
    try:
        encode(list(exc.args))
        args = tuple(exc.args)
    except WfcError:
        args = tuple(repr(a) for a in exc.args)
    state = exception_state(exc)
    # Where it was raised travels as text (``traceback`` above); the workflow's own traceback of the failure
    # starts at its ``yield``, as when ``generator.throw`` delivers it.
    state.pop("__traceback__", None)
    if isinstance(exc, StepFailed):
        for name in _FAILURE_FIELDS:  # set again by to_exception
            state.pop(name, None)
    return ErrorInfo(type_name, str(exc), args, bases, traceback, state)


_FAILURE_FIELDS = ("type_name", "message", "step", "attempts", "hint")


def to_exception(info: ErrorInfo, *, step: str, attempts: int) -> StepFailed:
    """The exception a workflow sees at the ``yield`` of a failed step or child workflow."""
    cls = resolve_error_type(info.type_name)
    if cls is not None and issubclass(cls, StepFailed):
        cls = None if cls is StepFailed else cls
    failure = step_failure(
        cls,
        tuple(info.args),
        type_name=info.type_name,
        message=info.message,
        step=step,
        attempts=attempts,
        attributes=info.attributes,
    )
    tracebacks.attach(failure, info.traceback)
    return failure
