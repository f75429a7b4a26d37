"""Tasks down the server's ``Connect`` stream (embedded mode), reports and credit up it.

The worker asks for work with credit (free slots per kind); each report it sends returns
one slot. A report stays held until the server acks it; a new session (after a reconnect)
resends the held reports in its hello, with their task ids among the running ones, so the
server does not hand those tasks to another worker meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from goblins._batching import Outbox
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.worker._source import Batch, Cancel, Registration, free_slots


class GrpcSource:
    """One ``Connect`` session; see :class:`goblins.worker._source.TaskSource`."""

    def __init__(
        self,
        stub: pb_grpc.GoblinsStub,
        registration: Registration,
        held: dict[str, pb.Report],
        started: dict[str, pb.Report] | None = None,
    ) -> None:
        self._stub = stub
        self._reg = registration
        self._unacked = held  # task id -> its report, until the server acks it
        self._outbox: Outbox[pb.Report] | None = None  # from the start of tasks(): the hello holds what came before
        self._credit = [0, 0, 0]  # activities, workflows, sync activities: slots freed since the last message
        # Activity started reports until their attempt's result is acked: a server that died
        # before it stored one gets it again in the next hello, ahead of the result.
        self._started: dict[str, pb.Report] = started if started is not None else {}
        self._call: Any = None
        self._closed = False

    def unacked(self) -> dict[str, pb.Report]:
        """The reports the server has not acked: the next session sends them again."""
        return self._unacked

    def started(self) -> dict[str, pb.Report]:
        """The started reports of attempts whose results are not acked (the next session's)."""
        return self._started

    def complete(self, task_id: str, report: pb.Report) -> None:
        self._unacked[task_id] = report
        if self._outbox is not None:
            kind = self._reg.running().get(task_id)  # still running: the worker forgets it after
            credit = self._credit
            if kind == "workflow":
                credit[1] += 1
            else:
                credit[0] += 1
                if kind == "sync_activity":
                    credit[2] += 1
            self._outbox.put(report)

    def send(self, report: pb.Report) -> None:
        if report.HasField("activity_started"):
            self._started[report.activity_started.task_id] = report
        if self._outbox is not None:
            self._outbox.put(report)

    def close(self) -> None:
        self._closed = True
        if self._outbox is not None:
            self._outbox.close()
        if self._call is not None:
            self._call.cancel()

    async def tasks(self) -> AsyncGenerator[Batch, None]:
        outbox: Outbox[pb.Report] = Outbox()
        hello = self._hello()
        self._outbox = outbox
        call = self._stub.Connect(self._messages(hello, outbox))
        self._call = call
        if self._closed:
            call.cancel()
        try:
            async for msg in call:
                for task_id in msg.acked:
                    self._unacked.pop(task_id, None)
                    self._started.pop(task_id, None)
                batch: list[pb.Task | Cancel] = [Cancel(task_id) for task_id in msg.cancelled]
                batch.extend(msg.tasks)
                yield batch
        except asyncio.CancelledError:
            if not self._closed:
                raise
        finally:
            self._closed = True
            outbox.close()
            call.cancel()

    def _hello(self) -> pb.WorkerMessage:
        reg = self._reg
        running = reg.running()
        activities, workflows, sync_activities = free_slots(reg, running)
        # Starts first: a result the server gets with no start recorded would stand alone.
        self._started = {k: r for k, r in self._started.items() if k in running or k in self._unacked}
        return pb.WorkerMessage(
            hello=pb.Hello(
                worker_id=reg.worker_id,
                workflows=list(reg.workflows),
                activities=list(reg.activities),
                running_task_ids=[*running, *self._unacked],
                sync_activities=list(reg.sync_activities),
                task_queue=reg.task_queue,
            ),
            reports=[*self._started.values(), *self._unacked.values()],
            credit=pb.Credit(activities=activities, workflows=workflows, sync_activities=sync_activities),
        )

    async def _messages(self, first: pb.WorkerMessage, outbox: Outbox[pb.Report]) -> AsyncIterator[pb.WorkerMessage]:
        yield first
        async for reports in outbox.batches():
            msg = pb.WorkerMessage(reports=reports)
            if any(self._credit):
                msg.credit.activities, msg.credit.workflows, msg.credit.sync_activities = self._credit
                self._credit = [0, 0, 0]
            yield msg
