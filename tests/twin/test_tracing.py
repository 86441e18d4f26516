"""``wfc.testing`` makes the spans ``wfc.Runtime`` makes (runtime/tracing.py): the same names and attributes, the
same parents, one trace per run with children in it, read from the SDK's in-memory exporter of a provider given
to each runner; none with ``tracing=False``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import wfc
from wfc.testing import Event, FakeClock

from .harness import ID


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=1.5, jitter=0))
def flaky(n: int) -> int:
    if wfc.step_context().attempt == 1:
        raise ConnectionError("once")
    return n


@wfc.step
def boom(n: int) -> int:
    raise ValueError(f"boom {n}")


@wfc.workflow
def traced_child(n: int) -> Any:
    return (yield flaky(n))


@wfc.workflow
def traced(n: int) -> Any:
    a = yield flaky(n)
    b = yield wfc.all_of(traced_child(n + 1), wfc.wait_event("go", timeout=30))
    try:
        yield boom(n)
    except ValueError:
        pass
    yield wfc.sleep(0)  # decided at once: the same transition span goes on
    return [a, b]


def _provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _shape(spans: list[ReadableSpan]) -> Counter[tuple[Any, ...]]:
    """Each span as (name, attributes, its parent's name, status, recorded exception types), counted."""
    by_id = {s.context.span_id: s for s in spans}
    out: Counter[tuple[Any, ...]] = Counter()
    for s in spans:
        parent = by_id.get(s.parent.span_id) if s.parent is not None else None
        exceptions = tuple(e.attributes.get("exception.type") for e in s.events if e.attributes)
        out[(s.name, tuple(sorted((s.attributes or {}).items())), parent.name if parent else None,
             s.status.status_code.name, exceptions)] += 1  # fmt: skip
    return out


def test_both_runners_make_the_same_spans() -> None:
    memory, memory_spans = _provider()
    result = wfc.testing.execute(traced, 2, events=[Event("go", 1, at=4.0)], workflow_id=ID, tracing=memory)
    assert result.value == [2, (3, 1)]

    durable, durable_spans = _provider()
    clock = FakeClock()
    with wfc.Runtime("sqlite:///:memory:", clock=clock, tracing=durable, max_parallelism=1) as rt:
        h = rt.start(traced, 2, id=ID)
        rt.run_until_idle()
        clock.advance(4)
        rt.send_event(h, "go", 1)
        assert rt.run_until_complete(h) == [2, (3, 1)]

    got, want = _shape(list(durable_spans.get_finished_spans())), _shape(list(memory_spans.get_finished_spans()))
    assert got == want, f"durable only: {got - want}\nin memory only: {want - got}"
    spans = list(memory_spans.get_finished_spans())
    assert len({s.context.trace_id for s in spans}) == 1, "one trace, the child's spans in it"
    assert {s.name for s in spans} >= {"wfc.start traced", "wfc.workflow traced", "wfc.workflow traced_child",
                                       "flaky", "boom"}  # fmt: skip


def test_no_spans_with_tracing_off() -> None:
    provider, exporter = _provider()
    wfc.testing.execute(traced, 2, events=[Event("go", 1)], tracing=False)
    assert exporter.get_finished_spans() == ()
    del provider
