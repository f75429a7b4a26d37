"""goblins.testing_contract's EventStoreContract against every event store adapter.

SQLite always runs. Setting GOBLINS_TEST_CASSANDRA=HOST:PORT (a fresh keyspace for this run,
dropped at the end: a keyspace left by an older schema must not decide the result),
HOST:PORT/KEYSPACE or a full cassandra:// URL adds the Cassandra adapter; if it is requested
and cannot be imported or reached, its tests fail: a requested backend is never silently skipped.
"""

from __future__ import annotations

import math
import os
import pathlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from goblins.errors import StoreRejected
from goblins.server.embedded.sqlite import SqliteStore
from goblins.server.ports import Batch
from goblins.server.state import WORKFLOW, TaskRecord
from goblins.testing_contract import EventStoreContract, Store

CASSANDRA = os.environ.get("GOBLINS_TEST_CASSANDRA", "")
OWN_KEYSPACE = f"goblins_contract_{uuid.uuid4().hex[:8]}"
if CASSANDRA and "://" not in CASSANDRA:
    CASSANDRA = f"cassandra://{CASSANDRA}" if "/" in CASSANDRA else f"cassandra://{CASSANDRA}/{OWN_KEYSPACE}"


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


@pytest.mark.skipif(not CASSANDRA, reason="set GOBLINS_TEST_CASSANDRA=HOST:PORT to run it")
class TestCassandraStore(EventStoreContract):
    keeps_tasks = False  # immediate tasks live in Kafka
    atomic_batches = False  # each run's events land whole or not at all

    @pytest.fixture(scope="class", autouse=True)
    def own_keyspace(self) -> Iterator[None]:
        """Drop the keyspace this run created (the shared Cassandra outlives test runs)."""
        yield
        if not CASSANDRA.endswith(f"/{OWN_KEYSPACE}"):
            return  # a keyspace the caller named is theirs
        from cassandra.cluster import Cluster

        host, _, port = CASSANDRA.removeprefix("cassandra://").partition("/")[0].rpartition(":")
        cluster = Cluster([host], port=int(port))
        try:
            cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {OWN_KEYSPACE}", timeout=60)
        finally:
            cluster.shutdown()

    @pytest.fixture
    async def store(self) -> AsyncIterator[Store]:
        # an ImportError here fails the test
        from goblins.server.distributed.cassandra import CassandraStore
        from goblins.server.distributed.setup import setup_cassandra

        setup_cassandra(CASSANDRA)
        s = CassandraStore(CASSANDRA)
        try:
            yield s
        finally:
            await s.close()
