"""goblins.testing_contract's EventStoreContract against every event store adapter (SQLite
always, Cassandra when requested: see conftest.py)."""

from __future__ import annotations

import math
import pathlib
from collections.abc import AsyncIterator

import pytest

from goblins.errors import StoreRejected
from goblins.server.embedded.sqlite import SqliteStore
from goblins.server.ports import Batch
from goblins.server.state import WORKFLOW, TaskRecord
from goblins.testing_contract import EventStoreContract, Store
from tests.contract.backends import needs_cassandra


class TestSqliteStore(EventStoreContract):
    keeps_tasks = True

    @pytest.fixture
    async def store(self, tmp_path: pathlib.Path) -> AsyncIterator[Store]:
        s = SqliteStore(f"{tmp_path}/contract.db")
        try:
            yield s
        finally:
            await s.close()

    async def test_a_value_sqlite_refuses_is_store_rejected_not_unavailable(self, store: Store) -> None:
        """A NaN in a NOT NULL column fails the same way on every retry: the loop must know."""
        task = TaskRecord("t1", "r1", WORKFLOW, "wf", math.nan, b"")
        with pytest.raises(StoreRejected):
            await store.commit(Batch(events=[], new_tasks=[task]))
        await store.commit(Batch(new_tasks=[TaskRecord("t2", "r1", WORKFLOW, "wf", 1.0, b"")]))
        assert [t.task_id for t in await store.pending_tasks()] == ["t2"], "the store is usable after"


@needs_cassandra
class TestCassandraStore(EventStoreContract):
    keeps_tasks = False  # immediate tasks live in Kafka
    atomic_batches = False  # each run's events land whole or not at all

    @pytest.fixture
    async def store(self, cassandra_url: str) -> AsyncIterator[Store]:
        # an ImportError here fails the test
        from goblins.server.distributed.cassandra import CassandraStore

        s = CassandraStore(cassandra_url)
        try:
            yield s
        finally:
            await s.close()
