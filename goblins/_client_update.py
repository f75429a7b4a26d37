"""The client's side of updates (``WorkflowHandle.execute_update`` / ``start_update``) and of
signal-with-start (part of goblins.client, kept apart for its size)."""

from __future__ import annotations

import asyncio
import datetime
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import grpc

from goblins import converter
from goblins._duration import optional_seconds
from goblins._envelope import PayloadCodec
from goblins._handler_defs import handler_name
from goblins._settle import _error_details
from goblins.api import v1 as pb
from goblins.errors import UpdateFailed, UpdateRejected

if TYPE_CHECKING:
    from goblins.client import Client

R = TypeVar("R")

_POLL = 30.0  # one long wait for the outcome; result() asks again (same update id) past it
_RETRY = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL)


class UpdateHandle(Generic[R]):
    """An update sent to a run: ``await result()`` for the handler's return value.

    ``id`` is the update id, chosen by the client: asking again with it (after a reconnect, a
    server restart) finds the recorded update and never runs its handler twice."""

    def __init__(
        self, client: Client, run_id: str | None, name: str, update_id: str, payload: bytes, workflow_id: str = ""
    ) -> None:
        self._client = client
        self.run_id = run_id or ""
        """The run the update is for; by workflow id, known once the server answered."""
        self.workflow_id = workflow_id
        self.name = name
        self.id = update_id
        self._payload = payload
        self._outcome: pb.UpdateWorkflowResponse | None = None

    async def _ask(self, wait: float, deadline: float | None, limit: float | None) -> pb.UpdateWorkflowResponse:
        from goblins._handle import _rpc_error

        while True:
            # By workflow id until the server names the run: later asks go to that run, not to a
            # newer one the id may have moved to meanwhile.
            request = pb.UpdateWorkflowRequest(
                run_id=self.run_id,
                workflow_id="" if self.run_id else self.workflow_id,
                update_id=self.id,
                name=self.name,
                input=self._payload,
                wait=wait,
            )
            try:
                resp: pb.UpdateWorkflowResponse = await self._client._stub.UpdateWorkflow(
                    request, wait_for_ready=True, timeout=wait + self._client.call_timeout
                )
                if resp.run_id:
                    self.run_id = resp.run_id
                return resp
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _RETRY:
                    raise _rpc_error(exc) from None
                # The server may be restarting: the same update id is asked again, run once.
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"update {self.name!r} of run {self.run_id} did not finish within {limit:g}s"
                    ) from None
                await asyncio.sleep(0.2)

    def _check(self, resp: pb.UpdateWorkflowResponse) -> None:
        if resp.rejected:
            raise UpdateRejected(self.run_id, self.name, resp.failure.type, resp.failure.message)
        if resp.completed:
            self._outcome = resp

    async def result(self, timeout: float | datetime.timedelta | None = None) -> R:
        """The handler's return value; raises :class:`goblins.UpdateFailed` with its error
        (:class:`goblins.UpdateRejected` if the validator refused the update), ``TimeoutError``
        if it has not finished within ``timeout`` (seconds; None: as long as it takes)."""
        limit = optional_seconds(timeout, "timeout")
        deadline = None if limit is None else time.monotonic() + limit
        while self._outcome is None:
            wait = _POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic()))
            self._check(await self._ask(wait, deadline, limit))
            if self._outcome is None and deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"update {self.name!r} of run {self.run_id} did not finish within {limit:g}s")
        resp = self._outcome
        if not resp.ok:
            f = resp.failure
            details = _error_details(f.details, self._client.codec)
            raise UpdateFailed(self.run_id, self.name, f.type, f.message, details)
        return converter.decode(resp.output, codec=self._client.codec)  # type: ignore[no-any-return]


def new_update(
    client: Client,
    run_id: str | None,
    name: object,
    args: tuple[Any, ...],
    update_id: str | None,
    workflow_id: str = "",
) -> UpdateHandle[Any]:
    name = handler_name(name, "update")
    if update_id is not None and (not isinstance(update_id, str) or not update_id):
        raise ValueError(f"update_id must be a non-empty str, got {update_id!r}")
    payload = converter.encode_args(args, f"update {name!r}", client.codec)
    return UpdateHandle(client, run_id, name, update_id or os.urandom(16).hex(), payload, workflow_id)


async def start_update(handle: UpdateHandle[R]) -> UpdateHandle[R]:
    """Send the update and return once it is accepted (or rejected: UpdateRejected)."""
    handle._check(await handle._ask(0.0, None, None))
    return handle


def signal_with_start(
    request: pb.StartWorkflowRequest, name: str, args: Sequence[Any], codec: PayloadCodec | None
) -> None:
    """Add the signal ``name(*args)`` to a start (``start_workflow(start_signal=...)``)."""
    from goblins._handle import _sized

    if not isinstance(name, str) or not name:
        raise ValueError(f"start_signal must be a non-empty str, got {name!r}")
    what = f"signal {name!r}"
    request.start_signal, request.start_signal_id = name, os.urandom(16).hex()
    request.start_signal_input = _sized(converter.encode_args(list(args), what, codec), what)
