"""``python -m tests.tracing.late_provider DB``: a runtime made before the application sets a global tracer
provider records no spans (it skips the API's non-recording ones), and records them from the next transition
once the provider is set. Prints one JSON line: the span names seen before and after."""

from __future__ import annotations

import json
import sys

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import wfc

from . import flows


def main(db: str) -> None:
    with wfc.Runtime(f"sqlite:///{db}") as rt:
        quiet = not rt.tracing._spans()  # what the hooks decide, before any provider
        first = rt.run_until_complete(rt.start(flows.child, "ab", id="before"))
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)  # as an application that configures tracing after start-up
        second = rt.run_until_complete(rt.start(flows.child, "cde", id="after"))
    spans = exporter.get_finished_spans()
    print(json.dumps({
        "quiet_before": quiet, "results": [first, second],
        "ids": sorted({str(s.attributes["wfc.instance.id"]) for s in spans if "wfc.instance.id" in (s.attributes or {})}),
        "names": sorted({s.name for s in spans}),
    }))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1])
