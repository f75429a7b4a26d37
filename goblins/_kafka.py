"""A small asyncio bridge over confluent-kafka, shared by the server and the workers.

Why these settings (every one is for "nothing acknowledged is lost"):
- Producer: ``enable.idempotence`` with ``acks=all`` (no duplicates or reordering on retry,
  and a message is acknowledged only once every in-sync replica has it); a produce counts as
  done only when its delivery report arrives.
- Consumer: ``enable.auto.offset.store=false``: an offset is stored only after the message's
  effects are durable (the store commit for the server, the report's delivery for a
  worker), then committed; a new group starts at ``earliest`` so nothing produced before the
  first consumer joined is skipped.
"""

from __future__ import annotations

import asyncio
import threading
import zlib
from collections.abc import Callable, Mapping
from typing import Any


def partition_for(run_id: str, partitions: int) -> int:
    """The events/tasks partition of a run: servers, workers and stores all agree on it."""
    return zlib.crc32(run_id.encode()) % partitions


def prefixed(namespace: str, name: str) -> str:
    """A topic or group name within a namespace (one Kafka cluster, several goblins clusters)."""
    return f"{namespace}.{name}" if namespace else name


def task_topic(prefix: str, kind: str, name: str, queue: str = "") -> str:
    """The topic of one workflow's or activity's tasks (``prefix`` is ``[namespace.]tasks.``).

    One topic per name, not one ``tasks`` topic: all workers still form one consumer group,
    but Kafka assigns a topic's partitions only to the members subscribed to it, so a task
    reaches only a worker that hosts its workflow or activity.
    """
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    if safe != name or len(safe) > 180:
        safe = f"{safe[:180]}-{zlib.crc32(name.encode()):08x}"
    # A task queue other than the default one: topics of their own (``tasks.activity-gpu.NAME``),
    # consumed only by the workers of that queue.
    return f"{prefix}{kind}-{queue}.{safe}" if queue else f"{prefix}{kind}.{safe}"


MESSAGE_BYTES = 32 * 1024 * 1024
"""The largest message goblins sends through Kafka (its default is 1 MB, less than one payload
may weigh: 2 MiB by default, and a workflow task's completion carries several). Set on the
producers and on every topic goblins creates (``max.message.bytes``)."""


def producer_config(bootstrap: str, security: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``security``: TLS/SASL client settings (see goblins._kafka_security)."""
    return {
        **(security or {}),
        "bootstrap.servers": bootstrap,
        "message.max.bytes": MESSAGE_BYTES,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 1,
        "compression.type": "lz4",
    }


def consumer_config(bootstrap: str, group: str, security: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``security``: TLS/SASL client settings (see goblins._kafka_security)."""
    return {
        **(security or {}),
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": True,
        "auto.commit.interval.ms": 200,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        # Notice a crashed member within seconds so its partitions move on quickly.
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "max.poll.interval.ms": 600000,
        # How long the broker holds a fetch that finds no data; measured here, it also delays
        # data that arrives meanwhile (100 ms made every hop of a run ~100 ms slower).
        "fetch.wait.max.ms": 10,
    }


class AsyncProducer:
    """Produce from asyncio; each send resolves when the broker has acknowledged it."""

    def __init__(self, bootstrap: str, security: Mapping[str, Any] | None = None) -> None:
        from confluent_kafka import Producer

        self._producer = Producer(producer_config(bootstrap, security))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="goblins-kafka-producer", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.05)

    def send(self, topic: str, partition: int, key: str, value: bytes) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()

        def settle(err: Any) -> None:
            if fut.done():
                return
            if err is not None:
                fut.set_exception(RuntimeError(f"kafka produce to {topic} failed: {err}"))
            else:
                fut.set_result(None)

        def delivered(err: Any, _msg: Any) -> None:
            loop.call_soon_threadsafe(settle, err)

        while True:
            try:
                self._producer.produce(topic, value, key.encode(), partition=partition, on_delivery=delivered)
                return fut
            except BufferError:  # local queue full: let the poll thread drain it
                self._producer.poll(0.01)

    def close(self) -> None:
        self._producer.flush(10)
        self._stop.set()
        self._thread.join(2)


class PendingOffsets:
    """Consumed positions to store, handed from any thread to the thread that polls.

    ``Consumer.store_offsets`` waits while another thread is inside ``poll`` (and can starve
    behind back-to-back polls): called on the event loop, it stalled the whole process for up
    to the poll's timeout, about 100 ms on each hop that no new message ended early (measured:
    every distributed run's result came ~100 ms after its last event). ``take`` stores them
    between polls instead, on the polling thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._positions: dict[tuple[str, int], int] = {}

    def put(self, topic: str, partition: int, position: int) -> None:
        """Store ``position`` (the next offset to read) of this partition at the next poll."""
        with self._lock:
            self._positions[(topic, partition)] = position

    def store(self, consumer: Any) -> None:
        """On the polling thread: store what was put since the last call."""
        from confluent_kafka import KafkaException, TopicPartition

        with self._lock:
            positions, self._positions = self._positions, {}
        if not positions:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in positions.items()]
        try:
            consumer.store_offsets(offsets=offsets)
        except KafkaException:  # some partition moved away: store the others one by one
            for tp in offsets:
                try:
                    consumer.store_offsets(offsets=[tp])
                except KafkaException:
                    pass  # its next owner reads the message again; handling is idempotent

    def close(self, consumer: Any) -> None:
        """On the polling thread: store what is pending, then close the consumer (which commits)."""
        self.store(consumer)
        consumer.close()


def take(consumer: Any, limit: int, timeout: float, offsets: PendingOffsets | None = None) -> list[Any]:
    """Up to ``limit`` messages: waits up to ``timeout`` for the first, not for the rest.
    Stores the ``offsets`` put since the last call first (this is the polling thread).

    ``Consumer.consume(n, timeout)`` waits the whole timeout unless n messages arrive, which
    would add that wait to every hop of a run.
    """
    if offsets is not None:
        offsets.store(consumer)
    first = consumer.poll(timeout)
    if first is None:
        return []
    return [first, *consumer.consume(limit - 1, 0)] if limit > 1 else [first]


def run_in_thread(fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
    return asyncio.get_running_loop().run_in_executor(None, fn, *args)
