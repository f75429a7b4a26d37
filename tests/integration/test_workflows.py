"""Workflows end to end: an in-process server on loopback, real SQLite, a real worker and client."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

import goblins
from goblins.server import Server
from tests.conftest import StartWorker
from tests.integration import workflows as w


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    w.reset()
    yield
    w.THREAD_GATE.set()  # never leave a worker thread blocked


def types(events: list[goblins.events.Event]) -> list[str]:
    return [e.type.name for e in events]


async def history_with(
    handle: goblins.WorkflowHandle, event_type: str, timeout: float = 10
) -> list[goblins.events.Event]:
    """The run's history once it holds an event of ``event_type`` (a report is recorded asynchronously)."""

    async def poll() -> list[goblins.events.Event]:
        while True:
            events = await handle.history()
            if event_type in types(events):
                return events
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(poll(), timeout)


async def test_greet_end_to_end_with_exact_history(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    t0 = time.time()
    handle = await client.start_workflow(w.greeting, "Green Got")
    assert await handle.result(timeout=10) == "Hello Green Got"

    events = await handle.history()
    assert types(events) == [
        "WORKFLOW_SCHEDULED",
        "WORKFLOW_STARTED",
        "ACTIVITY_SCHEDULED",
        "ACTIVITY_STARTED",
        "ACTIVITY_FINISHED_IN_SUCCESS",
        "WORKFLOW_FINISHED_IN_SUCCESS",
    ]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert {e.run_id for e in events} == {handle.run_id}
    assert {e.workflow_name for e in events} == {"greet"}
    assert events[0].input == ["Green Got"]
    for e in events[2:5]:
        assert (e.name, e.step_id) == ("greetActivity", f"{handle.run_id}/1")
    assert events[2].attributes["retry_policy"].maximum_attempts == 3
    for e in events[3:5]:
        assert (e.attributes["attempt"], e.attributes["max_attempts"]) == (1, 3)
    assert events[2].input == ["Green Got"]
    assert events[4].output == "Hello Green Got"
    assert events[5].output == "Hello Green Got"
    stamps = [e.time for e in events]
    assert stamps == sorted(stamps) and t0 - 1 <= stamps[0] <= time.time()
    assert w.EXECUTIONS["Green Got"] == 1


async def test_execute_workflow_by_name(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    assert await client.execute_workflow("greet", "Bob", timeout=10) == "Hello Bob"


async def test_result_timeout_while_activity_is_slow(client: goblins.Client, start_worker: StartWorker) -> None:
    gate = w.gate("slow")
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    handle = await client.start_workflow(w.greeting, "slow")
    await asyncio.wait_for(gate.entered.wait(), 10)
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        await handle.result(timeout=0.3)
    assert 0.25 <= time.monotonic() - began < 3
    gate.release.set()
    assert await handle.result(timeout=10) == "Hello slow"


async def test_uncaught_error_raises_workflow_failed(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.raises], activities=[w.greet])
    handle = await client.start_workflow(w.raises, "no")
    with pytest.raises(goblins.WorkflowFailed) as info:
        await handle.result(timeout=10)
    assert "ValueError" in str(info.value) and "workflow says no" in str(info.value)
    assert info.value.error_type == "ValueError"
    assert info.value.run_id == handle.run_id
    events = await handle.history()
    assert types(events)[-1] == "WORKFLOW_FINISHED_IN_ERROR"


async def test_activity_failed_is_catchable_in_the_workflow(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.catches], activities=[w.always_fails])
    handle = await client.start_workflow(w.catches, "apple")
    text = await handle.result(timeout=10)
    assert text.startswith("caught KeyError: ")
    assert "no such sku apple" in text
    assert w.EXECUTIONS["apple"] == 2
    errors = [e for e in await handle.history() if e.type == goblins.events.EventType.ACTIVITY_FINISHED_IN_ERROR]
    assert [(e.attributes["attempt"], e.failure.type, e.attributes["retry_at"] > 0) for e in errors] == [
        (1, "KeyError", True),
        (2, "KeyError", False),
    ]


