"""The distributed mode's gate on limited task queues (goblins/server/distributed/gating.py),
over an in-memory stand-in for the Cassandra permit tables: a limited task is produced only
with its permits, in priority order; permits free on the attempt's end or the run's."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("cassandra")

from goblins.api import v1 as pb
from goblins.server.distributed.gating import KafkaFlow
from goblins.server.effects import ACTIVITY, TaskRecord


class Permits:
    """The permit tables' semantics: a slot per (pool, slot), one winner per (queue, tick)."""

    def __init__(self, configs: list[pb.TaskQueueConfig]) -> None:
        self._configs = configs
        self.slots: dict[tuple[str, int], str] = {}
        self.ticks: dict[tuple[str, int], str] = {}

    async def configs(self) -> list[pb.TaskQueueConfig]:
        return self._configs

    async def acquire(self, pool: str, size: int, task_id: str, ttl: float) -> int | None:
        for slot in range(size):
            if self.slots.get((pool, slot)) in (None, task_id):
                self.slots[(pool, slot)] = task_id
                return slot
        return None

    async def release(self, pool: str, slot: int, task_id: str) -> None:
        if self.slots.get((pool, slot)) == task_id:
            del self.slots[(pool, slot)]

    async def tick(self, queue: str, tick: int, task_id: str) -> bool:
        return self.ticks.setdefault((queue, tick), task_id) == task_id


def task(i: int, priority: int = 0, ckey: str = "", run: str = "run") -> TaskRecord:
    return TaskRecord(f"{run}/{i}#1", run, ACTIVITY, "act", 0.0, b"", 30.0, 0.0, "gpu", priority, ckey)


async def flow_of(config: pb.TaskQueueConfig, now: list[float]) -> tuple[KafkaFlow, list[str], Permits]:
    produced: list[str] = []

    async def produce(tasks: list[TaskRecord]) -> None:
        produced.extend(t.task_id for t in tasks)

    permits = Permits([config])
    flow = KafkaFlow(permits, produce, lambda: now[0])  # type: ignore[arg-type]
    await flow.load()
    return flow, produced, permits


async def test_max_concurrent_in_priority_order_and_freed_on_the_end() -> None:
    now = [100.0]
    flow, produced, _ = await flow_of(pb.TaskQueueConfig(name="gpu", max_concurrent=2), now)
    for i, priority in enumerate([1, 5, 3, 4]):
        assert flow.limited(task(i, priority))
        flow.hold_back(task(i, priority))
    await flow._pump()
    assert produced == ["run/1#1", "run/3#1"]
    assert flow.waiting("gpu") == "queue gpu at max_concurrent 2"
    flow.finished("run/1#1")
    await asyncio.sleep(0)  # the release
    await flow._pump()
    assert produced[-1] == "run/2#1"


async def test_a_key_at_its_limit_lets_others_pass_and_a_run_end_frees_its_permits() -> None:
    now = [100.0]
    flow, produced, permits = await flow_of(pb.TaskQueueConfig(name="gpu", max_per_key=1), now)
    for i, key in enumerate(["a", "a", "b"]):
        flow.hold_back(task(i, ckey=key))
    await flow._pump()
    assert produced == ["run/0#1", "run/2#1"]
    flow.run_ended("run")
    await asyncio.sleep(0)
    assert not permits.slots
    await flow._pump()
    assert produced == ["run/0#1", "run/2#1", "run/1#1"]


async def test_one_task_per_rate_tick() -> None:
    now = [100.0]
    flow, produced, _ = await flow_of(pb.TaskQueueConfig(name="gpu", rate_per_second=10), now)
    for i in range(3):
        flow.hold_back(task(i))
    await flow._pump()
    assert len(produced) == 1 and flow.waiting("gpu") == "queue gpu at rate 10/s"
    now[0] += 0.1
    await flow._pump()
    assert len(produced) == 2


async def test_a_task_of_a_run_that_ended_meanwhile_is_dropped() -> None:
    now = [100.0]
    flow, produced, _ = await flow_of(pb.TaskQueueConfig(name="gpu", max_concurrent=1), now)
    flow._wanted = lambda t: t.run_id != "gone"
    flow.hold_back(task(0, run="gone"))
    flow.hold_back(task(1))
    await flow._pump()
    assert produced == ["run/1#1"]
