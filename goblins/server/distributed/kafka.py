"""The distributed task transport: Kafka ``events`` in, Kafka ``tasks`` out.

Workers publish what they observe on ``events`` (keyed and partitioned by run id, so a run's
events stay ordered); clients' starts go there too. Servers consume ``events`` as one
consumer group: the partitions a server is assigned are the runs it owns, so several servers
split the work with no other coordination. A server stores an event's effects, produces the
resulting tasks to ``tasks`` and waits for their acknowledgement, and only then stores the
consumed offset. A server that takes over a partition scans the partition's active runs and
re-publishes the tasks their histories call for; delayed tasks (retry back-off) are timers
in the store, fired by the owner.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import dataclasses
import logging
import threading
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any

from goblins._kafka import AsyncProducer, PendingOffsets, consumer_config, partition_for, prefixed, take, task_topic
from goblins._kafka_security import ClientErrors, KafkaTarget, admin_client, list_topics, parse_kafka_url
from goblins.api import v1 as pb
from goblins.history import ACTIVITY_FAILED, ACTIVITY_STARTED, ACTIVITY_SUCCEEDED, FINISHED
from goblins.server.distributed.setup import EVENTS, TOPICS, create_topics
from goblins.server.effects import ACTIVITY, MESSAGE, TIMER, WORKFLOW, TaskRecord
from goblins.server.ports import EventStore, Inbox, RunIndex, WorkersElsewhere
from goblins.server.session import Session
from goblins.server.state import RunState

if TYPE_CHECKING:
    from goblins.server.distributed.gating import KafkaFlow
    from goblins.server.distributed.queues import CassandraQueues
    from goblins.server.distributed.timers import CassandraTimers

log = logging.getLogger("goblins.server.kafka")

SERVER_GROUP = "goblins-servers"
WORKER_GROUP = "goblins-workers"
LEASE_INTERVAL = 0.1  # how often attempts' deadlines are checked
# Bytes of events in a workflow task on Kafka (whose messages are 1 MB at most by default);
# the worker fetches the rest of the history over gRPC.
TASK_MESSAGE_BYTES = 256 * 1024
MAX_QUEUED = 20_000  # back-pressure: stop consuming while this many reports wait
FROM_TOPIC = frozenset(pb.Report.DESCRIPTOR.fields_by_name) - {"timer_fired"}
"""The report kinds that travel through ``events``. A due timer never does (its owner records
it straight away, ``_produce``): one read from the topic is forged, and refused. The others
come from workers (their tasks' reports) or servers (clients' requests, messages between
runs); the topic's ACLs are what tell them apart (docs/security.md)."""


def parse_url(url: str) -> tuple[str, str]:
    """(bootstrap servers, namespace) of ``kafka://h1:9092,h2:9092[/NAMESPACE][?security=...]``."""
    target = parse_kafka_url(url)
    return target.bootstrap, target.namespace


def topic_partitions(target: KafkaTarget | str, timeout: float = 10.0) -> dict[str, int]:
    """Partitions per topic; ValueError says in one line why Kafka did not answer (a refused
    login, a failed TLS handshake, no broker)."""
    target = KafkaTarget(target) if isinstance(target, str) else target
    errors = ClientErrors()
    topics = list_topics(admin_client(target, errors), target, errors, timeout).topics
    return {name: len(meta.partitions) for name, meta in topics.items()}


def _setup_hint(url: str, target: KafkaTarget) -> str:
    """The ``--kafka`` value of the setup command to suggest (the URL minus its password)."""
    if not target.settings:
        return target.bootstrap
    query = "&".join(p for p in url.partition("?")[2].split("&") if not p.startswith("password="))
    return f"'kafka://{target.bootstrap}?{query}'"


def partition_held(admin: Any, group: str, topic: str, partition: int, timeout: float = 5.0) -> bool | None:
    """Whether a member of the consumer ``group`` holds ``topic``/``partition``; None when the
    group is between assignments or Kafka does not answer (the caller then just tries)."""
    from confluent_kafka import ConsumerGroupState

    try:
        described = admin.describe_consumer_groups([group], request_timeout=timeout)[group].result(timeout)
    except Exception:
        return None
    if described.state in (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD):
        return False
    if described.state != ConsumerGroupState.STABLE:
        return None
    for member in described.members:
        assigned = member.assignment.topic_partitions if member.assignment is not None else []
        if any(tp.topic == topic and tp.partition == partition for tp in assigned):
            return True
    return False


