"""In-memory ports for unit tests of the loop and the application layer: EventStore +
RunIndex in dicts, a TaskQueue + Timers and a Router that record what they are given."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from goblins.api import v1 as pb
from goblins.errors import StoreConflict, StoreRejected
from goblins.server.effects import WORKFLOW, TaskRecord
from goblins.server.paging import cut
from goblins.server.ports import Batch, EventStore, Inbox, Mode, StoredRun, status_of
from goblins.server.session import Session
from goblins.server.state import RunState

T0 = 1000.0


class MemoryStore:
    """EventStore + RunIndex in dicts; ``failures`` are raised by the next commits, in order."""

    def __init__(self) -> None:
        self.workflow_ids: dict[str, tuple[str, float]] = {}
        self.run_workflow_ids: dict[str, str] = {}
        self.events: dict[str, list[pb.HistoryEvent]] = {}
        self.tasks: dict[str, TaskRecord] = {}
        self.names: set[tuple[str, str]] = set()
        self.status: dict[str, str] = {}
        self.commits: list[Batch] = []
        self.failures: list[Exception] = []
        self.gate: asyncio.Event | None = None  # set: commits wait for it
        self.refuse: Callable[[pb.HistoryEvent], bool] | None = None  # commits with such an event: StoreRejected

    async def commit(self, batch: Batch) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            raise self.failures.pop(0)
        if self.refuse is not None and any(self.refuse(e) for e in batch.events):
            raise StoreRejected("a value the store cannot hold")
        for e in batch.events:
            stored = self.events.setdefault(e.run_id, [])
            if any(s.seq == e.seq for s in stored):
                raise StoreConflict(f"{e.run_id}#{e.seq} exists")
        for e in batch.events:
            self.events[e.run_id].append(e)
            status = status_of(e)
            if status is not None:
                self.status[e.run_id] = status
        for task_id in batch.done_tasks:
            self.tasks.pop(task_id, None)
        self.tasks.update({t.task_id: t for t in batch.new_tasks})
        self.names.update(batch.registry)
        self.commits.append(batch)

    async def load_run(self, run_id: str) -> StoredRun | None:
        events = self.events.get(run_id)
        if not events:
            return None
        wf = [t.task_id for t in self.tasks.values() if t.run_id == run_id and t.kind == WORKFLOW]
        return StoredRun(list(events), wf[0] if wf else None)

    async def load_runs(self, run_ids: list[str]) -> list[StoredRun | None]:
        return [await self.load_run(r) for r in run_ids]

    async def history(self, run_id: str, after_seq: int = 0) -> list[pb.HistoryEvent] | None:
        events = self.events.get(run_id)
        return None if events is None else [e for e in events if e.seq > after_seq]

    async def history_page(
        self, run_id: str, after_seq: int, limit: int, max_bytes: int
    ) -> tuple[list[pb.HistoryEvent], bool] | None:
        events = await self.history(run_id, after_seq)
        if events is None:
            return None
        n = cut([e.ByteSize() for e in events[:limit]], max_bytes)
        return events[:n], n < len(events)

    async def last_event(self, run_id: str) -> pb.HistoryEvent | None:
        events = self.events.get(run_id)
        return events[-1] if events else None

    async def registry(self) -> set[tuple[str, str]]:
        return set(self.names)

    async def pending_tasks(self) -> list[TaskRecord]:
        return list(self.tasks.values())

    async def settle(self, run_ids: list[str]) -> None:
        pass

    async def close(self) -> None:
        pass

    async def list_runs(
        self,
        status: str,
        workflow_name: str,
        limit: int,
        *,
        after: tuple[float, str] | None = None,
        created_after: float = 0.0,
        created_before: float = 0.0,
    ) -> list[pb.RunInfo]:
        return [pb.RunInfo(run_id=r, status=s) for r, s in self.status.items() if not status or s == status]

    async def active_runs(self, bucket: int) -> list[str]:
        return [r for r, s in self.status.items() if s == "RUNNING"]

    async def claim_workflow_id(self, workflow_id: str, run_id: str, expected: str | None, now: float) -> bool:
        row = self.workflow_ids.get(workflow_id)
        if (row[0] if row else None) != expected:
            return False
        self.workflow_ids[workflow_id] = (run_id, now)
        self.run_workflow_ids[run_id] = workflow_id
        return True

    async def workflow_id_row(self, workflow_id: str) -> tuple[str, float] | None:
        return self.workflow_ids.get(workflow_id)

    async def workflow_ids_of(self, run_ids: list[str]) -> dict[str, str]:
        return {r: self.run_workflow_ids[r] for r in run_ids if r in self.run_workflow_ids}


class MemoryQueue:
    """TaskQueue + Timers that only record what they were given."""

    def __init__(self, stores_tasks: bool = True) -> None:
        self.stores_tasks = stores_tasks
        self.published: list[TaskRecord] = []
        self.timers: list[TaskRecord] = []
        self.done: list[str] = []
        self.inbox: Inbox | None = None

    async def start(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def stop(self) -> None:
        pass

    async def publish(self, new_tasks: list[TaskRecord], done_tasks: list[str]) -> None:
        self.published.extend(new_tasks)
        self.done.extend(done_tasks)

    def forget_run(self, run_id: str) -> None:
        pass

    def observe(self, events: list[pb.HistoryEvent], runs: Mapping[str, RunState], reloaded: bool = False) -> None:
        pass

    def heartbeat(self, task_id: str, details: bytes) -> None:
        pass

    def holds(self, task_id: str) -> bool:
        return False

    def busy(self) -> bool:
        return False

    async def send_query(self, query: pb.QueryTask) -> bool:
        return False

    async def ensure_task_topics(self, workflows: list[str], activities: list[str], queue: str = "") -> None:
        pass

    async def hosted(self, keys: list[tuple[str, str]]) -> list[bool | None]:
        return [None] * len(keys)

    async def workers(self) -> pb.ListWorkersResponse:
        return pb.ListWorkersResponse(transport="memory")

    def cluster_info(self) -> pb.ClusterInfo:
        return pb.ClusterInfo(transport="memory")

    def connect(self, session: Session, running: list[str]) -> None:
        pass

    def disconnect(self, session: Session) -> None:
        pass

    def credit(self, session: Session, activities: int, workflows: int) -> None:
        pass

    async def schedule(self, timers: list[TaskRecord]) -> None:
        self.timers.extend(timers)

    def next_due(self) -> float | None:
        return min((t.visible_at for t in self.timers), default=None)

    def fire_due(self) -> None:
        pass


class MemoryRouter:
    """One owner for every run, like the embedded mode; ``not_found_grace`` as configured."""

    def __init__(self, not_found_grace: float = 0.0) -> None:
        self.not_found_grace = not_found_grace
        self.delivered: list[TaskRecord] = []
        self.submitted: list[pb.Report] = []
        self.inbox: Inbox | None = None

    def bind(self, inbox: Inbox, store: EventStore) -> None:
        self.inbox = inbox

    def owns(self, run_id: str) -> bool:
        return True

    def result_poll(self, run_id: str) -> float:
        return 60.0

    async def start(self, request: pb.StartWorkflowRequest, fresh: bool) -> bool:
        assert self.inbox is not None
        reply: asyncio.Future[bool] = self.inbox.future()
        self.inbox.start_run(request, fresh=fresh, reply=reply)
        return await reply

    async def submit(self, report: pb.Report) -> None:
        assert self.inbox is not None
        done: asyncio.Future[None] = self.inbox.future()
        self.submitted.append(report)
        self.inbox.report(report, lambda: done.set_result(None))
        await done

    async def deliver(self, messages: list[TaskRecord]) -> None:
        self.delivered.extend(messages)


class Ids:
    """A deterministic id source: 32 hex digits, counting up in the first 12 (the workflow
    task ids use those), where the loop's are random."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"{self.n:012x}{0:020x}"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def mode(store: MemoryStore, queue: MemoryQueue, router: MemoryRouter | None = None) -> Mode:
    return Mode(store, store, queue, queue, router or MemoryRouter(), "memory")
