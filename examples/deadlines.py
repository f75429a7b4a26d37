"""Timeouts: three suppliers asked for a quote under activity timeouts, and an offer that
expires with its run's execution_timeout.

    goblins server
    goblins worker examples.deadlines
    python -m examples.deadlines
    # or by hand: goblins workflow start quotes --input '["acme", "sleepy", "slowpoke"]' --wait
"""

from __future__ import annotations

import asyncio
import datetime
import os

import goblins

RETRY = goblins.RetryPolicy(maximum_attempts=5, initial_interval=0.1)
SECOND = datetime.timedelta(seconds=1)  # every duration is seconds or a timedelta


@goblins.activity
async def quote(supplier: str) -> str:
    attempt = goblins.activity.info().attempt
    if supplier == "slowpoke" or (supplier == "sleepy" and attempt == 1):
        await asyncio.sleep(3600)  # never answers (sleepy: only its first attempt hangs)
    return f"{supplier}: 42 on attempt {attempt}"


async def ask(supplier: str, start_to_close: datetime.timedelta, schedule_to_close: datetime.timedelta | None) -> str:
    try:
        answer: str = await goblins.workflow.execute_activity(
            quote,
            supplier,
            start_to_close_timeout=start_to_close,  # one attempt, at most
            schedule_to_close_timeout=schedule_to_close,  # all attempts together, at most
            retry_policy=RETRY,
        )
    except goblins.ActivityFailed as exc:
        return f"{supplier}: no quote ({exc.error_type} after {exc.attempt} attempt)"
    return answer


@goblins.workflow(name="quotes")
async def quotes(suppliers: list[str]) -> list[str]:
    # sleepy: attempt 1 is timed out after 0.5 s and retried. slowpoke: 5 s per attempt, but
    # all attempts together get 1 s, so its one attempt is cut at 1 s and no retry fits.
    limits = {"acme": (5 * SECOND, None), "sleepy": (SECOND / 2, None), "slowpoke": (5 * SECOND, SECOND)}
    return list(await asyncio.gather(*(ask(s, *limits.get(s, (5 * SECOND, None))) for s in suppliers)))


@goblins.workflow(name="offer")
async def offer(price: int) -> str:
    buyer = await goblins.workflow.wait_for_signal("accept")  # nobody accepts: the run's deadline ends it
    return f"{buyer} accepted {price}"


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> list[str]:
    async with await goblins.Client.connect(server) as client:
        asked = await client.start_workflow(quotes, ["acme", "sleepy", "slowpoke"])
        offered = await client.start_workflow(offer, 42, execution_timeout=SECOND)  # the whole run
        lines: list[str] = await asked.result(timeout=30)
        try:
            await offered.result(timeout=30)
        except goblins.WorkflowTimedOut as exc:
            lines.append(f"offer: {exc.error}")
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    asyncio.run(main())
