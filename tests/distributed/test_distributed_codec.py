"""Payload encryption in the distributed mode (issue 11): with codecs on the client and the
workers, neither Cassandra's rows nor Kafka's messages hold a payload in clear, and the servers
never hold the key."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from distributed_support import DistributedCluster

import goblins
from goblins import codec
from tests.integration import codec_flows as f
from tests.integration.test_codec import run_every_payload_kind

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]

KEY = os.urandom(32)


def as_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return value.encode() if isinstance(value, str) else repr(value).encode()


def cassandra_bytes(dcluster: DistributedCluster) -> bytes:
    """Every column of every row of every table of the test's keyspace."""
    from cassandra.cluster import Cluster as CassandraCluster

    host, _, port = dcluster.cassandra.rpartition(":")
    cluster = CassandraCluster([host], port=int(port))
    try:
        session = cluster.connect(dcluster.namespace)
        tables = [
            r.table_name
            for r in session.execute(
                "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (dcluster.namespace,)
            )
        ]
        assert "events" in tables, tables
        chunks = [as_bytes(v) for t in tables for row in session.execute(f"SELECT * FROM {t}") for v in row]
    finally:
        cluster.shutdown()
    return b"\n".join(chunks)


def kafka_bytes(dcluster: DistributedCluster) -> bytes:
    """Every message (key and value) of every topic of the test's namespace, from the start."""
    from confluent_kafka import Consumer, TopicPartition  # type: ignore[attr-defined]

    consumer = Consumer(
        {"bootstrap.servers": dcluster.kafka, "group.id": f"{dcluster.namespace}-reader", "enable.auto.commit": False}
    )
    chunks: list[bytes] = []
    try:
        topics = consumer.list_topics(timeout=10).topics
        wanted: dict[tuple[str, int], int] = {}
        for name, meta in topics.items():
            if not name.startswith(f"{dcluster.namespace}."):
                continue
            for partition in meta.partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(name, partition), timeout=10)
                if high > low:
                    wanted[(name, partition)] = high
        assert wanted, "no Kafka message to read"
        consumer.assign([TopicPartition(t, p, 0) for t, p in wanted])
        seen: dict[tuple[str, int], int] = {}
        idle = 0
        while any(seen.get(tp, -1) + 1 < high for tp, high in wanted.items()) and idle < 20:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                idle += 1
                continue
            seen[(msg.topic(), msg.partition())] = msg.offset()
            chunks += [msg.key() or b"", msg.value() or b""]
    finally:
        consumer.close()
    return b"\n".join(chunks)


async def test_no_plaintext_in_cassandra_or_kafka(
    dcluster: DistributedCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    dcluster.start_server()  # before the key is in the environment: the server never has it
    monkeypatch.setenv(codec.ENV, f"k1:{base64.b64encode(KEY).decode()}")
    dcluster.start_worker("tests.integration.codec_flows")
    codecs = [goblins.AesGcmCodec({"k1": KEY})]
    async with await goblins.Client.connect(dcluster.address, timeout=10, codecs=codecs) as client:
        run_id, _ = await run_every_payload_kind(client)
    stored, carried = cassandra_bytes(dcluster), kafka_bytes(dcluster)
    assert run_id.encode() in stored and run_id.encode() in carried  # the reads found the run
    for where, data in (("Cassandra", stored), ("Kafka", carried)):
        found = [s for s in f.SECRETS if s.encode() in data]
        assert not found, f"plaintext in {where}: {found}"
