"""Tracing for the tests: an SDK TracerProvider installed and removed per test, and spans as JSON
lines in a file (for worker processes, which configure it at import when GOBLINS_TEST_SPANS
names the file).

The API caches the real tracer of the first provider it sees (in goblins/_tracing.py's module
tracer), so one provider serves the whole test process; "removing" it puts the API back to
its no-op default, which turns goblins' tracing off (``_tracing.live()`` is false).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

SPANS_ENV = "GOBLINS_TEST_SPANS"

_memory = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(_memory))


def install() -> InMemorySpanExporter:
    """Make the in-memory provider the global one (tracing on), its exporter emptied."""
    _memory.clear()
    _set(_provider)
    return _memory


@contextlib.contextmanager
def recording() -> Iterator[InMemorySpanExporter]:
    """Tracing on (the in-memory provider) for the block: the ``spans`` fixture of tests/conftest.py."""
    exporter = install()
    try:
        yield exporter
    finally:
        uninstall()


def uninstall() -> None:
    """Back to the API's no-op default: goblins makes no spans."""
    _set(None)


def _set(provider: TracerProvider | None) -> None:
    # The API sets its global provider once per process; tests switch it on and off.
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = provider


def span_dict(span: ReadableSpan) -> dict[str, Any]:
    """What the tests read of a span: names, ids as hex, its parent, attributes, status."""
    ctx = span.get_span_context()
    assert ctx is not None
    return {
        "name": span.name,
        "trace_id": f"{ctx.trace_id:032x}",
        "span_id": f"{ctx.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent is not None else None,
        "attributes": dict(span.attributes or {}),
        "status": span.status.status_code.name,
        "pid": os.getpid(),
    }


class JsonLinesExporter(SpanExporter):
    """Appends each span to ``path`` as one JSON line (O_APPEND: processes never interleave)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        data = "".join(json.dumps(span_dict(s)) + "\n" for s in spans).encode()
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        return SpanExportResult.SUCCESS


def configure_from_env() -> None:
    """In a worker process: export every span to the file $GOBLINS_TEST_SPANS, if set."""
    path = os.environ.get(SPANS_ENV)
    if not path:
        return
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(path)))
    trace.set_tracer_provider(provider)


def read_spans(path: str) -> list[dict[str, Any]]:
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []
