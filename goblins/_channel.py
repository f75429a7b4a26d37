"""gRPC channels to the server, shared by client and worker."""

from __future__ import annotations

import os
from typing import Any

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


def open_channel(address: str, *, token: str | None = None) -> grpc.aio.Channel:
    """A channel to ``address``; with ``token``, every call and stream on it carries
    ``authorization: Bearer <token>``."""
    interceptors: list[Any] | None = [kind(token) for kind in _BEARERS] if token else None
    return grpc.aio.insecure_channel(check_address(address), options=CHANNEL_OPTIONS, interceptors=interceptors)


def token_or_env(token: str | None, what: str) -> str | None:
    """``token`` if given (checked; ``""``: none, whatever the environment says), else
    $GOBLINS_TOKEN, else None: no token."""
    if token == "":
        return None
    if token is None:
        token = os.environ.get("GOBLINS_TOKEN") or None
        what = "GOBLINS_TOKEN"
    if token is not None and (not isinstance(token, str) or not token.isprintable() or not token.strip()):
        raise GoblinsError(f"{what}: a token is a non-empty line of printable characters")
    return token.strip() if token is not None else None


class _Bearer:
    """Adds the ``authorization`` metadata to a channel's calls (one subclass per call shape:
    grpc.aio files an interceptor under the first shape it implements only)."""

    def __init__(self, token: str) -> None:
        self._value = f"Bearer {token}"

    def _with_token(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        metadata["authorization"] = self._value
        return details._replace(metadata=metadata)  # type: ignore[attr-defined,no-any-return]


class _BearerUnaryUnary(_Bearer, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._with_token(details), request)


class _BearerUnaryStream(_Bearer, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._with_token(details), request)


class _BearerStreamUnary(_Bearer, grpc.aio.StreamUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._with_token(details), requests)


class _BearerStreamStream(_Bearer, grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._with_token(details), requests)


_BEARERS = (_BearerUnaryUnary, _BearerUnaryStream, _BearerStreamUnary, _BearerStreamStream)
