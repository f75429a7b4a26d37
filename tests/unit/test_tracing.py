"""goblins/_tracing.py's helpers (the trace context in a carrier, the worker's spans) and the
replay-safe workflow logger, without a server."""

from __future__ import annotations

import logging
import types

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import goblins
from goblins import _tracing, converter, wire
from goblins._definitions import workflow_definition
from goblins._runtime import WorkflowInstance
from goblins.api import v1 as pb


def test_no_provider_means_no_tracing() -> None:
    assert not _tracing.live()


def test_a_provider_turns_tracing_on(spans: InMemorySpanExporter) -> None:
    assert _tracing.live()


def test_inject_then_extract_names_the_same_span(spans: InMemorySpanExporter) -> None:
    carrier: dict[str, str] = {}
    with trace.get_tracer("tests").start_as_current_span("outer") as span:
        _tracing.inject(carrier)
    ctx = span.get_span_context()
    assert carrier["traceparent"].startswith(f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-")
    parent = trace.get_current_span(_tracing.extract(carrier)).get_span_context()
    assert (parent.trace_id, parent.span_id, parent.is_remote) == (ctx.trace_id, ctx.span_id, True)


def test_an_empty_carrier_is_no_parent() -> None:
    assert not trace.get_current_span(_tracing.extract({})).get_span_context().is_valid


def test_a_workflow_task_span_passes_its_context_to_what_it_starts(spans: InMemorySpanExporter) -> None:
    started: dict[str, str] = {}
    with trace.get_tracer("tests").start_as_current_span("start") as start:
        _tracing.inject(started)
    task = pb.WorkflowTask(task_id="t", run_id="r", workflow_name="wf")
    commands = [
        pb.Command(schedule_activity=pb.ScheduleActivity(step_id="r/1", activity_name="a")),
        pb.Command(schedule_activity=pb.ScheduleActivity(step_id="r/2", activity_name="a")),
        pb.Command(start_child_workflow=pb.StartChildWorkflow(step_id="r/3", workflow_name="kid", child_run_id="r/3")),
    ]
    instance = types.SimpleNamespace(trace_context=started, trace_parent=None)
    _tracing.workflow_task(task, instance, 1, commands, ("ValueError", "ValueError: no"), False)
    by_name = {s.name: s for s in spans.get_finished_spans()}
    wf, child = by_name["WorkflowTask:wf"], by_name["StartChildWorkflow:kid"]
    assert wf.parent is not None and wf.parent.span_id == start.get_span_context().span_id
    assert wf.context is not None and child.context is not None and child.parent == wf.context
    assert wf.status.status_code == trace.StatusCode.ERROR and wf.attributes == {
        "goblins.run_id": "r",
        "goblins.replay": False,
        "error.type": "ValueError",
    }
    assert wf.start_time == 1
    traceparent = f"00-{wf.context.trace_id:032x}-{wf.context.span_id:016x}-"
    assert all(c.schedule_activity.trace_context["traceparent"].startswith(traceparent) for c in commands[:2])
    kid = commands[2].start_child_workflow.trace_context["traceparent"]
    assert kid.startswith(f"00-{child.context.trace_id:032x}-{child.context.span_id:016x}-")


@goblins.activity
async def noop() -> None:
    pass


@goblins.workflow(name="logs")
async def logs() -> None:
    goblins.workflow.logger.info("before")
    await goblins.workflow.execute_activity(noop)
    goblins.workflow.logger.info("after")


def _history() -> list[pb.HistoryEvent]:
    run = "run-1"
    return [
        wire.history_event("WORKFLOW_SCHEDULED", run_id=run, seq=1, workflow_name="logs", input=converter.encode([])),
        wire.history_event("WORKFLOW_STARTED", run_id=run, seq=2),
        wire.history_event("ACTIVITY_SCHEDULED", run_id=run, seq=3, step_id=f"{run}/1", activity_name="noop"),
        wire.history_event("ACTIVITY_STARTED", run_id=run, seq=4, step_id=f"{run}/1", activity_name="noop", attempt=1),
        wire.history_event(
            "ACTIVITY_FINISHED_IN_SUCCESS", run_id=run, seq=5, step_id=f"{run}/1", activity_name="noop", attempt=1
        ),
    ]


def _replay(replay_through: int, upto: int = 5) -> None:
    defn = workflow_definition(logs)
    assert defn is not None
    instance = WorkflowInstance("run-1", defn)  # type: ignore[abstract]
    instance.replay_through = replay_through
    instance.saw_later([e for e in _history() if e.seq > upto])
    completion = instance.activate([e for e in _history() if e.seq <= upto])
    assert completion.failure is None, completion.failure


def test_the_workflow_logger_is_silent_for_code_that_ran_before(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="goblins.workflow")
    _replay(0)  # "before" ran when the activity was scheduled (seq 3): a replay; "after" is new
    assert [(r.getMessage(), r.step, r.run_id, r.workflow) for r in caplog.records] == [  # type: ignore[attr-defined]
        ("after", 1, "run-1", "logs")
    ]
    caplog.clear()
    _replay(5)  # the server says a completed task saw seq 5: "after" ran already too
    assert caplog.records == []
    _replay(0, upto=2)  # a stale task (up to seq 2) whose run has moved on: "before" ran already
    assert caplog.records == []


def test_the_loggers_log_plainly_outside_workflows_and_activities(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    goblins.workflow.logger.info("w")
    goblins.activity.logger.info("a")
    assert [(r.name, r.getMessage(), getattr(r, "run_id", None)) for r in caplog.records] == [
        ("goblins.workflow", "w", None),
        ("goblins.activity", "a", None),
    ]
