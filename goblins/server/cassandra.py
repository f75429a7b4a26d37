"""The distributed event store: Apache Cassandra (``cassandra://HOST:PORT[,HOST:PORT]/KEYSPACE``).

Schema (see SCHEMA): one partition per run in ``events``, clustered by ``seq``; a second table
answers "events of one activity run", as the original did; ``runs`` and ``runs_by_day`` serve
`goblins workflow list` apart from the event table (a partition per run cannot be listed
cheaply); ``timers`` holds delayed tasks (retry back-off), partitioned by the Kafka partition
that owns the run so each server scans only its own.

Why these settings:
- Events are written with a conditional batch per run (``INSERT ... IF NOT EXISTS``, one
  Paxos round per run and turn): a server that lost its partition to another and still
  writes cannot fork a history; its write is refused and it stops.
- Every statement runs at ``LOCAL_QUORUM`` (``SERIAL`` for the conditions): with a
  replication factor of 3, an acknowledged event survives the loss of one replica.
- A timed-out write may or may not have been applied; the conditional insert makes the retry
  of a batch that did land fail loudly instead of writing twice.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any
from urllib.parse import urlparse

from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, Session
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.query import BatchStatement, BatchType

from goblins._proto import goblins_pb2 as pb
from goblins.server.engine import WF_TASK_MARK, WORKFLOW, TaskRecord
from goblins.server.store import Batch, StoreConflict, StoredRun, run_status

REPLICATION = {"class": "SimpleStrategy", "replication_factor": 1}

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS events (
        run_id text, seq bigint, type text, activity_run_id text, data blob,
        PRIMARY KEY ((run_id), seq)) WITH CLUSTERING ORDER BY (seq ASC)""",
    """CREATE TABLE IF NOT EXISTS events_by_activity (
        activity_run_id text, seq bigint, run_id text,
        PRIMARY KEY ((activity_run_id), seq))""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id text PRIMARY KEY, workflow_name text, status text, created_at double,
        finished_at double, wf_task_id text)""",
    """CREATE TABLE IF NOT EXISTS runs_by_day (
        day text, created_at double, run_id text, workflow_name text,
        PRIMARY KEY ((day), created_at, run_id)) WITH CLUSTERING ORDER BY (created_at DESC, run_id ASC)""",
    """CREATE TABLE IF NOT EXISTS active_runs (bucket int, run_id text, PRIMARY KEY ((bucket), run_id))""",
    """CREATE TABLE IF NOT EXISTS registry (kind text, name text, PRIMARY KEY ((kind), name))""",
    """CREATE TABLE IF NOT EXISTS timers (
        bucket int, due double, task_id text, run_id text, kind text, name text, timeout double, data blob,
        PRIMARY KEY ((bucket), due, task_id))""",
]
TABLES = ("events", "events_by_activity", "runs", "runs_by_day", "active_runs", "registry", "timers")
LIST_DAYS = 30


def parse_url(url: str) -> tuple[list[str], int, str]:
    """(hosts, port, keyspace) of ``cassandra://h1:9042,h2:9042/keyspace``."""
    parsed = urlparse(url)
    keyspace = parsed.path.strip("/") or "goblins"
    hosts, port = [], 9042
    for part in parsed.netloc.split(","):
        host, _, p = part.partition(":")
        if host:
            hosts.append(host)
        if p:
            port = int(p)
    if not hosts:
        raise ValueError(f"cassandra URL needs a host: cassandra://HOST:PORT/KEYSPACE, got {url!r}")
    if not keyspace.replace("_", "").isalnum():
        raise ValueError(f"cassandra keyspace must be letters, digits and _, got {keyspace!r}")
    return hosts, port, keyspace


