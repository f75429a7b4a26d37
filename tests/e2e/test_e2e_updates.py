"""Updates across kill -9 of the worker and of the server (workflows: wf_updates.py).

An update is accepted and in flight (its handler waits on a signal) when the process dies; the
caller's ``execute_update`` still returns the handler's answer, once, and the handler's effects
(the workflow's balance, the activity it ran) happen once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from e2e_support import Cluster, async_wait_until, check_clean, counts, texts, wait_history

import goblins

pytestmark = pytest.mark.e2e

SUCCESS = "ACTIVITY_FINISHED_IN_SUCCESS"


def _accepted(n: int):  # type: ignore[no-untyped-def]
    return lambda types: types.count("UPDATE_ACCEPTED") == n and types.count(SUCCESS) == n


@pytest.mark.both_modes
async def test_an_update_in_flight_survives_worker_and_server_kills(cluster: Cluster, tmp_path: Path) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    first = cluster.start_worker("wf_updates")
    async with await cluster.client() as client:
        handle = await client.start_workflow("ledger", str(log))
        await wait_history(handle, lambda types: "WORKFLOW_STARTED" in types, "the run to start")
        before = len(await handle.history())
        with pytest.raises(goblins.UpdateRejected, match="a deposit must be positive"):
            await handle.execute_update("deposit", -1, timeout=30)
        assert len(await handle.history()) == before  # rejected: nothing recorded

        # 1. The worker dies while the update waits for its confirmation.
        update = asyncio.ensure_future(handle.execute_update("deposit", 5))
        await wait_history(handle, _accepted(1), "the first update to be accepted and noted", timeout=cluster.recovery)
        first.kill9()
        if cluster.mode == "embedded":
            await async_wait_until(lambda: cluster.server_saw_disconnect(first), 20, "the server to drop the worker")
        second = cluster.start_worker("wf_updates")
        await handle.signal("confirm")
        assert await asyncio.wait_for(update, cluster.recovery) == 5

        # 2. The server dies while the second update waits; the caller's call breaks and is resent.
        update = asyncio.ensure_future(handle.execute_update("deposit", 10))
        await wait_history(handle, _accepted(2), "the second update to be accepted and noted", timeout=cluster.recovery)
        cluster.kill_server()
        cluster.start_server()
        if cluster.mode == "embedded":  # a Kafka worker has no session: it reads its topics on
            cluster.wait_worker_connected(second)
        await handle.signal("confirm")
        assert await asyncio.wait_for(update, cluster.recovery) == 15

        assert await handle.query("balance") == 15
        await handle.signal("close")
        assert await handle.result(timeout=cluster.recovery) == 15
        types = [e.type.value for e in await handle.history()]
    assert types.count("UPDATE_ACCEPTED") == 2 and types.count("UPDATE_COMPLETED") == 2
    assert texts(log) == ["deposit 5", "deposit 10"], "an update's activity ran twice"
    events = cluster.stored_events(handle.run_id)
    check_clean(events)
    assert counts(events)["UPDATE_COMPLETED"] == 2
