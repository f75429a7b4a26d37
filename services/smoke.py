#!/usr/bin/env python3
"""Smoke test of the Python clients against the servers of scripts/services.

    scripts/services up && python3 services/smoke.py [kafka|cassandra|all]

Kafka (confluent-kafka >= 2.13): create a topic, produce with idempotence and
acks=all, await the delivery report, consume it back with a fresh group,
commit, delete the topic. Cassandra (cassandra-driver >= 3.30): create a
keyspace and table, write, read back (plain and LWT), drop the keyspace.
Exits 0 on success. Endpoints from GOBLINS_TEST_KAFKA / GOBLINS_TEST_CASSANDRA
(default 127.0.0.1:19092 / 127.0.0.1:19042).
"""

import os
import sys
import time
import uuid

KAFKA = os.environ.get("GOBLINS_TEST_KAFKA", "127.0.0.1:19092")
CASSANDRA = os.environ.get("GOBLINS_TEST_CASSANDRA", "127.0.0.1:19042")


def check_kafka():
    import confluent_kafka
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    print("confluent-kafka %s (librdkafka %s) -> %s" % (
        confluent_kafka.__version__, confluent_kafka.libversion()[0], KAFKA))
    t0 = time.monotonic()
    topic = "goblins-smoke-" + uuid.uuid4().hex[:8]
    admin = AdminClient({"bootstrap.servers": KAFKA})
    md = admin.list_topics(timeout=10)
    print("  brokers: %s" % {b.id: "%s:%d" % (b.host, b.port) for b in md.brokers.values()})
    for _, fut in admin.create_topics(
            [NewTopic(topic, num_partitions=2, replication_factor=1)],
            operation_timeout=30).items():
        fut.result()
    print("  created topic %s" % topic)

    producer = Producer({"bootstrap.servers": KAFKA, "enable.idempotence": True,
                         "acks": "all", "linger.ms": 0})
    delivered = []

    def on_delivery(error, msg):
        if error is not None:
            raise RuntimeError("delivery failed: %s" % error)
        delivered.append((msg.partition(), msg.offset()))

    payloads = [("key-%d" % i, "value-%d" % i) for i in range(10)]
    for k, v in payloads:
        producer.produce(topic, key=k, value=v, on_delivery=on_delivery)
    if producer.flush(30) != 0 or len(delivered) != len(payloads):
        raise RuntimeError("not all messages delivered: %r" % delivered)
    print("  produced %d messages (delivery reports: %s)" % (len(delivered), delivered[:3]))

    consumer = Consumer({"bootstrap.servers": KAFKA, "group.id": topic + "-g",
                         "auto.offset.reset": "earliest",
                         "enable.auto.commit": False,
                         "enable.auto.offset.store": False})
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < len(payloads) and time.monotonic() < deadline:
        for msg in consumer.consume(num_messages=100, timeout=1.0):
            if msg.error():
                raise RuntimeError("consume error: %s" % msg.error())
            got.append((msg.key().decode(), msg.value().decode()))
            consumer.store_offsets(msg)
    consumer.commit(asynchronous=False)
    consumer.close()
    if sorted(got) != sorted(payloads):
        raise RuntimeError("consumed %r, expected %r" % (got, payloads))
    print("  consumed all %d messages, committed offsets" % len(got))

    for _, fut in admin.delete_topics([topic], operation_timeout=30).items():
        fut.result()
    print("  deleted topic; kafka OK in %.1f s" % (time.monotonic() - t0))


def check_cassandra():
    import cassandra
    from cassandra.cluster import Cluster

    host, port = CASSANDRA.rsplit(":", 1)
    t0 = time.monotonic()
    cluster = Cluster([host], port=int(port))
    session = cluster.connect()
    print("cassandra-driver %s (%s, protocol v%d) -> %s" % (
        cassandra.__version__, cluster.connection_class.__name__,
        cluster.protocol_version, CASSANDRA))
    row = session.execute("SELECT release_version FROM system.local").one()
    print("  server release_version %s" % row.release_version)
    ks = "goblins_smoke_" + uuid.uuid4().hex[:8]
    session.execute(
        "CREATE KEYSPACE %s WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
    session.execute("CREATE TABLE %s.kv (k text, seq int, v text, "
                    "PRIMARY KEY (k, seq))" % ks)
    print("  created %s.kv in %.1f s" % (ks, time.monotonic() - t0))
    insert = session.prepare("INSERT INTO %s.kv (k, seq, v) VALUES (?, ?, ?)" % ks)
    for i in range(10):
        session.execute(insert, ("wf-1", i, "event-%d" % i))
    rows = list(session.execute("SELECT seq, v FROM %s.kv WHERE k = %%s" % ks, ("wf-1",)))
    if [(r.seq, r.v) for r in rows] != [(i, "event-%d" % i) for i in range(10)]:
        raise RuntimeError("read back %r" % rows)
    lwt = session.execute("INSERT INTO %s.kv (k, seq, v) VALUES ('wf-1', 0, 'dup') "
                          "IF NOT EXISTS" % ks).one()
    if lwt.applied:
        raise RuntimeError("conditional insert over an existing row was applied")
    futures = [session.execute_async(insert, ("wf-2", i, "x")) for i in range(20)]
    for f in futures:
        f.result()
    count = session.execute("SELECT count(*) FROM %s.kv WHERE k = 'wf-2'" % ks).one()[0]
    if count != 20:
        raise RuntimeError("async writes: count %d" % count)
    print("  wrote/read 30 rows (sync, async, LWT) OK")
    session.execute("DROP KEYSPACE %s" % ks)
    cluster.shutdown()
    print("  dropped keyspace; cassandra OK in %.1f s" % (time.monotonic() - t0))


def main(argv):
    which = argv[0] if argv else "all"
    print("python %s" % sys.version.split()[0])
    if which in ("kafka", "all"):
        check_kafka()
    if which in ("cassandra", "all"):
        check_cassandra()
    print("smoke OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
