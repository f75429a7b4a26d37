"""Task queues with flow control (docs/task-queues.md).

A batch of renders runs on the ``gpu`` task queue, which the server limits for every worker
at once: ``goblins task-queue set gpu --max-concurrent 3 --rate 20 --max-per-key 2``. Each
render records itself in a SQLite "ledger" while it runs, so what the limits allowed is seen by
the activities themselves, not taken on the server's word:

    goblins server &
    goblins task-queue set gpu --max-concurrent 3 --max-per-key 2
    goblins worker examples.task_queues --task-queue gpu &   # run two or three of these
    goblins workflow start render_batch --task-queue gpu --input '"/tmp/ledger.db"' --input 12 --wait
    python -m examples.task_queues /tmp/ledger.db            # the largest concurrency seen

A worker started without ``--task-queue`` polls the ``default`` queue and never gets a render.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from typing import Any

import goblins


def _ledger(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS running (task TEXT PRIMARY KEY, pid INTEGER, ckey TEXT, priority INTEGER)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS starts (seq INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT, pid INTEGER,"
        " ckey TEXT, priority INTEGER, at REAL, running INTEGER, running_key INTEGER)"
    )
    return conn


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@goblins.activity
def render(ledger: str, task: str, ckey: str, priority: int, seconds: float) -> int:
    """Note the start (and how many renders run now, over all workers), work, note the end."""
    conn = _ledger(ledger)
    try:
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time, across processes
        for (pid,) in conn.execute("SELECT DISTINCT pid FROM running").fetchall():
            if not _alive(pid):  # a worker killed with -9 ran these: they run no more
                conn.execute("DELETE FROM running WHERE pid = ?", (pid,))
        conn.execute("INSERT OR REPLACE INTO running VALUES (?, ?, ?, ?)", (task, os.getpid(), ckey, priority))
        (running,) = conn.execute("SELECT COUNT(*) FROM running").fetchone()
        (running_key,) = conn.execute("SELECT COUNT(*) FROM running WHERE ckey = ?", (ckey,)).fetchone()
        conn.execute(
            "INSERT INTO starts (task, pid, ckey, priority, at, running, running_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (task, os.getpid(), ckey, priority, time.time(), running, running_key),
        )
        conn.execute("COMMIT")
        time.sleep(seconds)
        conn.execute("DELETE FROM running WHERE task = ?", (task,))
    finally:
        conn.close()
    return os.getpid()


@goblins.workflow(name="render_batch")
async def render_batch(
    ledger: str, count: int, seconds: float = 0.3, keys: int = 0, priorities: list[int] | None = None
) -> list[int]:
    """``count`` renders at once on the workflow's queue; with ``keys``, render i has the
    concurrency key ``customer-{i % keys}``; ``priorities`` gives render i its priority."""
    calls = []
    for i in range(count):
        ckey = f"customer-{i % keys}" if keys else None
        priority = priorities[i] if priorities else None
        calls.append(
            goblins.workflow.execute_activity(
                render,
                ledger,
                f"render-{i}",
                ckey or "",
                priority or 0,
                seconds,
                priority=priority,
                concurrency_key=ckey,
                start_to_close_timeout=60,
            )
        )
    return list(await asyncio.gather(*calls))


def observed(ledger: str) -> dict[str, Any]:
    """What the renders saw: the largest number running at once (in all, per key), and the
    starts in order (task, priority, time, pid)."""
    conn = _ledger(ledger)
    try:
        rows = conn.execute("SELECT task, priority, at, pid, running, running_key FROM starts ORDER BY seq").fetchall()
    finally:
        conn.close()
    return {
        "max_running": max((r[4] for r in rows), default=0),
        "max_running_per_key": max((r[5] for r in rows), default=0),
        "starts": [(r[0], r[1], r[2], r[3]) for r in rows],
    }


if __name__ == "__main__":
    seen = observed(sys.argv[1])
    renders, most, per_key = len(seen["starts"]), seen["max_running"], seen["max_running_per_key"]
    print(f"{renders} renders, at most {most} at once, {per_key} per key")