async def test_unknown_workflow_name_fails_at_once(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    began = time.monotonic()
    with pytest.raises(goblins.GoblinsError, match="no_such_workflow") as info:
        await client.start_workflow("no_such_workflow", 1)
    assert isinstance(info.value, goblins.WorkflowNotFound)
    # An activity name is not a workflow name: the registries are separate.
    with pytest.raises(goblins.WorkflowNotFound, match="greetActivity"):
        await client.start_workflow("greetActivity", 1)
    assert time.monotonic() - began < 2
    assert await client.list_workflows() == []


async def test_registered_names_survive_without_a_connected_worker(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    worker = await start_worker(workflows=[w.greeting], activities=[w.greet])
    await worker.shutdown()
    handle = await client.start_workflow("greet", "later")  # registered once: accepted, waits for a worker
    with pytest.raises(TimeoutError):
        await handle.result(timeout=0.2)
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    assert await handle.result(timeout=10) == "Hello later"


async def test_start_with_run_id_is_idempotent(client: goblins.Client, start_worker: StartWorker) -> None:
    gate = w.gate("idem")
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    first = await client.start_workflow(w.greeting, "idem", run_id="order-42")
    assert first.run_id == "order-42"
    await asyncio.wait_for(gate.entered.wait(), 10)
    while_running = len(await history_with(first, "ACTIVITY_STARTED"))
    again = await client.start_workflow(w.greeting, "other input", run_id="order-42")
    assert again.run_id == "order-42"
    assert len(await first.history()) == while_running
    gate.release.set()
    assert await again.result(timeout=10) == "Hello idem"

    finished = await first.history()
    third = await client.start_workflow("greet", "yet another", run_id="order-42")
    assert await third.result(timeout=10) == "Hello idem"
    assert [e.seq for e in await first.history()] == [e.seq for e in finished]
    assert w.EXECUTIONS["idem"] == 1 and w.EXECUTIONS["other input"] == 0
    assert [r.run_id for r in await client.list_workflows()] == ["order-42"]


async def test_get_workflow_handle_and_history(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.steps], activities=[w.step])
    started = await client.start_workflow(w.steps, "h", 3)
    handle = client.get_workflow_handle(started.run_id)
    assert await handle.result(timeout=10) == ["done h-0", "done h-1", "done h-2"]
    events = await handle.history()
    scheduled = [e for e in events if e.type == goblins.events.EventType.ACTIVITY_SCHEDULED]
    assert [e.step_id for e in scheduled] == [f"{started.run_id}/{i}" for i in (1, 2, 3)]
    assert [e.input for e in scheduled] == [["h-0"], ["h-1"], ["h-2"]]

    missing = client.get_workflow_handle("no-such-run")
    with pytest.raises(goblins.WorkflowNotFound, match="no-such-run"):
        await missing.history()
    with pytest.raises(goblins.WorkflowNotFound, match="no-such-run"):
        await missing.result(timeout=1)


async def test_list_workflows(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.greeting, w.raises], activities=[w.greet])
    ok = await client.start_workflow(w.greeting, "a")
    bad = await client.start_workflow(w.raises, "b")
    await ok.result(timeout=10)
    with pytest.raises(goblins.WorkflowFailed):
        await bad.result(timeout=10)
    runs = await client.list_workflows()
    assert {(r.run_id, r.workflow_name, r.status) for r in runs} == {
        (ok.run_id, "greet", "COMPLETED"),
        (bad.run_id, "raises", "FAILED"),
    }
    assert all(isinstance(r, goblins.RunInfo) and r.finished_at and r.finished_at >= r.created_at for r in runs)
    assert [r.run_id for r in await client.list_workflows(status="FAILED")] == [bad.run_id]
    assert [r.run_id for r in await client.list_workflows(workflow_name="greet")] == [ok.run_id]
    with pytest.raises(goblins.GoblinsError, match="status must be one of"):
        await client.list_workflows(status="DONE")


async def test_dataclass_and_pydantic_values_decode(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.checkout], activities=[w.price])
    order = w.Order("A-1", [w.Line("apple", 3), w.Line("pear", 2)])
    receipt = await client.execute_workflow(w.checkout, order, timeout=10)
    assert receipt == w.Receipt(order_id="A-1", total=50, skus=["apple", "pear"])
    # Started by name, the client does not know the return type: plain JSON comes back.
    handle = await client.start_workflow("checkout", order)
    assert await handle.result(timeout=10) == {"order_id": "A-1", "total": 50, "skus": ["apple", "pear"]}
    # A sync activity runs in a thread, not on the worker's event loop.
    assert w.THREADS and threading.get_ident() not in w.THREADS


async def test_unserializable_input_is_refused_before_sending(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    with pytest.raises(goblins.errors.SerializationError, match="argument 1 \\(object\\)"):
        await client.start_workflow(w.greeting, object())
    assert await client.list_workflows() == []


async def test_retries_follow_the_backoff(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.backoff], activities=[w.fails_then_succeeds])
    handle = await client.start_workflow(w.backoff, "flaky", 2, 0.3)
    assert await handle.result(timeout=15) == 3
    events = await handle.history()
    errors = [e for e in events if e.type == goblins.events.EventType.ACTIVITY_FINISHED_IN_ERROR]
    starts = {e.attributes["attempt"]: e for e in events if e.type == goblins.events.EventType.ACTIVITY_STARTED}
    assert [(e.attributes["attempt"], e.failure.message) for e in errors] == [
        (1, "RuntimeError: flaky attempt 1"),
        (2, "RuntimeError: flaky attempt 2"),
    ]
    for error, expected in zip(errors, (0.3, 0.6), strict=True):
        assert error.attributes["retry_at"] == pytest.approx(error.time + expected)
        waited = starts[error.attributes["attempt"] + 1].time - error.time
        assert expected - 0.02 <= waited < expected + 1.0, (error.attributes["attempt"], waited)
    assert w.EXECUTIONS["flaky"] == 3


