"""Tasks from Kafka (distributed mode): one topic per workflow or activity name, one consumer
group for all workers; reports go to the ``events`` topic.

A task's offset is stored only after its report has been acknowledged by the broker, so a
worker that dies mid-task leaves the task to the next owner of its partition. Tasks that a
new owner reads below the partition's end at assignment time may have been finished by the
previous owner: the worker asks the server which of them are still pending before running
them. Duplicates that reach the same worker (a re-published task) are dropped by task id.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import threading
from collections.abc import AsyncGenerator
from typing import Any

import grpc

from goblins._kafka import AsyncProducer, PendingOffsets, consumer_config, partition_for, take, task_topic
from goblins._kafka_security import ClientErrors, KafkaTarget, worker_settings
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.worker._source import Batch, Cancel, Registration, TaskKind, free_slots

log = logging.getLogger("goblins.worker")
kafka_log = logging.getLogger("goblins.worker.kafka")  # librdkafka's own log lines

RECENT = 20_000


Place = tuple[str, int]  # (topic, partition)


class _ErrorLog(ClientErrors):
    """librdkafka's ``error_cb`` and ``logger``: it retries a refused login or a failed TLS
    handshake forever, logging each retry; say why in one line, once, and pass its other log
    lines on."""

    def __init__(self, target: KafkaTarget) -> None:
        super().__init__()
        self.target = target
        self.told = False

    def log(self, level: int, fmt: str, *args: Any) -> None:
        super().log(level, fmt, *args)
        if self.fatal is None:
            kafka_log.log(level, fmt, *args)

    def _note(self, text: str) -> None:
        super()._note(text)
        if self.fatal is not None and not self.told:
            self.told = True
            log.error("%s", self.explain(self.target, self.fatal))


class _Offsets:
    """Per partition: offsets in flight; the committable position is the lowest of them."""

    def __init__(self) -> None:
        self.pending: dict[Place, set[int]] = collections.defaultdict(set)
        self.high: dict[Place, int] = {}

    def add(self, place: Place, offset: int) -> None:
        self.pending[place].add(offset)
        self.high[place] = max(self.high.get(place, -1), offset)

    def done(self, place: Place, offset: int) -> int:
        pending = self.pending[place]
        pending.discard(offset)
        return min(pending) if pending else self.high[place] + 1


class KafkaSource:
    """One consumer of the task topics; see :class:`goblins.worker._source.TaskSource`."""

    _queue = ""  # the task queue it consumes ("": the default one)

    def __init__(self, stub: pb_grpc.GoblinsStub, info: pb.ClusterInfo, registration: Registration) -> None:
        self._stub = stub
        self.info = info
        self._reg = registration
        # The same TLS/SASL settings as the server's Kafka, handed over with the address.
        settings = worker_settings(info.kafka_settings)
        target = KafkaTarget(info.bootstrap_servers, settings=settings)
        errors = _ErrorLog(target)
        self.security: dict[str, Any] = {**settings, "error_cb": errors, "logger": errors}
        self.producer = AsyncProducer(info.bootstrap_servers, self.security)
        self.offsets = _Offsets()
        self.where: dict[str, tuple[Place, int]] = {}  # task_id -> (place, offset)
        self.recent: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.suspect_below: dict[Place, int] = {}
        self._activities: dict[str, pb.ActivityTask] = {}  # running attempts: what a heartbeat check sends
        self._cancels: list[Cancel] = []  # found by heartbeat checks, for the next batch
        self._checks: set[asyncio.Future[None]] = set()
        self._lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="goblins-kafka-tasks")
        self._freed = asyncio.Event()
        self._closed = False
        self.consumer: Any = None
        self.pending = PendingOffsets()
        # Flow control per kind: the topics of a kind with no free slot are paused, and tasks
        # of it that one poll brought beyond its free slots wait here (offsets unstored).
        self._kind_of: dict[str, TaskKind] = {}  # topic -> kind
        self._waiting: collections.deque[pb.Task] = collections.deque()
        self._closed_kinds: frozenset[TaskKind] = frozenset()
        self._reassigned = False

    def close(self) -> None:
        self._closed = True
        self._freed.set()

    # ---- reports ----

    def send(self, report: pb.Report) -> None:
        if self._closed:
            return
        self._produce(report)
        if report.HasField("activity_heartbeat"):  # no back channel on Kafka: ask whether it is wanted
            check = asyncio.ensure_future(self._check_wanted(report.activity_heartbeat.task_id))
            self._checks.add(check)
            check.add_done_callback(self._checks.discard)

    def complete(self, task_id: str, report: pb.Report) -> None:
        self._activities.pop(task_id, None)
        if self._closed:  # the producer is gone; the offset stays unstored, so the task is redelivered
            return
        fut = self._produce(report)
        fut.add_done_callback(lambda f: self._delivered(task_id, f))

    def _produce(self, report: pb.Report) -> asyncio.Future[None]:
        which = report.WhichOneof("kind")
        run_id = getattr(report, which).run_id if which else ""
        partition = partition_for(run_id, self.info.partitions)
        return self.producer.send(self.info.events_topic, partition, run_id, report.SerializeToString())

    def _delivered(self, task_id: str, fut: asyncio.Future[None]) -> None:
        if fut.exception() is not None:
            log.error("report for task %s not delivered: %s", task_id, fut.exception())
            return  # offset not stored: the task is redelivered
        self._remember(task_id)
        self._release(task_id)

    def _remember(self, task_id: str) -> None:
        self.recent[task_id] = None
        while len(self.recent) > RECENT:
            self.recent.popitem(last=False)

    def _release(self, task_id: str) -> None:
        place = self.where.pop(task_id, None)
        self._freed.set()
        if place is not None:
            self._store(place[0], self.offsets.done(*place))

    def _store(self, place: Place, position: int) -> None:
        self.pending.put(place[0], place[1], position)  # stored by the polling thread

    async def _check_wanted(self, task_id: str) -> None:
        task = self._activities.get(task_id)
        if task is None:
            return
        try:
            resp = await self._stub.CheckTasks(pb.CheckTasksRequest(tasks=[task]))
        except grpc.aio.AioRpcError:
            return
        if resp.pending and not resp.pending[0] and task_id in self._activities:
            self._cancels.append(Cancel(task_id))
            self._freed.set()  # wakes a loop that waits for a free slot

    # ---- the loop ----

    async def tasks(self) -> AsyncGenerator[Batch, None]:
        from confluent_kafka import Consumer

        reg = self._reg
        hello = pb.Hello(
            worker_id=reg.worker_id,
            workflows=list(reg.workflows),
            activities=list(reg.activities),
            task_queue=reg.task_queue,
        )
        loop = asyncio.get_running_loop()
        try:
            await self._stub.Register(hello)
            self.consumer = Consumer(
                consumer_config(self.info.bootstrap_servers, self.info.worker_group, self.security)
            )
            prefix = self.info.tasks_topic
            sync = set(reg.sync_activities)
            queue = self._queue = reg.task_queue  # a worker consumes only its queue's topics
            self._kind_of = {task_topic(prefix, "workflow", n, queue): "workflow" for n in reg.workflows}
            for n in reg.activities:
                self._kind_of[task_topic(prefix, "activity", n, queue)] = "sync_activity" if n in sync else "activity"
            self.consumer.subscribe(list(self._kind_of), on_assign=self._on_assign)
            yield []  # the session is up
            while not self._closed:
                if self._cancels:
                    cancels, self._cancels = self._cancels, []
                    yield cancels
                slots = free_slots(reg, reg.running())
                if self._waiting:
                    fitting = self._fit(slots)
                    if fitting:
                        yield fitting
                        continue
                closed = self._closing(slots)
                if closed != self._closed_kinds or self._reassigned:
                    self._closed_kinds, self._reassigned = closed, False
                    await loop.run_in_executor(self._pool, self._flow, self.consumer, closed)
                activities_open = not closed >= {"activity", "sync_activity"}
                free = (slots[0] if activities_open else 0) + (slots[1] if "workflow" not in closed else 0)
                if "sync_activity" not in closed and self._kind_of and sync:
                    free = min(free, slots[2])  # one poll never brings more sync tasks than can start
                if free <= 0:
                    self._freed.clear()
                    try:
                        await asyncio.wait_for(self._freed.wait(), 0.5)
                    except TimeoutError:
                        pass
                    continue
                msgs = await loop.run_in_executor(self._pool, take, self.consumer, min(free, 500), 0.1, self.pending)
                batch = await self._take([m for m in msgs if not m.error()])
                self._waiting.extend(t for t in batch if not isinstance(t, Cancel))
                ready: list[pb.Task | Cancel] = [t for t in batch if isinstance(t, Cancel)]
                ready += self._fit(slots)
                if ready:
                    yield ready
        finally:
            self._closed = True
            if self.consumer is not None:
                await loop.run_in_executor(self._pool, self.pending.close, self.consumer)
            self.producer.close()
            self._pool.shutdown(wait=False)

    def _kind(self, task: pb.Task) -> TaskKind | None:
        if task.HasField("workflow"):
            return "workflow"
        if task.HasField("activity"):
            return self._kind_of.get(
                task_topic(self.info.tasks_topic, "activity", task.activity.activity_name, self._queue),
                "activity",
            )
        return None  # a query: it takes no slot

    def _fit(self, slots: tuple[int, int, int]) -> list[pb.Task | Cancel]:
        """The waiting tasks that free ``slots`` (activities, workflows, sync) let start, in order."""
        activities, workflows, sync = slots
        ready: list[pb.Task | Cancel] = []
        left: collections.deque[pb.Task] = collections.deque()
        for task in self._waiting:
            kind = self._kind(task)
            if kind == "workflow" and workflows > 0:
                workflows -= 1
            elif kind == "activity" and activities > 0:
                activities -= 1
            elif kind == "sync_activity" and activities > 0 and sync > 0:
                activities, sync = activities - 1, sync - 1
            elif kind is not None:
                left.append(task)
                continue
            ready.append(task)
        self._waiting = left
        return ready

    def _closing(self, slots: tuple[int, int, int]) -> frozenset[TaskKind]:
        """The kinds to pause: no free slot, or tasks of the kind already waiting for one."""
        activities, workflows, sync = slots
        waiting = {self._kind(t) for t in self._waiting}
        closed: set[TaskKind] = set()
        if workflows <= 0 or "workflow" in waiting:
            closed.add("workflow")
        if activities <= 0 or "activity" in waiting:
            closed.add("activity")
        if activities <= 0 or sync <= 0 or "sync_activity" in waiting:
            closed.add("sync_activity")
        return frozenset(closed)

    def _flow(self, consumer: Any, closed: frozenset[TaskKind]) -> None:
        """Pause the partitions of the closed kinds' topics, resume the others (polling thread)."""
        assigned = consumer.assignment()
        pause = [tp for tp in assigned if self._kind_of.get(tp.topic) in closed]
        resume = [tp for tp in assigned if self._kind_of.get(tp.topic) not in closed]
        if pause:
            consumer.pause(pause)
        if resume:
            consumer.resume(resume)

    def _on_assign(self, consumer: Any, partitions: list[Any]) -> None:
        self._reassigned = True  # new partitions are not paused: the loop applies the pauses again
        if partitions:
            log.info("task partitions assigned: %s", ", ".join(f"{tp.topic}/{tp.partition}" for tp in partitions))
        for tp in partitions:
            try:
                _, high = consumer.get_watermark_offsets(tp, timeout=5, cached=False)
            except Exception:
                high = 1 << 62  # unknown: treat every old task as suspect
            with self._lock:
                self.suspect_below[(tp.topic, tp.partition)] = high

    async def _take(self, msgs: list[Any]) -> list[pb.Task | Cancel]:
        """The tasks among ``msgs`` to run; the others' offsets are released at once."""
        batch: list[pb.Task | Cancel] = []
        tasks: list[tuple[pb.Task, str, Place, int]] = []
        suspects: list[pb.ActivityTask] = []
        for m in msgs:
            task = pb.Task.FromString(m.value())
            which = task.WhichOneof("kind")
            if which == "query":  # answered over gRPC, never redelivered: done with at once
                place = (m.topic(), m.partition())
                self.offsets.add(place, m.offset())
                self._store(place, self.offsets.done(place, m.offset()))
                batch.append(task)
                continue
            task_id = getattr(task, which).task_id if which else ""
            place = (m.topic(), m.partition())
            tasks.append((task, task_id, place, m.offset()))
            with self._lock:
                suspect = m.offset() < self.suspect_below.get(place, 0)
            if suspect and which == "activity":
                suspects.append(task.activity)
        stale: set[str] = set()
        if suspects:
            stale = await self._check(suspects)
        running = self._reg.running()
        for task, task_id, place, offset in tasks:
            self.offsets.add(place, offset)
            duplicate = task_id in self.recent or task_id in self.where or task_id in running
            if duplicate or task_id in stale:  # done already, here or by a previous owner
                self._remember(task_id)
                self._store(place, self.offsets.done(place, offset))
                continue
            self.where[task_id] = (place, offset)
            if task.HasField("activity"):
                self._activities[task_id] = task.activity
            batch.append(task)
        return batch

    async def _check(self, suspects: list[pb.ActivityTask]) -> set[str]:
        """Task ids among ``suspects`` that the server says are finished (not to run again).

        The others are patched with the last heartbeat details the server stored: a task
        redelivered after its worker died carries the details of the attempt before, not
        the checkpoints of the attempt that crashed.
        """
        resp = await self._stub.CheckTasks(pb.CheckTasksRequest(tasks=suspects))
        details = list(resp.heartbeat_details) or [b""] * len(suspects)  # an older server sends none
        stale = set()
        for task, pending, latest in zip(suspects, resp.pending, details, strict=True):
            if not pending:
                stale.add(task.task_id)
            elif latest:
                task.heartbeat_details = latest
        return stale
