"""A multi-step order: reserve stock for every line in parallel, charge, then ship.

goblins server
goblins worker examples.order
python -m examples.order
"""

from __future__ import annotations

import asyncio
import dataclasses
import os

import goblins


@dataclasses.dataclass
class OrderLine:
    sku: str
    quantity: int


@dataclasses.dataclass
class Order:
    order_id: str
    customer: str
    lines: list[OrderLine]
    unit_price_cents: int = 250


@dataclasses.dataclass
class Receipt:
    order_id: str
    reservations: list[str]
    charged_cents: int
    tracking: str


@goblins.activity
async def reserve(line: OrderLine) -> str:
    return f"rsv-{line.sku}-{line.quantity}"


@goblins.activity
def charge(customer: str, cents: int) -> int:  # a plain def activity runs in a thread
    if cents <= 0:
        raise ValueError(f"nothing to charge for {customer}")
    return cents


@goblins.activity
async def ship(order_id: str, reservations: list[str]) -> str:
    return f"trk-{order_id}-{len(reservations)}"


@goblins.workflow(name="order")
async def process_order(order: Order) -> Receipt:
    reservations = await asyncio.gather(*(goblins.workflow.execute_activity(reserve, line) for line in order.lines))
    total = sum(line.quantity for line in order.lines) * order.unit_price_cents
    charged = await goblins.workflow.execute_activity(charge, order.customer, total)
    tracking = await goblins.workflow.execute_activity(ship, order.order_id, list(reservations))
    return Receipt(order.order_id, list(reservations), charged, tracking)


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> Receipt:
    order = Order("A-1", "ada", [OrderLine("apple", 3), OrderLine("pear", 2), OrderLine("plum", 1)])
    async with await goblins.Client.connect(server) as client:
        receipt: Receipt = await client.execute_workflow(process_order, order, timeout=60)
    print(receipt)
    return receipt


if __name__ == "__main__":
    asyncio.run(main())
