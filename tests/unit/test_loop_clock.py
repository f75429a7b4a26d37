"""The event loop's injected clock and id source: every time it records and every id it makes
comes from them, so a run's whole course is checked here without a sleep or a random draw."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from goblins.api import v1 as pb
from goblins.server.effects import MESSAGE, TIMER, WORKFLOW
from goblins.server.loop import EventLoop, random_ids
from goblins.wire import step_id_of, type_name
from tests.unit.memory_ports import T0, Clock, Ids, MemoryQueue, MemoryRouter, MemoryStore, mode
from tests.unit.test_loop import completed, report, start


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ids() -> Ids:
    return Ids()


@pytest.fixture
async def loop(clock: Clock, ids: Ids) -> AsyncIterator[EventLoop]:
    store, queue, router = MemoryStore(), MemoryQueue(), MemoryRouter()
    loop = EventLoop(mode(store, queue, router), clock, ids=ids)
    await loop.start()
    yield loop
    await loop.stop()


def store_of(loop: EventLoop) -> MemoryStore:
    assert isinstance(loop.store, MemoryStore)
    return loop.store


def queue_of(loop: EventLoop) -> MemoryQueue:
    assert isinstance(loop.queue, MemoryQueue)
    return loop.queue


def signal(run_id: str = "r1") -> pb.Report:
    return pb.Report(signal_workflow=pb.SignalWorkflow(run_id=run_id, name="poke", signal_id="s1"))


async def test_a_start_is_stamped_by_the_clock_and_its_task_named_by_the_id_source(loop: EventLoop) -> None:
    assert await start(loop)
    (scheduled,) = store_of(loop).events["r1"]
    assert scheduled.time == T0
    (task,) = queue_of(loop).published
    assert (task.kind, task.task_id, task.visible_at) == (WORKFLOW, "r1#wf-000000000001", T0)


async def test_a_timer_is_due_by_the_clock_and_fires_at_the_clock_time(loop: EventLoop, clock: Clock) -> None:
    await start(loop)
    queue = queue_of(loop)
    wf = queue.published[-1]
    clock.now = T0 + 5
    timer = pb.Command(start_timer=pb.StartTimer(timer_id="r1/1", seconds=60))
    await report(loop, completed(wf, 1, timer))
    (t,) = queue.timers
    assert (t.kind, t.visible_at) == (TIMER, T0 + 65)
    started = store_of(loop).events["r1"][-1]
    assert (type_name(started), started.timer_started.fire_at, started.time) == ("TIMER_STARTED", T0 + 65, T0 + 5)

    clock.now = T0 + 66
    loop.timer_due(t)
    await report(loop, signal())  # reports are decided in order: the timer's is in by now
    fired = [e for e in store_of(loop).events["r1"] if type_name(e) == "TIMER_FIRED"]
    assert [(step_id_of(e), e.time) for e in fired] == [("r1/1", T0 + 66)]
    woken = queue.published[-1]
    assert (woken.kind, woken.task_id, woken.visible_at) == (WORKFLOW, "r1#wf-000000000002", T0 + 66)


async def test_a_report_for_another_run_gets_its_id_from_the_source(loop: EventLoop, ids: Ids) -> None:
    router = loop.mode.router
    assert isinstance(router, MemoryRouter)
    await start(loop)
    child = pb.Command(
        start_child_workflow=pb.StartChildWorkflow(step_id="r1/1", workflow_name="child", child_run_id="c1")
    )
    drawn = ids.n
    await report(loop, completed(queue_of(loop).published[-1], 1, child))
    (message,) = router.delivered
    assert message.kind == MESSAGE
    assert message.task_id == f"msg-{drawn + 1:012x}{0:020x}", "the next id of the injected source"
    assert message.visible_at == T0


async def test_a_retry_backs_off_on_the_injected_clock(loop: EventLoop, clock: Clock) -> None:
    await start(loop)
    queue = queue_of(loop)
    retry = pb.RetryPolicy(max_attempts=3, initial_interval=2.0, backoff_coefficient=2.0, maximum_interval=10.0)
    act = pb.Command(schedule_activity=pb.ScheduleActivity(step_id="r1/1", activity_name="act", retry_policy=retry))
    await report(loop, completed(queue.published[-1], 1, act))
    first = queue.published[-1]
    assert first.visible_at == T0
    clock.now = T0 + 3
    failed = pb.ActivityResult(
        task_id=first.task_id, run_id="r1", step_id="r1/1", attempt=1, ok=False, error_type="E", error="E: x"
    )
    await report(loop, pb.Report(activity_result=failed))
    again = [t for t in queue.published + queue.timers if t.run_id == "r1" and t.task_id != first.task_id]
    assert [(t.kind, t.visible_at) for t in again][-1:] == [("activity", T0 + 3 + 2.0)], "due after the back-off"


def test_the_production_id_source_is_random_and_wide() -> None:
    drawn = {random_ids() for _ in range(100)}
    assert len(drawn) == 100
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in drawn)


async def test_no_time_passes_in_these_tests(loop: EventLoop, clock: Clock) -> None:
    """The loop reads only the injected clock: a frozen clock stamps every event alike."""
    await start(loop)
    await report(loop, signal())
    await asyncio.sleep(0)
    assert {e.time for e in store_of(loop).events["r1"]} == {T0}
