"""``python -m tests.tracing.restart DB SPANS PHASE``: one process of a traced run that a restart interrupts, its
spans written to SPANS (one JSON object a line: name, trace id, span id, parent span id, attributes). ``start``
starts ``trace_parent`` inside a span of its own and exits; ``finish`` (a fresh process, another provider) runs
it to the end."""

from __future__ import annotations

import json
import sys

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import wfc
from wfc.testing import FakeClock

from . import flows


def main(db: str, out: str, phase: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # the global provider, as an application configures it
    clock = FakeClock()
    with wfc.Runtime(f"sqlite:///{db}", clock=clock) as rt:
        if phase == "start":
            with trace.get_tracer("app").start_as_current_span("request"):
                rt.start(flows.parent, "pq", id="traced")
        else:
            for _ in range(10):
                rt.run_until_idle()
                clock.advance(5)
            print(rt.result("traced"))
    with open(out, "a") as f:
        for s in exporter.get_finished_spans():
            record = {"name": s.name, "trace": s.context.trace_id, "span": s.context.span_id,
                      "parent": s.parent.span_id if s.parent else None, "attributes": dict(s.attributes or {})}  # fmt: skip
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
