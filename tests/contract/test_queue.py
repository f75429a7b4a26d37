"""goblins.testing_contract's TaskQueueContract against the embedded transport (always) and the
Kafka transport (when GOBLINS_TEST_KAFKA is set: see backends.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from goblins.api import v1 as pb
from goblins.server.effects import TaskRecord
from goblins.server.embedded.dispatcher import EmbeddedTransport
from goblins.server.session import Session
from goblins.testing_contract import FakeClock, RecordingInbox, TaskQueueContract, TaskQueueHarness, TaskWorker
from goblins.testing_contract._common import eventually, new_id
from tests.contract.backends import KAFKA, needs_kafka, started_kafka_transport


def task_ids(tasks: Any) -> list[str]:
    """The ids of the tasks (and queries) in a ServerMessage's or a topic's Task list."""
    out = []
    for t in tasks:
        which = t.WhichOneof("kind")
        out.append(t.query.query_id if which == "query" else getattr(t, which).task_id)
    return out


class _NoTasks:
    async def pending_tasks(self) -> list[TaskRecord]:
        return []


class _StreamWorker:
    """A worker on a Connect stream: a session with credit for 100 tasks of each kind."""

    def __init__(self, transport: EmbeddedTransport, kind: str, name: str) -> None:
        workflows, activities = ([name], []) if kind == "workflow" else ([], [name])
        self.transport = transport
        self.session = Session(new_id("worker"), workflows, activities)
        transport.connect(self.session, [])
        transport.credit(self.session, 100, 100)
        self.buffer: list[str] = []

    async def take(self, count: int, wait: float) -> list[str]:
        deadline = time.monotonic() + wait
        while len(self.buffer) < count and (left := deadline - time.monotonic()) > 0:
            try:
                msg = await asyncio.wait_for(self.session.next_message(), left)
            except TimeoutError:
                break
            if msg is None:
                break
            self.buffer += task_ids(msg.tasks)
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    async def leave(self) -> None:
        self.transport.disconnect(self.session)


class TestEmbeddedQueue(TaskQueueContract):
    @pytest.fixture
    async def harness(self) -> AsyncIterator[TaskQueueHarness]:
        inbox = RecordingInbox(FakeClock())
        transport = EmbeddedTransport(_NoTasks(), restart_grace=0.0)  # type: ignore[arg-type]
        await transport.start(inbox)
        workers: list[_StreamWorker] = []

        async def worker(kind: str, name: str) -> TaskWorker:
            workers.append(_StreamWorker(transport, kind, name))
            return workers[-1]

        try:
            yield TaskQueueHarness(transport, inbox, worker, wait=2.0)
        finally:
            for w in workers:
                await w.leave()
            await transport.stop()


class _TopicWorker:
    """A worker reading a task topic as a member of a consumer group, polling all the time (a
    member that stops polling holds up the group's rebalances). It stores no offset, so what it
    took and did not finish is read again by the group's next member."""

    def __init__(self, group: str, topic: str) -> None:
        self.group, self.topic = group, topic
        self.buffer: list[str] = []
        self.stopped = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._poll, name="contract-worker", daemon=True)

    def _poll(self) -> None:
        from confluent_kafka import Consumer

        from goblins._kafka import consumer_config

        consumer = Consumer(consumer_config(KAFKA, self.group))
        consumer.subscribe([self.topic])
        self.ready.set()
        try:
            while not self.stopped.is_set():
                m = consumer.poll(0.05)
                if m is not None and not m.error():
                    self.buffer += task_ids([pb.Task.FromString(m.value())])
        finally:
            consumer.close()

    async def start(self) -> None:
        self.thread.start()
        await asyncio.get_running_loop().run_in_executor(None, self.ready.wait)

    async def take(self, count: int, wait: float) -> list[str]:
        await eventually(lambda: len(self.buffer) >= count, wait)
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    async def leave(self) -> None:
        self.stopped.set()
        await asyncio.get_running_loop().run_in_executor(None, self.thread.join)


@needs_kafka
class TestKafkaQueue(TaskQueueContract):
    exclusive_leases = False  # a rebalance hands a partition's unacknowledged tasks to its new member
    retracts_done = False  # a produced task stays in its topic: workers ask the server (CheckTasks)
    workers_over_grpc = False

    @pytest.fixture
    async def harness(self, kafka_namespace: str) -> AsyncIterator[TaskQueueHarness]:
        from goblins._kafka import prefixed, task_topic
        from goblins.server.distributed.kafka import WORKER_GROUP

        inbox = RecordingInbox(FakeClock())
        transport = await started_kafka_transport(kafka_namespace, inbox)
        # The workers' own group: the transport asks it who holds a run's partition (queries).
        # Each test's workers leave it at the end, so the next test's rebalance is among its own.
        group = prefixed(kafka_namespace, WORKER_GROUP)
        workers: list[_TopicWorker] = []

        async def worker(kind: str, name: str) -> TaskWorker:
            topic = task_topic(transport.tasks_prefix, kind, name)
            await transport.ensure_task_topics(
                [name] if kind == "workflow" else [], [name] if kind != "workflow" else []
            )
            workers.append(_TopicWorker(group, topic))
            await workers[-1].start()
            return workers[-1]

        try:
            yield TaskQueueHarness(transport, inbox, worker, wait=20.0)
        finally:
            for w in workers:
                await w.leave()
            await transport.stop()
