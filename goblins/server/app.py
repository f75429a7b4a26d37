"""Opens a mode and assembles it with the event loop, the application and gRPC into a server.

``open_mode`` is the only place that knows which deployment modes exist.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import grpc

from goblins.server.auth import AuthInterceptor, Authorizer
from goblins.server.checks import HISTORY_MAX_BYTES, HISTORY_WARN_BYTES, MAX_PAYLOAD
from goblins.server.grpc import GoblinsService, add_service
from goblins.server.loop import EventLoop
from goblins.server.ports import EventStore, Mode
from goblins.server.recent import RECENT_BYTES
from goblins.server.runs import Runs
from goblins.server.scheduler import POLL as SCHEDULE_POLL
from goblins.server.scheduler import attach as attach_scheduler
from goblins.server.tls import ServerTLS

if TYPE_CHECKING:
    from goblins.server.metrics import ServerMetrics

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
    # The port is this server's alone: with SO_REUSEPORT (grpc's default) a second server on
    # the same port starts silently and the kernel splits the connections between the two.
    ("grpc.so_reuseport", 0),
]


def check_port_free(host: str, port: int) -> None:
    """An OSError of one line if ``host:port`` is in use (before grpc logs its own error)."""
    if not port:
        return
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc}") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as grpc does: TIME_WAIT is no owner
            try:
                probe.bind(address)
            except OSError as exc:
                raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _redact(url: str) -> str:
    from goblins._kafka_security import redact

    return redact(url)


def open_store(url: str, partitions: int = 1) -> EventStore:
    """The event store named by ``url``: ``sqlite:///path/goblins.db`` (or a bare path),
    ``cassandra://HOST:PORT[,HOST:PORT]/KEYSPACE`` (its runs spread over ``partitions``)."""
    scheme = urlparse(url).scheme or "sqlite"
    if scheme == "cassandra":
        from goblins._kafka import partition_for
        from goblins.server.distributed.cassandra import CassandraStore

        return CassandraStore(url, partitions, lambda run_id: partition_for(run_id, partitions))
    if scheme == "sqlite":
        from goblins.server.embedded.sqlite import SqliteStore

        path = url.split("://", 1)[1] if "://" in url else url
        path = path[1:] if path.startswith("/") and "://" in url else path
        return SqliteStore(path)
    from goblins._kafka_security import redact

    raise ValueError(
        f"--store: unknown event store URL {redact(url)!r}: expected sqlite:///PATH or cassandra://HOST:PORT/KEYSPACE"
    )


def open_mode(
    store_url: str,
    broker_url: str | None = None,
    clock: Callable[[], float] = time.time,
    restart_grace: float | None = None,
) -> Mode:
    """The adapters named by the URLs (blocking: call it from a thread). ``restart_grace``
    (embedded mode): how long tasks found in the store at start wait for their workers to
    reconnect and claim them (default 2 s; 0 when no worker can be in another process).

    ``sqlite:///path/goblins.db`` (or a bare path) without a broker: the embedded mode;
    ``cassandra://HOST:PORT[,HOST:PORT]/KEYSPACE`` with ``kafka://HOST:PORT[/NAMESPACE]``: the
    distributed mode.
    """
    distributed = (urlparse(store_url).scheme or "sqlite") == "cassandra"
    if distributed != bool(broker_url):
        raise ValueError(
            "the distributed mode needs both --store cassandra://HOST:PORT/KEYSPACE and "
            "--broker kafka://HOST:PORT; the embedded mode takes neither --broker nor a cassandra store"
        )
    if broker_url:
        from goblins._kafka_security import redact
        from goblins.server.distributed.cassandra import CassandraStore
        from goblins.server.distributed.kafka import KafkaRouter, KafkaTransport
        from goblins.server.distributed.timers import CassandraTimers

        kafka = KafkaTransport.open(broker_url)
        store = open_store(store_url, kafka.partitions)
        assert isinstance(store, CassandraStore)
        timers = CassandraTimers(store, clock)
        kafka.attach(store, timers)
        return Mode(store, store, kafka, timers, KafkaRouter(kafka), f"kafka {redact(broker_url)}")
    from goblins.server.embedded.dispatcher import EmbeddedTransport, LocalRouter
    from goblins.server.embedded.sqlite import SqliteStore

    sqlite = open_store(store_url)
    assert isinstance(sqlite, SqliteStore)
    embedded = EmbeddedTransport(sqlite) if restart_grace is None else EmbeddedTransport(sqlite, restart_grace)
    return Mode(sqlite, sqlite, embedded, embedded, LocalRouter(), "embedded")


