"""goblins.testing.WorkflowEnvironment: a week-long sleep and long retry back-offs in milliseconds."""

from __future__ import annotations

import asyncio
import datetime
import time

import goblins
import goblins.testing

CALLS: list[int] = []


@goblins.activity
async def remind(who: str) -> str:
    return f"reminded {who}"


@goblins.activity
async def flaky_once(n: int) -> int:
    CALLS.append(n)
    if len(CALLS) == 1:
        raise RuntimeError("first call fails")
    return n


@goblins.workflow
async def week_then_remind(who: str) -> list[str]:
    start = goblins.workflow.now()
    await goblins.workflow.sleep(datetime.timedelta(days=7))
    text = await goblins.workflow.execute_activity(remind, who)
    return [text, str((goblins.workflow.now() - start).days)]


@goblins.workflow
async def slow_retry(n: int) -> int:
    policy = goblins.RetryPolicy(maximum_attempts=2, initial_interval=3600)  # an hour between attempts
    return await goblins.workflow.execute_activity(flaky_once, n, retry_policy=policy)


async def test_a_week_of_sleep_takes_milliseconds() -> None:
    async with goblins.testing.WorkflowEnvironment(workflows=[week_then_remind], activities=[remind]) as env:
        t0 = time.monotonic()
        assert await env.client.execute_workflow(week_then_remind, "ada", timeout=10) == ["reminded ada", "7"]
        assert time.monotonic() - t0 < 5


async def test_retry_back_off_is_skipped_too() -> None:
    async with goblins.testing.WorkflowEnvironment(workflows=[slow_retry], activities=[flaky_once]) as env:
        assert await env.client.execute_workflow(slow_retry, 5, timeout=10) == 5
    assert CALLS == [5, 5]


async def test_manual_skipping() -> None:
    env = goblins.testing.WorkflowEnvironment(workflows=[week_then_remind], activities=[remind], time_skipping=False)
    async with env:
        handle = await env.client.start_workflow(week_then_remind, "bob")
        try:
            await handle.result(timeout=0.5)
            raise AssertionError("the week passed without skipping")
        except TimeoutError:
            pass
        await env.skip(7 * 24 * 3600)
        assert await handle.result(timeout=10) == ["reminded bob", "7"]


@goblins.workflow
async def sleeper(days: int) -> str:
    await goblins.workflow.execute_activity(remind, "before")
    await goblins.workflow.sleep(datetime.timedelta(days=days))
    return await goblins.workflow.execute_activity(remind, "after")


async def test_a_sleeping_run_leaves_the_worker_cache() -> None:
    env = goblins.testing.WorkflowEnvironment(workflows=[sleeper], activities=[remind], time_skipping=False)
    async with env:
        assert env.worker is not None
        handle = await env.client.start_workflow(sleeper, 3)
        for _ in range(200):
            if any(e.type == goblins.events.EventType.TIMER_STARTED for e in await handle.history()):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        assert handle.run_id not in env.worker._cache  # asleep: no memory held on the worker
        await env.skip(3 * 24 * 3600)
        assert await handle.result(timeout=10) == "reminded after"  # replayed from the history
