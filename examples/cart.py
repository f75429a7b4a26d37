"""Queries with signals: a shopping cart you add to (signals) and look into (queries).

goblins server
goblins worker examples.cart
python -m examples.cart
"""

from __future__ import annotations

import asyncio
import os

import goblins


@goblins.activity
async def charge(items: list[str]) -> str:
    return f"charged for {len(items)} items"


@goblins.workflow(name="cart")
async def cart(customer: str) -> str:
    items: list[str] = []
    goblins.workflow.set_query_handler("items", lambda: list(items))  # read-only: recorded nowhere
    while (item := await goblins.workflow.wait_for_signal("add")) != "checkout":
        items.append(item)
    return f"{customer}: " + await goblins.workflow.execute_activity(charge, items)


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> str:
    async with await goblins.Client.connect(server) as client:
        handle = await client.start_workflow(cart, "ada")
        for item in ("apple", "pear"):
            await handle.signal("add", item)
        while (items := await handle.query("items")) != ["apple", "pear"]:
            await asyncio.sleep(0.05)  # signals are durable at once; the workflow sees them a moment later
        print("in the cart:", items)
        await handle.signal("add", "checkout")
        result: str = await handle.result(timeout=30)
    print(result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
