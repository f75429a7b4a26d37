"""Signals and cancellation: an expense waits for a manager's approval; a cancelled one refunds.

goblins server
goblins worker examples.approval
python -m examples.approval
# or by hand: goblins workflow start expense --input '"taxi"' --input 42
#             goblins workflow signal RUN_ID approve --input '"grace"'
"""

from __future__ import annotations

import asyncio
import os

import goblins


@goblins.activity
async def pay(item: str, amount: int, approver: str) -> str:
    return f"paid {amount} for {item}, approved by {approver}"


@goblins.activity
async def refund(item: str) -> str:
    return f"refunded the {item} advance"


@goblins.workflow(name="expense")
async def expense(item: str, amount: int) -> str:
    try:
        approver = await goblins.workflow.wait_for_signal("approve", timeout=3600)
    except TimeoutError:
        return f"{item}: nobody approved within an hour"
    except asyncio.CancelledError:
        # Cancelled while waiting: compensate, then finish normally.
        return await goblins.workflow.execute_activity(refund, item)
    return await goblins.workflow.execute_activity(pay, item, amount, approver)


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> list[str]:
    async with await goblins.Client.connect(server) as client:
        taxi = await client.start_workflow(expense, "taxi", 42)
        await taxi.signal("approve", "grace")  # kept until the workflow waits for it
        hotel = await client.start_workflow(expense, "hotel", 300)
        await hotel.cancel("trip called off")
        results = [await taxi.result(timeout=30), await hotel.result(timeout=30)]
    for line in results:
        print(line)
    return results


if __name__ == "__main__":
    asyncio.run(main())
