"""The embedded event store: one SQLite file holds events, runs, tasks and the registry.

Why these settings:
- WAL journal: readers (history, results) never block the writer, and a commit appends to
  one file instead of rewriting pages twice.
- ``synchronous=FULL`` (default): a commit is fsynced before ``commit()`` returns, so an
  acknowledged event survives a power cut, not only a process crash. ``?synchronous=normal``
  trades that for speed: still safe against kill -9, not against power loss.
- One writer thread with ``BEGIN IMMEDIATE`` transactions: the event loop hands it a whole
  batch, so many events share one fsync (group commit), and no write ever waits on a lock
  upgrade. A second thread with its own connection serves reads. A batch of a few rows
  (one run's step, an idle server) commits on the event loop's thread instead: no hop.
- ``busy_timeout``: another process (e.g. the CLI reading the file) can hold a lock briefly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import os
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.message import DecodeError

from goblins.api import v1 as pb
from goblins.history import RUNNING, run_status
from goblins.server.effects import ACTIVITY, WORKFLOW, TaskRecord
from goblins.server.ports import Batch, StoredRun, StoreRejected, StoreUnavailable
from goblins.wire import columns

T = TypeVar("T")

INLINE_ROWS = 8  # batches up to this many rows commit without a thread hop
# Errors the same batch would raise again (a NULL in a NOT NULL column, a value SQLite cannot
# bind): the loop isolates the report that caused them instead of retrying the batch.
_REJECTED = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError, OverflowError)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    step_id TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
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
"""


def connect(path: str, synchronous: str = "FULL") -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


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
            self._writer.executescript(SCHEMA)
        except BaseException:
            if self._lock is not None:
                os.close(self._lock)
            raise
        self._reader = connect(path, sync)
        self._write_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="goblins-sqlite-w")
        self._read_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="goblins-sqlite-r")
        self._pooled = 0  # commits running in the writer thread (the connection is theirs meanwhile)

    async def _run(self, pool: concurrent.futures.Executor, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except sqlite3.OperationalError as exc:  # locked past busy_timeout, I/O error, disk full
            raise StoreUnavailable(f"sqlite: {exc}") from exc
        except _REJECTED as exc:
            raise StoreRejected(f"sqlite refused the batch: {type(exc).__name__}: {exc}") from exc

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
        c = self._writer
        c.execute("BEGIN IMMEDIATE")
        try:
            if batch.events:
                c.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", [_event_row(e) for e in batch.events])
                for e in batch.events:
                    status = run_status(e.type)
                    if status == RUNNING:
                        c.execute(
                            "INSERT INTO runs VALUES (?, ?, ?, ?, 0)", (e.run_id, e.workflow_name, status, e.time)
                        )
                    elif status is not None:
                        c.execute(
                            "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?",
                            (status, e.time, e.run_id),
                        )
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
        return self._reader.execute(sql, args).fetchall()

    def _load_run(self, run_id: str) -> StoredRun | None:
        events = _parse_events(self._query("SELECT data FROM events WHERE run_id = ? ORDER BY seq", (run_id,)))
        if not events:
            return None
        rows = self._query("SELECT task_id FROM tasks WHERE run_id = ? AND kind = ?", (run_id, WORKFLOW))
        beats = self._query("SELECT step_id, details FROM heartbeats WHERE run_id = ?", (run_id,))
        return StoredRun(events, rows[0][0] if rows else None, dict(beats))

    async def load_run(self, run_id: str) -> StoredRun | None:
        return await self._run(self._read_pool, self._load_run, run_id)

    async def load_runs(self, run_ids: list[str]) -> list[StoredRun | None]:
        """``load_run`` of each id, in one hop to the reader thread."""
        return await self._run(self._read_pool, lambda: [self._load_run(r) for r in run_ids])

    async def history(self, run_id: str, after_seq: int = 0) -> list[pb.HistoryEvent] | None:
        def load() -> list[pb.HistoryEvent] | None:
            rows = self._query("SELECT data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq", (run_id, after_seq))
            if not rows and not self._query("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)):
                return None
            return _parse_events(rows)

        return await self._run(self._read_pool, load)

    async def last_event(self, run_id: str) -> pb.HistoryEvent | None:
        def load() -> pb.HistoryEvent | None:
            rows = self._query("SELECT data FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT 1", (run_id,))
            return pb.HistoryEvent.FromString(rows[0][0]) if rows else None

        return await self._run(self._read_pool, load)

    async def list_runs(self, status: str, workflow_name: str, limit: int) -> list[pb.RunInfo]:
        def load() -> list[pb.RunInfo]:
            where, args = [], []
            if status:
                where.append("status = ?")
                args.append(status)
            if workflow_name:
                where.append("workflow_name = ?")
                args.append(workflow_name)
            sql = "SELECT run_id, workflow_name, status, created_at, finished_at FROM runs"
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += " ORDER BY created_at DESC LIMIT ?"
            rows = self._query(sql, (*args, limit or 100))
            return [
                pb.RunInfo(run_id=r[0], workflow_name=r[1], status=r[2], created_at=r[3], finished_at=r[4])
                for r in rows
            ]

        return await self._run(self._read_pool, load)

    async def active_runs(self, bucket: int) -> list[str]:
        """Every unfinished run (one server owns them all: ``bucket`` is ignored)."""
        rows = await self._run(self._read_pool, self._query, "SELECT run_id FROM runs WHERE status = ?", (RUNNING,))
        return [r[0] for r in rows]

    async def registry(self) -> set[tuple[str, str]]:
        rows = await self._run(self._read_pool, self._query, "SELECT kind, name FROM registry")
        return {(r[0], r[1]) for r in rows}

    async def pending_tasks(self) -> list[TaskRecord]:
        """Every stored task; an activity task carries the last heartbeat details stored for its
        activity (its attempt may have heartbeated since the task was written)."""

        def load() -> tuple[list[Any], dict[tuple[str, str], bytes]]:
            tasks = self._query("SELECT task_id, run_id, kind, name, visible_at, data, timeout FROM tasks")
            beats = self._query("SELECT run_id, step_id, details FROM heartbeats")
            return tasks, {(r[0], r[1]): r[2] for r in beats}

        rows, beats = await self._run(self._read_pool, load)
        tasks = [TaskRecord(*row) for row in rows]
        for t in tasks:  # the heartbeat timeout is not a column: it is in the task itself
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

    async def close(self) -> None:
        for pool in (self._write_pool, self._read_pool):
            pool.shutdown(wait=True)
        self._writer.close()
        self._reader.close()
        if self._lock is not None:
            os.close(self._lock)  # releases the lock: another server may open the file
            self._lock = None
