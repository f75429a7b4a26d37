"""A full disk names its cause and the store commits again once space returns (issue 10 item 7)."""

from __future__ import annotations

import pathlib

import pytest

from goblins.server.embedded.sqlite import SqliteStore
from goblins.server.ports import Batch, StoreUnavailable

MAX_PAGES = 1073741823


async def test_a_full_disk_is_unavailable_naming_the_cause_and_recovers(tmp_path: pathlib.Path) -> None:
    store = SqliteStore(str(tmp_path / "full.db"))
    try:
        await store.commit(Batch(registry=[("activity", "before")]))
        # The database may not grow: SQLite fails the write with SQLITE_FULL, as on a full disk.
        pages = store._writer.execute("PRAGMA page_count").fetchone()[0]
        store._writer.execute(f"PRAGMA max_page_count = {pages}")
        big = Batch(registry=[("activity", "x" * 20000 + str(i)) for i in range(50)])
        with pytest.raises(StoreUnavailable, match="database or disk is full"):
            await store.commit(big)
        store._writer.execute(f"PRAGMA max_page_count = {MAX_PAGES}")  # space returns
        await store.commit(big)
        registry = await store.registry()
        assert ("activity", "before") in registry
        assert len(registry) == 51
        assert store._writer.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        await store.close()