class Server:
    """A goblins server; ``await start()`` then ``await stop()`` (or ``serve()`` until signalled)."""

    def __init__(
        self,
        store_url: str = "sqlite:///goblins.db",
        host: str = "127.0.0.1",
        port: int | None = 9075,
        broker_url: str | None = None,
        clock: Callable[[], float] = time.time,
        restart_grace: float | None = None,
        max_payload_bytes: int = MAX_PAYLOAD,
        results_cache_bytes: int = RECENT_BYTES,
        warn_history_bytes: int = HISTORY_WARN_BYTES,
        max_history_bytes: int = HISTORY_MAX_BYTES,
        *,
        authorizer: Authorizer | None = None,
        metrics_port: int | None = None,
        metrics_host: str | None = None,
        tls: ServerTLS | None = None,
    ) -> None:
        """``port=None``: no gRPC listener (the in-process mode, goblins.local, calls ``runs``);
        0: any free port (``self.port`` says which, once started). ``restart_grace``: see
        ``open_mode``. ``max_payload_bytes``: the most one payload (an input, a signal's or a
        query's arguments, an activity's result or heartbeat details, a workflow's result) may
        weigh; a client call over it is refused, an activity attempt over it fails, a workflow
        task whose command is over it fails. ``results_cache_bytes``: the most the finishing
        events kept in memory for GetResult may weigh together (the store answers for the rest).
        ``warn_history_bytes``: past this size a run's history is logged (once);
        ``max_history_bytes``: past this size a workflow task may only end the run (complete, fail
        or continue as new), else it fails with the reason. ``authorizer``: who may call what
        (``goblins.server.auth``, e.g. ``StaticTokens.load(path)``); None: every call is allowed.
        ``metrics_port``: serve Prometheus metrics at ``http://metrics_host:metrics_port/metrics``
        (host default 127.0.0.1; port 0: any free one, ``self.metrics.port`` says which);
        docs/metrics.md lists them. ``tls``: serve TLS (mutual TLS when it names a
        client CA) instead of plaintext."""
        for name, value in (
            ("max_payload_bytes", max_payload_bytes),
            ("warn_history_bytes", warn_history_bytes),
            ("max_history_bytes", max_history_bytes),
        ):
            if value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")
        if results_cache_bytes < 0:
            raise ValueError(f"results_cache_bytes must be >= 0, got {results_cache_bytes}")
        self.max_payload_bytes = max_payload_bytes
        self.results_cache_bytes = results_cache_bytes
        self.warn_history_bytes = warn_history_bytes
        self.max_history_bytes = max_history_bytes
        self.store_url = store_url
        self.broker_url = broker_url
        self.clock = clock  # goblins.testing swaps it to skip time
        self.restart_grace = restart_grace
        self.host = host
        self.port = port
        self.tls = tls
        self.mode: Mode | None = None
        self.loop: EventLoop | None = None
        self.runs: Runs | None = None
        self._grpc: grpc.aio.Server | None = None
        self.authorizer = authorizer

        self.metrics_port, self.metrics_host = metrics_port, metrics_host
        self.metrics: ServerMetrics | None = None
        self.schedule_poll = SCHEDULE_POLL  # seconds between the scheduler's looks (tests shorten it)

    async def start(self) -> None:
        if self.port is not None:  # before opening the store: a taken port is the likelier mistake
            check_port_free(self.host, self.port)
        self.mode = await asyncio.get_running_loop().run_in_executor(
            None, open_mode, self.store_url, self.broker_url, self.clock, self.restart_grace
        )
        self.loop = EventLoop(self.mode, self.clock, results_cache_bytes=self.results_cache_bytes)
        self.loop.max_payload = self.max_payload_bytes
        self.loop.warn_history_bytes = self.warn_history_bytes
        self.loop.max_history_bytes = self.max_history_bytes
        await self.loop.start()
        if self.metrics_port is not None:
            from goblins.server.metrics import attach as attach_metrics  # prometheus_client: only when asked

            self.metrics = attach_metrics(self.loop, self.metrics_port, self.metrics_host)
        self.runs = Runs(self.mode, self.loop)
        self.runs.max_payload = self.max_payload_bytes
        self.runs.schedules = attach_scheduler(self.runs, self.mode.index, self.clock, self.schedule_poll)
        if self.port is None:
            log.info("goblins server in process, store %s, transport %s", self.store_url, self.mode.description)
            return
        interceptors = [AuthInterceptor(self.authorizer)] if self.authorizer is not None else None
        self._grpc = grpc.aio.server(options=GRPC_OPTIONS, interceptors=interceptors)
        self.service = GoblinsService(self.runs)  # its counters (refused reports) for tests and operators
        add_service(self._grpc, self.service)
        try:
            target = f"{self.host}:{self.port}"
            if self.tls is None:
                bound = self._grpc.add_insecure_port(target)
            else:
                bound = self._grpc.add_secure_port(target, self.tls.credentials())
        except RuntimeError:  # taken since check_port_free
            bound = 0
        if not bound:
            await self.stop(grace=0)
            raise OSError(f"cannot listen on {self.host}:{self.port}: address already in use")
        self.port = bound
        advertised = os.environ.get("GOBLINS_ADVERTISE") or (
            f"{self.host if self.host not in ('0.0.0.0', '::') else socket.gethostname()}:{bound}"
        )
        self.runs.address = advertised  # workers answer queries here
        await self._grpc.start()
        log.info(
            "goblins server listening on %s:%d%s, store %s, transport %s",
            self.host,
            self.port,
            "" if self.tls is None else " (mutual TLS)" if self.tls.mutual else " (TLS)",
            _redact(self.store_url),
            self.mode.description,
        )
        if self.authorizer is not None:
            log.info(
                "calls are authenticated by %s", getattr(self.authorizer, "source", type(self.authorizer).__name__)
            )

    async def stop(self, grace: float = 1.0) -> None:
        if self._grpc is not None:
            await self._grpc.stop(grace)
        if self.runs is not None and self.runs.schedules is not None:
            await self.runs.schedules.stop()
        if self.loop is not None:
            await self.loop.stop()
        if self.metrics is not None:
            self.metrics.close()
        if self.mode is not None:
            await self.mode.close()

    async def wait(self) -> None:
        """Until SIGINT/SIGTERM, or until the event loop fails (then raise its error)."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        assert self.loop is not None
        while not stop.is_set():
            if self.loop.failed is not None:
                raise self.loop.failed
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass


async def serve(
    store_url: str = "sqlite:///goblins.db",
    host: str = "127.0.0.1",
    port: int = 9075,
    broker_url: str | None = None,
    max_payload_bytes: int = MAX_PAYLOAD,
    results_cache_bytes: int = RECENT_BYTES,
    warn_history_bytes: int = HISTORY_WARN_BYTES,
    max_history_bytes: int = HISTORY_MAX_BYTES,
    *,
    authorizer: Authorizer | None = None,
    metrics_port: int | None = None,
    metrics_host: str | None = None,
    tls: ServerTLS | None = None,
) -> None:
    server = Server(
        store_url,
        host,
        port,
        broker_url,
        max_payload_bytes=max_payload_bytes,
        results_cache_bytes=results_cache_bytes,
        warn_history_bytes=warn_history_bytes,
        max_history_bytes=max_history_bytes,
        authorizer=authorizer,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        tls=tls,
    )
    await server.start()
    try:
        await server.wait()
    finally:
        await server.stop()
