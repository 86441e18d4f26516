"""OpenTelemetry spans from the durable runtime, read from the SDK's in-memory exporter: the start span and the
trace context persisted with the instance, a span per transition and per step attempt with the attributes users
filter by, users' spans nested in the step's, child workflows in their parent's trace, and the same trace after
a restart (another runtime on the same database) and from ``wfc.Client``; none with ``tracing=False``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import wfc
from wfc.runtime import tracing
from wfc.testing import FakeClock

from ..pg import schema_url
from . import flows


class Spans:
    """A tracer provider of its own (not the global one) and what it exported."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def all(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.all() if s.name == name]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'traced.db'}"
    else:
        with schema_url("tracing") as pg:
            yield pg


@pytest.fixture(autouse=True)
def app_spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spans]:
    """The steps' own spans go to the global provider (``trace.get_tracer`` in flows.py): one set for the test."""
    spans = Spans()
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", spans.provider)
    flows.ATTEMPTS.clear()
    yield spans


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def run_parent(rt: wfc.Runtime, clock: FakeClock, h: str) -> str:
    for _ in range(10):
        rt.run_until_idle()
        clock.advance(5)
    return rt.result(h)  # type: ignore[no-any-return]


def test_spans_of_an_instance(url: str, app_spans: Spans) -> None:
    spans = Spans()
    clock = FakeClock()
    with wfc.Runtime(url, clock=clock, tracing=spans.provider) as rt:
        with trace.get_tracer("app").start_as_current_span("request") as request:
            h = rt.start(flows.parent, "ab")
        assert run_parent(rt, clock, h) == "AB:2"
    trace_id = request.get_span_context().trace_id
    (start,) = spans.named("wfc.start trace_parent")
    assert start.parent is not None and start.parent.span_id == request.get_span_context().span_id
    assert attrs(start) == {"wfc.workflow.name": "trace_parent", "wfc.instance.id": h}
    mine = spans.all()
    assert {s.context.trace_id for s in mine} == {trace_id}, (
        "every span of the instance is in the caller's trace"
    )

    flaky = spans.named("flaky")
    assert [attrs(s)["wfc.step.attempt"] for s in flaky] == [1, 2]
    assert [attrs(s)["wfc.outcome"] for s in flaky] == ["retry", "ok"]
    for s in flaky:
        assert s.parent is not None and s.parent.span_id == start.context.span_id
        assert attrs(s)["wfc.instance.id"] == h and attrs(s)["wfc.workflow.name"] == "trace_parent"
        assert attrs(s)["wfc.step.name"] == "flaky"
    (event,) = flaky[0].events
    assert event.name == "exception" and event.attributes is not None
    assert event.attributes["exception.type"] == "ConnectionError"
    (failed,) = spans.named("boom")
    assert attrs(failed)["wfc.outcome"] == "failed" and failed.status.status_code == trace.StatusCode.ERROR
    (tx,) = spans.named("record")
    assert attrs(tx)["wfc.outcome"] == "ok"

    # The steps' own spans nest under their attempt's span (sync, async, transactional).
    by_id = {s.context.span_id: s for s in mine}
    inners = [s for s in app_spans.all() if s.name.startswith("inside ")]
    assert {s.name for s in inners} == {"inside flaky", "inside fetch", "inside record"}
    for inner in inners:
        assert inner.context.trace_id == trace_id
        assert inner.parent is not None and by_id[inner.parent.span_id].name == inner.name.removeprefix(
            "inside "
        )
    assert len(app_spans.named("inside flaky")) == 2

    transitions = [s for s in spans.named("wfc.workflow trace_parent")]
    assert transitions and all(s.parent and s.parent.span_id == start.context.span_id for s in transitions)
    assert [attrs(s)["wfc.outcome"] for s in transitions][-1] == "completed"
    assert all(attrs(s)["wfc.outcome"] == "suspended" for s in transitions[:-1])
    # The child workflow's spans continue the trace from the parent's transition that started it.
    (fetch,) = spans.named("fetch")
    assert attrs(fetch)["wfc.workflow.name"] == "trace_child" and attrs(fetch)["wfc.instance.id"] == f"{h}/2"
    assert fetch.parent is not None and by_id[fetch.parent.span_id].name == "wfc.workflow trace_parent"


def test_a_restarted_worker_continues_the_trace(url: str) -> None:
    first, second = Spans(), Spans()
    clock = FakeClock()
    with wfc.Runtime(url, clock=clock, tracing=first.provider) as rt:
        h = rt.start(flows.parent, "xy")  # started, nothing run: the trace context is only in the database
    (start,) = first.named("wfc.start trace_parent")
    with wfc.Runtime(url, clock=clock, tracing=second.provider) as rt:  # another process, after a restart
        assert run_parent(rt, clock, h) == "XY:2"
    later = second.all()
    assert later and {s.context.trace_id for s in later} == {start.context.trace_id}
    assert all(s.parent is not None for s in later)
    for s in second.named("flaky") + second.named("wfc.workflow trace_parent"):
        assert s.parent is not None and s.parent.span_id == start.context.span_id


def test_a_client_start_is_the_root_of_the_instances_trace(url: str) -> None:
    client_spans, worker_spans = Spans(), Spans()
    clock = FakeClock()
    with wfc.Client(url, clock=clock, tracing=client_spans.provider) as client:
        h = client.start("trace_parent", "cd")
    (start,) = client_spans.named("wfc.start trace_parent")
    with wfc.Runtime(url, clock=clock, tracing=worker_spans.provider) as rt:
        assert run_parent(rt, clock, h.id) == "CD:2"
    assert {s.context.trace_id for s in worker_spans.all()} == {start.context.trace_id}


