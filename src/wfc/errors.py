"""Every error wfc raises, and the diagnostics that compile-time errors carry.

One root, :class:`WfcError`. Problems found in a program (syntax, determinism, IR verification) are
:class:`Diagnostic` values with a stable code, a position, the offending source line and a hint; a
:class:`CompileError` carries *all* of them, so users fix everything in one round.

Code ranges: ``WFC1xx`` syntax and unsupported constructs, ``WFC2xx`` determinism, ``WFC3xx`` IR
verification, ``WFC4xx`` runtime. ``docs/errors.md`` has one entry per code; a test keeps the two in step.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

import attrs


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Span:
    """A place in a source file. Lines and columns are 1-based; ``end_*`` are inclusive-exclusive."""

    path: str
    line: int
    col: int = 1
    end_line: int | None = None
    end_col: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@attrs.frozen
class Diagnostic:
    """One problem in a program: what (code, message), where (span, source line) and how to fix (hint)."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    source_line: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self) -> str:
        """``path:line:col: error[WFC101]: message``, then the line with a caret under the span, then the hint."""
        where = f"{self.span}: " if self.span is not None else ""
        out = [f"{where}{self.severity.value}[{self.code}]: {self.message}"]
        if self.span is not None and self.source_line is not None:
            out.extend(_caret_snippet(self.span, self.source_line))
        out.extend(f"  = note: {note}" for note in self.notes)
        if self.hint:
            out.append(f"  = hint: {self.hint}")
        return "\n".join(out)


def _caret_snippet(span: Span, source_line: str) -> list[str]:
    text = source_line.rstrip("\n").expandtabs(4)
    gutter = str(span.line)
    pad = " " * len(gutter)
    start = max(span.col - 1, 0)
    if span.end_line in (None, span.line) and span.end_col is not None and span.end_col > span.col:
        width = span.end_col - span.col
    else:
        # A span that runs past this line: underline to the end of the line's text.
        width = max(len(text.rstrip()) - start, 1)
    width = max(1, min(width, max(len(text) - start, 1)))
    return [f" {gutter} | {text}", f" {pad} | {' ' * start}{'^' * width}"]


def render_all(diagnostics: Iterable[Diagnostic]) -> str:
    return "\n\n".join(d.render() for d in diagnostics)


