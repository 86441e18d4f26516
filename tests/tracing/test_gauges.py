"""The gauges ``wfc.instances`` and ``wfc.queue.depth``, collected by the SDK's in-memory metric reader from a real
runtime on SQLite and PostgreSQL: they move as instances start, retry, sleep, wait, get an event and end; a
series that drained reports 0; a ``wfc.Client`` on the same database in the same process is not counted twice;
none without tracing or after the runtime closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import wfc
from wfc.testing import FakeClock

from ..pg import schema_url
from . import flows


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gauges.db'}"
    else:
        with schema_url("gauges") as pg:
            yield pg


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch) -> InMemoryMetricReader:
    """A global meter provider of the test's own (the runtime's meter comes from the global one)."""
    import opentelemetry.metrics._internal as metrics_global

    reader = InMemoryMetricReader()
    monkeypatch.setattr(metrics_global, "_METER_PROVIDER", MeterProvider(metric_readers=[reader]))
    flows.ATTEMPTS.clear()
    return reader


def collect(reader: InMemoryMetricReader) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """One collection: ``{(workflow, state): instances}`` and ``{workflow: queue depth}``."""
    points: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for rm in data.resource_metrics if data is not None else ():
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                points[metric.name] = list(metric.data.data_points)
    instances = {
        (p.attributes["wfc.workflow.name"], p.attributes["wfc.instance.state"]): p.value
        for p in points.get("wfc.instances", [])
    }
    queue = {p.attributes["wfc.workflow.name"]: p.value for p in points.get("wfc.queue.depth", [])}
    return instances, queue


def test_the_gauges_follow_the_instances(url: str, reader: InMemoryMetricReader) -> None:
    clock = FakeClock()
    with wfc.Runtime(url, clock=clock) as rt:
        assert collect(reader) == ({}, {})
        parents = [rt.start(flows.parent, key) for key in ("a", "b")]
        with wfc.Client(url, clock=clock) as client:  # the same database: read once
            waiting = client.start("trace_wait", "w").id
            assert collect(reader) == ({("trace_parent", "running"): 2, ("trace_wait", "running"): 1},
                                       {"trace_parent": 2, "trace_wait": 1})  # fmt: skip
        rt.run_until_idle()  # flaky fails once (retried in 1s, still running); the other one waits for its event
        assert collect(reader) == (
            {("trace_parent", "running"): 2, ("trace_wait", "running"): 0, ("trace_wait", "waiting"): 1},
            {"trace_parent": 0, "trace_wait": 0},
        )  # fmt: skip
        clock.advance(5)
        assert collect(reader)[1] == {"trace_parent": 2, "trace_wait": 0}  # the retries are due
        rt.run_until_idle()  # flaky, the child, record: then a sleep of 10s
        assert collect(reader) == (
            {
                ("trace_parent", "running"): 0,
                ("trace_parent", "sleeping"): 2,
                ("trace_wait", "running"): 0,
                ("trace_wait", "waiting"): 1,
            },
            {"trace_parent": 0, "trace_wait": 0},
        )  # fmt: skip  (the child started and ended inside that run: never collected)
        rt.send_event(waiting, "go", "!")
        assert collect(reader)[1] == {"trace_parent": 0, "trace_wait": 1}
        clock.advance(10)
        assert collect(reader)[1] == {"trace_parent": 2, "trace_wait": 1}
        for _ in range(10):
            rt.run_until_idle()
            clock.advance(5)
        assert [rt.result(h) for h in parents] == ["A:1", "B:1"] and rt.result(waiting) == "w!"
        instances, queue = collect(reader)
        assert set(instances.values()) == {0} and set(queue.values()) == {0}  # drained: 0, not gone
    assert collect(reader) == ({}, {})  # closed: nothing of it is read


def test_no_gauges_without_tracing(tmp_path: Path, reader: InMemoryMetricReader) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path / 'off.db'}", clock=FakeClock(), tracing=False) as rt:
        rt.start(flows.waits, "x")
        assert collect(reader) == ({}, {})


def test_runtimes_on_two_databases_add_up(tmp_path: Path, reader: InMemoryMetricReader) -> None:
    with (
        wfc.Runtime(clock=FakeClock()) as one,
        wfc.Runtime(clock=FakeClock()) as two,
    ):  # two in-memory databases
        one.start(flows.waits, "x")
        two.start(flows.waits, "y")
        assert collect(reader) == ({("trace_wait", "running"): 2}, {"trace_wait": 2})
