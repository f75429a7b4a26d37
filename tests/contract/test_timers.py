"""goblins.testing_contract's TimersContract against the embedded dispatcher. (CassandraTimers
needs a harness that owns its driver's threads cleanly: not written yet.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from goblins.server.effects import TaskRecord
from goblins.server.embedded.dispatcher import EmbeddedTransport
from goblins.testing_contract import FakeClock, TimersContract, TimersHarness


class _Inbox:
    """The loop, as the embedded transport calls it: only fired timers matter here."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.fired: list[TaskRecord] = []

    def timer_due(self, t: TaskRecord) -> None:
        self.fired.append(t)

    def deliver(self, t: TaskRecord) -> None:
        pass

    def activity_timed_out(self, t: TaskRecord, heartbeat: bool = False) -> None:
        pass

    def build_workflow_task(self, t: TaskRecord, seen: int, into: object = None) -> object:
        raise AssertionError("no workflow task here")


class _NoTasks:
    async def pending_tasks(self) -> list[TaskRecord]:
        return []


async def _stored_with_the_batch(t: TaskRecord) -> None:
    pass  # the SQLite store writes it; the dispatcher needs nothing more


class TestEmbeddedTimers(TimersContract):
    @pytest.fixture
    async def harness(self) -> AsyncIterator[TimersHarness]:
        clock = FakeClock()
        inbox = _Inbox(clock)
        transport = EmbeddedTransport(_NoTasks())  # type: ignore[arg-type]
        await transport.start(inbox)  # type: ignore[arg-type]
        try:
            yield TimersHarness(transport, clock, _stored_with_the_batch, inbox.fired)
        finally:
            await transport.stop()
