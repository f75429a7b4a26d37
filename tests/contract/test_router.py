"""goblins.testing_contract's RouterContract against the local router (always) and the Kafka
router (when GOBLINS_TEST_KAFKA is set: see backends.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from goblins.api import v1 as pb
from goblins.server.embedded.dispatcher import LocalRouter
from goblins.testing_contract import FakeClock, RecordingInbox, RouterContract, RouterHarness
from tests.contract.backends import needs_kafka, started_kafka_transport


class _NoStoredRuns:
    """The store, as a router reads it: no run was stored before this test."""

    async def last_event(self, run_id: str) -> pb.Event | None:
        return None


class TestLocalRouter(RouterContract):
    @pytest.fixture
    async def harness(self) -> AsyncIterator[RouterHarness]:
        inbox = RecordingInbox(FakeClock())
        router = LocalRouter()
        router.bind(inbox, _NoStoredRuns())  # type: ignore[arg-type]
        yield RouterHarness(router, inbox, wait=2.0)


@needs_kafka
class TestKafkaRouter(RouterContract):
    brokered = True

    @pytest.fixture
    async def harness(self, kafka_namespace: str) -> AsyncIterator[RouterHarness]:
        from goblins.server.distributed.kafka import KafkaRouter

        inbox = RecordingInbox(FakeClock())
        transport = await started_kafka_transport(kafka_namespace, inbox)
        router = KafkaRouter(transport)
        router.bind(inbox, _NoStoredRuns())  # type: ignore[arg-type]
        try:
            yield RouterHarness(router, inbox, wait=20.0)
        finally:
            await transport.stop()