def _day(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d")


async def _execute(session: Session, statement: Any, params: Any = None) -> list[Any]:
    """Await a driver future from asyncio (the driver runs its own I/O thread)."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[list[Any]] = loop.create_future()
    rf = session.execute_async(statement, params)

    def settle(rows: Any = None, exc: BaseException | None = None) -> None:
        if fut.done():
            return
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(list(rows or []))

    def ok(rows: Any) -> None:
        loop.call_soon_threadsafe(settle, rows)

    def err(exc: BaseException) -> None:
        loop.call_soon_threadsafe(settle, None, exc)

    rf.add_callbacks(ok, err)
    return await fut


def connect(url: str, timeout: float = 10.0) -> tuple[Cluster, Session, str]:
    hosts, port, keyspace = parse_url(url)
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        serial_consistency_level=ConsistencyLevel.SERIAL,
        request_timeout=30,
    )
    profiles = {EXEC_PROFILE_DEFAULT: profile}
    cluster = Cluster(hosts, port=port, connect_timeout=timeout, protocol_version=5, execution_profiles=profiles)
    return cluster, cluster.connect(), keyspace


def setup(url: str, replication: dict[str, Any] | None = None) -> list[str]:
    """Create the keyspace and tables if missing (idempotent); the statements it ran."""
    cluster, session, keyspace = connect(url)
    try:
        opts = ", ".join(f"'{k}': {v!r}" if isinstance(v, str) else f"'{k}': {v}"
                         for k, v in (replication or REPLICATION).items())
        done = [f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {{{opts}}}"]
        session.execute(done[0])
        session.set_keyspace(keyspace)
        for stmt in SCHEMA:
            session.execute(stmt, timeout=60)
            done.append(stmt.split("(")[0].strip())
        return done
    finally:
        cluster.shutdown()


def missing_tables(session: Session, keyspace: str) -> list[str]:
    rows = session.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (keyspace,)
    )
    have = {r.table_name for r in rows}
    return [t for t in TABLES if t not in have]


class CassandraStore:
    """EventStore over Cassandra. Delayed tasks go to ``timers``; immediate ones to the broker."""

    def __init__(self, url: str, buckets: int = 10, bucket_of: Any = None) -> None:
        self.url = url
        self.cluster, self.session, self.keyspace = connect(url)
        missing = missing_tables(self.session, self.keyspace)
        if missing:
            self.cluster.shutdown()
            raise ValueError(
                f"cassandra keyspace {self.keyspace!r} lacks tables {', '.join(missing)}: "
                f"run `goblins setup cassandra --cassandra {parse_url(url)[0][0]}:{parse_url(url)[1]} "
                f"--keyspace {self.keyspace}`"
            )
        self.session.set_keyspace(self.keyspace)
        self.bucket_of = bucket_of or (lambda run_id: 0)
        p = self.session.prepare
        self._ins_event = p("INSERT INTO events (run_id, seq, type, activity_run_id, data) VALUES (?, ?, ?, ?, ?) "
                            "IF NOT EXISTS")
        self._ins_by_activity = p("INSERT INTO events_by_activity (activity_run_id, seq, run_id) VALUES (?, ?, ?)")
        self._ins_run = p("INSERT INTO runs (run_id, workflow_name, status, created_at, finished_at) "
                          "VALUES (?, ?, ?, ?, 0)")
        self._ins_day = p("INSERT INTO runs_by_day (day, created_at, run_id, workflow_name) VALUES (?, ?, ?, ?)")
        self._ins_active = p("INSERT INTO active_runs (bucket, run_id) VALUES (?, ?)")
        self._del_active = p("DELETE FROM active_runs WHERE bucket = ? AND run_id = ?")
        self._sel_active = p("SELECT run_id FROM active_runs WHERE bucket = ?")
        self._upd_status = p("UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?")
        self._set_wf_task = p("UPDATE runs SET wf_task_id = ? WHERE run_id = ?")
        self._ins_registry = p("INSERT INTO registry (kind, name) VALUES (?, ?)")
        self._ins_timer = p("INSERT INTO timers (bucket, due, task_id, run_id, kind, name, timeout, data) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        self._del_timer = p("DELETE FROM timers WHERE bucket = ? AND due = ? AND task_id = ?")
        self._sel_events = p("SELECT data FROM events WHERE run_id = ? AND seq > ?")
        self._sel_last = p("SELECT data FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT 1")
        self._sel_run = p(
            "SELECT workflow_name, status, created_at, finished_at, wf_task_id FROM runs WHERE run_id = ?"
        )
        self._sel_day = p("SELECT run_id FROM runs_by_day WHERE day = ? LIMIT ?")
        self._sel_timers = p("SELECT due, task_id, run_id, kind, name, timeout, data FROM timers "
                             "WHERE bucket = ? AND due <= ? LIMIT 1000")

    # ---- writes ----

    async def commit(self, batch: Batch) -> None:
        s = self.session
        by_run: dict[str, list[pb.Event]] = {}
        for e in batch.events:
            by_run.setdefault(e.run_id, []).append(e)
        # Events first, one conditional batch per run: a refused one means another writer owns it.
        results = await asyncio.gather(*(self._append(run_id, events) for run_id, events in by_run.items()))
        refused = [run_id for run_id, ok in zip(by_run, results, strict=True) if not ok]
        if refused:
            raise StoreConflict(f"runs {refused[:5]} have other events at these positions: another server wrote them")
        writes: list[Any] = []
        for e in batch.events:
            if e.activity_run_id:
                writes.append(_execute(s, self._ins_by_activity, (e.activity_run_id, e.seq, e.run_id)))
            status = run_status(e.type)
            if status == "RUNNING":
                writes.append(_execute(s, self._ins_run, (e.run_id, e.workflow_name, status, e.timestamp)))
                writes.append(_execute(s, self._ins_day, (_day(e.timestamp), e.timestamp, e.run_id, e.workflow_name)))
                writes.append(_execute(s, self._ins_active, (self.bucket_of(e.run_id), e.run_id)))
            elif status is not None:
                writes.append(_execute(s, self._upd_status, (status, e.timestamp, e.run_id)))
                writes.append(_execute(s, self._del_active, (self.bucket_of(e.run_id), e.run_id)))
        # The outstanding workflow task of each run: a new one in the batch wins over a done one.
        wf_tasks: dict[str, str | None] = {}
        for task_id in batch.done_tasks:
            run_id, sep, _ = task_id.rpartition(WF_TASK_MARK)
            if sep:
                wf_tasks[run_id] = None
        for t in batch.new_tasks:
            if t.kind == WORKFLOW:
                wf_tasks[t.run_id] = t.task_id
        for run_id, wf_task_id in wf_tasks.items():
            writes.append(_execute(s, self._set_wf_task, (wf_task_id, run_id)))
        for t in batch.new_tasks:
            if t.visible_at > batch.now:
                writes.append(_execute(s, self._ins_timer, (
                    self.bucket_of(t.run_id), t.visible_at, t.task_id, t.run_id, t.kind, t.name, t.timeout, t.data)))
        for kind, name in batch.registry:
            writes.append(_execute(s, self._ins_registry, (kind, name)))
        await asyncio.gather(*writes)

    async def _append(self, run_id: str, events: list[pb.Event]) -> bool:
        stmt = BatchStatement(batch_type=BatchType.LOGGED, consistency_level=ConsistencyLevel.LOCAL_QUORUM,
                              serial_consistency_level=ConsistencyLevel.SERIAL)
        for e in events:
            stmt.add(self._ins_event, (e.run_id, e.seq, e.type, e.activity_run_id, e.SerializeToString()))
        rows = await _execute(self.session, stmt)
        if not rows or rows[0][0]:
            return True
        # Refused: fine if it is our own earlier write of the same events (a retried commit
        # whose first try timed out but landed); a conflict if anything differs.
        stored = await _execute(self.session, self._sel_events, (run_id, events[0].seq - 1))
        mine = {e.seq: e.SerializeToString() for e in events}
        theirs = {pb.Event.FromString(r.data).seq: r.data for r in stored if pb.Event.FromString(r.data).seq in mine}
        return theirs == mine

    async def due_timers(self, buckets: list[int], now: float) -> list[tuple[int, TaskRecord]]:
        out: list[tuple[int, TaskRecord]] = []
        for bucket in buckets:
            for r in await _execute(self.session, self._sel_timers, (bucket, now)):
                out.append((bucket, TaskRecord(r.task_id, r.run_id, r.kind, r.name, r.due, r.data, r.timeout)))
        return out

    async def active_runs(self, bucket: int) -> list[str]:
        """Runs not finished whose partition is ``bucket`` (scanned when a server takes it over)."""
        return [r.run_id for r in await _execute(self.session, self._sel_active, (bucket,))]

    async def delete_timers(self, timers: list[tuple[int, TaskRecord]]) -> None:
        await asyncio.gather(*(_execute(self.session, self._del_timer, (b, t.visible_at, t.task_id))
                               for b, t in timers))

    # ---- reads ----

    async def load_run(self, run_id: str) -> StoredRun | None:
        events = await self.history(run_id)
        if not events:
            return None
        rows = await _execute(self.session, self._sel_run, (run_id,))
        return StoredRun(events, rows[0].wf_task_id if rows else None)

    async def history(self, run_id: str, after_seq: int = 0) -> list[pb.Event] | None:
        rows = await _execute(self.session, self._sel_events, (run_id, after_seq))
        if not rows and not await _execute(self.session, self._sel_run, (run_id,)):
            return None
        return [pb.Event.FromString(r.data) for r in rows]

    async def last_event(self, run_id: str) -> pb.Event | None:
        rows = await _execute(self.session, self._sel_last, (run_id,))
        return pb.Event.FromString(rows[0].data) if rows else None

    async def list_runs(self, status: str, workflow_name: str, limit: int) -> list[pb.RunInfo]:
        limit = limit or 100
        out: list[pb.RunInfo] = []
        day = datetime.datetime.now(datetime.UTC)
        for _ in range(LIST_DAYS):
            ids = await _execute(self.session, self._sel_day, (day.strftime("%Y-%m-%d"), 10_000))
            runs = await asyncio.gather(*(_execute(self.session, self._sel_run, (r.run_id,)) for r in ids))
            for r, rows in zip(ids, runs, strict=True):
                if not rows:
                    continue
                row = rows[0]
                if (status and row.status != status) or (workflow_name and row.workflow_name != workflow_name):
                    continue
                out.append(pb.RunInfo(run_id=r.run_id, workflow_name=row.workflow_name, status=row.status,
                                      created_at=row.created_at, finished_at=row.finished_at or 0))
                if len(out) >= limit:
                    return out
            day -= datetime.timedelta(days=1)
        return out

    async def registry(self) -> set[tuple[str, str]]:
        rows = await _execute(self.session, "SELECT kind, name FROM registry")
        return {(r.kind, r.name) for r in rows}

    async def pending_tasks(self) -> list[TaskRecord]:
        return []  # immediate tasks live in the broker; delayed ones are fired by due_timers

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.cluster.shutdown)

