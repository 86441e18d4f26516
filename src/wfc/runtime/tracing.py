"""OpenTelemetry spans for the durable runtime, when ``opentelemetry-api`` is importable (``pip install
'wfc[otel]'``); otherwise, or with ``Runtime(..., tracing=False)``, every hook here is a no-op.

An instance lives longer than any process, so it is not one span: its trace is the **start span**
(``wfc.start <workflow>``, a child of whatever span is current where ``rt.start()`` / ``Client.start()`` is
called), whose W3C ``traceparent`` (and ``tracestate``) is persisted with the instance (``instances.trace``).
Every later span of the instance is a child of that context, whichever worker makes it, after any restart:

* ``wfc.workflow <workflow>``: one per transition (delivering an outcome and running the workflow to its next
  suspension or its end), with ``wfc.outcome`` ``suspended``/``completed``/``failed``.
* ``<step name>``: one per step attempt, current while the step runs (the user's own spans nest under it), with
  ``wfc.step.attempt`` and ``wfc.outcome`` ``ok``/``retry``/``failed``; a raised exception is recorded on it.
* A child workflow is started inside its parent's transition span: its trace continues the parent's.

Attributes users filter by: ``wfc.workflow.name``, ``wfc.instance.id``, ``wfc.step.name``,
``wfc.step.attempt``, ``wfc.outcome``.

Metrics (the global meter provider's meter ``wfc``), per step attempt, with ``wfc.workflow.name`` and
``wfc.step.name`` (and ``wfc.outcome`` once it ended): ``wfc.steps.started``, ``wfc.steps.completed``,
``wfc.steps.failed`` (the attempt failed: ``wfc.outcome`` ``retry`` or ``failed``) and the histogram
``wfc.step.duration`` (seconds); and two gauges read from the database at each collection
(:mod:`wfc.runtime.gauges`): ``wfc.instances`` (instances not ended, by ``wfc.workflow.name`` and
``wfc.instance.state``) and ``wfc.queue.depth`` (instances with work due now and not leased, by
``wfc.workflow.name``). The hooks are small on purpose (the engine calls :meth:`Tracing.transition`
around a transition, the step runner :meth:`Tracing.attempt` around an attempt, starting :meth:`Tracing.start`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from wfc.runtime.store.protocol import Store

_ATTEMPT_OUTCOME = {True: "ok", False: "failed"}


class Attempt:
    """What a step attempt reports to its span: the exception it raised, and its outcome."""

    def error(self, exc: BaseException) -> None:
        pass

    def outcome(self, outcome: str) -> None:
        pass


_NO_ATTEMPT = Attempt()


class Tracing:
    """No tracing: every hook does nothing (``opentelemetry-api`` not installed, or ``tracing=False``)."""

    enabled = False

    @contextlib.contextmanager
    def start(self, workflow: str, instance_id: str) -> Iterator[str | None]:
        """Around starting an instance: yields the trace context to persist with it (``None``: none)."""
        yield None

    @contextlib.contextmanager
    def transition(self, trace: str | None, workflow: str, instance_id: str, seq: int) -> Iterator[None]:
        yield

    def outcome(self, outcome: str) -> None:
        """The current transition's outcome (``completed``/``failed``), when it ends the instance."""

    def current(self) -> str | None:
        """The trace context of the current span (inside a transition: the child workflows it starts)."""
        return None

    @contextlib.contextmanager
    def attempt(
        self, trace: str | None, workflow: str, instance_id: str, step: str, attempt: int
    ) -> Iterator[Attempt]:
        yield _NO_ATTEMPT

    def gauges(self, store: Store, now: Callable[[], float]) -> Callable[[], None]:
        """Report ``store``'s gauges until the function returned is called (the runtime's close)."""
        return _nothing


def _nothing() -> None:
    pass


NOOP = Tracing()


def create(setting: Any) -> Tracing:
    """The runtime's tracing: ``True`` (the global tracer provider, if ``opentelemetry-api`` is importable),
    ``False``, or a ``TracerProvider`` to use instead of the global one."""
    if setting is False or setting is None:
        return NOOP
    try:
        from opentelemetry import trace  # noqa: F401
    except ImportError:
        return NOOP
    return _Otel(None if setting is True else setting)


class _Attempt(Attempt):
    __slots__ = ("labels", "otel", "span", "started")

    def __init__(self, otel: _Otel, span: Any, labels: dict[str, str]) -> None:
        self.otel, self.span, self.labels = otel, span, labels
        self.started = time.monotonic()
        otel.started.add(1, labels)

    def error(self, exc: BaseException) -> None:
        self.span.record_exception(exc)

    def outcome(self, outcome: str) -> None:
        otel = self.otel
        self.span.set_attribute("wfc.outcome", outcome)
        if outcome == "failed":
            self.span.set_status(otel.trace.Status(otel.trace.StatusCode.ERROR))
        labels = {**self.labels, "wfc.outcome": outcome}
        (otel.completed if outcome == "ok" else otel.failed).add(1, labels)
        otel.duration.record(time.monotonic() - self.started, labels)


