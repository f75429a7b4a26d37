"""The distributed event store: Apache Cassandra (``cassandra://HOST:PORT[,HOST:PORT]/KEYSPACE``).

Schema (see SCHEMA): one partition per run in ``events``, clustered by ``seq``; a second table
answers "events of one activity run", as the original did; ``runs`` and ``runs_by_day`` serve
`goblins workflow list` apart from the event table (a partition per run cannot be listed
cheaply); ``timers`` holds delayed tasks (retry back-off), partitioned by the Kafka partition
that owns the run so each server scans only its own; ``heartbeats`` keeps the last details of
running activities (a partition per run, dropped when the run finishes).

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
import collections
import datetime
import logging
import threading
import weakref
from typing import Any

from cassandra import ConsistencyLevel, InvalidRequest
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, Session
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.query import BatchStatement, BatchType, tuple_factory

from goblins._query import Plan
from goblins.api import v1 as pb
from goblins.history import CANCELLED, FAILED, RUNNING, SEARCH_ATTRIBUTES_UPSERTED, TERMINATED, TIMED_OUT
from goblins.server.distributed import schedules, search, workflow_ids
from goblins.server.distributed.cassandra_url import QuietRefusals, explain, parse_cassandra_url
from goblins.server.effects import WF_TASK_MARK, WORKFLOW, TaskRecord
from goblins.server.ports import Batch, StoreConflict, StoredRun, StoreRejected, StoreUnavailable
from goblins.wire import columns, status_of, step_id_of

REPLICATION = {"class": "SimpleStrategy", "replication_factor": 1}

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS events (
        run_id text, seq bigint, type text, step_id text, data blob,
        PRIMARY KEY ((run_id), seq)) WITH CLUSTERING ORDER BY (seq ASC)""",
    """CREATE TABLE IF NOT EXISTS events_by_activity (
        step_id text, seq bigint, run_id text,
        PRIMARY KEY ((step_id), seq))""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id text PRIMARY KEY, workflow_name text, status text, created_at double,
        finished_at double, wf_task_id text)""",
    """CREATE TABLE IF NOT EXISTS runs_by_day (
        day text, created_at double, run_id text, workflow_name text,
        PRIMARY KEY ((day), created_at, run_id)) WITH CLUSTERING ORDER BY (created_at DESC, run_id ASC)""",
    """CREATE TABLE IF NOT EXISTS active_runs (bucket int, run_id text, PRIMARY KEY ((bucket), run_id))""",
    """CREATE TABLE IF NOT EXISTS registry (kind text, name text, PRIMARY KEY ((kind), name))""",
    """CREATE TABLE IF NOT EXISTS heartbeats (
        run_id text, step_id text, details blob, PRIMARY KEY ((run_id), step_id))""",
    """CREATE TABLE IF NOT EXISTS timers (
        bucket int, due double, task_id text, run_id text, kind text, name text, timeout double, data blob,
        PRIMARY KEY ((bucket), due, task_id))""",
    *workflow_ids.SCHEMA,
    *search.SCHEMA,
    *schedules.SCHEMA,
]
TABLES = (
    "events",
    "events_by_activity",
    "runs",
    "runs_by_day",
    "active_runs",
    "registry",
    "timers",
    "heartbeats",
    *workflow_ids.TABLES,
    *search.TABLES,
    *schedules.TABLES,
)
LIST_DAYS = 30
# The statuses a run stored as FAILED by release 0.x may really have (see _status_of_failed).
_ENDED_IN_ERROR = frozenset({FAILED, CANCELLED, TERMINATED, TIMED_OUT})
# Partitions per unlogged batch of index rows (runs, runs_by_day, active_runs,
# events_by_activity): Cassandra warns above 10 (unlogged_batch_across_partitions_warn_threshold);
# the rows are small, far under its batch size warning (5 KiB).
INDEX_BATCH = 10
INDEX_BATCH_ROWS = 40  # rows per unlogged batch, whatever their partitions
TIMER_BATCH = 1000  # the timers SELECT's LIMIT: a full batch means more may be due


def parse_url(url: str) -> tuple[list[str], int, str]:
    """(hosts, port, keyspace) of ``cassandra://[USER@]h1:9042,h2:9042/keyspace[?tls=1]``."""
    target = parse_cassandra_url(url)
    return target.hosts, target.port, target.keyspace


