"""Local activities against a real server (gRPC, SQLite) and workers, in process: each call
runs inside the workflow task and is recorded as one LOCAL_ACTIVITY_RECORDED; a replay (a
fresh worker) reads the recorded outcome and runs nothing again."""

from __future__ import annotations

import asyncio

import goblins
from tests.conftest import StartWorker
from tests.integration import local_activities as la

LOCAL = "LOCAL_ACTIVITY_RECORDED"


async def _types(handle: goblins.WorkflowHandle) -> list[str]:
    return [e.type.value for e in await handle.history()]


async def test_result_retry_and_failure_in_one_task(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**la.ALL)
    handle = await client.start_workflow(la.three, "a")
    assert await handle.result(timeout=20) == [
        "a-1@1",
        "a-2@2",
        "Broken: Broken: a-3 is broken after 3, details ['a-3']",
    ]
    assert await _types(handle) == [
        "WORKFLOW_SCHEDULED",
        "WORKFLOW_STARTED",
        LOCAL,
        LOCAL,
        LOCAL,
        "WORKFLOW_FINISHED_IN_SUCCESS",
    ]  # one workflow task: no activity dispatch, no second task
    recorded = [e for e in await handle.history() if e.type.value == LOCAL]
    assert [e.attributes["attempts"] for e in recorded] == [1, 2, 3]
    assert [e.name for e in recorded] == ["tagged", "flaky", "broken"]
    assert recorded[0].output == "a-1@1" and recorded[0].failure is None
    assert recorded[2].failure is not None and recorded[2].failure.type == "Broken"
    assert la.RUNS["a-1"] == 1 and la.RUNS["a-2"] == 2 and la.RUNS["a-3"] == 3


async def test_a_long_backoff_waits_on_a_durable_timer(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**la.ALL)
    handle = await client.start_workflow(la.slow_retry, "b")
    assert await handle.result(timeout=20) == "b@2"
    types = await _types(handle)
    assert types[2:] == [LOCAL, "TIMER_STARTED", "TIMER_FIRED", LOCAL, "WORKFLOW_FINISHED_IN_SUCCESS"]
    first, second = [e for e in await handle.history() if e.type.value == LOCAL]
    assert first.attributes["backoff"] == 1.2 and first.failure is not None
    assert second.attributes["attempts"] == 2 and second.output == "b@2"


async def test_a_fresh_worker_replays_recorded_calls_without_running_them(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    first = await start_worker(**la.ALL)
    handle = await client.start_workflow(la.around_a_signal, "c")
    for _ in range(500):
        if LOCAL in await _types(handle):
            break
        await asyncio.sleep(0.02)
    await first.shutdown()  # its cache goes with it: the next worker replays the history
    await start_worker(**la.ALL)
    await handle.signal("go")
    assert await handle.result(timeout=20) == ["c-before@1", "c-after@1"]
    assert la.RUNS["c-before"] == 1, "a recorded local activity ran again on replay"
    assert la.RUNS["c-after"] == 1


async def test_parallel_calls_run_together_and_record_in_order(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**la.ALL)
    handle = await client.start_workflow(la.in_parallel, "d", 5)
    assert await handle.result(timeout=20) == [f"d-{i}@1" for i in range(5)]
    steps = [e.step_id for e in await handle.history() if e.type.value == LOCAL]
    assert steps == [f"{handle.run_id}/{i}" for i in range(1, 6)]
