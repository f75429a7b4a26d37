"""The operator views' RPCs in the distributed mode: ListWorkers answers from the workers' Kafka
consumer group (what each member is assigned; slots unknown there), and ListWorkflows pages
through Cassandra's runs by day."""

from __future__ import annotations

import asyncio
import time

import pytest
from distributed_support import DistributedCluster

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


async def test_workers_from_the_consumer_group_and_list_pages(dcluster: DistributedCluster) -> None:
    dcluster.start_server()
    dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        deadline = time.monotonic() + 90
        while True:
            workers = await client.list_workers()
            if any("cart" in w.workflows for w in workers.workers):
                break
            assert time.monotonic() < deadline, f"no worker hosting 'cart' listed: {workers}"
            await asyncio.sleep(0.5)
        assert workers.transport == "kafka" and "slots" in workers.missing
        worker = next(w for w in workers.workers if "cart" in w.workflows)
        assert worker.worker_id and (worker.tasks_in_flight, worker.free_activity_slots) == (-1, -1)

        started = [(await client.start_workflow("cart")).run_id for _ in range(3)]

        async def pages() -> list[str]:
            seen, token = [], ""
            for _ in range(5):
                page = await client.list_workflows_page(workflow_name="cart", limit=2, page_token=token)
                seen += [r.run_id for r in page.runs]
                token = page.next_page_token
                if not token:
                    break
            return seen

        deadline = time.monotonic() + 60
        while set(seen := await pages()) != set(started):  # each run is indexed by its owner a moment after
            assert time.monotonic() < deadline, seen
            await asyncio.sleep(0.5)
        assert len(seen) == 3
        assert (await client.list_workflows_page(workflow_name="cart", created_before=1.0)).runs == []
