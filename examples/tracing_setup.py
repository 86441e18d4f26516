"""OpenTelemetry with wfc (docs/integration.md embeds this file; tests/integration/test_integration_doc.py runs it): configure
a tracer provider as usual, and the runtime's spans go to it."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import wfc

exporter = InMemorySpanExporter()  # in production: BatchSpanProcessor(OTLPSpanExporter()), or your vendor's
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)


@wfc.step
def greet(name: str) -> str:
    with trace.get_tracer("app").start_as_current_span("compose"):  # nests under the step's span
        return f"hello {name}"


@wfc.workflow(name="traced_greeting")
def greeting(name: str) -> wfc.Workflow[str]:
    return (yield from greet(name))


if __name__ == "__main__":
    with wfc.Runtime("sqlite:///:memory:") as rt:  # tracing=False turns the runtime's spans off
        with trace.get_tracer("app").start_as_current_span("request"):
            handle = rt.start(greeting, "ann")  # the instance joins the current trace
        print(rt.run_until_complete(handle))
    for span in exporter.get_finished_spans():
        print(span.name, dict(span.attributes or {}).get("wfc.outcome", ""))
