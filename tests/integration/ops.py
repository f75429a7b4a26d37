"""Workflows and activities of the metrics and logs tests: a known workload."""

from __future__ import annotations

import goblins

FAILED_ONCE: set[str] = set()  # keys whose first attempt (or first workflow task) failed
FAST_RETRY = goblins.RetryPolicy(initial_interval=0.05, maximum_attempts=3)


@goblins.activity
async def flaky(key: str) -> str:
    """Fails its first attempt for a key starting with "fail", then succeeds."""
    if key.startswith("fail") and key not in FAILED_ONCE:
        FAILED_ONCE.add(key)
        raise ValueError(f"first attempt of {key} fails")
    return key.upper()


@goblins.workflow
async def greet(key: str) -> str:
    return str(await goblins.workflow.execute_activity(flaky, key, start_to_close_timeout=10, retry_policy=FAST_RETRY))


@goblins.workflow
async def crashes_once(key: str) -> str:
    """Its first workflow task fails (a bug: the server retries the task), the next completes."""
    if key not in FAILED_ONCE:
        FAILED_ONCE.add(key)
        raise RuntimeError("a bug in the workflow code")
    return key


@goblins.workflow
async def refuses(key: str) -> str:
    raise goblins.ApplicationError(f"no {key}", non_retryable=True)


@goblins.workflow
async def sleeps(seconds: float) -> None:
    await goblins.workflow.sleep(seconds)


@goblins.activity
def breaks(key: str) -> str:
    """A sync activity that always fails (run in a worker's process pool by one test)."""
    raise ValueError(f"{key} is broken")


@goblins.workflow
async def calls_breaks(key: str) -> str:
    return str(
        await goblins.workflow.execute_activity(
            breaks, key, start_to_close_timeout=30, retry_policy=goblins.RetryPolicy(maximum_attempts=1)
        )
    )