def group_members(admin: Any, group: str, timeout: float = 5.0) -> list[tuple[str, str, set[str]]] | None:
    """(member id, host, assigned topics) of each member of the consumer ``group``; None when
    the group is between assignments or Kafka does not answer."""
    from confluent_kafka import ConsumerGroupState

    try:
        described = admin.describe_consumer_groups([group], request_timeout=timeout)[group].result(timeout)
    except Exception:
        return None
    if described.state in (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD):
        return []
    if described.state != ConsumerGroupState.STABLE:
        return None
    return [
        (
            m.client_id or m.member_id,
            m.host or "",
            {tp.topic for tp in m.assignment.topic_partitions} if m.assignment is not None else set(),
        )
        for m in described.members
    ]


def topics_consumed(admin: Any, group: str, timeout: float = 5.0) -> set[str] | None:
    """The topics members of the consumer ``group`` are assigned; None when the group is
    between assignments or Kafka does not answer."""
    from confluent_kafka import ConsumerGroupState

    try:
        described = admin.describe_consumer_groups([group], request_timeout=timeout)[group].result(timeout)
    except Exception:
        return None
    if described.state in (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD):
        return set()
    if described.state != ConsumerGroupState.STABLE:
        return None
    return {
        tp.topic
        for member in described.members
        if member.assignment is not None
        for tp in member.assignment.topic_partitions
    }


# A run unknown to the store is reported missing only after this long, since a just-started
# run may still be on its way to its owner (e.g. during a partition takeover).
NOT_FOUND_GRACE = 15.0


