"""A worker whose sync activities fill their pool (`--max-concurrent-sync-activities`) is
handed no more of them: the next one goes to a worker that can start it (issue 10 item 11).

Embedded mode only: in the distributed mode all tasks of a run share one partition, which
the full worker keeps (paused, so the task stays in Kafka) unless a rebalance moves it; the
Kafka source's flow control is tested in tests/unit/test_worker_flow.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import Cluster, async_wait_until, read_lines

pytestmark = pytest.mark.e2e


async def test_sync_tasks_beyond_a_workers_pool_go_to_another_worker(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "sync.log"
    cluster.start_server()
    first = cluster.start_worker("wf_sync", "--max-concurrent-sync-activities", "2")
    async with await cluster.client() as client:
        handle = await client.start_workflow("fan_out_sync", str(log), 3, 8.0)
        await async_wait_until(lambda: len(read_lines(log)) >= 2, cluster.patience, "two attempts to start")
        await asyncio.sleep(1.0)  # the third is not taken by the first worker meanwhile
        assert len(read_lines(log)) == 2
        second = cluster.start_worker("wf_sync")
        await async_wait_until(lambda: len(read_lines(log)) >= 3, cluster.patience, "the third attempt to start")
        pids = sorted(int(pid) for _, pid in read_lines(log))
        assert pids == sorted([first.pid, first.pid, second.pid]), (pids, first.pid, second.pid)
        result = await handle.result(timeout=cluster.recovery)
    assert sorted(result) == pids
    measure("a full sync pool took no third sync task; it ran on the second worker")
