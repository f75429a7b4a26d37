"""The client's side of async activity completion (part of goblins.client, kept apart for its
size): ``Client.complete_activity``, ``fail_activity`` and ``heartbeat_activity``."""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import TYPE_CHECKING, Any

import grpc

from goblins import _task_token, converter
from goblins.api import v1 as pb
from goblins.errors import ActivityNotFound, ApplicationError, describe, stack_trace

if TYPE_CHECKING:
    from goblins.client import Client

_RETRY = (grpc.StatusCode.UNAVAILABLE,)


def _token(token: bytes | bytearray | str) -> bytes:
    """A token as bytes; text is taken as the URL-safe base64 the CLI prints and reads."""
    if isinstance(token, str):
        try:
            return _task_token.from_text(token)
        except _task_token.BadToken as exc:
            raise ActivityNotFound(f"no open activity attempt: {exc}") from None
    if not isinstance(token, bytes | bytearray):
        raise TypeError(f"a task token is bytes (goblins.activity.info().task_token), got {type(token).__name__}")
    return bytes(token)


async def complete(client: Client, token: bytes | str, result: Any, timeout: float | datetime.timedelta | None) -> None:
    output = converter.encode(result, "activity result", client.codec)
    await _send(client, pb.CompleteActivityRequest(task_token=_token(token), ok=True, output=output), timeout)


async def fail(
    client: Client,
    token: bytes | str,
    error: BaseException | str,
    non_retryable: bool,
    timeout: float | datetime.timedelta | None,
) -> None:
    exc = ApplicationError(error) if isinstance(error, str) else error
    request = pb.CompleteActivityRequest(task_token=_token(token))
    f = request.failure
    f.type, f.message = describe(exc)
    f.stack_trace = stack_trace(exc)
    f.non_retryable = non_retryable or bool(isinstance(exc, ApplicationError) and exc.non_retryable)
    if isinstance(exc, ApplicationError) and exc.details:
        f.details = converter.encode(list(exc.details), "ApplicationError details", client.codec)
    await _send(client, request, timeout)


async def heartbeat(
    client: Client, token: bytes | str, details: Any, timeout: float | datetime.timedelta | None
) -> None:
    request = pb.CompleteActivityRequest(task_token=_token(token), heartbeat=True)
    if details is not None:
        request.details = converter.encode(details, "heartbeat details", client.codec)
    await _send(client, request, timeout)


async def _send(
    client: Client, request: pb.CompleteActivityRequest, timeout: float | datetime.timedelta | None
) -> None:
    """One CompleteActivity call, retried while the server is unavailable (a restart) within
    ``timeout``: a resent outcome that the first call recorded is answered OK again."""
    from goblins._handle import _rpc_error

    limit = client._timeout(timeout)
    deadline = time.monotonic() + limit
    while True:
        try:
            await client._stub.CompleteActivity(
                request, wait_for_ready=True, timeout=max(deadline - time.monotonic(), 0.001)
            )
            return
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise ActivityNotFound(exc.details() or "no open activity attempt") from None
            if exc.code() not in _RETRY or time.monotonic() >= deadline:
                raise _rpc_error(exc) from None
            await asyncio.sleep(0.2)
