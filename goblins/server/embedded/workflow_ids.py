"""The workflow id rows of the SQLite store: which run is each workflow id's current one.

A claim is one conditional statement (an insert that does nothing when the id has a row, or an
update that applies only while the row still names the expected run), so two starts of one id
cannot both win: one server owns the file, and SQLite serializes its writers.
"""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS workflow_ids (
    workflow_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    claimed_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_workflow_ids (
    run_id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL
) WITHOUT ROWID;
"""


def claim(conn: sqlite3.Connection, workflow_id: str, run_id: str, expected: str | None, now: float) -> bool:
    """Make ``run_id`` the id's current run if the row still names ``expected`` (None: no row)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if expected is None:
            cursor = conn.execute(
                "INSERT INTO workflow_ids VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (workflow_id, run_id, now)
            )
        else:
            cursor = conn.execute(
                "UPDATE workflow_ids SET run_id = ?, claimed_at = ? WHERE workflow_id = ? AND run_id = ?",
                (run_id, now, workflow_id, expected),
            )
        won = cursor.rowcount == 1
        if won:
            conn.execute("INSERT OR IGNORE INTO run_workflow_ids VALUES (?, ?)", (run_id, workflow_id))
        conn.execute("COMMIT")
        return won
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def current(conn: sqlite3.Connection, workflow_id: str) -> tuple[str, float] | None:
    row = conn.execute("SELECT run_id, claimed_at FROM workflow_ids WHERE workflow_id = ?", (workflow_id,)).fetchone()
    return (row[0], row[1]) if row else None


def of_runs(conn: sqlite3.Connection, run_ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(run_ids), 500):  # SQLite's bound-parameter limit
        part = run_ids[i : i + 500]
        marks = ",".join("?" * len(part))
        sql = f"SELECT run_id, workflow_id FROM run_workflow_ids WHERE run_id IN ({marks})"
        out.update(conn.execute(sql, part).fetchall())
    return out
