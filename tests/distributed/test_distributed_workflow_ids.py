"""Workflow ids across servers: starts of one id raced through two servers make one run (the
Cassandra lightweight transaction on the id's row decides), and a handle by id follows it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from distributed_support import DistributedCluster

import goblins

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]

STARTS = 12  # per server, per round


async def test_starts_of_one_id_raced_through_two_servers_make_one_run(
    dcluster: DistributedCluster, tmp_path: Path
) -> None:
    dcluster.start_server()
    _, other = dcluster.start_other_server()
    dcluster.start_worker("wf_primitives")
    one = await dcluster.client()
    two = await goblins.Client.connect(other, timeout=10)
    try:

        async def start(client: goblins.Client, wid: str, n: int, **policy: str) -> str | None:
            try:
                handle = await client.start_workflow("approve", str(tmp_path / f"{wid}-{n}.log"), id=wid, **policy)
            except goblins.WorkflowAlreadyStarted as refused:
                assert refused.workflow_id == wid
                return None
            return handle.run_id

        for wid in ("race-1", "race-2"):
            starts = [start(c, wid, n) for n in range(STARTS) for c in (one, two)]
            won = [r for r in await asyncio.gather(*starts) if r]
            assert len(won) == 1, f"{wid}: {won}"
            # USE_EXISTING through either server answers with the winner.
            same = await asyncio.gather(*(start(c, wid, 99, id_conflict_policy="USE_EXISTING") for c in (one, two)))
            assert same == won * 2
            # A signal by id through the other server reaches it.
            await two.get_workflow_handle(wid).signal("approve", "ops")
            assert await one.get_workflow_handle(wid).result(timeout=60) == "approved by ops"
            runs = [r for r in await one.list_workflows(limit=1000) if r.workflow_id == wid]
            assert [r.run_id for r in runs] == won
        # A closed id raced with ALLOW_DUPLICATE: again one new run.
        starts = [start(c, "race-1", n) for n in range(STARTS) for c in (one, two)]
        won = [r for r in await asyncio.gather(*starts) if r]
        assert len(won) == 1
        await one.get_workflow_handle("race-1").terminate("done")
    finally:
        await one.close()
        await two.close()
