"""Task queues from a client: their limits, set and read (docs/task-queues.md)."""

from __future__ import annotations

import dataclasses
from typing import Any

from goblins._queues import DEFAULT_QUEUE, check_queue
from goblins.api import v1 as pb


@dataclasses.dataclass(frozen=True)
class TaskQueueInfo:
    """A task queue: its limits (0: none), and its tasks and workers as the server sees them."""

    name: str
    max_concurrent: int = 0
    rate_per_second: float = 0.0
    max_per_key: int = 0
    in_flight: int = 0
    """Limited tasks holding a permit now (in the distributed mode: those this server produced)."""
    waiting: int = 0
    """Tasks waiting for a permit or a worker."""
    workers: tuple[str, ...] = ()
    """Connected workers polling the queue (embedded mode)."""

    @classmethod
    def _from_proto(cls, q: pb.TaskQueueInfo) -> TaskQueueInfo:
        c = q.config
        return cls(
            c.name or DEFAULT_QUEUE,
            c.max_concurrent,
            c.rate_per_second,
            c.max_per_key,
            q.in_flight,
            q.waiting,
            tuple(q.workers),
        )


def config_request(
    name: str, max_concurrent: int | None, rate_per_second: float | None, max_per_key: int | None, reset: bool
) -> pb.TaskQueueConfig:
    """The SetTaskQueue request, or ValueError (a limit of None or 0: no limit)."""
    for label, value in (("max_concurrent", max_concurrent), ("max_per_key", max_per_key)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"{label} must be an int >= 0 (0: no limit), got {value!r}")
    rate = rate_per_second
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1e9):
        raise ValueError(f"rate_per_second must be a number >= 0 (0: no limit), got {rate!r}")
    return pb.TaskQueueConfig(
        name=check_queue(name),
        max_concurrent=max_concurrent or 0,
        rate_per_second=float(rate or 0.0),
        max_per_key=max_per_key or 0,
        reset=reset,
    )


async def set_task_queue(client: Any, request: pb.TaskQueueConfig, timeout: Any) -> TaskQueueInfo:
    await client._call("SetTaskQueue", request, timeout)
    found = await list_task_queues(client, request.name or DEFAULT_QUEUE, timeout)
    return found[0] if found else TaskQueueInfo(request.name or DEFAULT_QUEUE)


async def list_task_queues(client: Any, name: str, timeout: Any) -> list[TaskQueueInfo]:
    wanted = check_queue(name) or DEFAULT_QUEUE if name else ""
    resp = await client._call("ListTaskQueues", pb.ListTaskQueuesRequest(name=wanted), timeout)
    return [TaskQueueInfo._from_proto(q) for q in resp.queues]
