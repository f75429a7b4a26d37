"""Workflows and activities for the worker's slots, executors and watchdog tests (module
level: a spawned activity process imports them by name)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import goblins

RELEASE = threading.Event()  # set: the blocked sync activities return
THREADS: list[str] = []  # the thread name of each blocked attempt, in start order


@goblins.activity
def blocked(i: int) -> int:
    THREADS.append(threading.current_thread().name)
    RELEASE.wait(30)
    return i


@goblins.activity
async def quick(i: int) -> int:
    return i * 10


@goblins.workflow
async def fan_out_blocked(count: int) -> list[int]:
    calls = [
        goblins.workflow.execute_activity(
            blocked, i, start_to_close_timeout=60, retry_policy=goblins.RetryPolicy(maximum_attempts=1)
        )
        for i in range(count)
    ]
    return list(await asyncio.gather(*calls))


@goblins.workflow
async def one_quick(i: int) -> int:
    return int(await goblins.workflow.execute_activity(quick, i, start_to_close_timeout=10))


@goblins.workflow
async def stuck_once(timeout: float) -> int:
    return int(
        await goblins.workflow.execute_activity(
            blocked, 7, start_to_close_timeout=timeout, retry_policy=goblins.RetryPolicy(maximum_attempts=1)
        )
    )


@goblins.activity
def hangs_the_first_time(marker: str) -> int:
    """Runs in a child process: the first attempt (no marker yet) never returns."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(3600)
    return os.getpid()


@goblins.workflow
async def retried_after_a_kill(marker: str) -> int:
    return int(
        await goblins.workflow.execute_activity(
            hangs_the_first_time,
            marker,
            start_to_close_timeout=2.5,
            retry_policy=goblins.RetryPolicy(initial_interval=0.1, maximum_attempts=3),
        )
    )


@goblins.workflow
async def blocks_the_loop(seconds: float) -> str:
    time.sleep(seconds)  # noqa: ASYNC251 (what workflow code must never do)
    return "done"
