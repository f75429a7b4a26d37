"""Durable timers, signals, cancellation, termination and deterministic helpers, in process."""

from __future__ import annotations

import asyncio
import datetime

import pytest

import goblins
import goblins.testing
from goblins.server import Server
from tests.conftest import StartWorker
from tests.integration import primitives as p

ALL = dict(
    workflows=[p.nap, p.approval, p.compensating, p.cancellable, p.dice],
    activities=[p.note, p.slow_note],
)


async def types_of(handle: goblins.WorkflowHandle) -> list[str]:
    return [e.type.value for e in await handle.history()]


async def test_sleep_is_a_durable_timer(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(p.nap, 0.3)
    before, after, slept = await handle.result(timeout=10)
    assert slept == "True" and after > before
    types = await types_of(handle)
    assert types.count("TIMER_STARTED") == 1 and types.count("TIMER_FIRED") == 1
    started = next(e for e in await handle.history() if e.type == goblins.events.EventType.TIMER_STARTED)
    assert started.attributes["fire_at"] - started.time == pytest.approx(0.3, abs=0.01)


async def test_signals_queue_up_and_wait_times_out(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(p.approval, "A-7")
    await handle.signal("approve", "alice")  # before the workflow waits: kept, in order
    await handle.signal("approve", "bob", 2)
    assert await handle.result(timeout=10) == "A-7: alice then ['bob', 2], timeout=True"
    signaled = [e for e in await handle.history() if e.type == goblins.events.EventType.WORKFLOW_SIGNALED]
    assert [e.name for e in signaled] == ["approve", "approve"]
    with pytest.raises(goblins.GoblinsError, match="already finished"):
        await handle.signal("approve", "late")
    with pytest.raises(goblins.WorkflowNotFound):
        await client.get_workflow_handle("no-such-run").signal("approve")


async def test_cancel_lets_the_workflow_compensate(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(p.compensating, "o-1")
    await _until_started(handle)
    await handle.cancel("customer changed their mind")
    assert await handle.result(timeout=10) == "refund o-1"
    assert "WORKFLOW_CANCEL_REQUESTED" in await types_of(handle)


async def test_cancel_uncaught_raises_workflow_cancelled(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(p.cancellable, "o-2")
    await _until_started(handle)
    await handle.cancel()
    with pytest.raises(goblins.WorkflowCancelled):
        await handle.result(timeout=10)


async def test_terminate_ends_the_run_without_its_code(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(p.compensating, "o-3")
    await _until_started(handle)
    before = len(p.COMPENSATED)
    await handle.terminate("stuck")
    with pytest.raises(goblins.WorkflowTerminated, match="stuck"):
        await handle.result(timeout=10)
    await asyncio.sleep(0.2)
    assert len(p.COMPENSATED) == before  # no code ran after the termination
    assert (await types_of(handle))[-1] == "WORKFLOW_FINISHED_IN_ERROR"


async def test_deterministic_helpers_replay_the_same(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL, max_cached_workflows=1)
    handle = await client.start_workflow(p.dice)
    _draws, _ident, version = await handle.result(timeout=10)
    assert version == "4"
    # The same run replayed from its history draws the same numbers.
    goblins.testing.replay(await handle.history(), p.dice)


async def test_a_timer_where_the_history_has_an_activity_is_nondeterminism(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(p.dice)
    await handle.result(timeout=10)

    @goblins.workflow(name="dice")
    async def changed() -> list[str]:
        goblins.workflow.random(), goblins.workflow.random(), goblins.workflow.uuid4()
        await goblins.workflow.sleep(1)  # step 1 was the activity 'note'
        return []

    with pytest.raises(goblins.NondeterminismError, match="asks for a timer but the history recorded activity 'note'"):
        goblins.testing.replay(await handle.history(), changed)


async def _until_started(handle: goblins.WorkflowHandle) -> None:
    for _ in range(200):
        if "ACTIVITY_STARTED" in await types_of(handle):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the activity never started")


CHILDREN = dict(
    workflows=[p.child_double, p.parent, p.parent_of_failure, p.waiting_child, p.parent_of_waiter],
    activities=[p.double_it],
)


async def test_child_workflows_run_and_return(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**CHILDREN)
    handle = await client.start_workflow(p.parent, [1, 2, 3])
    assert await handle.result(timeout=15) == [2, 4, 6, 24]
    events = await handle.history()
    started = [e for e in events if e.type == goblins.events.EventType.CHILD_WORKFLOW_STARTED]
    assert len(started) == 4 and all(e.attributes["child_run_id"] == e.step_id for e in started)
    child = await client.get_workflow_handle(started[0].attributes["child_run_id"]).history()
    assert (
        child[0].attributes["parent_run_id"] == handle.run_id and child[-1].type.value == "WORKFLOW_FINISHED_IN_SUCCESS"
    )
    # Replaying the parent does not start its children again.
    goblins.testing.replay(events, p.parent)


async def test_child_failure_surfaces_in_the_parent(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**CHILDREN)
    result = await client.execute_workflow(p.parent_of_failure, -5, timeout=15)
    assert result.startswith("caught: child workflow 'child_double'") and "ValueError: negative: -5" in result


async def test_cancelling_the_parent_cancels_its_children(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**CHILDREN)
    parent = await client.start_workflow(p.parent_of_waiter)
    child = client.get_workflow_handle("the-waiting-child")
    for _ in range(200):
        try:
            await child.history()
            break
        except goblins.WorkflowNotFound:
            await asyncio.sleep(0.02)
    await parent.cancel()
    with pytest.raises(goblins.WorkflowCancelled):
        await parent.result(timeout=15)
    with pytest.raises(goblins.WorkflowCancelled):
        await child.result(timeout=15)


async def test_execution_timeout_ends_the_run(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(p.approval, "never approved", execution_timeout=0.5)
    with pytest.raises(goblins.WorkflowTimedOut, match=r"execution_timeout of 0\.5s"):
        await handle.result(timeout=10)
    with pytest.raises(ValueError, match="execution_timeout"):
        await client.start_workflow(p.approval, "x", execution_timeout=-1)


async def test_execution_timeout_is_skipped_in_the_test_environment() -> None:
    async with goblins.testing.WorkflowEnvironment(**ALL) as env:
        handle = await env.client.start_workflow(p.approval, "x", execution_timeout=datetime.timedelta(days=2))
        with pytest.raises(goblins.WorkflowTimedOut):
            await handle.result(timeout=10)


BEATS = dict(
    workflows=[p.checkpointed, p.sync_beats, p.cancel_long, p.deadline_activity, p.compensating_with_beats],
    activities=[p.resumable, p.sync_heartbeater, p.long_task, p.slow_note, p.beating_refund],
)


async def test_heartbeat_timeout_retries_from_the_checkpoint(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**BEATS)
    assert await client.execute_workflow(p.checkpointed, 8, timeout=20) == "done from 3 on attempt 2"
    assert p.PROGRESS[-2:] == [(1, 0), (2, 3)]
    errors = [e for e in await (await client.start_workflow(p.sync_beats, 5)).history() if e.failure]
    assert not errors
    events = [e for e in await client.list_workflows(workflow_name="checkpointed")]
    history = await client.get_workflow_handle(events[0].run_id).history()
    failed = next(e for e in history if e.type == goblins.events.EventType.ACTIVITY_FINISHED_IN_ERROR)
    assert "sent no heartbeat for 0.5s" in failed.failure.message


async def test_sync_activity_heartbeats(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**BEATS)
    assert await client.execute_workflow(p.sync_beats, 5, timeout=20) == 5


async def test_cancelling_the_run_stops_its_heartbeating_activity(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**BEATS)
    handle = await client.start_workflow(p.cancel_long)
    await _until_started(handle)
    await asyncio.sleep(0.2)
    await handle.cancel()
    with pytest.raises(goblins.WorkflowCancelled):
        await handle.result(timeout=10)
    for _ in range(100):  # the activity hears it through its next heartbeat, and stops
        if f"{handle.run_id}/1" in p.STOPPED:
            break
        await asyncio.sleep(0.05)
    assert f"{handle.run_id}/1" in p.STOPPED


async def test_a_compensation_that_heartbeats_after_a_cancel_is_not_stopped(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**BEATS)
    handle = await client.start_workflow(p.compensating_with_beats, "o-9")
    await _until_started(handle)
    await handle.cancel()
    assert await handle.result(timeout=10) == "refund o-9"  # its heartbeats did not stop it
    for _ in range(100):  # the activity the cancel interrupted was told to stop
        if f"{handle.run_id}/1" in p.STOPPED:
            break
        await asyncio.sleep(0.05)
    assert f"{handle.run_id}/1" in p.STOPPED
    refund = [e for e in await handle.history() if e.name == "beating_refund"]
    assert [e.type.value for e in refund] == ["ACTIVITY_SCHEDULED", "ACTIVITY_STARTED", "ACTIVITY_FINISHED_IN_SUCCESS"]


async def test_a_heartbeating_activity_is_not_stopped_by_a_server_restart(db_url: str) -> None:
    server = Server(db_url, "127.0.0.1", 0)
    await server.start()
    address = f"127.0.0.1:{server.port}"
    worker = goblins.Worker(address, workflows=BEATS["workflows"], activities=BEATS["activities"])
    worker_task = asyncio.create_task(worker.run())
    client = await goblins.Client.connect(address, timeout=5)
    try:
        await worker.wait_connected(10)
        handle = await client.start_workflow(p.cancel_long)
        await _until_started(handle)
        await server.stop(grace=0)
        server = Server(db_url, "127.0.0.1", server.port)
        await server.start()
        await asyncio.sleep(2.0)  # heartbeats every 0.67 s reach the restarted server
        assert f"{handle.run_id}/1" not in p.STOPPED, "the restarted server told a wanted activity to stop"
        await handle.cancel()  # a cancel still reaches it
        with pytest.raises(goblins.WorkflowCancelled):
            await handle.result(timeout=10)
        for _ in range(100):
            if f"{handle.run_id}/1" in p.STOPPED:
                break
            await asyncio.sleep(0.05)
        assert f"{handle.run_id}/1" in p.STOPPED
        assert [
            e.attributes["attempt"]
            for e in await handle.history()
            if e.type == goblins.events.EventType.ACTIVITY_STARTED
        ] == [1]
    finally:
        await worker.shutdown()
        await asyncio.wait_for(worker_task, 10)
        await client.close()
        await server.stop(grace=0)


async def test_schedule_to_close_bounds_all_attempts(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**BEATS)
    with pytest.raises(goblins.WorkflowFailed, match="ActivityFailed"):
        await client.execute_workflow(p.deadline_activity, timeout=10)


async def test_continue_as_new_keeps_histories_short(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[p.countdown], activities=[p.note])
    handle = await client.start_workflow(p.countdown, 3, [], run_id="countdown")
    assert await handle.result(timeout=15) == [3, 2, 1, 0]
    first = await client.get_workflow_handle("countdown", run_id="countdown").history()
    assert first[-1].type == goblins.events.EventType.WORKFLOW_FINISHED_IN_SUCCESS
    assert len(first) < 10
    last = await client.get_workflow_handle("countdown").history()  # the id: its chain's last run
    assert last[0].input == [0, [3, 2, 1]] and last[-1].output == [3, 2, 1, 0]


async def test_execution_timeout_bounds_the_whole_continue_as_new_chain(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[p.endless])
    handle = await client.start_workflow(p.endless, 0, run_id="endless", execution_timeout=1.0)
    with pytest.raises(goblins.WorkflowTimedOut):
        await handle.result(timeout=15)
    # The start's handle addresses the workflow id (the chain's newest run): the first run by its run id.
    first = await client.get_workflow_handle("endless", run_id="endless").history()
    assert first[0].attributes["execution_timeout"] == 1.0 and first[-1].attributes["continued_as"] == "endless~2"
    second = await client.get_workflow_handle("endless", run_id="endless~2").history()
    # The next run got what was left of the timeout, counted from the chain's start.
    assert 0 < second[0].attributes["execution_timeout"] <= 1.0 - (first[-1].time - first[0].time) + 1e-6


async def test_queries_read_the_current_state(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[p.shopping_cart], activities=[p.note], max_cached_workflows=1)
    cart = await client.start_workflow(p.shopping_cart)
    assert await cart.query("items") == []
    await cart.signal("add", "apple")
    await cart.signal("add", "pear")
    for _ in range(100):
        if await cart.query("items") == ["apple", "pear"]:
            break
        await asyncio.sleep(0.05)
    assert await cart.query("items") == ["apple", "pear"]
    assert await cart.query("has", "pear") is True
    length = len(await cart.history())
    with pytest.raises(goblins.GoblinsError, match="no query handler 'nope'"):
        await cart.query("nope")
    assert len(await cart.history()) == length  # queries record nothing
    await cart.signal("add", "checkout")
    assert await cart.result(timeout=10) == ["apple", "pear"]
    assert await cart.query("items") == ["apple", "pear"]  # a finished run is replayed for it
