"""The workflow code the recorded histories were made with, one workflow per primitive.

Changing a workflow here changes what its history replays against: a recorded history is
a promise about *this* code. Add a new workflow (and record it) rather than edit one.
"""

from __future__ import annotations

import asyncio

import goblins


@goblins.activity(name="histories.echo")
async def echo(text: str) -> str:
    return text


@goblins.activity(name="histories.flaky")
async def flaky(text: str) -> str:
    """Fails its first attempt, succeeds on the second."""
    if goblins.activity.info().attempt == 1:
        raise ConnectionError("first attempt fails")
    return f"{text} on attempt {goblins.activity.info().attempt}"


@goblins.activity(name="histories.broken")
async def broken(text: str) -> str:
    raise ValueError(f"broken: {text}")


@goblins.activity(name="histories.checkpointing")
async def checkpointing(steps: int) -> str:
    """Heartbeats a checkpoint and dies on attempt 1; attempt 2 resumes from the checkpoint."""
    info = goblins.activity.info()
    start = info.heartbeat_details or 0
    for step in range(start, steps):
        goblins.activity.heartbeat(step)
        if info.attempt == 1 and step == 2:
            raise ConnectionError("lost at step 2")
    return f"done from {start} on attempt {info.attempt}"


@goblins.activity(name="histories.slow")
async def slow(text: str) -> str:
    await asyncio.sleep(3600)
    return text


FAST_RETRY = goblins.RetryPolicy(maximum_attempts=3, initial_interval=0.01)


@goblins.workflow(name="histories.activity_success")
async def activity_success(text: str) -> str:
    return await goblins.workflow.execute_activity(echo, text, start_to_close_timeout=30)


@goblins.workflow(name="histories.activity_retry")
async def activity_retry(text: str) -> str:
    return await goblins.workflow.execute_activity(flaky, text, retry_policy=FAST_RETRY)


@goblins.workflow(name="histories.activity_failure")
async def activity_failure(text: str) -> str:
    policy = goblins.RetryPolicy(maximum_attempts=2, initial_interval=0.01, non_retryable_error_types=["KeyError"])
    try:
        return await goblins.workflow.execute_activity(broken, text, retry_policy=policy)
    except goblins.ActivityFailed as exc:
        return f"caught: {exc}"


@goblins.workflow(name="histories.parallel_activities")
async def parallel_activities(text: str) -> list[str]:
    both = await asyncio.gather(
        goblins.workflow.execute_activity(echo, f"{text}-a"), goblins.workflow.execute_activity(echo, f"{text}-b")
    )
    return list(both)


@goblins.workflow(name="histories.timer")
async def timer(seconds: float) -> str:
    await goblins.workflow.sleep(seconds)
    await goblins.workflow.sleep(0)  # a zero sleep records nothing
    return f"slept {seconds}"


@goblins.workflow(name="histories.signal")
async def signal(order: str) -> str:
    first = await goblins.workflow.wait_for_signal("approve")
    second = await goblins.workflow.wait_for_signal("approve")
    return f"{order}: {first} then {second}"


@goblins.workflow(name="histories.signal_timeout")
async def signal_timeout(order: str) -> str:
    try:
        await goblins.workflow.wait_for_signal("never", timeout=30)
    except TimeoutError as exc:
        return f"{order}: {exc}"
    return f"{order}: signalled"


@goblins.workflow(name="histories.queried")
async def queried(order: str) -> list[str]:
    """Queried while it waits: a query leaves nothing in the history."""
    items: list[str] = []
    goblins.workflow.set_query_handler("items", lambda: list(items))
    items.append(await goblins.workflow.wait_for_signal("add"))
    items.append(await goblins.workflow.execute_activity(echo, order))
    return items


@goblins.workflow(name="histories.cancelled")
async def cancelled(order: str) -> str:
    """Cancelled while its activity runs, it compensates."""
    try:
        return await goblins.workflow.execute_activity(slow, order)
    except asyncio.CancelledError:
        return await goblins.workflow.execute_activity(echo, f"refund {order}")


@goblins.workflow(name="histories.long_sleep")
async def long_sleep(order: str) -> str:
    """Sleeps an hour: cancelled (uncaught) or timed out meanwhile."""
    await goblins.workflow.sleep(3600)
    return order


# Since the failure round, only declared exception types (and ApplicationError) end a run:
# the two workflows that end theirs with a plain exception declare it, as users migrate.
@goblins.workflow(name="histories.child", failure_exception_types=[ValueError])
async def child(n: int) -> int:
    if n < 0:
        raise ValueError(f"child got {n}")
    return int(await goblins.workflow.execute_activity(echo, str(n))) * 2


@goblins.workflow(name="histories.child_success")
async def child_success(n: int) -> list[int]:
    handle = await goblins.workflow.start_child(child, n)
    direct = await goblins.workflow.execute_child(child, n + 1, run_id=f"{goblins.workflow.uuid4()}-named-child")
    return [await handle.result(), direct]


