"""The seam between the worker and the way tasks reach it.

The worker runs tasks; a :class:`TaskSource` brings them and carries the reports back. It is
shaped like Temporal's bridge worker (poll, complete, heartbeat): the worker never knows
whether tasks come down a gRPC stream (embedded mode) or from Kafka topics (distributed
mode). :func:`open_source` is the one place that tells the modes apart, from the server's
cluster info.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Literal, Protocol, TypeAlias

from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc

TaskKind = Literal["activity", "sync_activity", "workflow"]
"""A running task's kind, which is also its slot: a sync activity (threads or processes) holds
a slot of ``max_sync_activities`` on top of one of ``max_activities``."""


@dataclasses.dataclass(frozen=True, slots=True)
class Cancel:
    """The server no longer wants this running task (its run was cancelled or ended)."""

    task_id: str


Batch: TypeAlias = "Sequence[pb.Task | Cancel]"


@dataclasses.dataclass(frozen=True)
class Registration:
    """What a source needs to know of its worker: names to subscribe to, and its limits."""

    worker_id: str
    workflows: Sequence[str]
    activities: Sequence[str]
    max_activities: int
    max_workflow_tasks: int
    running: Callable[[], Mapping[str, TaskKind]]
    """The worker's running tasks (task id -> kind), read whenever a source sizes its demand
    (credit, free slots) or drops a duplicate: the only view a source has of the worker."""
    sync_activities: Sequence[str] = ()
    """The activities among ``activities`` that run in the worker's bounded pool."""
    max_sync_activities: int = 0
    task_queue: str = ""
    """The task queue it polls ("": the default one)."""


def free_slots(registration: Registration, running: Mapping[str, TaskKind]) -> tuple[int, int, int]:
    """Free slots (activities, workflow tasks, sync activities) given the running tasks; zero
    for a kind the worker hosts none of."""
    count = collections.Counter(running.values())  # one pass over the running tasks
    sync, workflows = count["sync_activity"], count["workflow"]
    activities = sync + count["activity"]
    reg = registration
    return (
        max(reg.max_activities - activities, 0) if reg.activities else 0,
        max(reg.max_workflow_tasks - workflows, 0) if reg.workflows else 0,
        max(reg.max_sync_activities - sync, 0) if reg.sync_activities else 0,
    )


class TaskSource(Protocol):
    """Tasks in, reports out, for one session with the server.

    Requirements:

    1. :meth:`tasks` yields batches of tasks (and cancels of running tasks) no bigger than the
       free slots of ``Registration.running``, per kind (:func:`free_slots`: a worker whose sync
       activities fill their pool is handed no more of them); it yields an empty batch once the session is
       up. It ends after :meth:`close`, and raises ``grpc.aio.AioRpcError`` when the server
       is lost (the worker then reconnects and opens a new source).
    2. :meth:`complete` takes a task's one report and keeps it until the server has it (an
       ack on the stream, or the broker's acknowledgement); a task whose report is lost is
       redelivered, never dropped.
    3. :meth:`send` is fire-and-forget (activity started, heartbeats); a heartbeat's answer,
       if the server no longer wants the task, comes back as a :class:`Cancel`.
    4. A source never calls into the worker other than through ``Registration.running``.
    """

    def tasks(self) -> AsyncGenerator[Batch, None]: ...

    def complete(self, task_id: str, report: pb.Report) -> None: ...

    def send(self, report: pb.Report) -> None: ...

    def close(self) -> None: ...


def open_source(
    stub: pb_grpc.GoblinsStub, info: pb.ClusterInfo, registration: Registration, previous: TaskSource | None
) -> TaskSource:
    """The source for the mode ``info`` names; ``previous`` (the source of the last session)
    hands over the reports it still holds."""
    # Imported here: the adapters import this module's types, and confluent_kafka is
    # only needed (and may only be installed) in the distributed mode.
    from goblins.worker._grpc_source import GrpcSource

    if info.transport == "kafka":
        from goblins.worker._kafka_source import KafkaSource

        return KafkaSource(stub, info, registration)
    if isinstance(previous, GrpcSource):
        return GrpcSource(stub, registration, previous.unacked(), previous.started())
    return GrpcSource(stub, registration, {})