@pytest.mark.parametrize("sync", [False, True], ids=["async-worker-timeout", "sync-server-timeout"])
async def test_start_to_close_timeout_retries_a_hanging_activity(
    client: goblins.Client, start_worker: StartWorker, sync: bool
) -> None:
    await start_worker(workflows=[w.with_timeout], activities=[w.hangs_first, w.blocks_first])
    handle = await client.start_workflow(w.with_timeout, "hang", sync)
    try:
        assert await handle.result(timeout=15) == "attempt 2"
    finally:
        w.THREAD_GATE.set()  # lets the first, timed-out attempt's thread end
    events = await handle.history()
    (error,) = [e for e in events if e.type == goblins.events.EventType.ACTIVITY_FINISHED_IN_ERROR]
    assert (error.attributes["attempt"], error.failure.type) == (1, "TimeoutError")
    assert error.attributes["retry_at"] > 0
    started = [e for e in events if e.type == goblins.events.EventType.ACTIVITY_STARTED]
    assert 0.45 <= error.time - started[0].time < 3
    (ok,) = [e for e in events if e.type == goblins.events.EventType.ACTIVITY_FINISHED_IN_SUCCESS]
    assert ok.attributes["attempt"] == 2


async def test_parallel_gather_of_20_activities(client: goblins.Client, start_worker: StartWorker) -> None:
    w.RENDEZVOUS["g"] = w.Rendezvous(20)
    await start_worker(workflows=[w.fan_out], activities=[w.meet])
    handle = await client.start_workflow(w.fan_out, "g", 20)
    assert await handle.result(timeout=15) == [i * i for i in range(20)]
    events = await handle.history()
    scheduled = [e.seq for e in events if e.type == goblins.events.EventType.ACTIVITY_SCHEDULED]
    assert len(scheduled) == 20
    assert scheduled == list(range(scheduled[0], scheduled[0] + 20))  # one workflow task scheduled them all
    assert types(events).count("ACTIVITY_FINISHED_IN_SUCCESS") == 20


