"""OpenTelemetry spans of a run, captured with the SDK's in-memory exporter: one trace from the
client's start through workflow tasks, activity attempts, signals and children; a worker that
replays the run after a restart makes no span twice; goblins.workflow.logger stays silent
during replay (issue 12, tracing)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import goblins
from goblins._logs import JsonFormatter
from tests import tracing_support
from tests.conftest import StartWorker

FAST = goblins.RetryPolicy(initial_interval=0.01, maximum_attempts=3)


@goblins.activity
async def traced_step(x: int) -> int:
    with trace.get_tracer("tests").start_as_current_span("inside-activity"):
        goblins.activity.logger.info("activity step %d", x)
        return x + 1


@goblins.workflow(name="traced")
async def traced(x: int) -> int:
    goblins.workflow.logger.info("before step 1")
    a = await goblins.workflow.execute_activity(traced_step, x, retry_policy=FAST, start_to_close_timeout=10)
    goblins.workflow.logger.info("after step 1")
    extra = await goblins.workflow.wait_for_signal("go")
    b = await goblins.workflow.execute_activity(traced_step, a + int(extra), start_to_close_timeout=10)
    goblins.workflow.logger.info("after step 2")
    return b


@goblins.workflow(name="traced_parent")
async def traced_parent(x: int) -> int:
    return int(await goblins.workflow.execute_child(traced_child, x)) * 10


@goblins.workflow(name="traced_child")
async def traced_child(x: int) -> int:
    return int(await goblins.workflow.execute_activity(traced_step, x, retry_policy=FAST, start_to_close_timeout=10))


def finished(exporter: InMemorySpanExporter) -> list[dict[str, Any]]:
    return [tracing_support.span_dict(s) for s in exporter.get_finished_spans()]


def named(spans: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [s for s in spans if s["name"].startswith(prefix)]


async def wait_for_step(handle: goblins.WorkflowHandle[Any], kind: str, count: int) -> None:
    for _ in range(500):
        if sum(e.type.value == kind for e in await handle.history()) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {count} {kind} events")


async def test_a_run_with_two_activities_and_a_signal_is_one_trace(
    spans: InMemorySpanExporter, start_worker: StartWorker, client: goblins.Client
) -> None:
    await start_worker(workflows=[traced], activities=[traced_step])
    handle = await client.start_workflow(traced, 1)
    await wait_for_step(handle, "ACTIVITY_FINISHED_IN_SUCCESS", 1)
    await handle.signal("go", 5)
    assert await handle.result(timeout=10) == 8
    got = finished(spans)

    assert len({s["trace_id"] for s in got}) == 1, got
    [start] = named(got, "StartWorkflow:traced")
    assert start["parent_id"] is None and start["attributes"]["goblins.run_id"] == handle.run_id
    tasks = named(got, "WorkflowTask:traced")
    assert len(tasks) >= 3 and all(t["parent_id"] == start["span_id"] for t in tasks)
    assert all(t["attributes"]["goblins.run_id"] == handle.run_id for t in tasks)
    assert not any(t["attributes"]["goblins.replay"] for t in tasks)  # one worker, the run cached
    activities = named(got, "RunActivity:traced_step")
    assert [a["attributes"]["goblins.attempt"] for a in activities] == [1, 1]
    task_ids = {t["span_id"] for t in tasks}
    assert all(a["parent_id"] in task_ids for a in activities)
    assert activities[0]["parent_id"] != activities[1]["parent_id"]  # scheduled by different tasks
    inside = named(got, "inside-activity")
    assert sorted(i["parent_id"] for i in inside) == sorted(a["span_id"] for a in activities)
    [signal] = named(got, "SignalWorkflow:go")
    assert signal["parent_id"] == start["span_id"]  # no current span: the handle's run's trace


async def test_a_client_span_is_the_root_and_a_child_run_continues_the_trace(
    spans: InMemorySpanExporter, start_worker: StartWorker, client: goblins.Client
) -> None:
    await start_worker(workflows=[traced_parent, traced_child], activities=[traced_step])
    with trace.get_tracer("tests").start_as_current_span("caller") as caller:
        assert await client.execute_workflow(traced_parent, 4) == 50
    got = finished(spans)
    assert {s["trace_id"] for s in got} == {f"{caller.get_span_context().trace_id:032x}"}
    [start] = named(got, "StartWorkflow:traced_parent")
    assert start["parent_id"] == f"{caller.get_span_context().span_id:016x}"
    [child_start] = named(got, "StartChildWorkflow:traced_child")
    assert child_start["parent_id"] in {t["span_id"] for t in named(got, "WorkflowTask:traced_parent")}
    child_tasks = named(got, "WorkflowTask:traced_child")
    assert child_tasks and all(t["parent_id"] == child_start["span_id"] for t in child_tasks)
    [activity] = named(got, "RunActivity:traced_step")
    assert activity["parent_id"] in {t["span_id"] for t in child_tasks}


async def test_a_replay_on_a_new_worker_makes_no_span_or_log_line_twice(
    spans: InMemorySpanExporter, start_worker: StartWorker, client: goblins.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="goblins.workflow")
    first = await start_worker(workflows=[traced], activities=[traced_step])
    handle = await client.start_workflow(traced, 1)
    await wait_for_step(handle, "ACTIVITY_FINISHED_IN_SUCCESS", 1)
    await asyncio.sleep(0.2)  # the task that reads the result waits for the signal
    await first.shutdown()
    await start_worker(workflows=[traced], activities=[traced_step])  # a cold cache: it replays
    await handle.signal("go", 5)
    assert await handle.result(timeout=10) == 8

    got = finished(spans)
    assert len({s["trace_id"] for s in got}) == 1
    assert len(named(got, "RunActivity:traced_step")) == 2
    replays = [t for t in named(got, "WorkflowTask:traced") if t["attributes"]["goblins.replay"]]
    assert replays, "the second worker replayed the history"

    records = [r for r in caplog.records if r.name == "goblins.workflow"]
    assert [r.getMessage() for r in records] == ["before step 1", "after step 1", "after step 2"]
    assert [r.step for r in records] == [0, 1, 2]  # type: ignore[attr-defined]
    assert {(r.run_id, r.workflow) for r in records} == {(handle.run_id, "traced")}  # type: ignore[attr-defined]
    line = json.loads(JsonFormatter().format(records[-1]))
    assert (line["run_id"], line["workflow"], line["step"]) == (handle.run_id, "traced", 2)


async def test_activity_logger_records_carry_the_attempt(
    start_worker: StartWorker, client: goblins.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="goblins.activity")
    await start_worker(workflows=[traced_child], activities=[traced_step])
    handle = await client.start_workflow(traced_child, 2)
    assert await handle.result(timeout=10) == 3
    [record] = [r for r in caplog.records if r.name == "goblins.activity"]
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "activity step 2"
    assert (line["run_id"], line["activity"], line["attempt"], line["step"]) == (
        handle.run_id,
        "traced_step",
        1,
        f"{handle.run_id}/1",
    )
