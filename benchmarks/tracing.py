"""``--tracing``: every benchmark process (the runner's clients, each worker) records spans with
the OpenTelemetry SDK, as a production setup would (a BatchSpanProcessor), into an exporter
that drops them: the figures show what goblins' spans cost, not an exporter's network."""

from __future__ import annotations

import os
from collections.abc import Sequence

ENV = "GOBLINS_BENCH_TRACING"


def configure() -> bool:
    """Set up the SDK's TracerProvider when $GOBLINS_BENCH_TRACING is set; whether it did."""
    if not os.environ.get(ENV):
        return False
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Drop(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Drop()))
    trace.set_tracer_provider(provider)
    return True
