"""Reset across servers (docs/reset.md): resets of one run raced through two servers make one
new run (the Cassandra lightweight transaction on the id's row decides); the losers are told
so; the old run ends with a link to the new one, which the other server's client can drive."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from distributed_support import DistributedCluster

import goblins

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]

RESETS = 4  # per server


async def test_resets_of_one_run_raced_through_two_servers_make_one_new_run(
    dcluster: DistributedCluster, tmp_path: Path
) -> None:
    dcluster.start_server()
    _, other = dcluster.start_other_server()
    dcluster.start_worker("wf_primitives")
    one = await dcluster.client()
    two = await goblins.Client.connect(other, timeout=10)
    try:
        handle = await one.start_workflow("approve", str(tmp_path / "approve.log"), id="reset-race")
        pinned = one.get_workflow_handle("reset-race", run_id=handle.run_id)
        while not [e for e in await pinned.history() if e.type.value == "WORKFLOW_STARTED"]:
            await asyncio.sleep(0.1)  # the start is on its way through Kafka
        resets = [c.get_workflow_handle("reset-race", run_id=handle.run_id) for _ in range(RESETS) for c in (one, two)]
        outcomes = await asyncio.gather(*(h.reset(to_step=1, reason="race") for h in resets), return_exceptions=True)
        won = [o for o in outcomes if isinstance(o, goblins.WorkflowHandle)]
        assert len(won) == 1, outcomes
        assert all("nothing was reset" in str(o) for o in outcomes if isinstance(o, BaseException)), outcomes
        with pytest.raises(goblins.WorkflowTerminated):
            await pinned.result(timeout=60)
        assert (await pinned.describe()).reset_to == won[0].run_id
        await two.get_workflow_handle("reset-race").signal("approve", "ops")
        assert await one.get_workflow_handle("reset-race").result(timeout=60) == "approved by ops"
        described = await won[0].describe()
        assert described.reset_from == f"{handle.run_id} at step 1"
        runs = [r for r in await one.list_workflows(limit=1000) if r.workflow_id == "reset-race"]
        assert sorted(r.status for r in runs) == ["COMPLETED", "TERMINATED"]
    finally:
        await one.close()
        await two.close()