@goblins.workflow(name="histories.child_failure")
async def child_failure(n: int) -> str:
    try:
        await goblins.workflow.execute_child(child, -n)
    except goblins.ChildWorkflowFailed as exc:
        return f"caught: {exc}"
    return "no failure"


@goblins.workflow(name="histories.countdown")
async def countdown(n: int, seen: list[int]) -> list[int]:
    await goblins.workflow.execute_activity(echo, str(n))
    if n > 0:
        goblins.workflow.continue_as_new(n - 1, [*seen, n])
    return [*seen, n]


@goblins.workflow(name="histories.heartbeat_checkpoint")
async def heartbeat_checkpoint(steps: int) -> str:
    return await goblins.workflow.execute_activity(checkpointing, steps, retry_policy=FAST_RETRY, heartbeat_timeout=30)


@goblins.workflow(name="histories.deterministic")
async def deterministic() -> list[str]:
    before = goblins.workflow.now()
    await goblins.workflow.execute_activity(echo, "tick")
    after = goblins.workflow.now()
    return [before.isoformat(), after.isoformat(), repr(goblins.workflow.random()), str(goblins.workflow.uuid4())]


@goblins.workflow(name="histories.workflow_failure", failure_exception_types=[RuntimeError])
async def workflow_failure(text: str) -> str:
    await goblins.workflow.execute_activity(echo, text)
    raise RuntimeError(f"workflow gives up on {text}")


@goblins.workflow(name="histories.terminated")
async def terminated(text: str) -> str:
    await goblins.workflow.wait_for_signal("never")
    return text


# The code as deployed now is fixed; the scenario records the run with the bug (a NameError)
# first, then "deploys" the fix by setting this back.
task_failure_fixed = True


@goblins.workflow(name="histories.workflow_task_failure")
async def workflow_task_failure(text: str) -> str:
    """A bug fails its first workflow task(s); the fixed code resumes the run."""
    first = await goblins.workflow.execute_activity(echo, text)
    if not task_failure_fixed:
        return undefined_name  # type: ignore[name-defined]  # noqa: F821
    return f"{first} fixed"


@goblins.workflow(name="histories.patched")
async def patched(text: str) -> str:
    """Versioning: a run on this code records a deprecated marker and a patch's marker."""
    first = await goblins.workflow.execute_activity(echo, text)
    goblins.workflow.deprecate_patch("histories.old-fix")
    if goblins.workflow.patched("histories.shout"):
        return await goblins.workflow.execute_activity(echo, first.upper())
    return await goblins.workflow.execute_activity(echo, first)


@goblins.workflow(name="histories.searchable")
async def searchable(text: str) -> str:
    """Search attributes: the start's, an upsert, and a removal (SEARCH_ATTRIBUTES_UPSERTED)."""
    first = await goblins.workflow.execute_activity(echo, text)
    goblins.workflow.upsert_search_attributes({"stage": "echoed", "amount": 2.5})
    second = await goblins.workflow.execute_activity(echo, first)
    goblins.workflow.upsert_search_attributes({"amount": None})
    info = goblins.workflow.info()
    return f"{second} {sorted(info.search_attributes.items())} {info.memo}"


ACTIVITIES = [echo, flaky, broken, checkpointing, slow]


@goblins.workflow(name="histories.updated")
async def updated(order: str) -> list[str]:
    """Updated while it waits: a rejected update leaves nothing, an accepted one two events."""
    items: list[str] = []

    def not_empty(item: str) -> None:
        if not item:
            raise ValueError("an item needs a name")

    async def add(item: str) -> int:
        if item == "boom":
            raise goblins.ApplicationError("cannot add boom", type="Refused")
        items.append(await goblins.workflow.execute_activity(echo, item, start_to_close_timeout=10))
        return len(items)

    goblins.workflow.set_update_handler("add", add, validator=not_empty)
    await goblins.workflow.wait_for_signal("done")
    return items


@goblins.workflow(name="histories.local_activity")
async def local_activity(text: str) -> list[str]:
    """Local activities: one succeeds, one succeeds on its second attempt (within the task),
    one fails; each is one LOCAL_ACTIVITY_RECORDED, all in the first workflow task."""
    out = [await goblins.workflow.execute_local_activity(echo, text)]
    out.append(await goblins.workflow.execute_local_activity(flaky, text, retry_policy=FAST_RETRY))
    try:
        await goblins.workflow.execute_local_activity(broken, text, retry_policy=FAST_RETRY)
    except goblins.ActivityFailed as exc:
        out.append(f"{exc.error_type} after {exc.attempt}")
    return out


WORKFLOWS = [
    local_activity,
    searchable,
    updated,
    activity_success,
    activity_retry,
    activity_failure,
    parallel_activities,
    timer,
    signal,
    signal_timeout,
    queried,
    cancelled,
    long_sleep,
    child,
    child_success,
    child_failure,
    countdown,
    heartbeat_checkpoint,
    deterministic,
    workflow_failure,
    terminated,
    workflow_task_failure,
    patched,
]
