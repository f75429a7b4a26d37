"""The task transport port, and the embedded adapter (tasks over each worker's gRPC stream).

A transport receives the tasks of a batch only after the store has made the batch durable.
The embedded adapter keeps tasks in the SQLite tasks table (the store writes them) and hands
them to connected workers; the Kafka adapter (kafka.py) produces them to the `tasks` topic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from goblins._proto import goblins_pb2 as pb
from goblins.server.dispatcher import Dispatcher
from goblins.server.engine import RunState, TaskRecord

if TYPE_CHECKING:
    from goblins.server.core import Core

# After a restart, tasks that were in flight wait this long for their workers to reconnect
# and claim them (a worker resends its results), instead of running twice.
RESTART_GRACE = 2.0


class Transport(Protocol):
    kind: str

    async def start(self, core: Core) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, new_tasks: list[TaskRecord], done_tasks: list[str]) -> None: ...
    def forget_run(self, run_id: str) -> None: ...
    def cluster_info(self) -> pb.ClusterInfo: ...
    async def send_query(self, query: pb.QueryTask) -> bool: ...
    async def send(self, report: pb.Report) -> None:
        """A client's start, signal or cancel, to the server that owns the run (distributed)."""
        ...
    def observe(self, events: list[pb.Event], runs: Mapping[str, RunState], reloaded: bool = False) -> None: ...
    def heartbeat(self, task_id: str, details: bytes) -> None: ...
    def holds(self, task_id: str) -> bool:
        """Whether this transport keeps the task as still to be done (it need not know)."""
        ...


class EmbeddedTransport:
    """Tasks stored in SQLite, dispatched over the workers' Connect streams."""

    kind = "embedded"

    def __init__(self) -> None:
        self.dispatcher: Dispatcher | None = None
        self._ticker: asyncio.Task[Any] | None = None

    async def start(self, core: Core) -> None:
        self.dispatcher = Dispatcher(
            core.build_workflow_task, core.activity_timed_out, core.timer_due, core.deliver, core.clock
        )
        self.dispatcher.add(await core.store.pending_tasks(), not_before=core.clock() + RESTART_GRACE)
        self._ticker = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        assert self.dispatcher is not None
        while True:
            await asyncio.sleep(0.05)
            self.dispatcher.tick()

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)

    async def publish(self, new_tasks: list[TaskRecord], done_tasks: list[str]) -> None:
        assert self.dispatcher is not None
        self.dispatcher.done(done_tasks)
        self.dispatcher.add(new_tasks)

    def forget_run(self, run_id: str) -> None:
        if self.dispatcher is not None:
            self.dispatcher.forget_run(run_id)

    def cluster_info(self) -> pb.ClusterInfo:
        return pb.ClusterInfo(transport=self.kind)

    async def send_query(self, query: pb.QueryTask) -> bool:
        return self.dispatcher is not None and self.dispatcher.send_query(query)

    async def send(self, report: pb.Report) -> None:
        # One server owns every run here: the Core records clients' reports itself.
        raise NotImplementedError("the embedded transport routes no reports to other servers")

    def observe(self, events: list[pb.Event], runs: Mapping[str, RunState], reloaded: bool = False) -> None:
        pass  # the dispatcher's leases start when it hands a task out

    def heartbeat(self, task_id: str, details: bytes) -> None:
        if self.dispatcher is not None:
            self.dispatcher.heartbeat(task_id, details)

    def holds(self, task_id: str) -> bool:
        """Whether the task is still to be done (stored and not finished)."""
        return self.dispatcher is not None and self.dispatcher.holds(task_id)
