"""Updates, signal-with-start and update-with-start in the distributed mode: two servers on
Kafka + Cassandra, the calls made through the server that does not own the run."""

from __future__ import annotations

import pytest
from distributed_support import DistributedCluster
from wf_updates import ADD

import goblins

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


async def test_updates_and_with_start_through_either_server(dcluster: DistributedCluster) -> None:
    dcluster.start_server()
    _, other_address = dcluster.start_other_server()
    dcluster.start_worker("wf_updates", "--server", f"{dcluster.address},{other_address}")
    async with await dcluster.client() as client, await goblins.Client.connect(other_address) as other:
        started = await client.start_workflow("counter", 1, run_id="c-1", start_signal="bump", start_signal_args=[2])
        handle = other.get_workflow_handle(started.run_id)
        assert await handle.execute_update(ADD, 10, timeout=60) == 13  # the start's signal came first
        before = len(await handle.history())
        with pytest.raises(goblins.UpdateRejected, match="n must be positive"):
            await handle.execute_update("add", -1, timeout=60)
        assert len(await handle.history()) == before
        assert await handle.execute_update("add", 1, update_id="once", timeout=60) == 14
        assert await handle.execute_update("add", 1, update_id="once", timeout=60) == 14  # resent: run once
        again = await other.start_workflow("counter", 0, run_id="c-1", start_update=ADD, start_update_args=[6])
        assert again.started_update is not None and await again.started_update.result(timeout=60) == 20
        await handle.signal("bump", 0)
        assert await started.result(timeout=60) == 20
        types = [e.type.value for e in await handle.history()]
    assert types[:2] == ["WORKFLOW_SCHEDULED", "WORKFLOW_SIGNALED"]
    assert types.count("UPDATE_ACCEPTED") == 3 and types.count("UPDATE_COMPLETED") == 3
