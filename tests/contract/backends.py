"""The backends of the contract tests. SQLite and the embedded adapters always run; setting
GOBLINS_TEST_CASSANDRA=HOST:PORT (a fresh keyspace for this run, dropped at the end: a keyspace
left by an older schema must not decide the result), HOST:PORT/KEYSPACE or a full cassandra://
URL adds the Cassandra adapters, and GOBLINS_TEST_KAFKA=HOST:PORT the Kafka ones (topics and
groups under a fresh namespace, deleted at the end). A requested backend that cannot be imported
or reached fails its tests: it is never silently skipped."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from goblins.server.ports import Inbox

if TYPE_CHECKING:
    from goblins.server.distributed.kafka import KafkaTransport

CASSANDRA = os.environ.get("GOBLINS_TEST_CASSANDRA", "")
KAFKA = os.environ.get("GOBLINS_TEST_KAFKA", "")
OWN_KEYSPACE = f"goblins_contract_{uuid.uuid4().hex[:8]}"
if CASSANDRA and "://" not in CASSANDRA:
    CASSANDRA = f"cassandra://{CASSANDRA}" if "/" in CASSANDRA else f"cassandra://{CASSANDRA}/{OWN_KEYSPACE}"
KAFKA_NAMESPACE = f"contract-{uuid.uuid4().hex[:8]}"

needs_cassandra = pytest.mark.skipif(not CASSANDRA, reason="set GOBLINS_TEST_CASSANDRA=HOST:PORT to run it")
needs_kafka = pytest.mark.skipif(not KAFKA, reason="set GOBLINS_TEST_KAFKA=HOST:PORT to run it")


class _NoTimers:
    """What the Kafka transport asks of its timers, with none to fire (TimersContract covers them)."""

    def bind(self, owned: Any, fire: Any) -> None:
        pass

    async def run(self) -> None:
        await asyncio.Event().wait()

    def at(self, partition: int, due: float) -> None:
        pass

    def drop(self, partition: int) -> None:
        pass


class _NoActiveRuns:
    async def active_runs(self, bucket: int) -> list[str]:
        return []


async def started_kafka_transport(namespace: str, inbox: Inbox) -> KafkaTransport:
    """A Kafka transport of this run's namespace (two partitions), serving ``inbox``; no run is
    active before it and it fires no timers."""
    from goblins.server.distributed.kafka import KafkaTransport

    transport = KafkaTransport(KAFKA, 2, namespace)
    transport.attach(_NoActiveRuns(), _NoTimers())  # type: ignore[arg-type]
    await transport.start(inbox)
    return transport
