"""Workflows and activities for test_local_activities.py (module level: the worker registers them)."""

from __future__ import annotations

import asyncio
import collections

import goblins

RUNS: collections.Counter[str] = collections.Counter()  # executions of each activity call, by tag
FAST = goblins.RetryPolicy(initial_interval=0.01, maximum_attempts=3)


@goblins.activity
async def tagged(tag: str) -> str:
    RUNS[tag] += 1
    info = goblins.activity.info()
    return f"{tag}@{info.attempt}"


@goblins.activity
async def flaky(tag: str) -> str:
    """Fails its first attempt of each call."""
    RUNS[tag] += 1
    if goblins.activity.info().attempt == 1:
        raise ConnectionError(f"{tag}: first attempt fails")
    return f"{tag}@{goblins.activity.info().attempt}"


@goblins.activity
def broken(tag: str) -> str:
    """A plain def: runs in the worker's thread pool, and always fails."""
    RUNS[tag] += 1
    raise goblins.ApplicationError(f"{tag} is broken", tag, type="Broken")


@goblins.workflow
async def three(tag: str) -> list[str]:
    out = [await goblins.workflow.execute_local_activity(tagged, f"{tag}-1")]
    out.append(await goblins.workflow.execute_local_activity(flaky, f"{tag}-2", retry_policy=FAST))
    try:
        await goblins.workflow.execute_local_activity(broken, f"{tag}-3", retry_policy=FAST)
    except goblins.ActivityFailed as exc:
        out.append(f"{exc.error_type}: {exc.error} after {exc.attempt}, details {list(exc.details)}")
    return out


@goblins.workflow
async def slow_retry(tag: str) -> str:
    """A back-off longer than a task waits: a durable timer between the attempts."""
    policy = goblins.RetryPolicy(initial_interval=1.2, maximum_attempts=2)
    return await goblins.workflow.execute_local_activity(flaky, tag, retry_policy=policy)


@goblins.workflow
async def around_a_signal(tag: str) -> list[str]:
    first = await goblins.workflow.execute_local_activity(tagged, f"{tag}-before")
    await goblins.workflow.wait_for_signal("go")
    second = await goblins.workflow.execute_local_activity(tagged, f"{tag}-after")
    return [first, second]


@goblins.workflow
async def in_parallel(tag: str, n: int) -> list[str]:
    calls = [goblins.workflow.execute_local_activity(tagged, f"{tag}-{i}") for i in range(n)]
    return list(await asyncio.gather(*calls))


ALL = dict(workflows=[three, slow_retry, around_a_signal, in_parallel], activities=[tagged, flaky, broken])
