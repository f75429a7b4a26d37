"""Search attributes and memo: orders found by customer, amount and stage with a query.

goblins server
goblins worker examples.orders_search
python -m examples.orders_search
"""

from __future__ import annotations

import asyncio
import os

import goblins


@goblins.workflow(name="search_order")
async def search_order(customer: str) -> str:
    goblins.workflow.upsert_search_attributes({"stage": "paid"})  # recorded, replayed, indexed
    await goblins.workflow.wait_for_signal("ship")
    goblins.workflow.upsert_search_attributes({"stage": "shipped"})
    return f"shipped to {customer}"


async def _until(client: goblins.Client, query: str, n: int) -> None:
    for _ in range(300):
        try:
            if await client.count_workflows(query) == n:
                return
        except goblins.GoblinsError:
            pass  # "stage" is declared by the first upsert: not yet
        await asyncio.sleep(0.1)
    raise TimeoutError(query)


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> None:
    async with await goblins.Client.connect(server) as client:
        await client.add_search_attribute("note", "text")  # text: declared ahead (a str is a keyword)
        handles = []
        for i, (customer, amount) in enumerate([("c-17", 42.5), ("c-17", 310.0), ("c-18", 99.0)]):
            handles.append(
                await client.start_workflow(
                    search_order,
                    customer,
                    id=f"search-order-{i}",
                    search_attributes={"customer": customer, "amount": amount, "note": f"parcel {i}"},
                    memo={"desk": "north"},
                )
            )
        await _until(client, "WorkflowType = 'search_order' AND stage = 'paid'", 3)
        query = "WorkflowType = 'search_order' AND customer = 'c-17' ORDER BY amount DESC"
        for run in await client.list_workflows(query=query):
            print(run.workflow_id, run.search_attributes["amount"], run.search_attributes["stage"])
        await handles[1].signal("ship")
        print(await handles[1].result(timeout=30))
        await _until(client, "stage = 'shipped'", 1)
        print("over 50:", await client.count_workflows("amount > 50 AND ExecutionStatus = 'Running'"))
        try:
            await client.list_workflows(query="customer = 'c-17' AND amount >")
        except ValueError as exc:
            print(exc)
        for h in (handles[0], handles[2]):
            await h.terminate("example over")


if __name__ == "__main__":
    asyncio.run(main())
