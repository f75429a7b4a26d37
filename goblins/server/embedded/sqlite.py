"""The embedded event store: one SQLite file holds events, runs, tasks and the registry.

Why these settings:
- WAL journal: readers (history, results) never block the writer, and a commit appends to
  one file instead of rewriting pages twice.
- ``synchronous=FULL`` (default): a commit is fsynced before ``commit()`` returns, so an
  acknowledged event survives a power cut, not only a process crash. ``?synchronous=normal``
  trades that for speed: still safe against kill -9, not against power loss.
- One writer thread with ``BEGIN IMMEDIATE`` transactions: the event loop hands it a whole
  batch, so many events share one fsync (group commit), and no write ever waits on a lock
  upgrade. A batch of a few rows (one run's step, an idle server) commits on the event loop's
  thread instead: no hop.
- A few reader threads, each with its own connection (WAL lets readers run side by side): one
  big history read does not hold up the small reads behind it.
- ``events`` is an ordinary rowid table with a unique index on (run_id, seq): lookups walk the
  small index, and payloads (up to megabytes) stay in the table's rows, out of the key path.
  (A ``WITHOUT ROWID`` table keeps each row inside its primary-key B-tree: big payloads made
  every lookup slower.) A file made by an older version keeps its layout; the queries are the same.
- ``busy_timeout``: another process (e.g. the CLI reading the file) can hold a lock briefly.
- A failed commit (disk full, read-only file) is retried by the event loop; before the retry the
  connections are reopened, since a connection opened on a read-only file stays read-only after
  the file becomes writable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.message import DecodeError

from goblins._query import Plan
from goblins.api import v1 as pb
from goblins.history import LEGACY_STATUSES, RUNNING, SEARCH_ATTRIBUTES_UPSERTED, WORKFLOW_SCHEDULED
from goblins.server.effects import ACTIVITY, WORKFLOW, TaskRecord, restore_flow
from goblins.server.embedded import schedules, search, workflow_ids
from goblins.server.ports import Batch, StoredRun, StoreRejected, StoreUnavailable
from goblins.wire import columns, status_of

T = TypeVar("T")

_INDEXED = frozenset({WORKFLOW_SCHEDULED, SEARCH_ATTRIBUTES_UPSERTED})  # events the search index reads
INLINE_ROWS = 8  # batches up to this many rows commit without a thread hop
READERS = 4  # reader threads (and connections): a big read does not hold up the small ones
# Errors the same batch would raise again (a NULL in a NOT NULL column, a value SQLite cannot
# bind): the loop isolates the report that caused them instead of retrying the batch.
_REJECTED = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError, OverflowError)

# Created only with a new file: an older file's events table keeps its own key.
EVENTS = """
CREATE TABLE events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    step_id TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX events_by_run ON events (run_id, seq);
"""
SCHEMA = """
CREATE INDEX IF NOT EXISTS events_by_activity ON events (step_id) WHERE step_id != '';
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    workflow_name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created_at);
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    visible_at REAL NOT NULL,
    timeout REAL NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS heartbeats (
    run_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    details BLOB NOT NULL,
    PRIMARY KEY (run_id, step_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS registry (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS task_queues (
    name TEXT PRIMARY KEY,
    config BLOB NOT NULL
);
"""


def connect(path: str, synchronous: str = "FULL") -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


# PRAGMA user_version of a file this release wrote. 0: release 0.x's, whose runs.status held
# three statuses (a cancelled, terminated or timed-out run was FAILED, a continued one COMPLETED).
SCHEMA_VERSION = 1


def create_schema(conn: sqlite3.Connection) -> None:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone():
        conn.executescript(EVENTS)
    conn.executescript(SCHEMA)
    conn.executescript(workflow_ids.SCHEMA)
    conn.executescript(search.SCHEMA)
    search.tune(conn)
    conn.executescript(schedules.SCHEMA)
    if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        migrate_statuses(conn)


def migrate_statuses(conn: sqlite3.Connection) -> int:
    """Give each ended run of an older file the status its last event says, once (the file is
    then marked with ``SCHEMA_VERSION``); returns how many runs changed. Only the runs that
    ended are read, each by its end event alone."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        legacy = ", ".join(f"'{s}'" for s in sorted(LEGACY_STATUSES))
        rows = conn.execute(
            "SELECT r.run_id, r.status, e.data FROM runs r JOIN events e ON e.run_id = r.run_id "
            f"WHERE r.status IN ({legacy}) "
            "AND e.type IN ('WORKFLOW_FINISHED_IN_ERROR', 'WORKFLOW_FINISHED_IN_SUCCESS')"
        ).fetchall()
        changed = [
            (new, run_id)
            for run_id, old, data in rows
            if (new := status_of(pb.HistoryEvent.FromString(data))) and new != old
        ]
        conn.executemany("UPDATE runs SET status = ? WHERE run_id = ?", changed)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(changed)


def _event_row(e: pb.HistoryEvent) -> tuple[str, int, str, str, bytes]:
    return (e.run_id, e.seq, *columns(e), e.SerializeToString())


def _parse_events(rows: list[tuple[bytes]]) -> list[pb.HistoryEvent]:
    return [pb.HistoryEvent.FromString(row[0]) for row in rows]


def _lock(path: str) -> int | None:
    """An exclusive lock on ``PATH.lock``, held for the store's life (the process's, at worst:
    the kernel drops it at exit, even on kill -9). Two servers on one file would each decide
    from their own memory and wedge on the first conflict; the second one refuses instead."""
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    lock_path = f"{os.path.abspath(path)}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ValueError(f"sqlite store {path} is in use by another goblins server (it holds {lock_path})") from None
    return fd


class SqliteStore:
    """EventStore and RunIndex over one SQLite file."""

    def __init__(self, path: str) -> None:
        path, _, query = path.partition("?")
        options = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
        sync = options.get("synchronous", "full").upper()
        if sync not in ("FULL", "NORMAL"):
            raise ValueError(f"sqlite store: synchronous must be full or normal, got {sync.lower()!r}")
        self.path = path
        self.synchronous = sync
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise ValueError(f"sqlite store: directory {parent!r} does not exist")
        self._lock = _lock(path)
        try:
            self._writer = connect(path, sync)
            create_schema(self._writer)
        except BaseException:
            if self._lock is not None:
                os.close(self._lock)
            raise
        self._reopen = False  # a commit failed: reopen every connection before the next one
        self._write_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="goblins-sqlite-w")
        self._read_pool = concurrent.futures.ThreadPoolExecutor(READERS, thread_name_prefix="goblins-sqlite-r")
        self._local = threading.local()  # each reader thread's (generation, connection)
        self._readers: list[sqlite3.Connection] = []  # every reader connection, to close them
        self._readers_lock = threading.Lock()
        self._generation = 0  # bumped when the connections are reopened
        # Reads in progress; a reopen waits for them to end and holds new ones meanwhile.
        self._gate = threading.Condition(self._readers_lock)
        self._reading = 0
        self._reopening = False
        self._pooled = 0  # commits running in the writer thread (the connection is theirs meanwhile)

    async def _run(self, pool: concurrent.futures.Executor, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except sqlite3.OperationalError as exc:  # locked past busy_timeout, I/O error, disk full
            raise StoreUnavailable(f"sqlite: {exc}") from exc
        except _REJECTED as exc:
            raise StoreRejected(f"sqlite refused the batch: {type(exc).__name__}: {exc}") from exc

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._run(self._read_pool, self._gated, fn, *args)

    def _gated(self, fn: Callable[..., T], *args: Any) -> T:
        with self._gate:
            while self._reopening:
                self._gate.wait()
            self._reading += 1
        try:
            return fn(*args)
        finally:
            with self._gate:
                self._reading -= 1
                if not self._reading:
                    self._gate.notify_all()

    def _reader(self) -> sqlite3.Connection:
        """This reader thread's connection, opened again after the connections were reopened."""
        local = self._local
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is not None and local.generation == self._generation:
            return conn
        generation = self._generation
        conn = connect(self.path, self.synchronous)
        with self._readers_lock:
            self._readers.append(conn)
        local.conn, local.generation = conn, generation
        return conn

    def _forget_reader(self, conn: sqlite3.Connection) -> None:
        with self._readers_lock:
            if conn in self._readers:
                self._readers.remove(conn)
        conn.close()
        self._local.conn = None

    def _reopen_connections(self) -> None:
        """Close every connection, then open the writer again (readers open on their next read).

        A connection opened while the file was read-only stays read-only, and so does any new
        one while an old one is open (they share the file's WAL index in this process): after a
        failed commit all of them go, readers included, before the retry."""
        with self._gate:
            self._reopening = True
            while self._reading:
                self._gate.wait()
            readers, self._readers = self._readers, []
        try:
            for conn in readers:
                conn.close()
            self._writer.close()
            self._generation += 1
            self._writer = connect(self.path, self.synchronous)
            create_schema(self._writer)
            self._reopen = False
        finally:
            with self._gate:
                self._reopening = False
                self._gate.notify_all()

    # ---- writes ----

    async def commit(self, batch: Batch) -> None:
        # A small batch (one run's step: the latency case) commits on the calling thread: the
        # hop to the writer thread and back costs more than the event loop would do meanwhile.
        # Big batches (a busy server) go to the writer thread, so the loop keeps taking reports
        # during the fsync.
        rows = len(batch.events) + len(batch.new_tasks) + len(batch.done_tasks) + len(batch.heartbeats)
        if not self._pooled and rows <= INLINE_ROWS:
            try:
                self.commit_sync(batch)
            except sqlite3.OperationalError as exc:
                raise StoreUnavailable(f"sqlite: {exc}") from exc
            except _REJECTED as exc:
                raise StoreRejected(f"sqlite refused the batch: {type(exc).__name__}: {exc}") from exc
            return
        self._pooled += 1
        try:
            await self._run(self._write_pool, self.commit_sync, batch)
        finally:
            self._pooled -= 1

    def commit_sync(self, batch: Batch) -> None:
        try:
            self._commit_sync(batch)
        except sqlite3.OperationalError:
            self._reopen = True  # disk full, read-only, I/O error: the retry starts afresh
            raise

    def _commit_sync(self, batch: Batch) -> None:
        if self._reopen:
            self._reopen_connections()
        c = self._writer
        c.execute("BEGIN IMMEDIATE")
        try:
            if batch.events:
                c.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", [_event_row(e) for e in batch.events])
                for e in batch.events:
                    status = status_of(e)
                    if status == RUNNING:
                        c.execute(
                            "INSERT INTO runs VALUES (?, ?, ?, ?, 0)", (e.run_id, e.workflow_name, status, e.time)
                        )
                    elif status is not None:
                        c.execute(
                            "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?",
                            (status, e.time, e.run_id),
                        )
                    if e.type in _INDEXED:
                        search.index_event(c, e)
            if batch.done_tasks:
                c.executemany("DELETE FROM tasks WHERE task_id = ?", [(t,) for t in batch.done_tasks])
            if batch.new_tasks:
                c.executemany(
                    "INSERT OR REPLACE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(t.task_id, t.run_id, t.kind, t.name, t.visible_at, t.timeout, t.data) for t in batch.new_tasks],
                )
            if batch.registry:
                c.executemany("INSERT OR IGNORE INTO registry VALUES (?, ?)", batch.registry)
            if batch.heartbeats:
                c.executemany(
                    "INSERT OR REPLACE INTO heartbeats VALUES (?, ?, ?)",
                    [(run_id, act, details) for (run_id, act), details in batch.heartbeats.items()],
                )
            if batch.forget_heartbeats:
                c.executemany("DELETE FROM heartbeats WHERE run_id = ?", [(r,) for r in batch.forget_heartbeats])
            c.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (disk full, I/O error): a second rollback would
            # fail and hide the real cause.
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise

    # ---- reads ----

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        conn = self._reader()
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError:
            self._forget_reader(conn)  # e.g. opened on a file that was not readable: next read reopens
            raise

    def _load_run(self, run_id: str) -> StoredRun | None:
        events = _parse_events(self._query("SELECT data FROM events WHERE run_id = ? ORDER BY seq", (run_id,)))
        if not events:
            return None
        rows = self._query("SELECT task_id FROM tasks WHERE run_id = ? AND kind = ?", (run_id, WORKFLOW))
        beats = self._query("SELECT step_id, details FROM heartbeats WHERE run_id = ?", (run_id,))
        return StoredRun(events, rows[0][0] if rows else None, dict(beats))

    async def load_run(self, run_id: str) -> StoredRun | None:
        return await self._read(self._load_run, run_id)

    async def load_runs(self, run_ids: list[str]) -> list[StoredRun | None]:
        """``load_run`` of each id, in one hop to the reader thread."""
        return await self._read(lambda: [self._load_run(r) for r in run_ids])

    async def history(self, run_id: str, after_seq: int = 0) -> list[pb.HistoryEvent] | None:
        def load() -> list[pb.HistoryEvent] | None:
            rows = self._query("SELECT data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq", (run_id, after_seq))
            if not rows and not self._query("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)):
                return None
            return _parse_events(rows)

        return await self._read(load)

    async def history_page(
        self, run_id: str, after_seq: int, limit: int, max_bytes: int
    ) -> tuple[list[pb.HistoryEvent], bool] | None:
        def load() -> tuple[list[pb.HistoryEvent], bool] | None:
            # Row by row, to stop at the byte budget: a page of big results reads only itself.
            conn = self._reader()
            try:
                cursor = conn.execute(
                    "SELECT data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                    (run_id, after_seq, limit + 1),
                )
                events: list[pb.HistoryEvent] = []
                size, more = 0, False
                for (data,) in cursor:
                    if len(events) == limit or (events and size + len(data) > max_bytes):
                        more = True
                        break
                    events.append(pb.HistoryEvent.FromString(data))
                    size += len(data)
                cursor.close()
            except sqlite3.OperationalError:
                self._forget_reader(conn)
                raise
            if not events and not self._query("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)):
                return None
            return events, more

        return await self._read(load)

    async def last_event(self, run_id: str) -> pb.HistoryEvent | None:
        def load() -> pb.HistoryEvent | None:
            rows = self._query("SELECT data FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT 1", (run_id,))
            return pb.HistoryEvent.FromString(rows[0][0]) if rows else None

        return await self._read(load)

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
        def load() -> list[pb.RunInfo]:
            where: list[str] = []
            args: list[Any] = []
            if status:
                where.append("status = ?")
                args.append(status)
            if workflow_name:
                where.append("workflow_name = ?")
                args.append(workflow_name)
            if after is not None:
                where.append("(created_at < ? OR (created_at = ? AND run_id > ?))")
                args += [after[0], after[0], after[1]]
            if created_after:
                where.append("created_at >= ?")
                args.append(created_after)
            if created_before:
                where.append("created_at < ?")
                args.append(created_before)
            sql = "SELECT run_id, workflow_name, status, created_at, finished_at FROM runs"
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += " ORDER BY created_at DESC, run_id ASC LIMIT ?"
            rows = self._query(sql, (*args, limit or 100))
            return [
                pb.RunInfo(run_id=r[0], workflow_name=r[1], status=r[2], created_at=r[3], finished_at=r[4])
                for r in rows
            ]

        return await self._read(load)

    async def search_runs(self, plan: Plan, limit: int, offset: int) -> list[pb.RunInfo]:
        return await self._read(lambda: search.search(self._reader(), plan, limit, offset))

    async def count_runs(self, plan: Plan) -> int:
        return await self._read(lambda: search.count(self._reader(), plan))

    async def claim_workflow_id(self, workflow_id: str, run_id: str, expected: str | None, now: float) -> bool:
        self._pooled += 1  # inline commits go to the writer thread meanwhile: it has the connection
        try:
            return await self._run(
                self._write_pool, workflow_ids.claim, self._writer, workflow_id, run_id, expected, now
            )
        finally:
            self._pooled -= 1

    async def workflow_id_row(self, workflow_id: str) -> tuple[str, float] | None:
        return await self._read(lambda: workflow_ids.current(self._reader(), workflow_id))

    async def workflow_ids_of(self, run_ids: list[str]) -> dict[str, str]:
        return await self._read(lambda: workflow_ids.of_runs(self._reader(), run_ids))

    # ---- schedules (server/scheduler.py): conditional writes on a version ----

    async def _schedule_write(self, fn: Callable[..., bool], *args: Any) -> bool:
        self._pooled += 1  # as claim_workflow_id: the writer thread has the connection meanwhile
        try:
            return await self._run(self._write_pool, fn, self._writer, *args)
        finally:
            self._pooled -= 1

    async def insert_schedule(self, schedule_id: str, data: bytes) -> bool:
        return await self._schedule_write(schedules.insert, schedule_id, data)

    async def update_schedule(self, schedule_id: str, data: bytes, version: int) -> bool:
        return await self._schedule_write(schedules.update, schedule_id, data, version)

    async def delete_schedule(self, schedule_id: str) -> bool:
        return await self._schedule_write(schedules.delete, schedule_id)

    async def schedule_row(self, schedule_id: str) -> tuple[bytes, int] | None:
        return await self._read(lambda: schedules.get(self._reader(), schedule_id))

    async def schedule_rows(self) -> list[tuple[str, bytes, int]]:
        return await self._read(lambda: schedules.every(self._reader()))

    async def active_runs(self, bucket: int) -> list[str]:
        """Every unfinished run (one server owns them all: ``bucket`` is ignored)."""
        rows = await self._read(self._query, "SELECT run_id FROM runs WHERE status = ?", (RUNNING,))
        return [r[0] for r in rows]

    async def registry(self) -> set[tuple[str, str]]:
        rows = await self._read(self._query, "SELECT kind, name FROM registry")
        return {(r[0], r[1]) for r in rows}

    async def pending_tasks(self) -> list[TaskRecord]:
        """Every stored task; an activity task carries the last heartbeat details stored for its
        activity (its attempt may have heartbeated since the task was written)."""

        def load() -> tuple[list[Any], dict[tuple[str, str], bytes]]:
            tasks = self._query("SELECT task_id, run_id, kind, name, visible_at, data, timeout FROM tasks")
            beats = self._query("SELECT run_id, step_id, details FROM heartbeats")
            return tasks, {(r[0], r[1]): r[2] for r in beats}

        rows, beats = await self._read(load)
        tasks = [TaskRecord(*row) for row in rows]
        for t in tasks:  # the heartbeat timeout is not a column: it is in the task itself
            restore_flow(t)
            if t.kind != ACTIVITY:
                continue
            try:
                task = pb.ActivityTask.FromString(t.data)
            except DecodeError:
                continue  # not a task this version wrote: no heartbeat lease
            t.heartbeat = task.heartbeat_timeout
            details = beats.get((task.run_id, task.step_id))
            if details and details != task.heartbeat_details:
                task.heartbeat_details = details
                t.data = task.SerializeToString()
        return tasks

    async def settle(self, run_ids: list[str]) -> None:
        pass  # reports to other runs are tasks stored with the events: nothing to settle

    # ---- task queues' limits (docs/task-queues.md) ----

    async def task_queues(self) -> list[pb.TaskQueueConfig]:
        rows = await self._read(self._query, "SELECT config FROM task_queues ORDER BY name")
        return [pb.TaskQueueConfig.FromString(r[0]) for r in rows]

    async def set_task_queue(self, config: pb.TaskQueueConfig) -> None:
        """Store (or, with ``reset``, delete) a queue's limits; durable when this returns."""

        def write() -> None:
            if config.reset:
                self._writer.execute("DELETE FROM task_queues WHERE name = ?", (config.name,))
            else:
                self._writer.execute(
                    "INSERT OR REPLACE INTO task_queues VALUES (?, ?)", (config.name, config.SerializeToString())
                )

        self._pooled += 1  # the writer connection is the pool's meanwhile (see ``commit``)
        try:
            await self._run(self._write_pool, write)
        finally:
            self._pooled -= 1

    async def close(self) -> None:
        for pool in (self._write_pool, self._read_pool):
            pool.shutdown(wait=True)
        self._writer.close()
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        if self._lock is not None:
            os.close(self._lock)  # releases the lock: another server may open the file
            self._lock = None
