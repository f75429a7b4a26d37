"""goblins.testing_contract's TimersContract against the embedded dispatcher (always) and
CassandraTimers (when GOBLINS_TEST_CASSANDRA is set: see backends.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from goblins.server.effects import TaskRecord
from goblins.server.embedded.dispatcher import EmbeddedTransport
from goblins.server.ports import Batch, Timers
from goblins.testing_contract import FakeClock, RecordingInbox, TimersContract, TimersHarness
from tests.contract.backends import needs_cassandra


class _TaskTable:
    """The SQLite tasks table, as the embedded transport reads it at start: the timers committed."""

    def __init__(self) -> None:
        self.rows: list[TaskRecord] = []

    async def pending_tasks(self) -> list[TaskRecord]:
        return list(self.rows)

    async def commit(self, t: TaskRecord) -> None:
        self.rows.append(t)


class TestEmbeddedTimers(TimersContract):
    @pytest.fixture
    async def harness(self) -> AsyncIterator[TimersHarness]:
        clock = FakeClock()
        inbox = RecordingInbox(clock)
        table = _TaskTable()
        running: list[EmbeddedTransport] = []

        async def start() -> Timers:
            if running:
                await running.pop().stop()
            transport = EmbeddedTransport(table, restart_grace=0.0)  # type: ignore[arg-type]
            await transport.start(inbox)
            running.append(transport)
            return transport

        timers = await start()
        try:
            yield TimersHarness(timers, clock, table.commit, inbox.timers, restart=start)
        finally:
            for transport in running:
                await transport.stop()


@needs_cassandra
class TestCassandraTimers(TimersContract):
    @pytest.fixture
    async def harness(self, cassandra_url: str) -> AsyncIterator[TimersHarness]:
        from goblins.server.distributed.cassandra import CassandraStore
        from goblins.server.distributed.timers import CassandraTimers

        clock = FakeClock()
        store = CassandraStore(cassandra_url)  # every run in bucket 0: this server owns it
        fired: list[TaskRecord] = []
        running: list[asyncio.Task[Any]] = []

        async def fire(timers: list[TaskRecord]) -> None:
            fired.extend(timers)

        async def start() -> Timers:
            """A server that takes the partition over: it scans the partition's rows at once."""
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            running.clear()
            timers = CassandraTimers(store, clock)
            timers.bind(lambda: {0}, fire)
            running.append(asyncio.create_task(timers.run()))
            timers.at(0, 0.0)
            return timers

        async def commit(t: TaskRecord) -> None:
            await store.commit(Batch(new_tasks=[t], now=clock.now))

        timers = await start()
        try:
            yield TimersHarness(timers, clock, commit, fired, restart=start)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            await store.close()
