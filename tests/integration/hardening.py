"""Workflows and activities that misbehave: the hardening tests (module level: annotations resolve)."""

from __future__ import annotations

import goblins

CRASH: list[type[BaseException]] = []  # while set, ``crashing`` raises its first entry


class Fatal(BaseException):
    """A BaseException of the user's own, neither Exception nor one asyncio lets escape."""


class Unprintable(Exception):
    """An exception that cannot be described: its __str__ raises."""

    def __str__(self) -> str:
        raise RuntimeError("no text for you")


@goblins.workflow
async def crashing(x: int) -> int:
    if CRASH:
        raise CRASH[0]()
    return x + 1


@goblins.activity
async def unprintable_activity() -> None:
    raise Unprintable()


@goblins.workflow
async def calls_unprintable() -> str:
    try:
        await goblins.workflow.execute_activity(
            unprintable_activity, start_to_close_timeout=5, retry_policy=goblins.RetryPolicy(maximum_attempts=1)
        )
    except goblins.ActivityFailed as exc:
        return exc.error_type
    return "no error"


@goblins.workflow(failure_exception_types=[Unprintable])
async def raises_unprintable() -> None:
    raise Unprintable()
