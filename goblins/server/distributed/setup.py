"""The distributed mode's Kafka topics and Cassandra tables, created idempotently.

Why these settings: ``replication.factor`` 3 with ``min.insync.replicas`` 2 on a real cluster
(one broker in tests: 1 and 1), so that an event acknowledged with ``acks=all`` survives the
loss of a broker; ``cleanup.policy=delete`` with a week of retention, since the store, not the
log, is the history of record.
"""

from __future__ import annotations

import time
from typing import Any

from goblins._kafka import MESSAGE_BYTES, prefixed
from goblins._kafka_security import ClientErrors, admin_client, list_topics, parse_kafka_url

EVENTS = "events"
TOPICS = (EVENTS,)
TOPIC_CONFIG = {"retention.ms": str(7 * 24 * 3600 * 1000), "max.message.bytes": str(MESSAGE_BYTES)}


def setup_kafka(
    bootstrap: str, partitions: int = 10, replication: int = 1, wait: float = 120.0, namespace: str = ""
) -> list[str]:
    """Create the ``events`` topic if missing; waits for the broker to answer.

    ``bootstrap``: ``HOST:PORT[,HOST:PORT]`` or a ``kafka://`` URL with TLS/SASL parameters
    (its namespace, if any, is used when ``namespace`` is empty). A refused login or a failed
    TLS handshake fails at once: waiting would not mend it.

    Task topics (``tasks.<kind>.<name>``) are created by the server when a worker registers
    a name, with as many partitions as ``events``.
    """
    target = parse_kafka_url(bootstrap, "--kafka")
    namespace = namespace or target.namespace
    errors = ClientErrors()
    admin = admin_client(target, errors)
    deadline = time.monotonic() + wait
    existing = set(list_topics(admin, target, errors, wait).topics)
    topics = [prefixed(namespace, t) for t in TOPICS]
    done = create_topics(admin, [t for t in topics if t not in existing], partitions, replication)
    done += [f"topic {t} exists" for t in topics if t in existing]
    # A created topic shows in the metadata a moment later: return once it does, so that a
    # server started right after this command finds it.
    while not set(topics) <= set(admin.list_topics(timeout=5).topics):
        if time.monotonic() > deadline:
            raise ValueError(f"Kafka at {target.describe()} did not list topics {topics} within {wait:g}s")
        time.sleep(0.2)
    return done


def create_topics(admin: Any, topics: list[str], partitions: int, replication: int = 1) -> list[str]:
    """Create ``topics`` (idempotent: one that exists already is fine)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]

    config = {"min.insync.replicas": str(min(2, replication)), **TOPIC_CONFIG}
    new = [NewTopic(t, num_partitions=partitions, replication_factor=replication, config=config) for t in topics]
    done = []
    for topic, fut in admin.create_topics(new).items() if new else []:
        try:
            fut.result()
            done.append(f"created topic {topic} ({partitions} partitions)")
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    return done


def setup_cassandra(url: str, replication: dict[str, Any] | None = None) -> list[str]:
    """Create the keyspace and tables if missing (idempotent); the statements it ran."""
    from goblins.server.distributed.cassandra import REPLICATION, SCHEMA, connect

    cluster, session, keyspace = connect(url)
    try:
        opts = ", ".join(
            f"'{k}': {v!r}" if isinstance(v, str) else f"'{k}': {v}" for k, v in (replication or REPLICATION).items()
        )
        done = [f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {{{opts}}}"]
        session.execute(done[0])
        session.set_keyspace(keyspace)
        for stmt in SCHEMA:
            session.execute(stmt, timeout=60)
            done.append(stmt.split("(")[0].strip())
        return done
    finally:
        cluster.shutdown()
