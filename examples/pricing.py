"""Local activities: short lookups run inside the workflow task, with no round trip each.

goblins server
goblins worker examples.pricing
python -m examples.pricing
"""

from __future__ import annotations

import asyncio
import os

import goblins

PRICES = {"apple": 120, "pear": 90, "plum": 45}  # cents: stands for a fast local cache or table
_misses: dict[str, int] = {}


@goblins.activity
async def price_of(item: str) -> int:
    """A short, idempotent lookup: a fine local activity. The first lookup of "plum" misses
    (as a cold cache might) and the retry, a few milliseconds later, finds it."""
    if item == "plum" and _misses.setdefault(item, 0) == 0:
        _misses[item] = 1
        raise LookupError(f"{item}: not in the cache yet")
    return PRICES[item]


@goblins.activity
async def charge(customer: str, cents: int) -> str:
    """Talks to a payment service: a regular activity (durable dispatch, heartbeats, long timeouts)."""
    return f"charged {customer} {cents / 100:.2f}"


@goblins.workflow(name="pricing")
async def pricing(customer: str, items: list[str]) -> str:
    fast = goblins.RetryPolicy(initial_interval=0.01, maximum_attempts=3)
    prices = [
        await goblins.workflow.execute_local_activity(price_of, item, start_to_close_timeout=2, retry_policy=fast)
        for item in items
    ]
    return await goblins.workflow.execute_activity(charge, customer, sum(prices), start_to_close_timeout=30)


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> str:
    async with await goblins.Client.connect(server) as client:
        handle = await client.start_workflow(pricing, "ada", ["apple", "pear", "plum"])
        result: str = await handle.result(timeout=60)
        recorded = [e for e in await handle.history() if e.type == goblins.events.EventType.LOCAL_ACTIVITY_RECORDED]
    print(result)
    print(f"{len(recorded)} local activities recorded, attempts {[e.attributes['attempts'] for e in recorded]}")
    return result


if __name__ == "__main__":
    asyncio.run(main())
