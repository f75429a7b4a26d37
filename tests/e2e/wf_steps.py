"""Workflows for the end-to-end tests, hosted by `goblins worker wf_steps` (cwd tests/e2e).

Every activity appends one line to a log file the test reads, with O_APPEND writes so that
lines of concurrent processes never interleave: ``<tag>:<step>:<pid>[:<time>]``.
"""

from __future__ import annotations

import asyncio
import os
import time

import goblins


def _append(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


@goblins.activity
async def step(path: str, tag: str, index: int, total: int) -> int:
    """One step of a long sequential workflow: log, work ~50 ms, add index² to the total."""
    _append(path, f"{tag}:{index}:{os.getpid()}")
    await asyncio.sleep(0.05)
    return total + index * index


@goblins.workflow(name="steps")
async def steps(path: str, tag: str, count: int) -> list[int]:
    """``count`` activities one after another, each fed the previous one's result."""
    totals: list[int] = []
    total = 0
    for index in range(count):
        total = await goblins.workflow.execute_activity(step, path, tag, index, total, start_to_close_timeout=60)
        totals.append(total)
    return totals


@goblins.activity
async def hold(path: str, tag: str, index: int, seconds: float) -> str:
    """Log (with the time) and hold the task for ``seconds``."""
    _append(path, f"{tag}:{index}:{os.getpid()}:{time.time():.6f}")
    await asyncio.sleep(seconds)
    return f"{tag}-{index}-{os.getpid()}"


@goblins.workflow(name="fan_out")
async def fan_out(path: str, tag: str, count: int, seconds: float) -> list[str]:
    """``count`` parallel activities that each hold their task; start_to_close_timeout is 60 s."""
    results = await asyncio.gather(
        *(
            goblins.workflow.execute_activity(hold, path, tag, i, seconds, start_to_close_timeout=60)
            for i in range(count)
        )
    )
    return list(results)


@goblins.activity
async def double(x: int) -> int:
    return 2 * x


@goblins.activity
def increment(x: int) -> int:  # a plain def: runs in the worker's thread pool
    return x + 1


@goblins.workflow(name="two_steps")
async def two_steps(x: int) -> int:
    return await goblins.workflow.execute_activity(increment, await goblins.workflow.execute_activity(double, x))


@goblins.workflow(name="hold_one")
async def hold_one(path: str, tag: str, seconds: float, timeout: float) -> str:
    """One activity that holds its task for ``seconds``, with ``start_to_close_timeout=timeout``."""
    return await goblins.workflow.execute_activity(
        hold,
        path,
        tag,
        0,
        seconds,
        start_to_close_timeout=timeout,
        retry_policy=goblins.RetryPolicy(maximum_attempts=5, initial_interval=0.1),
    )
