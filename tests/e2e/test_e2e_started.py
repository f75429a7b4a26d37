"""A server killed (-9) while an activity runs may not have stored its ACTIVITY_STARTED: the
worker sends the start again on reconnect (ahead of a result it still holds), so the history
has the start, once, before the finish (issue 10, low item)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import Cluster, async_wait_until

import goblins
from goblins.api import v1 as pb
from goblins.worker._grpc_source import GrpcSource

pytestmark = pytest.mark.e2e


@goblins.activity
async def wait_for_file(path: str) -> str:
    while not os.path.exists(path):  # noqa: ASYNC240 (a stat every 20 ms)
        await asyncio.sleep(0.02)
    return "done"


@goblins.workflow
async def one_waiting_step(path: str) -> str:
    return str(await goblins.workflow.execute_activity(wait_for_file, path, start_to_close_timeout=60))


@pytest.mark.parametrize("finished_while_down", [False, True], ids=["running", "finished-while-down"])
async def test_a_start_lost_with_the_server_is_recorded_after_its_restart(
    cluster: Cluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    measure: Callable[[str], None],
    finished_while_down: bool,
) -> None:
    lost: list[pb.Report] = []
    send = GrpcSource.send

    def losing(self: GrpcSource, report: pb.Report) -> None:
        """The first start never reaches the server: it dies before it reads (or stores) it."""
        if report.HasField("activity_started") and not lost:
            lost.append(report)
            outbox, self._outbox = self._outbox, None
            try:
                send(self, report)
            finally:
                self._outbox = outbox
            return
        send(self, report)

    monkeypatch.setattr(GrpcSource, "send", losing)
    flag = tmp_path / "finish"
    cluster.start_server()
    worker = goblins.Worker(cluster.address, workflows=[one_waiting_step], activities=[wait_for_file])
    running = asyncio.create_task(worker.run())
    try:
        await worker.wait_connected(20)
        async with await cluster.client() as client:
            handle = await client.start_workflow(one_waiting_step, str(flag), run_id="lost-start")
        await async_wait_until(lambda: lost, cluster.patience, "the activity to start")
        cluster.kill_server()
        if finished_while_down:
            flag.touch()
            await async_wait_until(lambda: not worker._running, cluster.patience, "the activity to finish")
        cluster.start_server()
        await worker.wait_connected(20)
        flag.touch()
        async with await cluster.client() as client:
            handle = client.get_workflow_handle("lost-start")
            assert await handle.result(timeout=cluster.recovery) == "done"
            types = [e.type.name for e in await handle.history()]
    finally:
        await worker.shutdown()
        await running
    activity = [t for t in types if t.startswith("ACTIVITY_")]
    assert activity == ["ACTIVITY_SCHEDULED", "ACTIVITY_STARTED", "ACTIVITY_FINISHED_IN_SUCCESS"], types
    state = "finished" if finished_while_down else "running"
    measure(f"lost ACTIVITY_STARTED ({state} while the server was down): recorded once, before the finish")