async def test_a_new_worker_replays_and_finishes_without_rerunning(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    gate = w.gate("takeover-3")
    first = await start_worker(workflows=[w.steps], activities=[w.step])
    handle = await client.start_workflow(w.steps, "takeover", 5)
    await asyncio.wait_for(gate.entered.wait(), 10)
    await first.shutdown()  # its in-flight task goes back to the queue
    gate.release.set()
    await start_worker(workflows=[w.steps], activities=[w.step])
    assert await handle.result(timeout=15) == [f"done takeover-{i}" for i in range(5)]
    for i in (0, 1, 2, 4):
        assert w.EXECUTIONS[f"takeover-{i}"] == 1, i
    events = await handle.history()
    assert types(events).count("ACTIVITY_SCHEDULED") == 5
    assert types(events).count("ACTIVITY_FINISHED_IN_SUCCESS") == 5


async def test_nondeterminism_fails_the_task_and_keeps_the_history(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    gate = w.gate("nd-b")
    v1 = await start_worker(workflows=[w.versioned_v1], activities=[w.step])
    handle = await client.start_workflow("versioned", "nd")
    await asyncio.wait_for(gate.entered.wait(), 10)
    await v1.shutdown()
    await start_worker(workflows=[w.versioned_v2], activities=[w.step, w.other_step])
    gate.release.set()  # step "nd-b" is redelivered to the v2 worker; its result wakes v2 code

    events = await history_with(handle, "WORKFLOW_TASK_FAILED")
    (failed,) = [e for e in events if e.type == goblins.events.EventType.WORKFLOW_TASK_FAILED]
    assert "'step'" in failed.failure.message and "'other_step'" in failed.failure.message
    events = await handle.history()
    scheduled = goblins.events.EventType.ACTIVITY_SCHEDULED
    assert [e.name for e in events if e.type == scheduled] == ["step", "step"]
    assert w.EXECUTIONS["other nd-a"] == 0
    assert types(events)[-1] != "WORKFLOW_FINISHED_IN_ERROR"


async def test_server_restart_mid_run(db_url: str) -> None:
    gate = w.gate("restart-2")
    server = Server(db_url, "127.0.0.1", 0)
    await server.start()
    address = f"127.0.0.1:{server.port}"
    worker = goblins.Worker(address, workflows=[w.steps], activities=[w.step])
    worker_task = asyncio.create_task(worker.run())
    client = await goblins.Client.connect(address, timeout=5)
    try:
        await worker.wait_connected(10)
        handle = await client.start_workflow(w.steps, "restart", 5)
        await asyncio.wait_for(gate.entered.wait(), 10)
        waiting = asyncio.create_task(handle.result(timeout=20))  # a long poll that spans the restart
        await server.stop(grace=0)

        server = Server(db_url, "127.0.0.1", server.port)
        await server.start()
        gate.release.set()  # the held attempt finishes now, reported to the new server
        assert await waiting == [f"done restart-{i}" for i in range(5)]
        assert dict(w.EXECUTIONS) == {f"restart-{i}": 1 for i in range(5)}
        events = await handle.history()
        assert types(events).count("ACTIVITY_FINISHED_IN_SUCCESS") == 5
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
    finally:
        await worker.shutdown()
        await asyncio.wait_for(worker_task, 10)
        await client.close()
        await server.stop(grace=0)


async def test_durable_backoff_survives_a_server_restart(db_url: str) -> None:
    server = Server(db_url, "127.0.0.1", 0)
    await server.start()
    address = f"127.0.0.1:{server.port}"
    worker = goblins.Worker(address, workflows=[w.backoff], activities=[w.fails_then_succeeds])
    worker_task = asyncio.create_task(worker.run())
    client = await goblins.Client.connect(address, timeout=5)
    try:
        await worker.wait_connected(10)
        handle = await client.start_workflow(w.backoff, "durable", 1, 1.5)
        events = await history_with(handle, "ACTIVITY_FINISHED_IN_ERROR")
        await server.stop(grace=0)
        server = Server(db_url, "127.0.0.1", server.port)
        await server.start()
        assert await handle.result(timeout=20) == 2
        (error,) = [e for e in events if e.type == goblins.events.EventType.ACTIVITY_FINISHED_IN_ERROR]
        events = await handle.history()
        (second,) = [
            e for e in events if e.type == goblins.events.EventType.ACTIVITY_STARTED and e.attributes["attempt"] == 2
        ]
        assert error.attributes["retry_at"] - 0.02 <= second.time < error.attributes["retry_at"] + 3
        assert w.EXECUTIONS["durable"] == 2
    finally:
        await worker.shutdown()
        await asyncio.wait_for(worker_task, 10)
        await client.close()
        await server.stop(grace=0)


async def test_workflows_replay_when_the_cache_is_too_small(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.steps], activities=[w.step], max_cached_workflows=1)
    handles = [await client.start_workflow(w.steps, f"c{r}", 4) for r in range(6)]
    results = await asyncio.gather(*(h.result(timeout=20) for h in handles))
    assert results == [[f"done c{r}-{i}" for i in range(4)] for r in range(6)]
    assert set(w.EXECUTIONS.values()) == {1} and len(w.EXECUTIONS) == 24


async def test_max_concurrent_activities_is_respected(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.occupied], activities=[w.occupy], max_concurrent_activities=2)
    assert await client.execute_workflow(w.occupied, 8, timeout=15) == list(range(8))
    assert w.OCCUPANCY.peak == 2


async def test_arguments_that_do_not_fit_fail_the_run(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.greeting, w.checkout], activities=[w.greet, w.price])
    with pytest.raises(goblins.WorkflowFailed, match="TypeError"):
        await client.execute_workflow("greet", timeout=10)  # no argument
    with pytest.raises(goblins.WorkflowFailed, match="SerializationError"):
        await client.execute_workflow("checkout", {"order_id": 1}, timeout=10)


async def test_finished_runs_leave_no_tasks_behind(
    server: Server, client: goblins.Client, start_worker: StartWorker
) -> None:
    gate = w.gate("behind-slow")
    await start_worker(
        workflows=[w.greeting, w.leaves_one_behind, w.with_timeout, w.catches],
        activities=[w.greet, w.step, w.always_fails, w.hangs_first],
    )
    handle = await client.start_workflow(w.leaves_one_behind, "behind")
    assert await handle.result(timeout=10) == "left"
    await asyncio.wait_for(gate.entered.wait(), 10)
    gate.release.set()  # the abandoned activity reports after the run finished
    assert await client.execute_workflow(w.greeting, "x", timeout=10) == "Hello x"
    assert await client.execute_workflow(w.with_timeout, "t", False, timeout=10) == "attempt 2"
    assert (await client.execute_workflow(w.catches, "c", timeout=10)).startswith("caught")

    events = await history_with(handle, "ACTIVITY_STARTED")
    assert types(events)[-1] == "WORKFLOW_FINISHED_IN_SUCCESS"
    assert types(events).count("ACTIVITY_FINISHED_IN_SUCCESS") == 0
    assert server.mode is not None
    assert await server.mode.store.pending_tasks() == []
