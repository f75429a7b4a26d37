"""Distributed mode: a 70 MiB history of big results completes; workflow tasks on Kafka carry at
most 256 KiB of events and the worker reads the rest in pages over gRPC (issue 10 item 2)."""

from __future__ import annotations

import asyncio
import contextlib

from distributed_support import DistributedCluster

import goblins
from tests.integration import payloads as p
from tests.integration.test_paging import N, successes


async def test_a_70_mib_history_completes_over_kafka_read_in_pages(dcluster: DistributedCluster) -> None:
    dcluster.start_server(env={"GOBLINS_MAX_HISTORY_BYTES": str(256 * 1024 * 1024)})
    worker = goblins.Worker(
        dcluster.address, workflows=[p.big_history], activities=[p.blob], max_concurrent_activities=8
    )
    running = asyncio.create_task(worker.run())
    try:
        await worker.wait_connected(timeout=60)
        async with await dcluster.client() as client:
            handle = await client.start_workflow(p.big_history, N)
            await successes(handle, N // 2, timeout=240)
            await handle.signal("go")
            assert await handle.result(timeout=300) == N * p.RESULT
        assert worker._pages_fetched > 0, "tasks on Kafka carried a page of events and a token for the rest"
    finally:
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 30)
