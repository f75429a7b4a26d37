"""Workflows for the reset tests. ``FIXED`` is the deployed code: False is the release with the
bug (the shipping amount is computed wrong), True the release with the fix."""

from __future__ import annotations

import collections

import goblins

FIXED = False
RAN: collections.Counter[str] = collections.Counter()  # activity executions, counted by the activities
ONCE = goblins.RetryPolicy(maximum_attempts=1)


@goblins.activity(name="reset.step")
async def step(name: str, amount: int) -> str:
    RAN[name] += 1
    if amount < 0:
        raise goblins.ApplicationError(f"{name}: amount {amount} is negative", non_retryable=True)
    return f"{name} {amount}"


@goblins.workflow(name="reset.order")
async def order(quantity: int) -> list[str]:
    """Reserve, charge, ship; the buggy release ships a negative amount, which fails the run."""
    done = [await goblins.workflow.execute_activity(step, "reserve", quantity, retry_policy=ONCE)]
    done.append(await goblins.workflow.execute_activity(step, "charge", quantity * 10, retry_policy=ONCE))
    amount = quantity if FIXED else -quantity  # the bug: the sign
    done.append(await goblins.workflow.execute_activity(step, "ship", amount, retry_policy=ONCE))
    return done


@goblins.workflow(name="reset.collect")
async def collect(n: int) -> list[str]:
    """Collects ``n`` "add" signals, running one step after each."""
    got: list[str] = []
    while len(got) < n:
        item = await goblins.workflow.wait_for_signal("add")
        got.append(await goblins.workflow.execute_activity(step, f"add-{item}", 1, retry_policy=ONCE))
    return got


@goblins.workflow(name="reset.sleeper")
async def sleeper(seconds: float) -> str:
    """One step, then a timer, then another step."""
    first = await goblins.workflow.execute_activity(step, "before-sleep", 1, retry_policy=ONCE)
    await goblins.workflow.sleep(seconds)
    return first + " / " + await goblins.workflow.execute_activity(step, "after-sleep", 1, retry_policy=ONCE)
