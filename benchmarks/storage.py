"""Scenario 5: the storage limit, the raw rate of appending event rows to SQLite.

Same schema (goblins.server.embedded.sqlite.create_schema), same connection settings
(goblins.server.embedded.sqlite.connect:
WAL, synchronous=FULL, busy_timeout), same INSERT statement and the same rows (serialized
goblins_pb2.Event) as the engine writes, in batches of ``batch`` rows per transaction, from one
Python thread, nothing else: no engine, no gRPC, no runs or tasks tables.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from goblins.api import v1 as pb
from goblins.server.embedded.sqlite import connect, create_schema
from goblins.wire import columns

Row = tuple[str, int, str, str, bytes]


def rows_from(db: Path) -> list[Row]:
    """The event rows an engine run stored, in commit order."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT run_id, seq, type, step_id, data FROM events").fetchall()
    finally:
        conn.close()
    # Order by event timestamp like the engine appended them (an older table is clustered by run_id).
    return sorted(rows, key=lambda r: pb.HistoryEvent.FromString(r[4]).time)


def append_rate(rows: list[Row], path: Path, batch: int, synchronous: str = "FULL", serialize: bool = False) -> dict:
    """Append ``rows`` to a fresh database at ``path``; rows/s and time per commit.

    ``serialize``: rebuild each row from a parsed pb.HistoryEvent with SerializeToString() inside the
    timed loop (what the engine's writer thread does), instead of inserting the stored bytes.
    """
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = connect(str(path), synchronous)
    create_schema(conn)
    events = [pb.HistoryEvent.FromString(r[4]) for r in rows] if serialize else []
    t0 = time.perf_counter()
    commits = 0
    for start in range(0, len(rows), batch):
        if serialize:
            chunk = [(e.run_id, e.seq, *columns(e), e.SerializeToString()) for e in events[start : start + batch]]
        else:
            chunk = rows[start : start + batch]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", chunk)
        conn.execute("COMMIT")
        commits += 1
    elapsed = time.perf_counter() - t0
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    sync = conn.execute("PRAGMA synchronous").fetchone()[0]
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {
        "rows": len(rows),
        "batch": batch,
        "commits": commits,
        "seconds": elapsed,
        "events_per_s": len(rows) / elapsed if elapsed else 0.0,
        "ms_per_commit": 1000 * elapsed / commits if commits else 0.0,
        "journal_mode": mode,
        "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(sync, str(sync)),
        "serialize_in_loop": serialize,
    }