class KafkaTransport:
    """TaskQueue of the distributed mode: reports in from ``events``, tasks out to ``tasks.*``;
    the leases of running attempts; partition takeovers."""

    stores_tasks = False

    def __init__(
        self, bootstrap: str, partitions: int, namespace: str = "", *, target: KafkaTarget | None = None
    ) -> None:
        self.bootstrap = bootstrap
        self.target = target or KafkaTarget(bootstrap, namespace)
        self.partitions = partitions
        self.namespace = namespace
        self.events_topic = prefixed(namespace, EVENTS)
        self.tasks_prefix = prefixed(namespace, "tasks.")
        self.owned: set[int] = set()
        self._inbox: Inbox | None = None
        self._index: RunIndex | None = None
        self._timers: CassandraTimers | None = None
        self._producer: AsyncProducer | None = None
        self._consumer: Any = None
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="goblins-kafka-consumer")
        self._offsets = PendingOffsets()  # stored by the polling thread (see PendingOffsets)
        self._tasks: list[asyncio.Task[Any]] = []
        self._assigned: asyncio.Queue[int] = asyncio.Queue()
        self._lock = threading.Lock()
        self._topics: set[str] = set()
        self._leases: dict[str, _Lease] = {}
        self._admin: Any = None  # for queries: which worker holds a partition
        self.flow: KafkaFlow | None = None  # limited task queues (start)
        self._queue_store: CassandraQueues | None = None
        self.refused: collections.Counter[str] = collections.Counter()  # reports refused from ``events``

    @classmethod
    def open(cls, url: str) -> KafkaTransport:
        """Check the topics exist and agree; say exactly what is missing if not."""
        target = parse_kafka_url(url)
        bootstrap, namespace = target.bootstrap, target.namespace
        found = topic_partitions(target)
        missing = [prefixed(namespace, t) for t in TOPICS if prefixed(namespace, t) not in found]
        if missing:
            option = f" --namespace {namespace}" if namespace else ""
            raise ValueError(
                f"Kafka at {bootstrap} lacks topics {', '.join(missing)}: "
                f"run `goblins setup kafka --kafka {_setup_hint(url, target)}{option}`"
            )
        return cls(bootstrap, found[prefixed(namespace, EVENTS)], namespace, target=target)

    def attach(self, index: RunIndex, timers: CassandraTimers) -> None:
        """The store's index of active runs (takeovers) and the timers this server fires."""
        self._index, self._timers = index, timers
        from goblins.server.distributed.cassandra import CassandraStore, _execute
        from goblins.server.distributed.queues import CassandraQueues

        if isinstance(index, CassandraStore):  # task queues' limits: docs/task-queues.md
            self._queue_store = CassandraQueues(index.session, _execute)

    # ---- TaskQueue ----

    async def start(self, inbox: Inbox) -> None:
        from confluent_kafka import Consumer

        assert self._timers is not None, "attach() the index and timers first"
        self._inbox = inbox
        if self._queue_store is not None:
            from goblins.server.distributed.gating import KafkaFlow

            self.flow = KafkaFlow(self._queue_store, self._produce_now, inbox.clock, self._wanted)
            await self.flow.load()  # before any task is produced: a takeover's too
        self._timers.bind(lambda: self.owned, self._produce)
        self._loop = asyncio.get_running_loop()
        security = self.target.settings
        self._producer = AsyncProducer(self.bootstrap, security)
        self._consumer = Consumer(consumer_config(self.bootstrap, prefixed(self.namespace, SERVER_GROUP), security))
        self._consumer.subscribe([self.events_topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        self._tasks = [
            asyncio.create_task(self._consume()),
            asyncio.create_task(self._timers.run()),
            asyncio.create_task(self._lease_checks()),
            asyncio.create_task(self._takeovers()),
        ]
        if self.flow is not None:
            self._tasks.append(asyncio.create_task(self.flow.run()))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._consumer is not None:
            await asyncio.get_running_loop().run_in_executor(self._pool, self._offsets.close, self._consumer)
        if self._producer is not None:
            self._producer.close()
        self._pool.shutdown(wait=False)

    async def publish(self, new_tasks: list[TaskRecord], done_tasks: list[str]) -> None:
        assert self._inbox is not None and self._timers is not None
        now = self._inbox.clock()
        for t in new_tasks:
            if t.visible_at > now:  # a retry back-off: its timer row is durable, fired when due
                self._timers.at(partition_for(t.run_id, self.partitions), t.visible_at)
        await self._produce([t for t in new_tasks if t.visible_at <= now])

    def forget_run(self, run_id: str) -> None:
        pass

    def holds(self, task_id: str) -> bool:
        return False  # tasks live in the broker; a heartbeat's run is loaded by its turn

    def busy(self) -> bool:
        return bool(self._leases)  # attempts running; tasks waiting in the broker are not known

    def connect(self, session: Session, running: list[str]) -> None:
        raise WorkersElsewhere("this server's workers use Kafka")

    def disconnect(self, session: Session) -> None:
        pass

    def credit(self, session: Session, activities: int, workflows: int, sync_activities: int = 0) -> None:
        pass

    # ---- leases: start_to_close and heartbeat timeouts of running attempts (owner only) ----

    def observe(self, events: list[pb.HistoryEvent], runs: Mapping[str, RunState], reloaded: bool = False) -> None:
        """Start a lease on each attempt that started (its deadlines), end it when it finished.

        ``reloaded``: a run taken over from its history; its heartbeats were not recorded, so
        a heartbeat deadline starts now.
        """
        now = self._inbox.clock() if self._inbox is not None else 0.0
        for e in events:
            if e.type == ACTIVITY_STARTED:
                a = e.activity_started
                rs = runs.get(e.run_id)
                act = rs.activities.get(a.step_id) if rs is not None else None
                if rs is None or act is None or act.finished or act.attempt != a.attempt:
                    continue
                if act.async_hash:  # went async: its deadlines are the run's timers (server/asyncs.py)
                    self._leases.pop(act.task_id, None)
                    continue
                record = rs.activity_record(act, e.time)
                hard = e.time + record.timeout if record.timeout else 0.0
                soft = (now if reloaded else e.time) + record.heartbeat if record.heartbeat else 0.0
                if hard or soft:
                    self._leases[record.task_id] = _Lease(e.run_id, a.step_id, hard, soft, record.heartbeat)
            elif e.type == ACTIVITY_SUCCEEDED:
                done = e.activity_finished_in_success
                self._leases.pop(f"{done.step_id}#{done.attempt}", None)
                if self.flow is not None:
                    self.flow.finished(f"{done.step_id}#{done.attempt}")
            elif e.type == ACTIVITY_FAILED:
                failed = e.activity_finished_in_error
                self._leases.pop(f"{failed.step_id}#{failed.attempt}", None)
                if self.flow is not None:
                    self.flow.finished(f"{failed.step_id}#{failed.attempt}")
            elif e.type in FINISHED and self.flow is not None:
                self.flow.run_ended(e.run_id)  # its activities that never finished hold no permit

    def _wanted(self, t: TaskRecord) -> bool:
        """Whether a task that waited for its queue's permits is still wanted (its run runs)."""
        rs = self._inbox.run(t.run_id) if self._inbox is not None else None
        return rs is None or not rs.finished

    def heartbeat(self, task_id: str, details: bytes) -> None:
        lease = self._leases.get(task_id)
        if lease is not None and lease.every and self._inbox is not None:
            lease.soft = self._inbox.clock() + lease.every

    async def _lease_checks(self) -> None:
        while True:
            await asyncio.sleep(LEASE_INTERVAL)
            self._expire_leases()

    def _expire_leases(self) -> None:
        assert self._inbox is not None
        now = self._inbox.clock()
        for task_id, lease in list(self._leases.items()):
            silent = bool(lease.soft) and now >= lease.soft
            if not (silent or (lease.hard and now >= lease.hard)):
                continue
            del self._leases[task_id]
            rs = self._inbox.run(lease.run_id)
            act = rs.activities.get(lease.step_id) if rs is not None else None
            if rs is None or act is None or act.finished:
                continue
            record = rs.activity_record(act, now)
            if record.task_id == task_id:
                self._inbox.activity_timed_out(record, silent and not (lease.hard and now >= lease.hard))

    # ---- task queues (docs/task-queues.md) ----

    async def set_queue(self, config: pb.TaskQueueConfig) -> pb.TaskQueueConfig:
        if self.flow is None:
            raise WorkersElsewhere("this store keeps no task queue limits")
        await self.flow.set(config)
        return config

    async def queues(self) -> pb.ListTaskQueuesResponse:
        reply = pb.ListTaskQueuesResponse()
        if self.flow is None:
            return reply
        configs = {c.name: c for c in await self.flow.store.configs()}
        stats = self.flow.stats()
        for name in sorted(set(configs) | set(stats)):
            in_flight, waiting = stats.get(name, (0, 0))
            info = reply.queues.add(in_flight=in_flight, waiting=waiting)
            info.config.CopyFrom(configs.get(name, pb.TaskQueueConfig(name=name)))
            info.config.name = name or "default"
        return reply

    def waiting(self, queue: str) -> str:
        return self.flow.waiting(queue) if self.flow is not None else ""

    def cluster_info(self) -> pb.ClusterInfo:
        return pb.ClusterInfo(
            transport="kafka",
            bootstrap_servers=self.bootstrap,
            tasks_topic=self.tasks_prefix,
            events_topic=self.events_topic,
            worker_group=prefixed(self.namespace, WORKER_GROUP),
            partitions=self.partitions,
            kafka_settings=self.target.shared(),
        )

    async def ensure_task_topics(self, workflows: list[str], activities: list[str], queue: str = "") -> None:
        """Create the task topics of newly registered names (before any task is produced)."""
        wanted = [task_topic(self.tasks_prefix, WORKFLOW, n, queue) for n in workflows]
        wanted += [task_topic(self.tasks_prefix, ACTIVITY, n, queue) for n in activities]
        new = [t for t in wanted if t not in self._topics]
        if new:
            admin = admin_client(self.target)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, create_topics, admin, new, self.partitions)
            self._topics.update(new)

    # ---- client reports ----

    async def send(self, report: pb.Report) -> None:
        """A client's start, signal or cancel: durable once the broker acknowledges it; the
        owner of the run records it."""
        assert self._producer is not None
        which = report.WhichOneof("kind")
        run_id = getattr(report, which).run_id if which else ""
        partition = partition_for(run_id, self.partitions)
        await self._producer.send(self.events_topic, partition, run_id, report.SerializeToString())

    async def send_query(self, query: pb.QueryTask) -> bool:
        """Through the workflow's task topic, to the worker that holds the run's partition;
        False at once when the workers' consumer group says no worker holds it."""
        assert self._producer is not None
        topic = task_topic(self.tasks_prefix, WORKFLOW, query.workflow_name, query.task_queue)
        if topic not in self._topics:
            await self.ensure_task_topics([query.workflow_name], [], query.task_queue)
        partition = partition_for(query.run_id, self.partitions)
        group = prefixed(self.namespace, WORKER_GROUP)
        held = await asyncio.get_running_loop().run_in_executor(
            None, partition_held, self._admin_client(), group, topic, partition
        )
        if held is False:
            return False
        await self._producer.send(topic, partition, query.run_id, pb.Task(query=query).SerializeToString())
        return True

    async def workers(self) -> pb.ListWorkersResponse:
        """The members of the workers' consumer group, with the names whose task topics each is
        assigned (its slots are the worker's own business: no session reaches this server)."""
        group = prefixed(self.namespace, WORKER_GROUP)
        members = await asyncio.get_running_loop().run_in_executor(None, group_members, self._admin_client(), group)
        reply = pb.ListWorkersResponse(
            transport="kafka", missing="slots and tasks in hand: workers read Kafka and hold no session here"
        )
        if members is None:
            reply.missing = (
                "the workers' consumer group is between assignments or Kafka did not answer; " + reply.missing
            )
            return reply
        for member_id, host, topics in members:
            info = reply.workers.add(
                worker_id=member_id, host=host, tasks_in_flight=-1, free_activity_slots=-1, free_workflow_slots=-1
            )
            for topic in sorted(topics):
                kind, _, name = topic.removeprefix(self.tasks_prefix).partition(".")
                kind, _, queue = kind.partition("-")
                info.task_queue = queue or "default"
                (info.workflows if kind == WORKFLOW else info.activities).append(name)
        return reply

    def _admin_client(self) -> Any:
        if self._admin is None:
            self._admin = admin_client(self.target)
        return self._admin

    async def hosted(self, keys: list[tuple[str, str]]) -> list[bool | None]:
        """A name is hosted while a member of the workers' consumer group is assigned its topic."""
        group = prefixed(self.namespace, WORKER_GROUP)
        # The cluster's admin client, with its security settings (SASL_SSL, CA) like the others.
        consumed = await asyncio.get_running_loop().run_in_executor(None, topics_consumed, self._admin_client(), group)
        if consumed is None:
            return [None] * len(keys)
        return [task_topic(self.tasks_prefix, kind, name) in consumed for kind, name in keys]

    def owns(self, run_id: str) -> bool:
        return partition_for(run_id, self.partitions) in self.owned

    # ---- internals ----

    async def _produce(self, tasks: list[TaskRecord]) -> None:
        if self.flow is not None and self.flow.limits:  # limited tasks wait for their permits
            flow = self.flow
            held = [t for t in tasks if flow.limited(t)]
            for t in held:
                flow.hold_back(t)
            if held:
                tasks = [t for t in tasks if not flow.limited(t)]
        await self._produce_now(tasks)

    async def _produce_now(self, tasks: list[TaskRecord]) -> None:
        if not tasks:
            return
        assert self._producer is not None and self._inbox is not None
        inbox = self._inbox
        sends: list[Awaitable[None]] = []
        for t in tasks:
            if t.kind == TIMER:  # due: this server owns the run and records TIMER_FIRED itself
                inbox.timer_due(t)
                continue
            if t.kind == MESSAGE:  # for another run: through its partition of the events topic
                sends.append(self.send(pb.Report.FromString(t.data)))
                continue
            if t.kind == ACTIVITY:
                msg = pb.Task(activity=pb.ActivityTask.FromString(t.data))
            else:
                rs = inbox.run(t.run_id)
                task, _ = inbox.build_workflow_task(t, rs.wf_seen if rs else 0, None, TASK_MESSAGE_BYTES)
                msg = pb.Task(workflow=task)
            partition = partition_for(t.run_id, self.partitions)
            topic = task_topic(self.tasks_prefix, t.kind, t.name, t.queue)
            if t.queue and topic not in self._topics:  # a queue's topics: made when its worker registers
                await self.ensure_task_topics(*(([t.name], []) if t.kind == WORKFLOW else ([], [t.name])), t.queue)
            sends.append(self._producer.send(topic, partition, t.run_id, msg.SerializeToString()))
        await asyncio.gather(*sends)

    async def _consume(self) -> None:
        assert self._inbox is not None
        inbox = self._inbox
        loop = asyncio.get_running_loop()
        while True:
            while inbox.queued() > MAX_QUEUED:
                await asyncio.sleep(0.01)
            msgs = await loop.run_in_executor(self._pool, take, self._consumer, 500, 0.1, self._offsets)
            for m in msgs:
                if m.error():
                    log.warning("events consumer: %s", m.error())
                    continue
                try:
                    report = pb.Report.FromString(m.value())
                except Exception:
                    log.error("events: undecodable message at %s/%d@%d", m.topic(), m.partition(), m.offset())
                    continue
                ack = _OffsetAck(self._offsets, m.topic(), m.partition(), m.offset())
                which = report.WhichOneof("kind")
                if which not in FROM_TOPIC:
                    self.refused[which or ""] += 1
                    log.warning(
                        "events: %s at %s/%d@%d refused: never sent through the topic",
                        which,
                        m.topic(),
                        m.partition(),
                        m.offset(),
                    )
                    ack()  # consumed: it will never be applied
                    continue
                if which == "start_workflow":
                    inbox.start_run(report.start_workflow, ack)
                else:
                    inbox.report(report, ack)

    def _on_assign(self, consumer: Any, partitions: list[Any]) -> None:
        with self._lock:
            for p in partitions:
                self.owned.add(p.partition)
                self._loop.call_soon_threadsafe(self._assigned.put_nowait, p.partition)
                self._loop.call_soon_threadsafe(self._timer_scan, p.partition)
        log.info("owns events partitions %s", sorted(self.owned))

    def _on_revoke(self, consumer: Any, partitions: list[Any]) -> None:
        with self._lock:
            lost = {p.partition for p in partitions}
            self.owned -= lost
        self._offsets.store(consumer)  # this is the polling thread: what is durable, before it goes
        try:
            consumer.commit(asynchronous=False)
        except Exception:
            pass  # nothing stored yet
        assert self._inbox is not None and self._timers is not None
        for p in lost:
            self._loop.call_soon_threadsafe(self._timers.drop, p)
        self._loop.call_soon_threadsafe(
            self._inbox.evict, lambda run_id: partition_for(run_id, self.partitions) in lost
        )

    def _timer_scan(self, partition: int) -> None:
        assert self._timers is not None
        self._timers.at(partition, 0.0)  # a new partition: scan its timers now

    async def _takeovers(self) -> None:
        """On a new partition: resume its active runs (their tasks may have been lost)."""
        assert self._inbox is not None and self._index is not None
        while True:
            partition = await self._assigned.get()
            try:
                run_ids = await self._index.active_runs(partition)
                if run_ids:
                    self._inbox.resume(run_ids)
            except Exception as exc:
                log.error("taking over partition %d: %s", partition, exc)
                await asyncio.sleep(1)
                self._assigned.put_nowait(partition)


class KafkaRouter:
    """Runs are owned by the server assigned their partition of ``events``: a client's start or
    report is durable once the broker has it, and the owner records it."""

    not_found_grace = NOT_FOUND_GRACE

    def __init__(self, kafka: KafkaTransport) -> None:
        self._kafka = kafka
        self._inbox: Inbox | None = None
        self._store: EventStore | None = None

    def bind(self, inbox: Inbox, store: EventStore) -> None:
        self._inbox, self._store = inbox, store

    def owns(self, run_id: str) -> bool:
        return self._kafka.owns(run_id)

    def result_poll(self, run_id: str) -> float:
        # The owner's waiter wakes at once (a re-read now and then covers a partition move);
        # another server learns of the end from the store.
        return 5.0 if self._kafka.owns(run_id) else 0.02

    async def start(self, request: pb.StartWorkflowRequest, fresh: bool) -> bool:
        assert self._inbox is not None and self._store is not None
        # A fresh id (a uuid4 generated just now) cannot be stored: no read.
        if not fresh and (
            self._inbox.run(request.run_id) is not None or await self._store.last_event(request.run_id) is not None
        ):
            return False
        await self._kafka.send(pb.Report(start_workflow=request))
        if fresh and self._kafka.owns(request.run_id):
            self._inbox.expect(request.run_id)
        return True

    async def submit(self, report: pb.Report) -> None:
        await self._kafka.send(report)

    async def deliver(self, messages: list[TaskRecord]) -> None:
        """Through the receiving run's partition of ``events``, to its owner."""
        await asyncio.gather(*(self._kafka.send(pb.Report.FromString(t.data)) for t in messages))


@dataclasses.dataclass
class _Lease:
    run_id: str
    step_id: str
    hard: float  # the attempt's start_to_close deadline (0: none)
    soft: float  # the next heartbeat's deadline (0: none)
    every: float  # heartbeat_timeout


class _OffsetAck:
    """Stores a consumed offset once the message's effects are durable."""

    __slots__ = ("offset", "offsets", "partition", "topic")

    def __init__(self, offsets: PendingOffsets, topic: str, partition: int, offset: int) -> None:
        self.offsets, self.topic, self.partition, self.offset = offsets, topic, partition, offset

    def __call__(self) -> None:
        self.offsets.put(self.topic, self.partition, self.offset + 1)
