"""Workflows for the primitive tests (timers, signals, cancellation, deterministic helpers)."""

from __future__ import annotations

import asyncio
import datetime

import goblins

COMPENSATED: list[str] = []


@goblins.activity
async def note(text: str) -> str:
    return text


@goblins.activity
async def slow_note(text: str) -> str:
    await asyncio.sleep(30)
    return text


@goblins.workflow
async def nap(seconds: float) -> list[str]:
    before = goblins.workflow.now()
    await goblins.workflow.sleep(seconds)
    await goblins.workflow.sleep(datetime.timedelta(seconds=0))
    after = goblins.workflow.now()
    return [before.isoformat(), after.isoformat(), str((after - before).total_seconds() >= seconds)]


@goblins.workflow
async def approval(order: str) -> str:
    first = await goblins.workflow.wait_for_signal("approve")
    second = await goblins.workflow.wait_for_signal("approve")
    try:
        await goblins.workflow.wait_for_signal("never", timeout=0.2)
    except TimeoutError:
        timed_out = True
    return f"{order}: {first} then {second}, timeout={timed_out}"


@goblins.workflow
async def compensating(order: str) -> str:
    try:
        return await goblins.workflow.execute_activity(slow_note, order)
    except asyncio.CancelledError:
        done = await goblins.workflow.execute_activity(note, f"refund {order}")
        COMPENSATED.append(done)
        return done


@goblins.activity
async def beating_refund(order: str) -> str:
    for step in range(3):  # a compensation that reports its progress
        goblins.activity.heartbeat(step)
        await asyncio.sleep(0.05)
    return f"refund {order}"


@goblins.workflow
async def compensating_with_beats(order: str) -> str:
    try:
        return await goblins.workflow.execute_activity(long_task, heartbeat_timeout=2)
    except asyncio.CancelledError:
        return await goblins.workflow.execute_activity(beating_refund, order, heartbeat_timeout=2)


@goblins.workflow
async def cancellable(order: str) -> str:
    return await goblins.workflow.execute_activity(slow_note, order)


@goblins.workflow
async def dice() -> list[str]:
    draws = [goblins.workflow.random(), goblins.workflow.random()]
    ident = goblins.workflow.uuid4()
    await goblins.workflow.execute_activity(note, "x")  # a workflow task boundary: replayed below
    return [repr(draws), str(ident), str(ident.version)]


@goblins.workflow(failure_exception_types=[ValueError])
async def child_double(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative: {x}")
    return await goblins.workflow.execute_activity("double_it", x)


@goblins.activity(name="double_it")
async def double_it(x: int) -> int:
    return 2 * x


@goblins.workflow
async def parent(xs: list[int]) -> list[int]:
    handles = [await goblins.workflow.start_child(child_double, x) for x in xs]
    results = [await h.result() for h in handles]
    return [*results, await goblins.workflow.execute_child(child_double, sum(results))]


@goblins.workflow
async def parent_of_failure(x: int) -> str:
    try:
        await goblins.workflow.execute_child(child_double, x)
    except goblins.ChildWorkflowFailed as exc:
        return f"caught: {exc}"
    return "no failure"


@goblins.workflow
async def waiting_child() -> str:
    return await goblins.workflow.wait_for_signal("go")


@goblins.workflow
async def parent_of_waiter() -> str:
    return await goblins.workflow.execute_child(waiting_child, run_id="the-waiting-child")


PROGRESS: list[tuple[int, object]] = []


@goblins.activity
async def resumable(total: int) -> str:
    """Heartbeats its progress; the first attempt stalls after step 3 (heartbeat timeout)."""
    info = goblins.activity.info()
    start = info.heartbeat_details or 0
    PROGRESS.append((info.attempt, start))
    for step in range(start, total):
        goblins.activity.heartbeat(step)
        if info.attempt == 1 and step == 3:
            await asyncio.sleep(30)  # stalls: no more heartbeats
        await asyncio.sleep(0.01)
    return f"done from {start} on attempt {info.attempt}"


@goblins.activity
def sync_heartbeater(n: int) -> int:
    import time as _time

    for i in range(n):
        goblins.activity.heartbeat(i)
        _time.sleep(0.05)
    return n


STOPPED: list[str] = []


@goblins.activity
async def long_task() -> str:
    try:
        for _ in range(600):
            goblins.activity.heartbeat()
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        STOPPED.append(goblins.activity.info().step_id)
        raise
    return "finished"


@goblins.workflow
async def checkpointed(total: int) -> str:
    policy = goblins.RetryPolicy(maximum_attempts=3, initial_interval=0.05)
    return await goblins.workflow.execute_activity(resumable, total, heartbeat_timeout=0.5, retry_policy=policy)


@goblins.workflow
async def sync_beats(n: int) -> int:
    return await goblins.workflow.execute_activity(sync_heartbeater, n, heartbeat_timeout=1)


@goblins.workflow
async def cancel_long() -> str:
    return await goblins.workflow.execute_activity(long_task, heartbeat_timeout=2)


@goblins.workflow
async def deadline_activity() -> str:
    policy = goblins.RetryPolicy(maximum_attempts=0, initial_interval=0.05)
    return await goblins.workflow.execute_activity(
        slow_note, "x", start_to_close_timeout=0.2, schedule_to_close_timeout=0.7, retry_policy=policy
    )


@goblins.workflow
async def endless(n: int) -> int:
    """Naps, then continues as new, forever: only an execution_timeout ends the chain."""
    await goblins.workflow.sleep(0.2)
    goblins.workflow.continue_as_new(n + 1)


@goblins.workflow
async def countdown(n: int, seen: list[int]) -> list[int]:
    """One activity per run, then continue as new until n reaches 0: each history stays short."""
    await goblins.workflow.execute_activity(note, f"at {n}")
    if n == 0:
        return [*seen, n]
    goblins.workflow.continue_as_new(n - 1, [*seen, n])


@goblins.workflow
async def shopping_cart() -> list[str]:
    items: list[str] = []
    goblins.workflow.set_query_handler("items", lambda: list(items))
    goblins.workflow.set_query_handler("has", lambda item: item in items)
    while True:
        item = await goblins.workflow.wait_for_signal("add")
        if item == "checkout":
            return items
        items.append(await goblins.workflow.execute_activity(note, item))
