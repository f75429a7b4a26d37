"""Workflows and activities whose payloads are too big: the payload tests (module level: annotations resolve)."""

from __future__ import annotations

import asyncio

import goblins

BIG = 1000  # the limit the tests' server is given


@goblins.activity
async def big_result(n: int) -> str:
    return "x" * n


@goblins.workflow
async def calls_big_result(n: int) -> str:
    try:
        return await goblins.workflow.execute_activity(  # type: ignore[no-any-return]
            big_result, n, start_to_close_timeout=5, retry_policy=goblins.RetryPolicy(maximum_attempts=1)
        )
    except goblins.ActivityFailed as exc:
        return f"{exc.error_type}: {exc}"


@goblins.workflow
async def returns(n: int) -> str:
    return "x" * n


@goblins.activity
async def one(x: int) -> int:
    return x + 1


@goblins.workflow
async def many_steps(n: int) -> int:
    x = 0
    for _ in range(n):
        x = await goblins.workflow.execute_activity(one, x, start_to_close_timeout=5)
    return x


@goblins.activity
async def big_checkpoint() -> bool:
    if goblins.activity.info().attempt == 1:
        goblins.activity.heartbeat("x" * 2 * BIG)
        raise RuntimeError("try again")
    return goblins.activity.info().heartbeat_details is None


@goblins.workflow
async def checkpoints() -> bool:
    return await goblins.workflow.execute_activity(  # type: ignore[no-any-return]
        big_checkpoint,
        start_to_close_timeout=5,
        retry_policy=goblins.RetryPolicy(initial_interval=0.01, maximum_attempts=2),
    )


RESULT = 900 * 1024  # a big result, under the 2 MiB payload limit: 80 of them make a 70 MiB history


@goblins.activity
async def blob(i: int) -> str:
    return f"{i:08d}".ljust(RESULT, "x")


@goblins.workflow
async def big_history(n: int) -> int:
    """``n`` big results, the first half one after another, the rest (after a signal) at once."""
    got = [await goblins.workflow.execute_activity(blob, i, start_to_close_timeout=60) for i in range(n // 2)]
    await goblins.workflow.wait_for_signal("go")
    got += await asyncio.gather(
        *(goblins.workflow.execute_activity(blob, i, start_to_close_timeout=60) for i in range(n // 2, n))
    )
    assert [int(r[:8]) for r in got] == list(range(n))
    return sum(len(r) for r in got)


@goblins.activity
async def reverse(data: str) -> str:
    return data[::-1]


@goblins.workflow
async def round_trip(data: str) -> str:
    """A big input through an activity and back: each hop carries it whole."""
    return await goblins.workflow.execute_activity(reverse, data, start_to_close_timeout=60)
