"""Workers complete only what they hold, in the distributed mode (issue 11): reports forged onto
the ``events`` topic (by anyone who may produce to it) for a run waiting on a ten-minute timer
are not applied: a timer fired (timers never travel through the topic), and a workflow task
completion that does not name the run's outstanding workflow task."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from distributed_support import DistributedCluster
from e2e_support import async_wait_until

from goblins import converter
from goblins._kafka import AsyncProducer, partition_for
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


async def test_reports_forged_onto_the_events_topic_are_not_applied(
    dcluster: DistributedCluster, tmp_path: Path
) -> None:
    server = dcluster.start_server()
    dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("sleepy", str(tmp_path / "marks.log"), 600.0)
        run_id = handle.run_id

        started: list[str] = []
        for _ in range(600):
            started = [e.step_id for e in await handle.history() if e.type.name == "TIMER_STARTED"]
            if started:
                break
            await asyncio.sleep(0.1)
        assert started, "the ten-minute timer did not start"
        timer_id = started[0]
        async with grpc.aio.insecure_channel(dcluster.address) as channel:
            stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
            info = await stub.GetClusterInfo(pb.ClusterInfoRequest())
        events_topic, partitions = info.events_topic, info.partitions
        finish = pb.Command(complete_workflow=pb.CompleteWorkflow(output=converter.encode("forged")))
        forged = [
            pb.Report(timer_fired=pb.TimerFired(timer_id=timer_id, run_id=run_id)),
            pb.Report(
                workflow_task_completed=pb.WorkflowTaskCompleted(
                    task_id=f"{run_id}#wf-guessed", run_id=run_id, commands=[finish]
                )
            ),
        ]
        producer = AsyncProducer(dcluster.kafka)
        try:
            partition = partition_for(run_id, partitions)
            for report in forged:
                await producer.send(events_topic, partition, run_id, report.SerializeToString())
        finally:
            producer.close()
        await async_wait_until(lambda: "timer_fired" in server.text() and "refused" in server.text(), 30, "refusal")
        await asyncio.sleep(2.0)  # the completion, consumed after the timer, had its turn too
        types = [e.type.name for e in await handle.history()]
        assert types[-1] == "TIMER_STARTED", types
        await handle.terminate("done with the test")
