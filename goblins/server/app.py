"""Assembles store, core and gRPC service into a running server."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Callable

import grpc

from goblins._proto import goblins_pb2_grpc as pb_grpc
from goblins.server.core import Core
from goblins.server.service import GoblinsService
from goblins.server.store import open_store
from goblins.server.transport import Transport

log = logging.getLogger("goblins.server")

GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    # Notice a vanished worker (kill -9, cable pulled) within seconds, not minutes.
    ("grpc.keepalive_time_ms", 5000),
    ("grpc.keepalive_timeout_ms", 5000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 1000),
    ("grpc.http2.max_pings_without_data", 0),
    # Without it grpcio (1.85) never times out an unanswered keepalive ping: a frozen worker
    # (SIGSTOP, a partitioned host) kept its session, and the tasks it held, indefinitely.
    ("grpc.http2.ping_timeout_ms", 5000),
]


class Server:
    """A goblins server; ``await start()`` then ``await stop()`` (or ``serve()`` until signalled)."""

    def __init__(
        self,
        store_url: str = "sqlite:///goblins.db",
        host: str = "127.0.0.1",
        port: int = 9075,
        broker_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store_url = store_url
        self.broker_url = broker_url
        self.clock = clock  # goblins.testing swaps it to skip time
        self.host = host
        self.port = port
        self.core: Core | None = None
        self._grpc: grpc.aio.Server | None = None

    async def start(self) -> None:
        distributed_store = self.store_url.startswith("cassandra://")
        if distributed_store != bool(self.broker_url):
            raise ValueError(
                "the distributed mode needs both --store cassandra://HOST:PORT/KEYSPACE and "
                "--broker kafka://HOST:PORT; the embedded mode takes neither --broker nor a cassandra store"
            )
        transport: Transport | None = None
        partitions = 1
        if self.broker_url:
            from goblins.server.kafka import KafkaTransport

            kafka = await asyncio.get_running_loop().run_in_executor(None, KafkaTransport.open, self.broker_url)
            transport, partitions = kafka, kafka.partitions
        store = await asyncio.get_running_loop().run_in_executor(None, open_store, self.store_url, partitions)
        self.core = Core(store, transport, self.clock)
        await self.core.start()
        self._grpc = grpc.aio.server(options=GRPC_OPTIONS)
        pb_grpc.add_GoblinsServicer_to_server(GoblinsService(self.core), self._grpc)  # type: ignore[no-untyped-call]
        bound = self._grpc.add_insecure_port(f"{self.host}:{self.port}")
        if not bound:
            raise OSError(f"cannot listen on {self.host}:{self.port}")
        self.port = bound
        advertised = os.environ.get("GOBLINS_ADVERTISE") or (
            f"{self.host if self.host not in ('0.0.0.0', '::') else socket.gethostname()}:{bound}"
        )
        self.core.address = advertised  # workers answer queries here
        await self._grpc.start()
        log.info(
            "goblins server listening on %s:%d, store %s, transport %s",
            self.host, self.port, self.store_url, self.broker_url or "embedded",
        )

    async def stop(self, grace: float = 1.0) -> None:
        if self._grpc is not None:
            await self._grpc.stop(grace)
        if self.core is not None:
            await self.core.stop()
            await self.core.store.close()

    async def wait(self) -> None:
        """Until SIGINT/SIGTERM, or until the event loop fails (then raise its error)."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        assert self.core is not None
        while not stop.is_set():
            if self.core.failed is not None:
                raise self.core.failed
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass


async def serve(
    store_url: str = "sqlite:///goblins.db", host: str = "127.0.0.1", port: int = 9075, broker_url: str | None = None
) -> None:
    server = Server(store_url, host, port, broker_url)
    await server.start()
    try:
        await server.wait()
    finally:
        await server.stop()
