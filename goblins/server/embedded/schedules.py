"""The schedules table of the SQLite store: one row per schedule, its record and a version.

Every change is a conditional write on the version the writer read (``update``), so a trigger
arriving while the scheduler plans is not lost: one of the two writes is refused and that
writer reads again.
"""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
    schedule_id TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    version INTEGER NOT NULL
) WITHOUT ROWID;
"""


def _write(conn: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> bool:
    conn.execute("BEGIN IMMEDIATE")
    try:
        won = conn.execute(sql, args).rowcount == 1
        conn.execute("COMMIT")
        return won
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def insert(conn: sqlite3.Connection, schedule_id: str, data: bytes) -> bool:
    return _write(conn, "INSERT INTO schedules VALUES (?, ?, 1) ON CONFLICT DO NOTHING", (schedule_id, data))


def update(conn: sqlite3.Connection, schedule_id: str, data: bytes, version: int) -> bool:
    sql = "UPDATE schedules SET data = ?, version = version + 1 WHERE schedule_id = ? AND version = ?"
    return _write(conn, sql, (data, schedule_id, version))


def delete(conn: sqlite3.Connection, schedule_id: str) -> bool:
    return _write(conn, "DELETE FROM schedules WHERE schedule_id = ?", (schedule_id,))


def get(conn: sqlite3.Connection, schedule_id: str) -> tuple[bytes, int] | None:
    row = conn.execute("SELECT data, version FROM schedules WHERE schedule_id = ?", (schedule_id,)).fetchone()
    return (bytes(row[0]), row[1]) if row else None


def every(conn: sqlite3.Connection) -> list[tuple[str, bytes, int]]:
    rows = conn.execute("SELECT schedule_id, data, version FROM schedules ORDER BY schedule_id").fetchall()
    return [(r[0], bytes(r[1]), r[2]) for r in rows]
