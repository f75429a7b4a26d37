"""The ports of the server: what the event loop and the application need from a mode.

Each deployment mode is one set of adapters behind these protocols, bundled in a ``Mode`` by
``server/app.py`` (the only module that knows which mode it is in):

- embedded: ``SqliteStore`` (EventStore + RunIndex) and the ``EmbeddedTransport`` around the
  ``Dispatcher`` (TaskQueue + Timers) with a ``LocalRouter``;
- distributed: ``CassandraStore`` (EventStore + RunIndex), ``CassandraTimers`` (Timers), and
  the ``KafkaTransport`` (TaskQueue) with a ``KafkaRouter``.

This module imports no adapter.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from goblins._query import Plan
from goblins.api import v1 as pb
from goblins.errors import StoreConflict, StoreRejected, StoreUnavailable
from goblins.history import COMPLETED, FAILED, RUNNING, STATUSES, run_status
from goblins.server.effects import TaskRecord
from goblins.server.session import Session
from goblins.server.state import RunState
from goblins.wire import status_of

__all__ = [
    "COMPLETED",
    "FAILED",
    "RUNNING",
    "STATUSES",
    "Batch",
    "EventStore",
    "Inbox",
    "Mode",
    "Router",
    "RunIndex",
    "StoreConflict",
    "StoreRejected",
    "StoreUnavailable",
    "StoredRun",
    "TaskQueue",
    "Timers",
    "WorkersElsewhere",
    "run_status",
    "status_of",
]


@dataclasses.dataclass
class Batch:
    """Everything one turn of the event loop makes durable at once."""

    events: list[pb.HistoryEvent] = dataclasses.field(default_factory=list)
    new_tasks: list[TaskRecord] = dataclasses.field(default_factory=list)
    done_tasks: list[str] = dataclasses.field(default_factory=list)
    registry: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (kind, name)
    # The last heartbeat details of running attempts, by (run_id, step_id): not
    # history (nothing replays them), but kept so that an attempt retried after a crash of its
    # worker or of the server resumes from them.
    heartbeats: dict[tuple[str, str], bytes] = dataclasses.field(default_factory=dict)
    forget_heartbeats: list[str] = dataclasses.field(default_factory=list)  # runs that finished
    # Finished runs whose reports to other runs (engine: farewells) are delivered after the
    # commit: they stay listed among the active runs until ``settle``, so that a crash before
    # the delivery leaves them to be loaded (and their reports resent) by the next owner.
    unsettled: list[str] = dataclasses.field(default_factory=list)
    now: float = 0.0  # decision time: new tasks due later are timers

    def __bool__(self) -> bool:
        return bool(self.events or self.new_tasks or self.done_tasks or self.registry or self.heartbeats)


@dataclasses.dataclass
class StoredRun:
    events: list[pb.HistoryEvent]
    wf_task_id: str | None
    heartbeats: dict[str, bytes] = dataclasses.field(default_factory=dict)  # step_id -> details


class EventStore(Protocol):
    """The history of record.

    Requirements every adapter meets (``goblins.testing_contract`` checks them):
    1. ``commit`` is durable before it returns, and atomic: SQLite stores a batch whole or not
       at all; Cassandra stores each run's events of a batch whole or not at all (a refused run
       fails the commit with ``StoreConflict``; the loop then decides again from the store).
    2. A run's events are immutable and totally ordered by ``seq``; (run_id, seq) is written
       once; a second commit of identical events is done, not a conflict.
    3. Tasks in a batch are stored with the events that created them (or the task queue makes
       them durable before the batch's effects are acknowledged).
    4. The heartbeat details of a batch are returned by ``load_runs`` until the run finishes.
    5. A run that finishes in a batch is no longer listed as active, unless it is ``unsettled``.
    6. A store that cannot answer raises ``StoreUnavailable`` (never a driver's own error); one
       that refuses what the batch holds (the same batch would fail again) ``StoreRejected``.
    """

    async def commit(self, batch: Batch) -> None: ...
    async def load_run(self, run_id: str) -> StoredRun | None: ...
    async def load_runs(self, run_ids: list[str]) -> list[StoredRun | None]:
        """``load_run`` of each id, in order (one round trip where the store allows it)."""
        ...

    async def history(self, run_id: str, after_seq: int = 0) -> list[pb.HistoryEvent] | None: ...
    async def history_page(
        self, run_id: str, after_seq: int, limit: int, max_bytes: int
    ) -> tuple[list[pb.HistoryEvent], bool] | None:
        """At most ``limit`` events after ``after_seq``, oldest first, cut where they pass
        ``max_bytes`` (at least one event), and whether more follow; None: no such run."""
        ...

    async def last_event(self, run_id: str) -> pb.HistoryEvent | None: ...
    async def registry(self) -> set[tuple[str, str]]: ...
    async def pending_tasks(self) -> list[TaskRecord]:
        """The stored tasks not yet done (empty where tasks live in a broker)."""
        ...

    async def settle(self, run_ids: list[str]) -> None:
        """These finished runs' reports to other runs are delivered: stop listing them as active."""
        ...

    async def close(self) -> None: ...


class RunIndex(Protocol):
    """Runs by status and name (for clients), and the active runs of a partition (takeovers).

    1. A run is listed from the commit of its first event, with the status of its last one
       (``status_of``: how it ended, e.g. CANCELLED, not only that it failed).
    2. ``active_runs(bucket)`` lists every unfinished (or unsettled) run of the bucket.
    3. ``claim_workflow_id`` is atomic across servers: of concurrent claims naming the same
       ``expected`` run (None: the id has no row yet), exactly one returns True.
    """

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
        """Newest first, ties by run id; ``after``: the (created_at, run_id) of the last run of
        the previous page; ``created_after``/``created_before``: bounds on the creation time (0:
        none; the first inclusive, the second not)."""
        ...

    async def active_runs(self, bucket: int) -> list[str]: ...
    async def claim_workflow_id(self, workflow_id: str, run_id: str, expected: str | None, now: float) -> bool:
        """Make ``run_id`` the id's current run, if its row still names ``expected``; the
        run is then listed under the id (``workflow_ids_of``)."""
        ...

    async def workflow_id_row(self, workflow_id: str) -> tuple[str, float] | None:
        """The id's current run and when it was claimed (None: never claimed)."""
        ...

    async def workflow_ids_of(self, run_ids: list[str]) -> dict[str, str]:
        """The workflow id of each of these runs that was claimed under one."""
        ...

    async def search_runs(self, plan: Plan, limit: int, offset: int) -> list[pb.RunInfo]:
        """The runs matching ``plan.where`` (docs/search.md), ordered by ``plan.order`` (empty:
        StartTime newest first), ties by run id, runs without an order attribute last; each
        with its search attributes. Lookups go through (attribute, value) indexes, not a scan
        of every run (except for what cannot use one: a query of NOT alone)."""
        ...

    async def count_runs(self, plan: Plan) -> int:
        """How many runs match ``plan.where``."""
        ...


class Inbox(Protocol):
    """The event loop, as adapters see it: the ONLY thing they may call on it.

    1. Every method returns at once; the item is decided in the loop's next turn.
    2. ``ack`` callbacks run once the item's effects are durable (never before).
    """

    clock: Callable[[], float]

    def report(self, report: pb.Report, ack: Callable[[], None] | None = None) -> None: ...
    def watch(self, fut: asyncio.Future[Any]) -> None:
        """``fut`` waits for a commit: it fails with StoreUnavailable if commits fail meanwhile."""
        ...

    def start_run(
        self,
        request: pb.StartWorkflowRequest,
        ack: Callable[[], None] | None = None,
        *,
        fresh: bool = False,
        reply: asyncio.Future[bool] | None = None,
    ) -> None:
        """Record a run; ``reply`` gets False when it already existed (nothing recorded)."""
        ...

    def deliver(self, t: TaskRecord) -> None:
        """A message task (a report for another run) is due: hand it to that run."""
        ...

    def timer_due(self, t: TaskRecord) -> None: ...
    def activity_timed_out(self, t: TaskRecord, heartbeat: bool = False) -> None: ...
    def resume(self, run_ids: list[str]) -> None:
        """Load these runs (and publish the tasks they owe): a partition takeover."""
        ...

    def evict(self, predicate: Callable[[str], bool]) -> None:
        """Forget cached runs (their partition moved to another server)."""
        ...

    def expect(self, run_id: str) -> None:
        """A fresh run this server owns is on its way through the broker (see ``known_last``)."""
        ...

    def queued(self) -> int: ...
    def run(self, run_id: str) -> RunState | None:
        """The run's state in memory, if the loop holds it."""
        ...

    def build_workflow_task(
        self, t: TaskRecord, seen: int, into: pb.WorkflowTask | None = None, max_bytes: int = ...
    ) -> tuple[pb.WorkflowTask, int]:
        """The workflow task for ``t`` with the durable events after ``seen``, at most
        ``max_bytes`` of them (the rest: a next_page_token), and their bytes."""
        ...

    def future(self) -> asyncio.Future[Any]:
        """A future on the serving loop (cheaper than asking asyncio for the running loop)."""
        ...


class TaskQueue(Protocol):
    """Hands tasks (activity and workflow tasks) to workers, at least once, after their batch
    is durable. A task may be due later (a retry back-off): the queue holds it until then.

    1. ``publish`` is called only after the batch that created the tasks is committed.
    2. ``stores_tasks``: True when tasks are committed with the batch (they survive a crash);
       False when they are produced after it, so a run loaded from the store owes the tasks
       its history calls for, and finished runs stay unsettled until their reports are out.
    3. ``holds(task_id)`` may answer False when the queue does not know (the run is loaded).
    4. ``connect`` raises ``WorkersElsewhere`` where workers do not take tasks over gRPC.
    """

    stores_tasks: bool

    async def start(self, inbox: Inbox) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, new_tasks: list[TaskRecord], done_tasks: list[str]) -> None: ...
    def forget_run(self, run_id: str) -> None: ...
    def observe(self, events: list[pb.HistoryEvent], runs: Mapping[str, RunState], reloaded: bool = False) -> None:
        """Attempts that started or finished in these events (leases on their deadlines)."""
        ...

    def heartbeat(self, task_id: str, details: bytes) -> None: ...
    def holds(self, task_id: str) -> bool: ...
    def busy(self) -> bool:
        """Whether a task is ready or in a worker's hands (as far as this server knows)."""
        ...

    async def send_query(self, query: pb.QueryTask) -> bool:
        """To a worker hosting the run's workflow; False when none is reachable."""
        ...

    async def ensure_task_topics(self, workflows: list[str], activities: list[str], queue: str = "") -> None:
        """Prepare to carry tasks of newly registered names on ``queue`` (before any is produced)."""
        ...

    async def hosted(self, keys: list[tuple[str, str]]) -> list[bool | None]:
        """Whether a connected worker hosts each (kind, name); None where this server cannot
        tell (e.g. the broker's group is between assignments)."""
        ...

    async def workers(self) -> pb.ListWorkersResponse:
        """The workers connected now, what each hosts and how busy it is, as far as this
        server can tell (``missing`` says what it cannot)."""
        ...

    def cluster_info(self) -> pb.ClusterInfo: ...
    async def set_queue(self, config: pb.TaskQueueConfig) -> pb.TaskQueueConfig:
        """Store a task queue's limits durably and enforce them (docs/task-queues.md)."""
        ...

    async def queues(self) -> pb.ListTaskQueuesResponse:
        """The task queues: their limits, tasks in flight and waiting, and workers."""
        ...

    def waiting(self, queue: str) -> str:
        """Why a limited task of ``queue`` cannot start now ("" when it can)."""
        ...

    def connect(self, session: Session, running: list[str]) -> None: ...
    def disconnect(self, session: Session) -> None: ...
    def credit(self, session: Session, activities: int, workflows: int, sync_activities: int = 0) -> None: ...


class Timers(Protocol):
    """ "Later": durable timers, retry back-off and execution deadlines, fired when due.

    1. A timer is fired (``Inbox.timer_due`` or its task published) at or after its due time,
       at least once, also across a restart or a takeover.
    2. ``next_due`` is the earliest due time this server knows of (None: none).
    3. ``fire_due`` fires what is due by the clock now (a clock skipped ahead included).
    """

    async def schedule(self, timers: list[TaskRecord]) -> None:
        """Timers of a committed batch (their rows are stored with it): fire each when due."""
        ...

    def next_due(self) -> float | None: ...
    def fire_due(self) -> None: ...


class Router(Protocol):
    """Who owns a run, and how a client's start or report reaches its owner.

    1. ``start`` and ``submit`` return once the request is durable (committed or brokered).
    2. ``not_found_grace``: how long a run unknown to the store may still be on its way.
    3. ``result_poll(run_id)``: how long a result waiter may sleep before re-reading the store
       (the owner's waiters wake at once; a non-owner learns the result from the store).
    """

    not_found_grace: float

    def owns(self, run_id: str) -> bool: ...
    def result_poll(self, run_id: str) -> float: ...
    async def start(self, request: pb.StartWorkflowRequest, fresh: bool) -> bool:
        """False when the run already existed. ``fresh``: a server-made id (no lookup needed)."""
        ...

    async def submit(self, report: pb.Report) -> None: ...
    async def deliver(self, messages: list[TaskRecord]) -> None:
        """Reports for other runs (a child's start, a parent's news) of a committed batch.

        Where they are not stored with the batch, their run stays unsettled until this returns.
        """
        ...

    def bind(self, inbox: Inbox, store: EventStore) -> None:
        """Called once by the loop before it serves."""
        ...


@dataclasses.dataclass(frozen=True)
class Mode:
    """One deployment mode's adapters; built by ``server.app.open_mode``."""

    store: EventStore
    index: RunIndex
    queue: TaskQueue
    timers: Timers
    router: Router
    description: str  # for the start-up log line

    async def close(self) -> None:
        await self.store.close()


class WorkersElsewhere(Exception):
    """This server's workers take their tasks from a broker, not over a gRPC stream."""
