"""Workflows for the primitive end-to-end tests, hosted by `goblins worker wf_primitives`."""

from __future__ import annotations

import asyncio
import os

from wf_steps import _append

import goblins


@goblins.activity
async def mark(path: str, text: str) -> str:
    _append(path, f"{text}:{os.getpid()}")
    return text


@goblins.workflow(name="sleepy")
async def sleepy(path: str, seconds: float) -> list[str]:
    """mark, sleep (a durable timer), mark."""
    before = await goblins.workflow.execute_activity(mark, path, "before")
    await goblins.workflow.sleep(seconds)
    after = await goblins.workflow.execute_activity(mark, path, "after")
    return [before, after]


@goblins.workflow(name="approve")
async def approve(path: str) -> str:
    """Waits for the signal 'approve', then marks who approved."""
    await goblins.workflow.execute_activity(mark, path, "waiting")
    who = await goblins.workflow.wait_for_signal("approve")
    return await goblins.workflow.execute_activity(mark, path, f"approved by {who}")


@goblins.workflow(name="child_approval")
async def child_approval(path: str, tag: str) -> str:
    await goblins.workflow.execute_activity(mark, path, f"child {tag} waiting")
    who = await goblins.workflow.wait_for_signal("approve")
    return await goblins.workflow.execute_activity(mark, path, f"child {tag} approved by {who}")


@goblins.workflow(name="family")
async def family(path: str) -> list[str]:
    """Two children that each wait for a signal; the parent returns both results."""
    first = await goblins.workflow.start_child(child_approval, path, "a", run_id=f"{goblins.workflow.uuid4()}-a")
    second = await goblins.workflow.start_child(child_approval, path, "b")
    return [await first.result(), await second.result()]


@goblins.activity
async def count_to(path: str, total: int) -> str:
    """Counts with a checkpoint per step; a new attempt (or a redelivery) resumes from it."""
    start = goblins.activity.info().heartbeat_details or 0
    for step in range(start, total):
        _append(path, f"step {step}")
        goblins.activity.heartbeat(step + 1)
        await asyncio.sleep(0.1)
    return f"counted to {total} from {start}"


@goblins.workflow(name="counting")
async def counting(path: str, total: int, heartbeat_timeout: float = 5) -> str:
    """``heartbeat_timeout`` 0: none, so no lease: only Kafka's redelivery recovers a crash."""
    counted: str = await goblins.workflow.execute_activity(
        count_to, path, total, heartbeat_timeout=heartbeat_timeout or None
    )
    return counted


@goblins.workflow(name="cart")
async def cart() -> list[str]:
    items: list[str] = []
    goblins.workflow.set_query_handler("items", lambda: list(items))
    while (item := await goblins.workflow.wait_for_signal("add")) != "checkout":
        items.append(item)
    return items


@goblins.activity
async def fail_after_progress(path: str) -> str:
    info = goblins.activity.info()
    if info.attempt == 1:
        goblins.activity.heartbeat({"done": 7})
        raise RuntimeError("crashed after step 7")
    return f"attempt {info.attempt} resumed at {info.heartbeat_details['done']}"


@goblins.workflow(name="resume")
async def resume(path: str) -> str:
    policy = goblins.RetryPolicy(initial_interval=0.1)
    return await goblins.workflow.execute_activity(fail_after_progress, path, retry_policy=policy)


@goblins.workflow(name="rounds")
async def rounds(n: int) -> int:
    if n > 0:
        await goblins.workflow.sleep(0.05)
        goblins.workflow.continue_as_new(n - 1)
    return 42


@goblins.workflow(name="doubler")
async def doubler(n: int) -> int:
    return n * 2


@goblins.workflow(name="doubling_parent")
async def doubling_parent(n: int) -> int:
    return await goblins.workflow.execute_child(doubler, n) + 1


@goblins.activity
async def stall_once() -> str:
    info = goblins.activity.info()
    if info.attempt == 1:
        goblins.activity.heartbeat("halfway")
        await asyncio.sleep(60)  # silent: the server times the attempt out
    return f"attempt {info.attempt} after {info.heartbeat_details}"


@goblins.workflow(name="stalling")
async def stalling() -> str:
    policy = goblins.RetryPolicy(initial_interval=0.1)
    return await goblins.workflow.execute_activity(stall_once, heartbeat_timeout=1, retry_policy=policy)
