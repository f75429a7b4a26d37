"""The event store port, and the choice of adapter by URL.

Requirements every adapter meets (the contract tests check them):
1. ``commit`` is durable before it returns, and atomic: SQLite stores a batch whole or not
   at all; Cassandra stores each run's events of a batch whole or not at all (a refused run
   fails the commit; the Kafka transport then rebuilds the runs' tasks from their histories).
2. A run's events are immutable and totally ordered by ``seq``; (run_id, seq) is written once.
3. Tasks in a batch are stored with the events that created them (or the transport makes
   them durable before the batch's effects are acknowledged).
4. The heartbeat details of a batch are returned by ``load_run`` until the run finishes.
5. A run that finishes in a batch is no longer listed as active, unless it is ``unsettled``.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol
from urllib.parse import urlparse

from goblins._kafka import partition_for
from goblins._proto import goblins_pb2 as pb
from goblins.server.engine import TaskRecord

RUNNING, COMPLETED, FAILED = "RUNNING", "COMPLETED", "FAILED"
STATUSES = (RUNNING, COMPLETED, FAILED)


class StoreConflict(Exception):
    """Another writer has stored different events at these (run, seq) positions."""


@dataclasses.dataclass
class Batch:
    """Everything one turn of the event loop makes durable at once."""

    events: list[pb.Event] = dataclasses.field(default_factory=list)
    new_tasks: list[TaskRecord] = dataclasses.field(default_factory=list)
    done_tasks: list[str] = dataclasses.field(default_factory=list)
    registry: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (kind, name)
    # The last heartbeat details of running attempts, by (run_id, activity_run_id): not
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
    events: list[pb.Event]
    wf_task_id: str | None
    heartbeats: dict[str, bytes] = dataclasses.field(default_factory=dict)  # activity_run_id -> details


class EventStore(Protocol):
    async def commit(self, batch: Batch) -> None: ...
    async def load_run(self, run_id: str) -> StoredRun | None: ...
    async def history(self, run_id: str, after_seq: int = 0) -> list[pb.Event] | None: ...
    async def last_event(self, run_id: str) -> pb.Event | None: ...
    async def list_runs(self, status: str, workflow_name: str, limit: int) -> list[pb.RunInfo]: ...
    async def registry(self) -> set[tuple[str, str]]: ...
    async def pending_tasks(self) -> list[TaskRecord]: ...
    async def settle(self, run_ids: list[str]) -> None:
        """These finished runs' reports to other runs are delivered: stop listing them as active."""
        ...
    async def close(self) -> None: ...


def run_status(event_type: str) -> str | None:
    """The run status an event sets, if any."""
    if event_type == "WORKFLOW_SCHEDULED":
        return RUNNING
    if event_type == "WORKFLOW_FINISHED_IN_SUCCESS":
        return COMPLETED
    if event_type == "WORKFLOW_FINISHED_IN_ERROR":
        return FAILED
    return None


def open_store(url: str, partitions: int = 1) -> EventStore:
    """The event store named by ``url``: ``sqlite:///path/goblins.db`` (or a bare path),
    ``cassandra://HOST:PORT[,HOST:PORT]/KEYSPACE``."""
    parsed = urlparse(url)
    scheme = parsed.scheme or "sqlite"
    if scheme == "cassandra":
        from goblins.server.cassandra import CassandraStore

        return CassandraStore(url, partitions, lambda run_id: partition_for(run_id, partitions))
    if scheme == "sqlite":
        from goblins.server.sqlite import SqliteStore

        path = url.split("://", 1)[1] if "://" in url else url
        path = path[1:] if path.startswith("/") and "://" in url else path
        return SqliteStore(path)
    raise ValueError(f"--store: unknown event store URL {url!r}: expected sqlite:///PATH or cassandra://HOST:PORT/KEYSPACE")
