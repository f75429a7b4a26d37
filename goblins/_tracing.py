"""OpenTelemetry tracing: the spans goblins makes and how their context crosses processes.

goblins uses only the OpenTelemetry *API* (``opentelemetry.trace.get_tracer("goblins")``): with
no SDK ``TracerProvider`` set up, :func:`live` is false and no span is made at all (the hooks
cost one check). With one set up, a run is one trace:

- ``StartWorkflow:<name>`` (client) — its W3C trace context is recorded with the start (the
  ``trace_context`` of the start request and of the run's WORKFLOW_SCHEDULED event), so any
  worker, in any process, at any later time, continues the same trace;
- ``WorkflowTask:<name>`` (worker) — one per workflow task the server hands out, child of the
  start. A task that replays the history from the start is still one span: the steps it
  replays made their spans when they first ran;
- ``StartChildWorkflow:<name>`` (worker) — for each child a task starts; the child run's
  spans are its children;
- ``RunActivity:<name>`` (worker) — one per activity attempt, child of the workflow task that
  scheduled the activity (the context travels on the schedule command, the recorded event and
  every attempt's task);
- ``SignalWorkflow:<name>`` (client) — child of the caller's current span, else of the start
  span of the handle's run when this client started it.

The server stores the context as an opaque ``map<string, string>``; it never imports
OpenTelemetry. See docs/tracing.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import ProxyTracerProvider, Span, SpanKind, Status, StatusCode

TRACER_NAME = "goblins"
_tracer = trace.get_tracer(TRACER_NAME)
_NOOP = (ProxyTracerProvider, trace.NoOpTracerProvider)


def live() -> bool:
    """Whether spans are recorded: an SDK (or other) TracerProvider was set up. This check is
    all that a run pays when tracing is off: one read of the API's global (its public getter
    also reads os.environ on every call, ten times the cost)."""
    provider = trace._TRACER_PROVIDER
    if provider is None:
        if not _PROVIDER_FROM_ENV:
            return False
        provider = trace.get_tracer_provider()  # loads the provider the variable names, once
    return not isinstance(provider, _NOOP)


_PROVIDER_FROM_ENV = "OTEL_PYTHON_TRACER_PROVIDER" in os.environ


def inject(carrier: MutableMapping[str, str], ctx: otel_context.Context | None = None) -> None:
    """Write the trace context of ``ctx`` (default: the current one) into ``carrier`` with the
    configured propagators (W3C traceparent/tracestate by default)."""
    propagate.inject(carrier, context=ctx)


def extract(carrier: Mapping[str, str]) -> otel_context.Context:
    """The context a carrier written by :func:`inject` names (an empty context for none)."""
    return propagate.extract(carrier) if carrier else otel_context.Context()


def start_span(
    name: str,
    parent: otel_context.Context | None,
    attributes: Mapping[str, Any],
    kind: SpanKind = SpanKind.INTERNAL,
    start_time: int | None = None,
) -> Span:
    """A started span (end it), child of the span in ``parent`` (None: the current context)."""
    return _tracer.start_span(name, context=parent, kind=kind, attributes=attributes, start_time=start_time)


def fail(span: Span, error_type: str, error: str) -> None:
    """Mark ``span`` as ended in error, with the error's type and message."""
    span.set_status(Status(StatusCode.ERROR, error))
    span.set_attribute("error.type", error_type or "Error")


def has_current_span() -> bool:
    """Whether the caller runs inside a (valid) span: then client spans are its children."""
    return trace.get_current_span().get_span_context().is_valid


@contextmanager
def client_span(
    name: str, attributes: Mapping[str, Any], carrier: MutableMapping[str, str] | None, fallback: Mapping[str, str]
) -> Iterator[Span]:
    """A client call's span: child of the current span, else of ``fallback`` (a carrier); its
    context is injected into ``carrier`` (what the server records). Errors mark it failed."""
    parent = None if has_current_span() or not fallback else extract(fallback)
    span = start_span(name, parent, attributes, SpanKind.CLIENT)
    try:
        if carrier is not None:
            inject(carrier, trace.set_span_in_context(span))
        yield span
    except BaseException as exc:
        fail(span, type(exc).__name__, str(exc))
        raise
    finally:
        span.end()


# ---- the worker's spans ----


def workflow_task(
    task: Any, instance: Any, began: int, commands: Sequence[Any], failure: tuple[str, str] | None, replay: bool
) -> None:
    """The span of one workflow task (``task``: a WorkflowTask) that began at ``began`` (ns)
    and ended now with ``commands`` or ``failure``; its parent is the trace context recorded
    with the run's start (read once per ``instance``, a WorkflowInstance). The commands that
    start work elsewhere carry the task's context: an activity's attempts are its children; a
    child workflow gets a ``StartChildWorkflow`` span of its own."""
    if instance.trace_parent is None:
        instance.trace_parent = extract(instance.trace_context)
    attributes = {"goblins.run_id": task.run_id, "goblins.replay": replay}
    span = start_span(f"WorkflowTask:{task.workflow_name}", instance.trace_parent, attributes, start_time=began)
    ctx = trace.set_span_in_context(span)
    carrier: dict[str, str] = {}
    for command in commands:
        kind = command.WhichOneof("kind")
        if kind == "schedule_activity":
            if not carrier:
                inject(carrier, ctx)
            command.schedule_activity.trace_context.update(carrier)
        elif kind == "start_child_workflow":
            c = command.start_child_workflow
            child_attributes = {"goblins.run_id": task.run_id, "goblins.child_run_id": c.child_run_id}
            child = start_span(f"StartChildWorkflow:{c.workflow_name}", ctx, child_attributes)
            inject(c.trace_context, trace.set_span_in_context(child))
            child.end()
    if failure is not None:
        fail(span, *failure)
    span.end()


def activity_attempt(task: Any) -> tuple[Span, object]:
    """The span of an activity attempt (``task``: an ActivityTask), made current (its code's
    own spans are its children): end it with :func:`end_attempt`."""
    # Few attributes: the SDK checks each one, at a cost near a span's own on a busy worker.
    attributes = {"goblins.run_id": task.run_id, "goblins.step_id": task.step_id, "goblins.attempt": task.attempt}
    span = start_span(f"RunActivity:{task.activity_name}", extract(task.trace_context), attributes)
    return span, otel_context.attach(trace.set_span_in_context(span))


def end_attempt(span: Span, token: object, result: Any) -> None:
    """End an attempt's span with its ``result`` (an ActivityResult)."""
    otel_context.detach(token)  # type: ignore[arg-type]
    if not result.ok:
        fail(span, result.error_type, result.error)
    span.end()
