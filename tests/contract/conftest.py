"""Session fixtures of the contract tests: this run's Cassandra keyspace and Kafka namespace
(see backends.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract.backends import CASSANDRA, KAFKA, KAFKA_NAMESPACE, OWN_KEYSPACE


@pytest.fixture(scope="session")
def cassandra_url() -> Iterator[str]:
    """The keyspace of this run, with its tables; dropped at the end if this run made it."""
    from goblins.server.distributed.setup import setup_cassandra

    setup_cassandra(CASSANDRA)
    yield CASSANDRA
    if not CASSANDRA.endswith(f"/{OWN_KEYSPACE}"):
        return  # a keyspace the caller named is theirs
    from cassandra.cluster import Cluster

    host, _, port = CASSANDRA.removeprefix("cassandra://").partition("/")[0].rpartition(":")
    cluster = Cluster([host], port=int(port))
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {OWN_KEYSPACE}", timeout=60)
    finally:
        cluster.shutdown()


@pytest.fixture(scope="session")
def kafka_namespace() -> Iterator[str]:
    """This run's namespace, with its ``events`` topic; its topics are deleted at the end."""
    from confluent_kafka.admin import AdminClient

    from goblins.server.distributed.setup import setup_kafka

    setup_kafka(KAFKA, partitions=2, namespace=KAFKA_NAMESPACE)
    yield KAFKA_NAMESPACE
    admin = AdminClient({"bootstrap.servers": KAFKA})
    mine = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"{KAFKA_NAMESPACE}.")]
    for fut in admin.delete_topics(mine).values() if mine else []:
        try:
            fut.result()
        except Exception:
            pass  # best effort: the names are unique to this run
