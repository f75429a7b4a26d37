"""Metrics in the distributed mode: a server on Kafka and Cassandra and a worker, both with a
metrics port, scraped over HTTP after a known workload (issue 12)."""

from __future__ import annotations

import asyncio

import pytest
from distributed_support import DistributedCluster
from e2e_support import async_wait_until

from benchmarks.procs import free_port
from tests.integration.test_metrics import scrape, value

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


async def test_server_and_worker_metrics_in_the_distributed_mode(dcluster: DistributedCluster) -> None:
    server_port, worker_port = free_port(), free_port()
    dcluster.start_server(env={"GOBLINS_METRICS_PORT": str(server_port), "GOBLINS_LOG_FORMAT": "json"})
    await async_wait_until(lambda: dcluster.owns_partitions(dcluster.server), 60, "the server to own partitions")
    dcluster.start_worker("wf_steps", "--metrics-port", str(worker_port))
    async with await dcluster.client() as client:
        handles = [await client.start_workflow("two_steps", x) for x in range(5)]
        assert await asyncio.gather(*(h.result(timeout=90) for h in handles)) == [2 * x + 1 for x in range(5)]
    s = await asyncio.to_thread(scrape, server_port)
    assert value(s, "goblins_workflows_started_total") == 5
    assert value(s, "goblins_workflows_finished_total", status="COMPLETED") == 5
    for activity in ("double", "increment"):
        assert value(s, "goblins_activity_attempts_total", activity=activity, outcome="success") == 5
    # Read from the history here: ACTIVITY_SCHEDULED to ACTIVITY_STARTED of each first attempt.
    assert value(s, "goblins_schedule_to_start_seconds_count", kind="activity") == 10
    assert value(s, "goblins_commit_seconds_count") >= 1
    assert value(s, "goblins_runs_open") == 0
    w = await asyncio.to_thread(scrape, worker_port)
    assert value(w, "goblins_activity_seconds_count", activity="double") == 5
    assert value(w, "goblins_activity_seconds_count", activity="increment") == 5
    assert value(w, "goblins_worker_connected") == 1
    assert value(w, "goblins_worker_slots_used", kind="activity") == 0
