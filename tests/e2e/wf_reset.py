"""The workflow of the reset story (docs/reset.md), hosted by `goblins worker wf_reset`; the
release has a bug: it ships a negative amount, which the shipping activity refuses, failing the
run. `wf_reset_fixed` is the same code after the fix is deployed.

Activities append ``<name> <amount>:<pid>`` to a log file the test reads (wf_steps._append).
"""

from __future__ import annotations

import os

from wf_steps import _append

import goblins

FIXED = False  # the deployed code: wf_reset_fixed sets it before any task runs
ONCE = goblins.RetryPolicy(maximum_attempts=1)


@goblins.activity(name="reset.step")
async def step(log: str, name: str, amount: int) -> str:
    _append(log, f"{name} {amount}:{os.getpid()}")
    if amount < 0:
        raise goblins.ApplicationError(f"{name}: amount {amount} is negative", non_retryable=True)
    return f"{name} {amount}"


@goblins.workflow(name="reset.shipping")
async def shipping(log: str, quantity: int) -> list[str]:
    """Reserve, charge, ship (the bug: the amount's sign), then wait for "delivered"."""
    done = [await goblins.workflow.execute_activity(step, log, "reserve", quantity, retry_policy=ONCE)]
    done.append(await goblins.workflow.execute_activity(step, log, "charge", quantity * 10, retry_policy=ONCE))
    amount = quantity if FIXED else -quantity
    done.append(await goblins.workflow.execute_activity(step, log, "ship", amount, retry_policy=ONCE))
    done.append(await goblins.workflow.wait_for_signal("delivered"))
    return done
