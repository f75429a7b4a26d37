"""The embedded task transport: hands stored tasks to connected workers over their streams.

Tasks reach the dispatcher only after the store has made them durable. The dispatcher keeps
no state that matters for correctness: after a restart it is rebuilt from the tasks table.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, MESSAGE, TIMER, WORKFLOW, TaskRecord
from goblins.server.flow import Gate, Limits, limits_of
from goblins.server.ports import EventStore, Inbox
from goblins.server.session import SYNC_ACTIVITY, Session
from goblins.server.state import RunState

# After a restart, tasks that were in flight wait this long for their workers to reconnect
# and claim them (a worker resends its results), instead of running twice.
RESTART_GRACE = 2.0
# Every waiter of a run is woken by this server's loop when the run ends: a re-read of the
# store is only a backstop.
RESULT_POLL = 60.0
TICK = 0.05  # how often delayed tasks are promoted and leases checked

# A workflow task is CPU work of a few milliseconds; one not reported by then is lost.
WORKFLOW_TASK_TIMEOUT = 10.0


class Dispatcher:
    """Ready queues per (kind, name), a delay heap, and leases on in-flight tasks."""

    def __init__(
        self,
        build_workflow_task: Callable[[TaskRecord, int, pb.WorkflowTask | None], tuple[pb.WorkflowTask, int]],
        on_activity_timeout: Callable[[TaskRecord, bool], None],
        on_timer: Callable[[TaskRecord], None],
        on_message: Callable[[TaskRecord], None],
        clock: Callable[[], float],
    ) -> None:
        self._build_workflow_task = build_workflow_task
        self._on_activity_timeout = on_activity_timeout
        self._on_timer = on_timer
        self._on_message = on_message
        self._clock = clock
        self._known: dict[str, TaskRecord] = {}
        # By (kind, name), or (kind, name, queue) for a task queue other than the default one.
        self._ready: dict[tuple[str, ...], collections.deque[TaskRecord]] = collections.defaultdict(collections.deque)
        self._delayed: list[tuple[float, int, TaskRecord]] = []
        self._counter = itertools.count()
        self._leases: dict[str, tuple[Session, float]] = {}
        self._hard: dict[str, float] = {}  # task id -> start_to_close deadline, for heartbeating tasks
        self._sessions: list[Session] = []
        self._sticky: dict[str, tuple[Session, int]] = {}  # run_id -> (session, seq it has seen)
        self.on_dispatch: Callable[[str, float], None] | None = None  # (kind, seconds since due): metrics
        # Task queues with limits or prioritised tasks (docs/task-queues.md): their tasks wait in
        # a Gate, not a deque. None of this is touched while no queue has limits or priorities.
        self._gates: dict[str, Gate[TaskRecord]] = {}
        self._permits: dict[str, Gate[TaskRecord]] = {}  # task id -> the gate whose permit it holds

    # ---- tasks ----

    def add(self, tasks: list[TaskRecord], not_before: float = 0.0) -> None:
        now = self._clock()
        for t in tasks:
            self._known[t.task_id] = t
            # A timer needs no worker to claim it after a restart: it fires when due.
            due = t.visible_at if t.kind in (TIMER, MESSAGE) else max(t.visible_at, not_before)
            if due > now:
                heapq.heappush(self._delayed, (due, next(self._counter), t))
            else:
                self._ready_or_fire(t)
        self._pump()

    def _ready_or_fire(self, t: TaskRecord) -> None:
        if t.kind == TIMER:
            self._on_timer(t)  # stays known until TIMER_FIRED is stored (done)
        elif t.kind == MESSAGE:
            self._on_message(t)  # stays known until the receiving run's turn is stored
        elif self._gates or t.priority or t.queue:
            self._offer(t)
        else:
            self._ready[(t.kind, t.name)].append(t)

    def _offer(self, t: TaskRecord, front: bool = False) -> None:
        """A ready task on a named queue, or prioritised, or on a queue with limits."""
        gate = self._gates.get(t.queue)
        if gate is None and t.priority:  # a queue orders by priority from its first such task on
            gate = self._gates[t.queue] = Gate(t.queue or "default", Limits(), self._clock())
        if gate is None:
            key = (t.kind, t.name, t.queue) if t.queue else (t.kind, t.name)
            (self._ready[key].appendleft if front else self._ready[key].append)(t)
            return
        gate.push((t.kind, t.name), t.task_id, t, t.priority, t.ckey, t.kind == ACTIVITY, front)

    def _requeue(self, t: TaskRecord) -> None:
        """Back to the front of its queue (its worker left or its lease ended)."""
        permit = self._permits.pop(t.task_id, None)
        if permit is not None:
            permit.release(t.task_id)
        if self._gates or t.priority or t.queue:
            self._offer(t, front=True)
        else:
            self._ready[(t.kind, t.name)].appendleft(t)

    def configure(self, queue: str, limits: Limits) -> None:
        """A queue's limits (from the store): its tasks wait in a Gate from now on."""
        now = self._clock()
        gate = self._gates.get(queue)
        if gate is not None:
            gate.configure(limits, now)
        else:
            gate = self._gates[queue] = Gate(queue or "default", limits, now)
            for key, waiting in list(self._ready.items()):  # its tasks waiting in deques move in
                if (key[2] if len(key) > 2 else "") == queue:
                    del self._ready[key]
                    for t in waiting:
                        gate.push((t.kind, t.name), t.task_id, t, t.priority, t.ckey, t.kind == ACTIVITY)
        self._pump()

    def waiting(self, queue: str) -> str:
        """Why the queue's next limited task cannot start now ("" when it can, or has no limits)."""
        gate = self._gates.get(queue)
        return gate.blocked(self._clock()) if gate is not None else ""

    def rate_wait(self) -> float:
        """Seconds until a rate-limited queue with waiting tasks has its next token (TICK: none)."""
        now, wait = self._clock(), TICK
        for gate in self._gates.values():
            if gate.bucket is not None and gate.waiting:
                due = gate.bucket.wait(now)  # 0: a token is there, the tasks wait for something else
                wait = min(wait, due) if due > 0 else wait
        return wait

    def queue_stats(self) -> dict[str, tuple[int, int]]:
        """(in flight, waiting) of each gated queue."""
        return {q: (len(g.in_flight), g.waiting) for q, g in self._gates.items()}

    def done(self, task_ids: list[str]) -> None:
        freed = False
        for task_id in task_ids:
            self._known.pop(task_id, None)
            lease = self._leases.pop(task_id, None)
            self._hard.pop(task_id, None)
            if lease is not None:
                lease[0].inflight.pop(task_id, None)
            if self._permits:
                permit = self._permits.pop(task_id, None)
                if permit is not None:
                    freed = permit.release(task_id) or freed
        if freed:  # a waiting task of the queue may start now
            self._pump()

    def holds(self, task_id: str) -> bool:
        """Whether the task is known: stored and not done (a finished run's tasks are done)."""
        return task_id in self._known

    def forget_run(self, run_id: str) -> None:
        self._sticky.pop(run_id, None)

    def next_due(self) -> float | None:
        """When the earliest delayed task is due (None: none is waiting)."""
        while self._delayed and self._known.get(self._delayed[0][2].task_id) is not self._delayed[0][2]:
            heapq.heappop(self._delayed)  # done meanwhile
        return self._delayed[0][0] if self._delayed else None

    def connected(self) -> int:
        """Worker sessions connected now."""
        return len(self._sessions)

    def workers(self) -> list[pb.WorkerInfo]:
        """The connected workers: what each hosts, its tasks in hand, its free slots."""
        return [
            pb.WorkerInfo(
                worker_id=s.worker_id,
                workflows=sorted(name for kind, name in s.keys if kind == WORKFLOW),
                activities=sorted(name for kind, name in s.keys if kind == ACTIVITY),
                tasks_in_flight=len(s.inflight),
                free_activity_slots=s.credit[ACTIVITY],
                free_workflow_slots=s.credit[WORKFLOW],
                task_queue=s.task_queue or "default",
            )
            for s in self._sessions
            if not s.closed
        ]

    def busy(self) -> bool:
        """Whether any task is ready or in a worker's hands."""
        return bool(self._leases) or any(self._ready.values()) or any(g.has_waiting() for g in self._gates.values())

    def tick(self) -> None:
        """Promote due delayed tasks and expire leases; called periodically."""
        now = self._clock()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, t = heapq.heappop(self._delayed)
            if self._known.get(t.task_id) is t and t.task_id not in self._leases:
                self._ready_or_fire(t)
        for task_id, (session, deadline) in list(self._leases.items()):
            if deadline and deadline <= now:
                del self._leases[task_id]
                session.inflight.pop(task_id, None)
                if session in self._sessions:  # it may be hung: offer it new tasks last
                    self._sessions.remove(session)
                    self._sessions.append(session)
                expired = self._known.get(task_id)
                hard = self._hard.pop(task_id, 0.0)
                if expired is None:
                    continue
                if expired.kind == ACTIVITY:
                    self._on_activity_timeout(expired, bool(expired.heartbeat) and (not hard or now < hard))
                else:
                    self._requeue(expired)
        self._pump()

    # ---- workers ----

    def connect(self, session: Session, running: list[str]) -> None:
        """A worker joined; tasks it still runs from before a reconnect are leased to it again.

        Only tasks of names it hosts, and held by no other session: a worker cannot claim a
        timer, a message, or another session's task by naming it.
        """
        now = self._clock()
        for task_id in running:
            t = self._known.get(task_id)
            if t is not None and task_id not in self._leases and (t.kind, t.name) in session.keys:
                if t.queue != session.task_queue:
                    continue
                gate = self._gates.get(t.queue) if t.kind == ACTIVITY else None
                if gate is not None:  # it runs: it holds a permit, past the limit if it must
                    gate.hold(t.task_id, t.ckey)
                    self._permits[t.task_id] = gate
                self._lease(t, session, now)
        self._sessions.append(session)

    def disconnect(self, session: Session) -> None:
        """A worker left: its in-flight tasks go back to the front of the queues at once."""
        session.close()
        if session in self._sessions:
            self._sessions.remove(session)
        for task_id in list(session.inflight):
            self._leases.pop(task_id, None)
            t = self._known.get(task_id)
            if t is not None:
                self._requeue(t)
            elif self._permits:
                permit = self._permits.pop(task_id, None)
                if permit is not None:
                    permit.release(task_id)
        session.inflight.clear()
        self._pump()

    def credit(self, session: Session, activities: int, workflows: int, sync_activities: int = 0) -> None:
        session.credit[ACTIVITY] += activities
        session.credit[WORKFLOW] += workflows
        session.credit[SYNC_ACTIVITY] += sync_activities
        self._pump()

    # ---- internals ----

    def _lease(self, t: TaskRecord, session: Session, now: float) -> None:
        timeout = t.timeout if t.kind == ACTIVITY else WORKFLOW_TASK_TIMEOUT
        deadline = now + timeout if timeout else 0.0
        if t.heartbeat:  # the lease lives from heartbeat to heartbeat, up to the attempt's deadline
            self._hard[t.task_id] = deadline
            deadline = min(deadline, now + t.heartbeat) if deadline else now + t.heartbeat
        self._leases[t.task_id] = (session, deadline)
        session.inflight[t.task_id] = t.run_id
        if self.on_dispatch is not None:
            self.on_dispatch(t.kind, now - t.visible_at)

    def hosts(self, key: tuple[str, str]) -> bool:
        """Whether a connected worker hosts the (kind, name)."""
        return any(key in s.keys and not s.closed for s in self._sessions)

    def send_query(self, query: pb.QueryTask) -> bool:
        """Hand a query to the worker that holds the run (else any host of its workflow)."""
        sticky = self._sticky.get(query.run_id)
        key = (WORKFLOW, query.workflow_name)
        hosts = [s for s in self._sessions if key in s.keys and not s.closed]
        if not hosts:
            return False
        hosts.sort(key=lambda s: s.task_queue != query.task_queue)  # the run's queue's workers first
        session = sticky[0] if sticky is not None and sticky[0] in hosts else hosts[0]
        session.query(query)
        return True

    def heartbeat(self, task_id: str, details: bytes = b"") -> None:
        """A leased task's activity is alive: extend its lease by its heartbeat_timeout, and
        keep its details in the task, so a redelivery (its worker died) resumes from them."""
        lease, t = self._leases.get(task_id), self._known.get(task_id)
        if t is not None and details:
            task = pb.ActivityTask.FromString(t.data)
            task.heartbeat_details = details
            t.data = task.SerializeToString()
        if lease is None or t is None or not t.heartbeat:
            return
        hard = self._hard.get(task_id, 0.0)
        deadline = self._clock() + t.heartbeat
        self._leases[task_id] = (lease[0], min(deadline, hard) if hard else deadline)

    def _take(self, session: Session) -> TaskRecord | None:
        q = session.task_queue
        for key in session.keys:
            if session.credit[key[0]] <= 0 or (key in session.sync and session.credit[SYNC_ACTIVITY] <= 0):
                continue
            queue = self._ready.get((*key, q) if q else key)
            while queue:
                t = queue.popleft()
                if self._known.get(t.task_id) is t and t.task_id not in self._leases:
                    return t
        return self._take_gated(session, self._clock()) if self._gates else None

    def _alive(self, task_id: str, t: TaskRecord) -> bool:
        return self._known.get(task_id) is t and task_id not in self._leases

    def _take_gated(self, session: Session, now: float) -> TaskRecord | None:
        """The best task of the session's queue that its credit and the queue's limits admit."""
        gate = self._gates.get(session.task_queue)
        if gate is None or not gate.waiting:
            return None
        credit, sync = session.credit, session.sync
        keys = [k for k in session.keys if credit[k[0]] > 0 and (k not in sync or credit[SYNC_ACTIVITY] > 0)]
        got = gate.take(keys, now, self._alive) if keys else None
        if got is None:
            return None
        t = got[1]
        if t.kind == ACTIVITY:
            self._permits[t.task_id] = gate
        return t

    def _pump(self) -> None:
        if not self._sessions or not (
            any(self._ready.values()) or (self._gates and any(g.waiting for g in self._gates.values()))
        ):
            return
        now = self._clock()
        if len(self._sessions) == 1:
            self._pump_one(self._sessions[0], now)
            return
        progress = True
        while progress:
            progress = False
            for session in self._sessions:
                t = self._take(session)
                if t is None:
                    continue
                progress = True
                session.credit[t.kind] -= 1
                if (t.kind, t.name) in session.sync:
                    session.credit[SYNC_ACTIVITY] -= 1
                self._lease(t, session, now)
                self._send(t, session)

    def _pump_one(self, session: Session, now: float) -> None:
        """_pump for a single session: the same tasks in the same order (its keys in turn, each
        queue drained while credit lasts), without a rescan of every key per task."""
        known, leases, credit, sync = self._known, self._leases, session.credit, session.sync
        q = session.task_queue
        for key in session.keys:
            kind = key[0]
            queue = self._ready.get((*key, q) if q else key)
            if key in sync:  # a sync activity takes a credit of its own pool too
                while queue and credit[kind] > 0 and credit[SYNC_ACTIVITY] > 0:
                    t = queue.popleft()
                    if known.get(t.task_id) is t and t.task_id not in leases:
                        credit[kind] -= 1
                        credit[SYNC_ACTIVITY] -= 1
                        self._lease(t, session, now)
                        self._send(t, session)
                continue
            while queue and credit[kind] > 0:
                t = queue.popleft()
                if known.get(t.task_id) is t and t.task_id not in leases:
                    credit[kind] -= 1
                    self._lease(t, session, now)
                    self._send(t, session)
        if self._gates:
            while (gated := self._take_gated(session, now)) is not None:
                credit[gated.kind] -= 1
                if (gated.kind, gated.name) in sync:
                    credit[SYNC_ACTIVITY] -= 1
                self._lease(gated, session, now)
                self._send(gated, session)

    def _send(self, t: TaskRecord, session: Session) -> None:
        if t.kind == ACTIVITY:
            session.activity_task(t.data)
            return
        sticky = self._sticky.get(t.run_id)
        seen = sticky[1] if sticky is not None and sticky[0] is session else 0
        task, size = self._build_workflow_task(t, seen, session.workflow_task())
        session.used(size)
        if task.last_seq:  # the worker will have seen up to here (its events and the pages after)
            self._sticky[t.run_id] = (session, task.last_seq)
        else:
            self._sticky.pop(t.run_id, None)


