"""gRPC channels to the server, shared by client and worker."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import grpc

from goblins._tls import TLSConfig, closed_by_server, handshake_failure
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


def open_channel(address: str, *, tls: TLSConfig | None = None, token: str | None = None) -> grpc.aio.Channel:
    """A channel to ``address``: over TLS when ``tls`` is given, else plaintext (callers resolve
    the environment's default with ``goblins._tls.resolve``); with ``token``, every call and
    stream on it carries ``authorization: Bearer <token>``."""
    interceptors: list[Any] | None = [kind(token) for kind in _BEARERS] if token else None
    if tls is None:
        return grpc.aio.insecure_channel(check_address(address), options=CHANNEL_OPTIONS, interceptors=interceptors)
    options = CHANNEL_OPTIONS + tls.channel_options()
    return grpc.aio.secure_channel(
        check_address(address), tls.credentials(), options=options, interceptors=interceptors
    )


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


# A server that refuses the client's certificate (or its lack of one, or a plaintext client)
# closes the connection: the client sees it closed (closed_by_server), not a handshake error. A server that
# restarts does it once; one that does it this long (several reconnections) refuses this client.
_CLOSED_PATIENCE = 1.5
_POLL = 0.2  # grpc stays in TRANSIENT_FAILURE while it retries: look at each new error this often


async def wait_ready(channel: grpc.aio.Channel, address: str, tls: TLSConfig | None, limit: float) -> None:
    """Until ``channel`` is connected; a GoblinsError of one line when no server answers within
    ``limit`` seconds, or at once when the TLS handshake fails (grpc would retry it until the
    deadline and then only say that nothing answered)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    closed_since: float | None = None
    state = channel.get_state(try_to_connect=True)
    while state != grpc.ChannelConnectivity.READY:
        if state == grpc.ChannelConnectivity.TRANSIENT_FAILURE:
            details = await _last_error(channel)
            reason = handshake_failure(details)
            if not closed_by_server(details):
                closed_since = None
            elif closed_since is None:
                closed_since = loop.time()
            elif loop.time() - closed_since >= _CLOSED_PATIENCE:
                reason = reason or refusal(tls)
            if reason is not None:
                raise GoblinsError(f"cannot connect to the goblins server at {address}: {reason}")
        remaining = deadline - loop.time()
        if remaining <= 0:
            hint = f" ({refusal(tls)})" if closed_since is not None else ""
            raise GoblinsError(f"no goblins server answered at {address} within {limit:g}s{hint}")
        try:
            await asyncio.wait_for(channel.wait_for_state_change(state), min(remaining, _POLL))
        except TimeoutError:
            pass
        state = channel.get_state(try_to_connect=True)


async def _last_error(channel: grpc.aio.Channel) -> str:
    """Why the channel's last connection attempt failed: what a call that does not wait says."""
    try:
        # An empty ClusterInfoRequest is empty bytes: no need for the generated messages here.
        call = channel.unary_unary("/goblins.api.v1.Goblins/GetClusterInfo")
        await call(b"", timeout=1.0, wait_for_ready=False)
    except grpc.aio.AioRpcError as exc:
        return exc.details() or ""
    return ""


def refusal(tls: TLSConfig | None) -> str:
    """What a server that closes every connection of this client most likely wants."""
    if tls is None:
        return "the server closed every connection: it may require TLS (--tls-ca FILE or GOBLINS_TLS_CA)"
    if tls.cert is None:
        return (
            "the server closed every connection: it may require a client certificate "
            "(--tls-cert/--tls-key, GOBLINS_TLS_CERT/GOBLINS_TLS_KEY or TLSConfig(cert=, key=))"
        )
    return (
        "the server closed every connection: it may not trust this client's certificate "
        "(not signed by the server's --tls-client-ca)"
    )


class Refusals:
    """For a process that keeps reconnecting (a worker): which failed connections to warn about,
    once per reason: a failed TLS handshake, or a server that closed the connection several
    times in a row (it refuses this client; see ``wait_ready``)."""

    CLOSED_IN_A_ROW = 3

    def __init__(self, tls: TLSConfig | None) -> None:
        self._tls = tls
        self._closed = 0
        self._said: str | None = None

    def see(self, details: str) -> str | None:
        """The reason to warn about for a failed call's ``details``, or ``None`` (not a
        refusal, or already said)."""
        reason = handshake_failure(details)
        self._closed = self._closed + 1 if closed_by_server(details) else 0
        if reason is None and self._closed >= self.CLOSED_IN_A_ROW:
            reason = refusal(self._tls)
        if reason == self._said:
            return None
        self._said = reason
        return reason

    def connected(self) -> None:
        self._closed = 0
        self._said = None