def _day(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d")


class _Bridge:
    """Hands the driver's responses (from its I/O thread) to one asyncio loop, in batches.

    One ``call_soon_threadsafe`` (a self-pipe write and a loop wake-up) per response cost more
    than the response's handling; here the driver thread queues the outcome and wakes the loop
    only when no drain is already scheduled.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._inbox: collections.deque[tuple[asyncio.Future[list[Any]], Any, BaseException | None]] = (
            collections.deque()
        )
        self._lock = threading.Lock()
        self._scheduled = False

    def post(self, fut: asyncio.Future[list[Any]], rows: Any, exc: BaseException | None) -> None:
        self._inbox.append((fut, rows, exc))
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop closed: nobody waits any more
            pass

    def _drain(self) -> None:
        with self._lock:
            self._scheduled = False
        inbox = self._inbox
        while inbox:
            fut, rows, exc = inbox.popleft()
            if fut.done():
                continue
            if exc is not None:
                # The driver's own errors (NoHostAvailable, timeouts) are the store's outage; a
                # request Cassandra refuses as invalid (a batch over its message size: several
                # big results of one run) fails the same way again: the loop commits it apart.
                kind = StoreRejected if isinstance(exc, InvalidRequest) else StoreUnavailable
                error = kind(f"cassandra: {type(exc).__name__}: {exc}")
                error.__cause__ = exc
                fut.set_exception(error)
            else:
                fut.set_result(rows if type(rows) is list else list(rows or ()))


_bridges: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Bridge] = weakref.WeakKeyDictionary()


DRIVER_FETCH_ROWS = 5_000  # the driver's default fetch size: the rows one callback receives


def _execute(session: Session, statement: Any, params: Any = None) -> asyncio.Future[list[Any]]:
    """Await a driver future from asyncio (the driver runs its own I/O thread)."""
    loop = asyncio.get_running_loop()
    bridge = _bridges.get(loop)
    if bridge is None:
        bridge = _bridges[loop] = _Bridge(loop)
    fut: asyncio.Future[list[Any]] = loop.create_future()
    post = bridge.post
    session.execute_async(statement, params).add_callbacks(
        lambda rows: post(fut, rows, None), lambda exc: post(fut, None, exc)
    )
    return fut


def _chunks(rows: list[tuple[Any, tuple[Any, ...], Any]], partitions: int) -> list[list[Any]]:
    """``rows`` cut into runs of consecutive rows that touch at most ``partitions`` partitions."""
    out: list[list[Any]] = []
    chunk: list[Any] = []
    seen: set[tuple[int, Any]] = set()
    for row in rows:
        key = (id(row[0]), row[2])
        # Rows of one partition (the search index's: a partition per attribute) count too: a
        # batch of many small rows still passes Cassandra's batch size limit.
        if (key not in seen and len(seen) >= partitions) or len(chunk) >= INDEX_BATCH_ROWS:
            out.append(chunk)
            chunk, seen = [], set()
        seen.add(key)
        chunk.append(row)
    if chunk:
        out.append(chunk)
    return out


def connect(url: str, timeout: float = 10.0) -> tuple[Cluster, Session, str]:
    """A session on the URL's cluster (TLS and login as the URL says); a refused login or a
    certificate that does not verify raise one ValueError line (see cassandra_url.explain)."""
    target = parse_cassandra_url(url)
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        serial_consistency_level=ConsistencyLevel.SERIAL,
        request_timeout=30,
        # Plain tuples: the default named_tuple_factory builds a new namedtuple class for
        # every result set (measured: ~18% of a busy server's CPU).
        row_factory=tuple_factory,
    )
    profiles = {EXEC_PROFILE_DEFAULT: profile}
    cluster = Cluster(
        target.hosts,
        port=target.port,
        connect_timeout=timeout,
        protocol_version=5,
        execution_profiles=profiles,
        **target.driver_options(),
    )
    quiet, driver_log = QuietRefusals(), logging.getLogger("cassandra.cluster")
    driver_log.addFilter(quiet)
    try:
        return cluster, cluster.connect(), target.keyspace
    except Exception as exc:
        cluster.shutdown()
        clear = explain(target, exc)
        if clear is not None:
            raise clear from None
        raise
    finally:
        driver_log.removeFilter(quiet)


def missing_tables(session: Session, keyspace: str) -> list[str]:
    rows = session.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (keyspace,))
    have = {r[0] for r in rows}
    return [t for t in TABLES if t not in have]


class CassandraStore:
    """EventStore and RunIndex over Cassandra. Delayed tasks go to ``timers`` (committed with
    the batch, fired by ``CassandraTimers``); immediate ones to the broker."""

    def __init__(self, url: str, buckets: int = 10, bucket_of: Any = None) -> None:
        self.url = url
        self.cluster, self.session, self.keyspace = connect(url)
        missing = missing_tables(self.session, self.keyspace)
        if missing:
            self.cluster.shutdown()
            raise ValueError(
                f"cassandra keyspace {self.keyspace!r} lacks tables {', '.join(missing)}: "
                f"run `goblins setup cassandra --cassandra {parse_cassandra_url(url).setup_hint()}`"
            )
        self.session.set_keyspace(self.keyspace)
        self.bucket_of = bucket_of or (lambda run_id: 0)
        p = self.session.prepare
        self._ins_event = p(
            "INSERT INTO events (run_id, seq, type, step_id, data) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS"
        )
        self._ins_by_activity = p("INSERT INTO events_by_activity (step_id, seq, run_id) VALUES (?, ?, ?)")
        self._ins_run = p(
            "INSERT INTO runs (run_id, workflow_name, status, created_at, finished_at) VALUES (?, ?, ?, ?, ?)"
        )
        self._ins_day = p("INSERT INTO runs_by_day (day, created_at, run_id, workflow_name) VALUES (?, ?, ?, ?)")
        self._ins_active = p("INSERT INTO active_runs (bucket, run_id) VALUES (?, ?)")
        self._del_active = p("DELETE FROM active_runs WHERE bucket = ? AND run_id = ?")
        self._sel_active = p("SELECT run_id FROM active_runs WHERE bucket = ?")
        self._upd_status = p("UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?")
        self._set_status = p("UPDATE runs SET status = ? WHERE run_id = ?")
        self._set_wf_task = p("UPDATE runs SET wf_task_id = ? WHERE run_id = ?")
        self._ins_registry = p("INSERT INTO registry (kind, name) VALUES (?, ?)")
        self._ins_timer = p(
            "INSERT INTO timers (bucket, due, task_id, run_id, kind, name, timeout, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        )
        self._del_timer = p("DELETE FROM timers WHERE bucket = ? AND due = ? AND task_id = ?")
        self._ins_beat = p("INSERT INTO heartbeats (run_id, step_id, details) VALUES (?, ?, ?)")
        self._del_beats = p("DELETE FROM heartbeats WHERE run_id = ?")
        self._sel_beats = p("SELECT step_id, details FROM heartbeats WHERE run_id = ?")
        self._sel_events = p("SELECT data FROM events WHERE run_id = ? AND seq > ?")
        self._sel_events_page = p("SELECT data FROM events WHERE run_id = ? AND seq > ? LIMIT ?")
        self._sel_last = p("SELECT data FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT 1")
        self._sel_run = p(
            "SELECT workflow_name, status, created_at, finished_at, wf_task_id FROM runs WHERE run_id = ?"
        )
        # A day's runs come newest first, ties by run id (the table's clustering order).
        self._sel_day = p("SELECT run_id, created_at FROM runs_by_day WHERE day = ? LIMIT ?")
        self._sel_day_until = p("SELECT run_id, created_at FROM runs_by_day WHERE day = ? AND created_at <= ? LIMIT ?")
        self._sel_timers = p(
            "SELECT due, task_id, run_id, kind, name, timeout, data FROM timers "
            "WHERE bucket = ? AND due <= ? LIMIT " + str(TIMER_BATCH)
        )
        self._sel_next_timer = p("SELECT due FROM timers WHERE bucket = ? AND due > ? LIMIT 1")
        self._ids = workflow_ids.CassandraWorkflowIds(self.session, _execute)
        self._search = search.CassandraSearch(self.session, _execute, self.active_runs, buckets)
        self._schedules = schedules.CassandraSchedules(self.session, _execute)

    async def search_runs(self, plan: Plan, limit: int, offset: int) -> list[pb.RunInfo]:
        return await self._search.search(plan, limit, offset)

    async def count_runs(self, plan: Plan) -> int:
        return await self._search.count(plan)

    async def claim_workflow_id(self, workflow_id: str, run_id: str, expected: str | None, now: float) -> bool:
        return await self._ids.claim(workflow_id, run_id, expected, now)

    async def workflow_id_row(self, workflow_id: str) -> tuple[str, float] | None:
        return await self._ids.current(workflow_id)

    async def workflow_ids_of(self, run_ids: list[str]) -> dict[str, str]:
        return await self._ids.of_runs(run_ids)

    # ---- schedules (server/scheduler.py): lightweight transactions on a version ----

    async def insert_schedule(self, schedule_id: str, data: bytes) -> bool:
        return await self._schedules.insert(schedule_id, data)

    async def update_schedule(self, schedule_id: str, data: bytes, version: int) -> bool:
        return await self._schedules.update(schedule_id, data, version)

    async def delete_schedule(self, schedule_id: str) -> bool:
        return await self._schedules.delete(schedule_id)

    async def schedule_row(self, schedule_id: str) -> tuple[bytes, int] | None:
        return await self._schedules.get(schedule_id)

    async def schedule_rows(self) -> list[tuple[str, bytes, int]]:
        return await self._schedules.every()

    # ---- writes ----

    async def commit(self, batch: Batch) -> None:
        s = self.session
        by_run: dict[str, list[pb.HistoryEvent]] = {}
        for e in batch.events:
            by_run.setdefault(e.run_id, []).append(e)
        # Events first, one conditional batch per run: a refused one means another writer owns it.
        results = await asyncio.gather(*(self._append(run_id, events) for run_id, events in by_run.items()))
        refused = [run_id for run_id, ok in zip(by_run, results, strict=True) if not ok]
        if refused:
            raise StoreConflict(f"runs {refused[:5]} have other events at these positions: another server wrote them")
        # Then the rows that index them, in unlogged batches (one request for many rows; each
        # row is written independently, as separate requests would be). A statement appears
        # once per cell: rows in one batch share a write timestamp, so a run that starts and
        # ends in this batch gets its final status in its INSERT.
        rows: list[tuple[Any, tuple[Any, ...], Any]] = []  # (statement, values, partition)
        started: dict[str, pb.HistoryEvent] = {}
        ended: dict[str, tuple[str, pb.HistoryEvent]] = {}
        unsettled = set(batch.unsettled)
        for e in batch.events:
            step_id = step_id_of(e)
            if step_id:
                rows.append((self._ins_by_activity, (step_id, e.seq, e.run_id), step_id))
            status = status_of(e)
            if status == RUNNING:
                started[e.run_id] = e
            elif status is not None:
                ended[e.run_id] = (status, e)
        for run_id, e in started.items():
            end = ended.pop(run_id, None)
            status, finished_at = (end[0], end[1].time) if end else (RUNNING, 0.0)
            name = e.workflow_name
            rows.append((self._ins_run, (run_id, name, status, e.time, finished_at), run_id))
            rows += self._search.started(e, status, finished_at)
            if end is not None:
                rows += self._search.ended(run_id, status, finished_at, doc_too=False)
            day = _day(e.time)
            rows.append((self._ins_day, (day, e.time, run_id, name), day))
            if end is None or run_id in unsettled:
                bucket = self.bucket_of(run_id)
                rows.append((self._ins_active, (bucket, run_id), bucket))
        for run_id, (status, e) in ended.items():
            rows.append((self._upd_status, (status, e.time, run_id), run_id))
            rows += self._search.ended(run_id, status, e.time)
            if run_id not in unsettled:
                bucket = self.bucket_of(run_id)
                rows.append((self._del_active, (bucket, run_id), bucket))
        # The outstanding workflow task of each run: a new one in the batch wins over a done one.
        wf_tasks: dict[str, str | None] = {}
        for task_id in batch.done_tasks:
            run_id, sep, _ = task_id.rpartition(WF_TASK_MARK)
            if sep:
                wf_tasks[run_id] = None
        for t in batch.new_tasks:
            if t.kind == WORKFLOW:
                wf_tasks[t.run_id] = t.task_id
        upserts = [e for e in batch.events if e.type == SEARCH_ATTRIBUTES_UPSERTED]
        if upserts:
            rows += await self._search.upserted(upserts)
        for run_id, wf_task_id in wf_tasks.items():
            rows.append((self._set_wf_task, (wf_task_id, run_id), run_id))
        for (run_id, step_id), details in batch.heartbeats.items():
            rows.append((self._ins_beat, (run_id, step_id, details), run_id))
        for run_id in batch.forget_heartbeats:
            rows.append((self._del_beats, (run_id,), run_id))
        writes: list[Any] = [self._write_rows(chunk) for chunk in _chunks(rows, INDEX_BATCH)]
        for t in batch.new_tasks:  # timers carry task payloads: one request each (rare)
            if t.visible_at > batch.now:
                writes.append(
                    _execute(
                        s,
                        self._ins_timer,
                        (
                            self.bucket_of(t.run_id),
                            t.visible_at,
                            t.task_id,
                            t.run_id,
                            t.kind,
                            t.name,
                            t.timeout,
                            t.data,
                        ),
                    )
                )
        for kind, name in batch.registry:
            writes.append(_execute(s, self._ins_registry, (kind, name)))
        await asyncio.gather(*writes)

    def _write_rows(self, chunk: list[tuple[Any, tuple[Any, ...], Any]]) -> asyncio.Future[list[Any]]:
        if len(chunk) == 1:
            return _execute(self.session, chunk[0][0], chunk[0][1])
        stmt = BatchStatement(batch_type=BatchType.UNLOGGED, consistency_level=ConsistencyLevel.LOCAL_QUORUM)
        for statement, params, _ in chunk:
            stmt.add(statement, params)
        return _execute(self.session, stmt)

    async def _append(self, run_id: str, events: list[pb.HistoryEvent]) -> bool:
        stmt = BatchStatement(
            batch_type=BatchType.LOGGED,
            consistency_level=ConsistencyLevel.LOCAL_QUORUM,
            serial_consistency_level=ConsistencyLevel.SERIAL,
        )
        for e in events:
            stmt.add(self._ins_event, (e.run_id, e.seq, *columns(e), e.SerializeToString()))
        rows = await _execute(self.session, stmt)
        if not rows or rows[0][0]:
            return True
        # Refused: fine if it is our own earlier write of the same events (a retried commit
        # whose first try timed out but landed); a conflict if anything differs.
        stored = await _execute(self.session, self._sel_events, (run_id, events[0].seq - 1))
        mine = {e.seq: e.SerializeToString() for e in events}
        theirs = {}
        for (data,) in stored:
            seq = pb.HistoryEvent.FromString(data).seq
            if seq in mine:
                theirs[seq] = data
        return theirs == mine

    async def active_runs(self, bucket: int) -> list[str]:
        """Runs not finished whose partition is ``bucket`` (scanned when a server takes it over)."""
        return [r[0] for r in await _execute(self.session, self._sel_active, (bucket,))]

    async def settle(self, run_ids: list[str]) -> None:
        rows = [(self._del_active, (self.bucket_of(r), r), self.bucket_of(r)) for r in run_ids]
        await asyncio.gather(*(self._write_rows(chunk) for chunk in _chunks(rows, INDEX_BATCH)))

    # ---- reads ----

    async def load_run(self, run_id: str) -> StoredRun | None:
        rows = await _execute(self.session, self._sel_events, (run_id, 0))
        if not rows:
            return None  # a run without events is not loaded (a start records its first one)
        events = [pb.HistoryEvent.FromString(r[0]) for r in rows]
        rows, beats = await asyncio.gather(
            _execute(self.session, self._sel_run, (run_id,)), _execute(self.session, self._sel_beats, (run_id,))
        )
        return StoredRun(events, rows[0][4] if rows else None, {r[0]: r[1] for r in beats})

    async def load_runs(self, run_ids: list[str]) -> list[StoredRun | None]:
        return list(await asyncio.gather(*(self.load_run(run_id) for run_id in run_ids)))

    async def history(self, run_id: str, after_seq: int = 0) -> list[pb.HistoryEvent] | None:
        rows = await _execute(self.session, self._sel_events, (run_id, after_seq))
        if not rows and not await _execute(self.session, self._sel_run, (run_id,)):
            return None
        return [pb.HistoryEvent.FromString(r[0]) for r in rows]

    async def history_page(
        self, run_id: str, after_seq: int, limit: int, max_bytes: int
    ) -> tuple[list[pb.HistoryEvent], bool] | None:
        # The driver hands a callback one fetch of rows (5,000 by default): a page stays within it.
        limit = min(limit, DRIVER_FETCH_ROWS - 1)
        # Read in chunks sized by the rows seen so far, so that a page of big results reads
        # little more than itself (a first chunk of 8 rows, then as many as should fit).
        events: list[pb.HistoryEvent] = []
        size, after, ask = 0, after_seq, min(limit, 8)
        while True:
            rows = await _execute(self.session, self._sel_events_page, (run_id, after, ask + 1))
            for (data,) in rows[:ask]:
                if events and size + len(data) > max_bytes:
                    return events, True
                events.append(pb.HistoryEvent.FromString(data))
                size += len(data)
            if len(rows) <= ask:  # nothing after these
                if not events and not await _execute(self.session, self._sel_run, (run_id,)):
                    return None
                return events, False
            if len(events) >= limit:
                return events, True
            after = events[-1].seq
            fits = (max_bytes - size) * len(events) // max(size, 1)
            ask = min(limit - len(events), max(fits, 1))

    async def last_event(self, run_id: str) -> pb.HistoryEvent | None:
        rows = await _execute(self.session, self._sel_last, (run_id,))
        return pb.HistoryEvent.FromString(rows[0][0]) if rows else None

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
        limit = limit or 100
        out: list[pb.RunInfo] = []
        today = datetime.datetime.now(datetime.UTC)
        horizon = today - datetime.timedelta(days=LIST_DAYS - 1)
        uppers = [t for t in (after[0] if after else 0.0, created_before) if t]
        upper = min(uppers) if uppers else None
        day = min(today, datetime.datetime.fromtimestamp(upper, datetime.UTC)) if upper is not None else today
        if created_after:
            horizon = max(horizon, datetime.datetime.fromtimestamp(created_after, datetime.UTC))
        while day.date() >= horizon.date():
            key = day.strftime("%Y-%m-%d")
            if upper is None:
                rows = await _execute(self.session, self._sel_day, (key, 10_000))
            else:
                rows = await _execute(self.session, self._sel_day_until, (key, upper, 10_000))
            ids = [r[0] for r in rows if _in_range(r[1], r[0], after, created_after, created_before)]
            runs = await asyncio.gather(*(_execute(self.session, self._sel_run, (run_id,)) for run_id in ids))
            for run_id, found in zip(ids, runs, strict=True):
                if not found:
                    continue
                name, run_status_, created_at, finished_at, _ = found[0]
                if run_status_ == FAILED and (not status or status in _ENDED_IN_ERROR):
                    run_status_ = await self._status_of_failed(run_id)
                if (status and run_status_ != status) or (workflow_name and name != workflow_name):
                    continue
                out.append(
                    pb.RunInfo(
                        run_id=run_id,
                        workflow_name=name,
                        status=run_status_,
                        created_at=created_at,
                        finished_at=finished_at or 0,
                    )
                )
                if len(out) >= limit:
                    return out
            day -= datetime.timedelta(days=1)
        return out

    async def _status_of_failed(self, run_id: str) -> str:
        """A run stored as FAILED by release 0.x may have been cancelled, terminated or timed
        out: its end event says which, and the row is corrected (a run this release ended has
        the right status already; a truly failed one costs this read when listed)."""
        rows = await _execute(self.session, self._sel_last, (run_id,))
        status = status_of(pb.HistoryEvent.FromString(rows[0][0])) if rows else None
        if status is None or status == FAILED:
            return FAILED
        await _execute(self.session, self._set_status, (status, run_id))
        return status

    async def registry(self) -> set[tuple[str, str]]:
        rows = await _execute(self.session, "SELECT kind, name FROM registry")
        return {(r[0], r[1]) for r in rows}

    async def pending_tasks(self) -> list[TaskRecord]:
        return []  # immediate tasks live in the broker; delayed ones are fired by due_timers

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.cluster.shutdown)


def _in_range(
    created_at: float, run_id: str, after: tuple[float, str] | None, created_after: float, created_before: float
) -> bool:
    """Whether a run comes after the cursor ``after`` (newest first, ties by run id) and within
    the creation times asked."""
    if after is not None and not (created_at < after[0] or (created_at == after[0] and run_id > after[1])):
        return False
    if created_before and created_at >= created_before:
        return False
    return not (created_after and created_at < created_after)
