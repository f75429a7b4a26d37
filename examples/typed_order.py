"""The typed API (docs/typing.md): every call below is checked by ``mypy --strict``, arguments and
results, and the tests check that it passes.

    python -m examples.typed_order ada          # an order of ada's, in-process, on typed.db

A query and an update are declared once, with their signatures, where both the workflow and
its clients import them; activities and workflows are their own declarations.
"""

from __future__ import annotations

import asyncio
import sys

import goblins
from goblins.workflow import Query, Update

# The run's state, asked by clients: () -> str.
status = Query[[], str]("status")
# Put QTY of SKU in the order, answer the SKU's new quantity: (str, int) -> int.
add_item = Update[[str, int], int]("add_item")

PRICES = {"apple": 0.5, "pear": 0.75}


@goblins.activity
async def price(sku: str, qty: int) -> float:
    return PRICES[sku] * qty


@goblins.activity
def label(customer: str, skus: list[str]) -> str:  # a plain (not async) activity
    return f"{customer}: {', '.join(sorted(skus))}"


@goblins.workflow
async def ship(label_text: str) -> str:
    await goblins.workflow.sleep(0.1)
    return f"shipped [{label_text}]"


@goblins.workflow
async def order(customer: str) -> float:
    items: dict[str, int] = {}
    state = "open"

    def check(sku: str, qty: int) -> None:
        if sku not in PRICES or qty <= 0:
            raise ValueError(f"cannot add {qty} of {sku!r}")

    def add(sku: str, qty: int) -> int:
        items[sku] = items.get(sku, 0) + qty
        return items[sku]

    goblins.workflow.set_query_handler(status, lambda: state)
    goblins.workflow.set_update_handler(add_item, add, check)
    await goblins.workflow.wait_for_signal("checkout")
    state = "paying"
    total = 0.0
    for sku, qty in items.items():
        total += await goblins.workflow.execute_activity(price, sku, qty, start_to_close_timeout=10)
    text = await goblins.workflow.execute_activity(label, customer, list(items))
    state = await goblins.workflow.execute_child(ship, text)
    return total


async def main(customer: str = "ada", db: str = "typed.db") -> float:
    async with goblins.LocalServer(db, workflows=[order, ship], activities=[price, label]) as local:
        handle = await local.client.start_workflow(
            order, customer, id=f"order-{customer}", start_update=add_item, start_update_args=["apple", 2]
        )
        pears = await handle.execute_update(add_item, "pear", 4)  # int
        print(f"{await handle.query(status)}: {pears} pears")  # status: str
        await handle.signal("checkout")
        total = await handle.result(timeout=60)  # float
        print(f"{customer} paid {total:.2f}; {await handle.query(status)}")
    return total


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:3]))