def test_tracing_off(tmp_path: Path, app_spans: Spans) -> None:
    clock = FakeClock()
    with wfc.Runtime(f"sqlite:///{tmp_path / 'off.db'}", clock=clock, tracing=False) as rt:
        assert rt.tracing is tracing.NOOP
        h = rt.start(flows.parent, "ab")
        assert run_parent(rt, clock, h) == "AB:2"
        assert rt.store.get_instance(h).trace is None  # type: ignore[union-attr]
    # The steps' own spans still go to their provider, as roots: wfc made none.
    assert app_spans.all() and all(s.parent is None for s in app_spans.all())


def test_without_opentelemetry_tracing_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "opentelemetry" or m.startswith("opentelemetry.")]:
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]
    assert tracing.create(True) is tracing.NOOP
    with wfc.Runtime(clock=FakeClock()) as rt:
        assert rt.tracing is tracing.NOOP


def test_a_worker_traces_its_threads_and_event_loop(tmp_path: Path, app_spans: Spans) -> None:
    spans = Spans()
    with wfc.Runtime(f"sqlite:///{tmp_path / 'w.db'}", tracing=spans.provider) as rt:
        h = rt.start(flows.on_a_worker, "abc")
        worker = rt.worker(concurrency=2)
        worker.run_in_thread()
        try:
            assert wfc.Client(rt.store.url).result(h, timeout=60) == 3
        finally:
            worker.stop()
    (start,) = spans.named("wfc.start trace_worker")
    by_id = {s.context.span_id: s for s in spans.all()}
    for name in ("plain", "fetch", "record"):
        (step,) = spans.named(name)
        assert step.parent is not None and step.parent.span_id == start.context.span_id
        (inner,) = app_spans.named(f"inside {name}")
        assert inner.parent is not None and by_id[inner.parent.span_id] is step


@pytest.mark.slow
def test_the_trace_survives_a_process_restart(tmp_path: Path) -> None:
    """Two processes, each with its own global tracer provider: the second one's spans continue the trace the
    first one's request started, from nothing but the database."""
    import json
    import subprocess

    root = Path(__file__).resolve().parents[2]
    db, out = tmp_path / "restart.db", tmp_path / "spans.jsonl"
    outputs = []
    for phase in ("start", "finish"):
        done = subprocess.run([sys.executable, "-m", "tests.tracing.restart", str(db), str(out), phase], cwd=root,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        outputs.append(done.stdout.strip())
    assert outputs[1] == "PQ:2"
    spans = [json.loads(line) for line in out.read_text().splitlines()]
    (request,) = [s for s in spans if s["name"] == "request"]
    (start,) = [s for s in spans if s["name"] == "wfc.start trace_parent"]
    assert start["parent"] == request["span"]
    later = spans[spans.index(start) + 1 :]
    assert {s["trace"] for s in spans} == {request["trace"]}
    steps = [s for s in later if s["name"] in ("flaky", "record", "boom")]
    assert [s["name"] for s in steps] == ["flaky", "flaky", "record", "boom"]
    assert all(s["parent"] == start["span"] and s["attributes"]["wfc.instance.id"] == "traced" for s in steps)


def test_step_metrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import opentelemetry.metrics._internal as metrics_global
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    monkeypatch.setattr(metrics_global, "_METER_PROVIDER", MeterProvider(metric_readers=[reader]))
    clock = FakeClock()
    with wfc.Runtime(f"sqlite:///{tmp_path / 'm.db'}", clock=clock, tracing=Spans().provider) as rt:
        assert run_parent(rt, clock, rt.start(flows.parent, "mm")) == "MM:2"
    data = reader.get_metrics_data()
    assert data is not None
    points: dict[str, list[Any]] = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                points[metric.name] = list(metric.data.data_points)

    def count(name: str, **labels: str) -> int:
        return sum(
            p.value for p in points.get(name, []) if all(p.attributes.get(k) == v for k, v in labels.items())
        )

    step = "wfc.step.name"
    assert count("wfc.steps.started", **{step: "flaky"}) == 2
    assert count("wfc.steps.completed", **{step: "flaky"}) == 1
    assert count("wfc.steps.failed", **{step: "flaky", "wfc.outcome": "retry"}) == 1
    assert count("wfc.steps.failed", **{step: "boom", "wfc.outcome": "failed"}) == 1
    assert count("wfc.steps.completed", **{step: "fetch", "wfc.workflow.name": "trace_child"}) == 1
    durations = [p for p in points["wfc.step.duration"] if p.attributes.get(step) == "flaky"]
    assert sum(p.count for p in durations) == 2


def test_no_spans_are_made_until_the_application_sets_a_provider(tmp_path: Path) -> None:
    # Without a provider the API makes non-recording spans, which cost a fifth of a step's CPU for nothing: the
    # runtime skips them, and records from the next transition once the application sets a global provider.
    import json
    import subprocess

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "tests.tracing.late_provider", str(tmp_path / "late.db")],
        cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["quiet_before"] is True and seen["results"] == [2, 3]
    assert seen["ids"] == ["after"]  # nothing of the instance run before the provider was set
    assert {"wfc.start trace_child", "wfc.workflow trace_child", "fetch"} <= set(seen["names"])
