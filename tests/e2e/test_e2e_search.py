"""Search attributes in both modes, across a kill -9 of the server: started with attributes,
upserted by the workflow, found by a query and counted; the declarations and the index survive
the kill (workflows: wf_search.py)."""

from __future__ import annotations

import asyncio
import time

import pytest
from e2e_support import Cluster

import goblins

pytestmark = pytest.mark.e2e


async def _until_count(client: goblins.Client, query: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (got := await _count(client, query)) != n:
        if time.monotonic() > deadline:
            raise AssertionError(f"{query!r}: {got} runs, not {n}, after {timeout:g}s")
        await asyncio.sleep(0.1)


async def _count(client: goblins.Client, query: str) -> int:
    try:
        return await client.count_workflows(query)
    except goblins.GoblinsError as exc:
        if "unknown search attribute" in str(exc):  # not declared yet: its first upsert is to come
            return -1
        raise


@pytest.mark.both_modes
async def test_attributes_are_indexed_upserted_and_survive_a_server_kill(cluster: Cluster) -> None:
    cluster.start_server()
    cluster.start_worker("wf_search")
    async with await cluster.client() as client:
        assert await client.add_search_attribute("note", "text") == {"note": "text"}
        handles = [
            await client.start_workflow(
                "order",
                f"c-{i}",
                id=f"order-{i}",
                search_attributes={"customer": f"c-{i % 2}", "amount": 10.0 * i, "note": f"parcel {i}"},
                memo={"i": i},
            )
            for i in range(4)
        ]
        await _until_count(client, "WorkflowType = 'order' AND stage = 'paid'", 4, cluster.recovery)
        runs = await client.list_workflows(query="customer = 'c-1' ORDER BY amount DESC")
        assert [r.workflow_id for r in runs] == ["order-3", "order-1"]
        assert runs[0].search_attributes == {"customer": "c-1", "amount": 30.0, "note": "parcel 3", "stage": "paid"}

        cluster.kill_server()
        cluster.start_server()
        await handles[1].signal("ship")
        assert await handles[1].result(timeout=cluster.recovery) == "shipped to c-1"
        await _until_count(client, "stage = 'shipped' AND ExecutionStatus = 'Completed'", 1, cluster.recovery)
        assert await client.count_workflows("amount >= 0") == 3  # the shipped run's amount was removed
        assert await client.count_workflows("note = 'parcel' AND NOT customer = 'c-0'") == 2
        assert (await client.list_search_attributes())["note"] == "text"  # declarations are durable
        described = await handles[1].describe()
        assert described.search_attributes == {"customer": "c-1", "note": "parcel 1", "stage": "shipped"}
        assert described.memo == {"i": 1}
        for h in (handles[0], handles[2], handles[3]):
            await h.terminate("story over")
