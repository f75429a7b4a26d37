"""Run statuses and ``describe`` in the distributed mode: Cassandra stores how each run ended,
and the workers' Kafka consumer group tells whether a connected worker hosts a workflow."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from distributed_support import DistributedCluster
from e2e_support import async_wait_until

import goblins

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


async def test_statuses_and_a_missing_worker(dcluster: DistributedCluster, tmp_path: Path) -> None:
    dcluster.start_server()
    worker = dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        cancelled = await client.start_workflow("approve", str(tmp_path / "c.log"))
        terminated = await client.start_workflow("approve", str(tmp_path / "t.log"))
        timed_out = await client.start_workflow("approve", str(tmp_path / "o.log"), execution_timeout=1.0)
        await async_wait_until(lambda: (tmp_path / "c.log").exists(), 60, "the first step")
        await cancelled.cancel("no")
        await terminated.terminate("operator")
        for handle, error in (
            (cancelled, goblins.WorkflowCancelled),
            (terminated, goblins.WorkflowTerminated),
            (timed_out, goblins.WorkflowTimedOut),
        ):
            with pytest.raises(error):
                await handle.result(timeout=60)
        assert await client.execute_workflow("rounds", 1, run_id="chain", timeout=60) == 42
        expected = {
            cancelled.run_id: "CANCELLED",
            terminated.run_id: "TERMINATED",
            timed_out.run_id: "TIMED_OUT",
            "chain": "CONTINUED_AS_NEW",
            "chain~2": "COMPLETED",
        }
        listed = {r.run_id: r.status for r in await client.list_workflows(limit=100)}
        assert {run_id: listed.get(run_id) for run_id in expected} == expected
        assert [r.run_id for r in await client.list_workflows(status="cancelled")] == [cancelled.run_id]
        # A row as release 0.x wrote it (FAILED for a cancelled run) is read by its end event, and corrected.
        await asyncio.to_thread(_set_status, dcluster, cancelled.run_id, "FAILED")
        assert [r.run_id for r in await client.list_workflows(status="FAILED")] == []
        assert [r.run_id for r in await client.list_workflows(status="CANCELLED")] == [cancelled.run_id]
        assert await asyncio.to_thread(_status, dcluster, cancelled.run_id) == "CANCELLED"
        for run_id, status in expected.items():
            assert (await client.get_workflow_handle(run_id, run_id=run_id).describe()).status == status

        env = {k: v for k, v in os.environ.items() if not k.startswith("GOBLINS_")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "goblins.cli",
            *("workflow", "list", "--status", "Terminated", "--server", dcluster.address),
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0
        assert [line.split()[:3] for line in out.decode().splitlines()[1:]] == [
            [terminated.run_id, "approve", "TERMINATED"]
        ]

        cart = await client.start_workflow("cart")
        await cart.signal("add", "apple")

        async def waits_for_add() -> bool:
            return (await cart.describe()).signals_waited_for == ("add",)

        await until(waits_for_add, 60, "describe to name the awaited signal")
        worker.kill9()

        async def says_no_worker() -> bool:
            return "no connected worker hosts workflow 'cart'" in (await cart.describe()).reasons

        # The group forgets the dead worker when its Kafka session expires.
        await until(says_no_worker, 90, "describe to name the missing worker")
        d = await cart.describe()
        assert (d.status, d.signals_received) == ("RUNNING", ("add",))


def _set_status(dcluster: DistributedCluster, run_id: str, status: str) -> None:
    _cql(dcluster, "UPDATE runs SET status = %s WHERE run_id = %s", (status, run_id))


def _status(dcluster: DistributedCluster, run_id: str) -> str:
    return str(_cql(dcluster, "SELECT status FROM runs WHERE run_id = %s", (run_id,))[0].status)


def _cql(dcluster: DistributedCluster, statement: str, args: tuple[str, ...]) -> list[Any]:
    from cassandra.cluster import Cluster as CassandraCluster

    host, _, port = dcluster.cassandra.rpartition(":")
    cluster = CassandraCluster([host], port=int(port))
    try:
        return list(cluster.connect(dcluster.namespace).execute(statement, args))
    finally:
        cluster.shutdown()