class WfcError(Exception):
    """The root of every error wfc raises on purpose. ``code`` is the stable ``WFCnnn`` code, if any."""

    code: str | None = None

    def __init__(self, message: str = "", *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        # getattr: an error rebuilt from a stored failure without running __init__ may have no hint attribute.
        hint = getattr(self, "hint", None)
        if hint:
            return f"{base}\n  = hint: {hint}"
        return base


class CompileError(WfcError):
    """A program has one or more errors. ``diagnostics`` holds every problem found, warnings included."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        super().__init__(render_all(self.diagnostics), code=first.code if first else None)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)


class InternalError(WfcError):
    """A broken invariant inside wfc itself: never the user's fault."""

    def __init__(self, message: str) -> None:
        super().__init__(f"{message} (this is a bug in wfc, please report it)", code="WFC499")


class StepFailed(WfcError):
    """A step failed: raised at the step's ``yield`` once its attempts are used up.

    ``except wfc.StepFailed`` catches every step failure. When the step raised a builtin exception type, or one
    registered with :func:`wfc.register_error`, the exception raised at the ``yield`` is *also* an instance of
    that type, so ``except ValueError`` works too. ``type_name`` is the qualified name of the step's exception
    type, ``message`` its text, ``step`` the step's name and ``attempts`` how many times it ran.
    """

    type_name: str = "StepFailed"
    message: str = ""
    step: str = ""
    attempts: int = 0

    def __init__(
        self, message: str = "", *, type_name: str = "Exception", step: str = "", attempts: int = 1
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type_name = type_name
        self.step = step
        self.attempts = attempts

    def __str__(self) -> str:
        if type(self) is StepFailed:
            return f"step {self.step!r} failed: {self.type_name}: {self.message}"
        # A subclass that also derives from the step's own exception type reads like that exception.
        return Exception.__str__(self)


class Timeout(WfcError, TimeoutError):
    """A wait ran out of time: ``wait_event(name, timeout=...)`` raises it at the ``yield``."""


class StepTimeout(Timeout, StepFailed):
    """A step's attempts ran out of time (``@wfc.step(timeout=...)`` or ``.options(timeout=...)``): raised at
    the step's ``yield`` when the last attempt overran. ``except wfc.Timeout`` and ``except wfc.StepFailed`` both
    catch it."""

    code = "WFC461"


class WorkflowFailed(WfcError):
    """Raised by a workflow on purpose: ``fail "message"`` in a ``.wf`` file, ``raise wfc.WorkflowFailed(...)``
    in Python."""


class Canceled(WfcError):
    """The workflow, or the step being waited on, was canceled."""


class WorkflowTimeout(Canceled, Timeout):
    """A workflow ran past its own ``timeout`` (``@wfc.workflow(timeout=...)`` or ``Runtime.start(...,
    timeout=...)``): raised at its current ``yield`` as a cancel is, so its cleanup runs; it ends ``canceled``.
    ``except wfc.Canceled`` and ``except wfc.Timeout`` both catch it."""


class WorkflowRuntimeError(WfcError):
    """The runtime refused to do something (``WFC4xx``): the message says what and the hint how to fix it."""


class NotSerializable(WorkflowRuntimeError):
    """A value that must be persisted (a live variable, a step argument or result) cannot be."""

    code = "WFC401"


_failure_classes: dict[type[BaseException], type[StepFailed]] = {}


def step_failure_class(exc_type: type[BaseException] | None) -> type[StepFailed]:
    """The class raised at a ``yield`` for a step that raised ``exc_type``: a subclass of both, so that both
    ``except ValueError`` and ``except wfc.StepFailed`` catch it. ``None`` (an unregistered, non-builtin type)
    gives plain :class:`StepFailed`. Classes are made once per type and cached; they read as the original type
    (same ``__name__``, ``__qualname__`` and ``__module__``)."""
    if exc_type is None or exc_type is StepFailed or not issubclass(exc_type, Exception):
        return StepFailed
    if issubclass(exc_type, StepFailed):
        return exc_type
    cls = _failure_classes.get(exc_type)
    if cls is None:
        try:
            made = type(exc_type.__name__, (exc_type, StepFailed), {"__module__": exc_type.__module__})
        except TypeError:
            # A type whose instance layout cannot be combined (an extension type, such as pydantic's
            # ValidationError): caught as its nearest base that can be, e.g. `except ValueError`.
            base = next((b for b in exc_type.__mro__[1:] if issubclass(b, Exception)), None)
            made = step_failure_class(base) if base is not None and base is not Exception else StepFailed
        else:
            made.__qualname__ = exc_type.__qualname__
        cls = _failure_classes[exc_type] = made
    return cls


def step_failure(
    exc_type: type[BaseException] | None,
    args: tuple[object, ...],
    *,
    type_name: str,
    message: str,
    step: str,
    attempts: int,
    attributes: dict[str, object] | None = None,
) -> StepFailed:
    """Build the exception raised at a ``yield`` whose step failed, without calling any ``__init__`` (a user's
    exception class may require arguments we do not have)."""
    cls = step_failure_class(exc_type)
    exc: StepFailed
    if cls is StepFailed:
        exc = StepFailed(message)
    elif cls.__module__ == "builtins":
        # Builtin initialisers are side-effect free and fill in fields such as OSError.errno.
        try:
            exc = cls(*args)  # type: ignore[arg-type]
        except Exception:
            exc = cls.__new__(cls, *args)
            exc.args = args
    else:
        try:
            exc = cls.__new__(cls, *args)
        except Exception:
            # An extension type whose __new__ takes arguments of its own (pydantic's ValidationError): raised as
            # its nearest builtin base (caught by `except ValueError` and `except wfc.StepFailed`).
            base = next(b for b in cls.__mro__ if b.__module__ == "builtins")
            builtin = base if issubclass(base, Exception) and base is not Exception else None
            return step_failure(builtin, (message,), type_name=type_name, message=message, step=step,
                                attempts=attempts, attributes=attributes)  # fmt: skip
        exc.args = args
    for name, value in (attributes or {}).items():
        # object.__setattr__: also the slots of builtin exceptions (OSError.filename); an instance attribute named
        # like a class attribute of StepFailed/WfcError (``code``) shadows it, as on the original exception
        try:
            object.__setattr__(exc, name, value)
        except (AttributeError, TypeError):
            exc.__dict__[name] = value
    exc.type_name = type_name
    exc.message = message
    exc.step = step
    exc.attempts = attempts
    exc.hint = None
    return exc
