"""gRPC channels to the server, shared by client and worker."""

from __future__ import annotations

import grpc

from goblins.errors import GoblinsError

CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    # Notice a dead server within seconds and reconnect quickly after it restarts.
    ("grpc.keepalive_time_ms", 5000),
    ("grpc.keepalive_timeout_ms", 5000),
    ("grpc.keepalive_permit_without_calls", 1),
    # grpcio needs this too for keepalive_timeout to fire on a frozen or cut-off server.
    ("grpc.http2.ping_timeout_ms", 5000),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.min_reconnect_backoff_ms", 100),
]


def check_address(address: str) -> str:
    """``address`` if it looks like HOST:PORT, else a clear error."""
    host, sep, port = address.rpartition(":")
    if not isinstance(address, str) or not sep or not host or not port.isdigit():
        raise GoblinsError(f"server address must be HOST:PORT (e.g. localhost:9075), got {address!r}")
    return address


def open_channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(check_address(address), options=CHANNEL_OPTIONS)
