"""The SQLite store's layout and readers (issue 10 item 9)."""

from __future__ import annotations

import asyncio
import pathlib
import sqlite3
import threading

from goblins.api import v1 as pb
from goblins.server.embedded.sqlite import READERS, SqliteStore
from goblins.server.ports import Batch
from goblins.wire import history_event

OLD_EVENTS = """
CREATE TABLE events (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, step_id TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
"""


def events(run_id: str, n: int, size: int = 10) -> list[pb.HistoryEvent]:
    return [
        history_event("ACTIVITY_FINISHED_IN_SUCCESS", run_id=run_id, seq=s, step_id=f"a{s}", output=b"x" * size)
        for s in range(1, n + 1)
    ]


async def test_payloads_are_out_of_the_key_path(tmp_path: pathlib.Path) -> None:
    store = SqliteStore(str(tmp_path / "g.db"))
    try:
        await store.commit(Batch(events=events("r", 3, 100_000)))
        assert [e.seq for e in await store.history("r") or []] == [1, 2, 3]
    finally:
        await store.close()
    conn = sqlite3.connect(tmp_path / "g.db")
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events'").fetchone()[0]
    assert "WITHOUT ROWID" not in sql  # rows (and their payloads) live apart from the (run_id, seq) index
    plan = " ".join(str(r) for r in conn.execute("EXPLAIN QUERY PLAN SELECT data FROM events WHERE run_id = 'x'"))
    assert "events_by_run" in plan
    conn.close()


async def test_a_file_with_the_old_layout_still_works(tmp_path: pathlib.Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.db")
    conn.executescript(OLD_EVENTS)
    conn.close()
    store = SqliteStore(str(tmp_path / "old.db"))
    try:
        await store.commit(Batch(events=events("r", 2)))
        assert [e.seq for e in await store.history("r") or []] == [1, 2]
        assert (await store.last_event("r") or pb.HistoryEvent()).seq == 2
    finally:
        await store.close()


async def test_one_slow_read_does_not_hold_up_the_others(tmp_path: pathlib.Path) -> None:
    assert READERS > 1
    store = SqliteStore(str(tmp_path / "g.db"))
    release = threading.Event()
    try:
        await store.commit(Batch(events=events("r", 2)))
        slow = asyncio.ensure_future(store._read(release.wait, 10))  # a reader thread, busy
        for _ in range(5):  # each answered while it is
            assert (await asyncio.wait_for(store.last_event("r"), 2) or pb.HistoryEvent()).seq == 2
        assert not slow.done()
        release.set()
        assert await slow
    finally:
        release.set()
        await store.close()