class _Otel(Tracing):
    enabled = True

    def __init__(self, provider: Any) -> None:
        from opentelemetry import metrics, trace
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        from wfc import __version__

        self.trace = self._trace = trace
        self.meter = meter = metrics.get_meter("wfc", __version__)
        self.started = meter.create_counter(
            "wfc.steps.started", unit="{attempt}", description="step attempts started"
        )
        self.completed = meter.create_counter(
            "wfc.steps.completed", unit="{attempt}", description="step attempts that returned a result"
        )
        self.failed = meter.create_counter(
            "wfc.steps.failed", unit="{attempt}", description="step attempts that raised (retried or not)"
        )
        self.duration = meter.create_histogram(
            "wfc.step.duration", unit="s", description="step attempt latency"
        )
        self._w3c = TraceContextTextMapPropagator()  # persisted as W3C trace context, whatever the global one
        self._given = provider is not None
        self._quiet = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
        if provider is None:
            self._tracer = trace.get_tracer("wfc", __version__)
        else:
            self._tracer = provider.get_tracer("wfc", __version__)

    def _spans(self) -> bool:
        """Whether a span would be recorded: a provider was given, or the application has set a global one.
        Until it does, the API's proxy provider makes non-recording spans, which still cost ~20 us per step
        (contexts attached and detached, attributes copied) for nothing: skip them. Asked at each hook, so a
        provider set later takes effect at the next transition or attempt."""
        return self._given or not isinstance(self._trace.get_tracer_provider(), self._quiet)

    def _inject(self, span_context: Any = None) -> str | None:
        carrier: dict[str, str] = {}
        self._w3c.inject(carrier, context=span_context)
        parent = carrier.get("traceparent")
        if parent is None:
            return None
        state = carrier.get("tracestate")
        return parent if not state else f"{parent}\n{state}"

    def _extract(self, trace: str | None) -> Any:
        if not trace:
            return None
        parent, _, state = trace.partition("\n")
        carrier = {"traceparent": parent}
        if state:
            carrier["tracestate"] = state
        return self._w3c.extract(carrier)

    @contextlib.contextmanager
    def start(self, workflow: str, instance_id: str) -> Iterator[str | None]:
        if not self._spans():
            yield None
            return
        attributes = {"wfc.workflow.name": workflow, "wfc.instance.id": instance_id}
        kind = self._trace.SpanKind.PRODUCER
        with self._tracer.start_as_current_span(f"wfc.start {workflow}", kind=kind, attributes=attributes):
            yield self._inject()

    @contextlib.contextmanager
    def transition(self, trace: str | None, workflow: str, instance_id: str, seq: int) -> Iterator[None]:
        if not self._spans():
            yield
            return
        attributes: dict[str, str | int] = {"wfc.workflow.name": workflow, "wfc.instance.id": instance_id,
                                            "wfc.transition": seq, "wfc.outcome": "suspended"}  # fmt: skip
        with self._tracer.start_as_current_span(
            f"wfc.workflow {workflow}", context=self._extract(trace), attributes=attributes
        ):
            yield

    def outcome(self, outcome: str) -> None:
        span = self._trace.get_current_span()
        span.set_attribute("wfc.outcome", outcome)
        if outcome == "failed":
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR))

    def current(self) -> str | None:
        return self._inject() if self._trace.get_current_span().get_span_context().is_valid else None

    @contextlib.contextmanager
    def attempt(
        self, trace: str | None, workflow: str, instance_id: str, step: str, attempt: int
    ) -> Iterator[Attempt]:
        attributes: dict[str, str | int] = {"wfc.workflow.name": workflow, "wfc.instance.id": instance_id,
                                            "wfc.step.name": step, "wfc.step.attempt": attempt}  # fmt: skip
        labels = {"wfc.workflow.name": workflow, "wfc.step.name": step}
        if not self._spans():  # the metrics still count (a meter provider may be set without a tracer provider)
            yield _Attempt(self, self._trace.INVALID_SPAN, labels)
            return
        # The exception is recorded by the runner (it knows whether it is retried); not again on exit.
        with self._tracer.start_as_current_span(
            step, context=self._extract(trace), attributes=attributes, record_exception=False,
            set_status_on_exception=False,
        ) as span:  # fmt: skip
            yield _Attempt(self, span, labels)

    def gauges(self, store: Store, now: Callable[[], float]) -> Callable[[], None]:
        from wfc.runtime import gauges

        return gauges.watch(self.meter, store, now)