class EmbeddedTransport:
    """TaskQueue and Timers of the embedded mode: tasks stored in SQLite (the store writes
    them with the batch), dispatched over the workers' Connect streams; timers are delayed
    tasks of the same dispatcher."""

    stores_tasks = True

    def __init__(self, store: EventStore, restart_grace: float = RESTART_GRACE) -> None:
        self._store = store
        self._restart_grace = restart_grace  # 0 when no worker of another process can hold a task
        self.dispatcher: Dispatcher | None = None
        self._ticker: asyncio.Task[Any] | None = None

    async def start(self, inbox: Inbox) -> None:
        self.dispatcher = Dispatcher(
            inbox.build_workflow_task, inbox.activity_timed_out, inbox.timer_due, inbox.deliver, inbox.clock
        )
        for config in await self.load_queues():
            self.dispatcher.configure(config.name, limits_of(config))
        self.dispatcher.add(await self._store.pending_tasks(), not_before=inbox.clock() + self._restart_grace)
        self._ticker = asyncio.create_task(self._tick())

    def _d(self) -> Dispatcher:
        if self.dispatcher is None:
            raise RuntimeError("the embedded transport is not started")
        return self.dispatcher

    async def _tick(self) -> None:
        dispatcher = self._d()
        while True:
            # A rate-limited queue is pumped when its next token is due, not up to a TICK late.
            await asyncio.sleep(dispatcher.rate_wait() if dispatcher._gates else TICK)
            dispatcher.tick()

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)

    async def publish(self, new_tasks: list[TaskRecord], done_tasks: list[str]) -> None:
        dispatcher = self._d()
        dispatcher.done(done_tasks)
        dispatcher.add(new_tasks)

    def forget_run(self, run_id: str) -> None:
        if self.dispatcher is not None:
            self.dispatcher.forget_run(run_id)

    # ---- task queues (docs/task-queues.md) ----

    async def load_queues(self) -> list[pb.TaskQueueConfig]:
        configs = getattr(self._store, "task_queues", None)  # a store of the tests may keep none
        return list(await configs()) if configs is not None else []

    async def set_queue(self, config: pb.TaskQueueConfig) -> pb.TaskQueueConfig:
        """Store the queue's limits (durable before the answer), then apply them."""
        await self._store.set_task_queue(config)  # type: ignore[attr-defined]
        self._d().configure(config.name, limits_of(config))
        return config

    async def queues(self) -> pb.ListTaskQueuesResponse:
        reply = pb.ListTaskQueuesResponse()
        stats = self.dispatcher.queue_stats() if self.dispatcher is not None else {}
        configs = {c.name: c for c in await self.load_queues()}
        workers = self.dispatcher.workers() if self.dispatcher is not None else []
        polled = {"" if w.task_queue == "default" else w.task_queue for w in workers}
        for name in sorted(set(configs) | set(stats) | polled):
            in_flight, waiting = stats.get(name, (0, 0))
            info = reply.queues.add(in_flight=in_flight, waiting=waiting)
            info.config.CopyFrom(configs.get(name, pb.TaskQueueConfig(name=name)))
            info.config.name = name or "default"
            info.workers.extend(w.worker_id for w in workers if w.task_queue == (name or "default"))
        return reply

    def waiting(self, queue: str) -> str:
        return self.dispatcher.waiting(queue) if self.dispatcher is not None else ""

    def cluster_info(self) -> pb.ClusterInfo:
        return pb.ClusterInfo(transport="embedded")

    async def send_query(self, query: pb.QueryTask) -> bool:
        # The answer comes back over the worker's stream: no address to reply to.
        query.reply_to = ""
        return self.dispatcher is not None and self.dispatcher.send_query(query)

    async def workers(self) -> pb.ListWorkersResponse:
        reply = pb.ListWorkersResponse(transport="embedded")
        if self.dispatcher is not None:
            reply.workers.extend(self.dispatcher.workers())
        return reply

    async def hosted(self, keys: list[tuple[str, str]]) -> list[bool | None]:
        d = self.dispatcher
        return [d is not None and d.hosts(key) for key in keys]

    async def ensure_task_topics(self, workflows: list[str], activities: list[str], queue: str = "") -> None:
        pass  # a task needs no topic here: the dispatcher queues by (kind, name) on demand

    def observe(self, events: list[pb.HistoryEvent], runs: Mapping[str, RunState], reloaded: bool = False) -> None:
        pass  # the dispatcher's leases start when it hands a task out

    def heartbeat(self, task_id: str, details: bytes) -> None:
        if self.dispatcher is not None:
            self.dispatcher.heartbeat(task_id, details)

    def holds(self, task_id: str) -> bool:
        """Whether the task is still to be done (stored and not finished)."""
        return self.dispatcher is not None and self.dispatcher.holds(task_id)

    def busy(self) -> bool:
        return self.dispatcher is not None and self.dispatcher.busy()

    def connect(self, session: Session, running: list[str]) -> None:
        self._d().connect(session, running)

    def disconnect(self, session: Session) -> None:
        self._d().disconnect(session)

    def credit(self, session: Session, activities: int, workflows: int, sync_activities: int = 0) -> None:
        self._d().credit(session, activities, workflows, sync_activities)

    # ---- Timers ----

    async def schedule(self, timers: list[TaskRecord]) -> None:
        self._d().add(timers)  # the delay heap fires them when due

    def next_due(self) -> float | None:
        return self.dispatcher.next_due() if self.dispatcher is not None else None

    def fire_due(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.tick()


class LocalRouter:
    """One server owns every run: a client's start or report goes straight to the loop."""

    not_found_grace = 0.0

    def __init__(self) -> None:
        self._inbox: Inbox | None = None

    def bind(self, inbox: Inbox, store: EventStore) -> None:
        self._inbox = inbox

    def owns(self, run_id: str) -> bool:
        return True

    def result_poll(self, run_id: str) -> float:
        return RESULT_POLL

    async def start(self, request: pb.StartWorkflowRequest, fresh: bool) -> bool:
        assert self._inbox is not None
        reply: asyncio.Future[bool] = self._inbox.future()
        self._inbox.start_run(request, fresh=fresh, reply=reply)
        return await reply

    async def deliver(self, messages: list[TaskRecord]) -> None:
        assert self._inbox is not None
        for t in messages:  # stored with the batch: the receiving run's turn marks them done
            self._inbox.deliver(t)

    async def submit(self, report: pb.Report) -> None:
        assert self._inbox is not None
        done: asyncio.Future[None] = self._inbox.future()

        def durable() -> None:
            if not done.done():
                done.set_result(None)

        self._inbox.watch(done)  # answered UNAVAILABLE if commits fail meanwhile
        self._inbox.report(report, durable)
        await done
