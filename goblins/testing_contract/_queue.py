"""The TaskQueue contract: ``goblins.server.ports`` TaskQueue requirements, and the delivery
properties every queue gives: a task reaches a worker of its kind and name, a run's tasks in
the order they were published, and again to another worker when the first left without
finishing it."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import pytest

from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, WORKFLOW, TaskRecord
from goblins.server.ports import TaskQueue, WorkersElsewhere
from goblins.server.session import Session
from goblins.testing_contract._common import RecordingInbox, new_id, task


class TaskWorker(Protocol):
    """A worker as the queue's workers take tasks (a Connect stream, a broker's consumer)."""

    async def take(self, count: int, wait: float) -> list[str]:
        """The ids of the next tasks handed to this worker: up to ``count``, waiting up to
        ``wait`` seconds for them all."""
        ...

    async def leave(self) -> None:
        """Go away without finishing (or acknowledging) the tasks in hand."""
        ...


@dataclasses.dataclass
class TaskQueueHarness:
    """A started queue, the inbox it reports to, and how a worker joins it.

    ``worker(kind, name)`` joins a worker hosting that one workflow or activity.
    ``publish`` hands the queue the tasks of a committed batch (the loop's call).
    """

    queue: TaskQueue
    inbox: RecordingInbox
    worker: Callable[[str, str], Awaitable[TaskWorker]]
    wait: float = 5.0  # how long a delivery may take (a broker's consumer group joins slowly)

    async def publish(self, tasks: list[TaskRecord], done: list[str] | None = None) -> None:
        await self.queue.ensure_task_topics(
            sorted({t.name for t in tasks if t.kind == WORKFLOW}), sorted({t.name for t in tasks if t.kind == ACTIVITY})
        )
        await self.queue.publish(tasks, done or [])


class TaskQueueContract:
    """TaskQueue requirements; the subclass provides a ``harness`` fixture (a TaskQueueHarness).

    Every test uses fresh run ids and task names, so a shared broker works too.
    """

    exclusive_leases = True  # False: a task in hand may be handed again (a broker's rebalance)
    retracts_done = True  # False: a task done before a worker took it may still be handed out
    workers_over_grpc = True  # False: ``connect`` raises WorkersElsewhere (requirement 4)

    async def test_a_published_task_reaches_a_worker_of_its_name(self, harness: TaskQueueHarness) -> None:
        run, name = new_id(), new_id("act")
        t = task(run, "/1#1", ACTIVITY, name=name)
        worker = await harness.worker(ACTIVITY, name)
        await harness.publish([t])
        assert await worker.take(1, harness.wait) == [t.task_id]

    async def test_a_workflow_task_reaches_a_worker_of_its_workflow(self, harness: TaskQueueHarness) -> None:
        run, name = new_id(), new_id("wf")
        t = task(run, "#wf-1", WORKFLOW, name=name)
        worker = await harness.worker(WORKFLOW, name)
        await harness.publish([t])
        assert await worker.take(1, harness.wait) == [t.task_id]

    async def test_a_task_reaches_no_worker_of_another_name_or_kind(self, harness: TaskQueueHarness) -> None:
        run, name, other = new_id(), new_id("act"), new_id("act")
        elsewhere = [await harness.worker(ACTIVITY, other), await harness.worker(WORKFLOW, name)]
        await harness.publish([task(run, "/1#1", ACTIVITY, name=name)])
        for worker in elsewhere:
            assert await worker.take(1, 1.0) == [], "handed to a worker that does not host it"
        mine = await harness.worker(ACTIVITY, name)
        assert await mine.take(1, harness.wait) == [f"{run}/1#1"]

    async def test_a_runs_tasks_arrive_in_publish_order(self, harness: TaskQueueHarness) -> None:
        run, name = new_id(), new_id("act")
        tasks = [task(run, f"/{i}#1", ACTIVITY, name=name) for i in range(1, 6)]
        worker = await harness.worker(ACTIVITY, name)
        await harness.publish(tasks[:3])
        await harness.publish(tasks[3:])
        assert await worker.take(5, harness.wait) == [t.task_id for t in tasks]

    async def test_each_task_is_handed_out_once_while_its_worker_holds_it(self, harness: TaskQueueHarness) -> None:
        if not self.exclusive_leases:
            pytest.skip(f"{type(self).__name__}: a task in hand may be handed again (at least once)")
        run, name = new_id(), new_id("act")
        tasks = [task(run, f"/{i}#1", ACTIVITY, name=name) for i in range(1, 4)]
        first = await harness.worker(ACTIVITY, name)
        await harness.publish(tasks)
        assert sorted(await first.take(3, harness.wait)) == sorted(t.task_id for t in tasks)
        second = await harness.worker(ACTIVITY, name)
        assert await second.take(1, 1.0) == [], "a task in a worker's hands went to another"
        assert await first.take(1, 0.2) == [], "handed twice to the same worker"

    async def test_a_workers_unfinished_task_goes_to_another_when_it_leaves(self, harness: TaskQueueHarness) -> None:
        run, name = new_id(), new_id("act")
        t = task(run, "/1#1", ACTIVITY, name=name)
        first = await harness.worker(ACTIVITY, name)
        await harness.publish([t])
        assert await first.take(1, harness.wait) == [t.task_id]
        await first.leave()
        second = await harness.worker(ACTIVITY, name)
        assert await second.take(1, harness.wait * 3) == [t.task_id], "not redelivered"

    async def test_a_task_done_before_any_worker_took_it_is_not_handed_out(self, harness: TaskQueueHarness) -> None:
        if not self.retracts_done:
            pytest.skip(f"{type(self).__name__}: a produced task cannot be taken back (workers check)")
        run, name = new_id(), new_id("act")
        gone, kept = task(run, "/1#1", ACTIVITY, name=name), task(run, "/2#1", ACTIVITY, name=name)
        await harness.publish([gone, kept])
        await harness.publish([], [gone.task_id])
        worker = await harness.worker(ACTIVITY, name)
        assert await worker.take(2, 1.0) == [kept.task_id]

    async def test_holds_a_task_only_until_it_is_done(self, harness: TaskQueueHarness) -> None:
        """Requirement 3: ``holds`` may say False when the queue does not know, never True for
        a task that is done (the loop would take a stale report for a live one)."""
        run, name = new_id(), new_id("act")
        t = task(run, "/1#1", ACTIVITY, name=name)
        await harness.publish([t])
        if harness.queue.stores_tasks:
            assert harness.queue.holds(t.task_id), "a queue that stores its tasks knows them"
        await harness.publish([], [t.task_id])
        assert not harness.queue.holds(t.task_id)
        assert not harness.queue.holds(new_id("never-published"))

    async def test_connect_is_refused_exactly_where_workers_use_another_way(self, harness: TaskQueueHarness) -> None:
        """Requirement 4."""
        session = Session(new_id("w"), [], [new_id("act")])
        if self.workers_over_grpc:
            harness.queue.connect(session, [])
            harness.queue.disconnect(session)
        else:
            with pytest.raises(WorkersElsewhere):
                harness.queue.connect(session, [])

    async def test_a_query_reaches_a_host_of_its_workflow(self, harness: TaskQueueHarness) -> None:
        run, name = new_id(), new_id("wf")
        worker = await harness.worker(WORKFLOW, name)
        await harness.queue.ensure_task_topics([name], [])
        query = pb.QueryTask(query_id=new_id("q"), run_id=run, workflow_name=name, name="state")
        # A queue may refuse a query at once while no worker holds the run (False): a broker's
        # consumer group hands the new worker its partitions a moment after it joins.
        deadline = time.monotonic() + harness.wait
        while not await harness.queue.send_query(query):
            assert time.monotonic() < deadline, f"no worker held the query's run within {harness.wait}s"
            await asyncio.sleep(0.1)
        assert await worker.take(1, harness.wait) == [query.query_id]
