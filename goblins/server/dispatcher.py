"""The embedded task transport: hands stored tasks to connected workers over their streams.

Tasks reach the dispatcher only after the store has made them durable. The dispatcher keeps
no state that matters for correctness: after a restart it is rebuilt from the tasks table.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
from collections.abc import Callable

from goblins._proto import goblins_pb2 as pb
from goblins.server.engine import ACTIVITY, MESSAGE, TIMER, WORKFLOW, TaskRecord

# A workflow task is CPU work of a few milliseconds; one not reported by then is lost.
WORKFLOW_TASK_TIMEOUT = 10.0

Key = tuple[str, str]  # (kind, name)


class Session:
    """One connected worker: what it hosts, how much more it can take, its outbox."""

    def __init__(self, worker_id: str, workflows: list[str], activities: list[str]) -> None:
        self.worker_id = worker_id
        self.keys: set[Key] = {(WORKFLOW, n) for n in workflows} | {(ACTIVITY, n) for n in activities}
        self.credit = {ACTIVITY: 0, WORKFLOW: 0}
        self.inflight: set[str] = set()
        self.closed = False
        self._msg = pb.ServerMessage()  # the next message, built in place (no copies)
        self._queued = False
        self._wake = asyncio.Event()

    def activity_task(self, data: bytes) -> None:
        """Queue an activity task from its stored ActivityTask bytes."""
        self._msg.tasks.add().activity.MergeFromString(data)
        self._queued = True
        self._wake.set()

    def workflow_task(self) -> pb.WorkflowTask:
        """Queue a workflow task; the caller fills in the returned message."""
        self._queued = True
        self._wake.set()
        return self._msg.tasks.add().workflow

    def ack(self, task_id: str) -> None:
        self._msg.acked.append(task_id)
        self._queued = True
        self._wake.set()

    def query(self, query: pb.QueryTask) -> None:
        self._msg.tasks.add().query.CopyFrom(query)
        self._queued = True
        self._wake.set()

    def cancel(self, task_id: str) -> None:
        """Tell the worker to stop an activity that is no longer wanted."""
        self._msg.cancelled.append(task_id)
        self._queued = True
        self._wake.set()

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    async def next_message(self) -> pb.ServerMessage | None:
        """Everything queued since the last call, as one message; None once closed."""
        while not self._queued:
            if self.closed:
                return None
            self._wake.clear()
            await self._wake.wait()
        msg, self._msg, self._queued = self._msg, pb.ServerMessage(), False
        return msg


class Dispatcher:
    """Ready queues per (kind, name), a delay heap, and leases on in-flight tasks."""

    def __init__(
        self,
        build_workflow_task: Callable[[TaskRecord, int, pb.WorkflowTask | None], pb.WorkflowTask],
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
        self._ready: dict[Key, collections.deque[TaskRecord]] = collections.defaultdict(collections.deque)
        self._delayed: list[tuple[float, int, TaskRecord]] = []
        self._counter = itertools.count()
        self._leases: dict[str, tuple[Session, float]] = {}
        self._hard: dict[str, float] = {}  # task id -> start_to_close deadline, for heartbeating tasks
        self._sessions: list[Session] = []
        self._sticky: dict[str, tuple[Session, int]] = {}  # run_id -> (session, seq it has seen)

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
        else:
            self._ready[(t.kind, t.name)].append(t)

    def done(self, task_ids: list[str]) -> None:
        for task_id in task_ids:
            self._known.pop(task_id, None)
            lease = self._leases.pop(task_id, None)
            self._hard.pop(task_id, None)
            if lease is not None:
                lease[0].inflight.discard(task_id)

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

    def busy(self) -> bool:
        """Whether any task is ready or in a worker's hands."""
        return bool(self._leases) or any(self._ready.values())

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
                session.inflight.discard(task_id)
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
                    self._ready[(expired.kind, expired.name)].append(expired)
        self._pump()

    # ---- workers ----

    def connect(self, session: Session, running: list[str]) -> None:
        """A worker joined; tasks it still runs from before a reconnect are leased to it again."""
        now = self._clock()
        for task_id in running:
            t = self._known.get(task_id)
            if t is not None and task_id not in self._leases:
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
                self._ready[(t.kind, t.name)].appendleft(t)
        session.inflight.clear()
        self._pump()

    def credit(self, session: Session, activities: int, workflows: int) -> None:
        session.credit[ACTIVITY] += activities
        session.credit[WORKFLOW] += workflows
        self._pump()

    # ---- internals ----

    def _lease(self, t: TaskRecord, session: Session, now: float) -> None:
        timeout = t.timeout if t.kind == ACTIVITY else WORKFLOW_TASK_TIMEOUT
        deadline = now + timeout if timeout else 0.0
        if t.heartbeat:  # the lease lives from heartbeat to heartbeat, up to the attempt's deadline
            self._hard[t.task_id] = deadline
            deadline = min(deadline, now + t.heartbeat) if deadline else now + t.heartbeat
        self._leases[t.task_id] = (session, deadline)
        session.inflight.add(t.task_id)

    def send_query(self, query: pb.QueryTask) -> bool:
        """Hand a query to the worker that holds the run (else any host of its workflow)."""
        sticky = self._sticky.get(query.run_id)
        key = (WORKFLOW, query.workflow_name)
        hosts = [s for s in self._sessions if key in s.keys and not s.closed]
        if not hosts:
            return False
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
        for key in session.keys:
            if session.credit[key[0]] <= 0:
                continue
            queue = self._ready.get(key)
            while queue:
                t = queue.popleft()
                if self._known.get(t.task_id) is t and t.task_id not in self._leases:
                    return t
        return None

    def _pump(self) -> None:
        if not self._sessions or not any(self._ready.values()):
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
                self._lease(t, session, now)
                self._send(t, session)

    def _pump_one(self, session: Session, now: float) -> None:
        """_pump for a single session: the same tasks in the same order (its keys in turn, each
        queue drained while credit lasts), without a rescan of every key per task."""
        known, leases, credit = self._known, self._leases, session.credit
        for key in session.keys:
            kind = key[0]
            queue = self._ready.get(key)
            while queue and credit[kind] > 0:
                t = queue.popleft()
                if known.get(t.task_id) is t and t.task_id not in leases:
                    credit[kind] -= 1
                    self._lease(t, session, now)
                    self._send(t, session)

    def _send(self, t: TaskRecord, session: Session) -> None:
        if t.kind == ACTIVITY:
            session.activity_task(t.data)
            return
        sticky = self._sticky.get(t.run_id)
        seen = sticky[1] if sticky is not None and sticky[0] is session else 0
        task = self._build_workflow_task(t, seen, session.workflow_task())
        if task.events:
            self._sticky[t.run_id] = (session, task.events[-1].seq)
        else:
            self._sticky.pop(t.run_id, None)
