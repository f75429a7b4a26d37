"""A handle on a workflow id or one run of it, and a listed run: what ``Client`` hands out."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple, overload

import grpc

from goblins import _search, _tracing, converter, wire
from goblins._client_reset import reset_run
from goblins._client_update import UpdateHandle, new_update
from goblins._client_update import start_update as start_update_
from goblins._duration import optional_seconds
from goblins._handler_defs import QueryAnswer, UpdateResult, handler_name
from goblins.api import v1 as pb
from goblins.describe import RunDescription, describe_run, pending_activity_names, waits_for_signals
from goblins.errors import (
    GoblinsError,
    PermissionDenied,
    Unauthenticated,
    WorkflowCancelled,
    WorkflowFailed,
    WorkflowNotFound,
    WorkflowTerminated,
    WorkflowTimedOut,
)
from goblins.events import Event
from goblins.history import SIGNALS_QUERY

if TYPE_CHECKING:
    from goblins.client import Client

T = TypeVar("T")
R = TypeVar("R")
Ts = TypeVarTuple("Ts")

_FAILURES: dict[str, type[WorkflowFailed]] = {
    "WorkflowCancelled": WorkflowCancelled,
    "WorkflowTerminated": WorkflowTerminated,
    "WorkflowTimedOut": WorkflowTimedOut,
}

_STARTED_GRACE = 15.0
_SIGNALS_TIMEOUT = 3.0  # describe's question to the worker about the signals the run awaits

# One long poll lasts at most this long; result() without a timeout polls again.
_POLL = 30.0


def _rpc_error(exc: grpc.aio.AioRpcError) -> GoblinsError:
    if exc.code() == grpc.StatusCode.NOT_FOUND:
        return WorkflowNotFound(exc.details() or "not found")
    if exc.code() == grpc.StatusCode.UNAVAILABLE:
        return GoblinsError(f"goblins server unavailable: {exc.details()}")
    if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
        return Unauthenticated(exc.details() or "unauthenticated")
    if exc.code() == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionDenied(exc.details() or "permission denied")
    if exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT):
        return GoblinsError(exc.details() or exc.code().name)
    return GoblinsError(f"{exc.code().name}: {exc.details()}")


# What one gRPC message may carry (goblins._channel), less room for the request's other fields: a
# bigger payload would fail as RESOURCE_EXHAUSTED. The server's own limit (2 MiB by default,
# configurable) is checked there.
_MAX_PAYLOAD = 64 * 1024 * 1024 - 64 * 1024


def _sized(payload: bytes, what: str) -> bytes:
    if len(payload) > _MAX_PAYLOAD:
        raise GoblinsError(f"{what}: input is too big: {len(payload)} bytes, at most {_MAX_PAYLOAD}")
    return payload


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """One run, as ``Client.list_workflows`` lists it."""

    run_id: str
    workflow_name: str
    status: str
    """One of ``goblins.history.STATUSES``: ``"RUNNING"``, ``"COMPLETED"``, ``"FAILED"``,
    ``"CANCELLED"`` (it ended by its cancellation; one that caught it and returned is
    COMPLETED), ``"TERMINATED"``, ``"TIMED_OUT"`` (its execution_timeout) or
    ``"CONTINUED_AS_NEW"`` (this run handed over to a next one)."""
    created_at: float
    """Seconds since the epoch, when the run was started."""
    finished_at: float | None
    """Seconds since the epoch, when the run ended (None while it runs)."""
    workflow_id: str = ""
    """The run's workflow id (the ``id=`` it was started with; else its chain's first run id)."""
    search_attributes: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Its search attributes now (a query's answer; empty in a list without ``query``)."""

    @classmethod
    def _from_proto(cls, run: pb.RunInfo) -> RunInfo:
        workflow_id = run.workflow_id or run.run_id.partition("~")[0]  # an older server: the default id
        attributes = _search.decode(run.search_attributes)
        return cls(
            run.run_id, run.workflow_name, run.status, run.created_at, run.finished_at or None, workflow_id, attributes
        )


class WorkflowHandle(Generic[T]):
    """A workflow id, or one run of it: wait for its result, signal, query, cancel it, read its
    history.

    A handle made with a run id (``get_workflow_handle(id, run_id=...)``) addresses that run
    alone. Any other handle (by id, or returned by ``start_workflow``) addresses the id's current
    run at each call: the newest run of a continue-as-new chain, or a later run started under
    the id; ``result()`` of a chain is its final run's.
    """

    def __init__(
        self,
        client: Client,
        run_id: str | None,
        result_type: Any = Any,
        started: bool = False,
        *,
        id: str | None = None,
        pinned: bool = False,
    ) -> None:
        self._client = client
        self.id: str = id or run_id or ""
        """The workflow id."""
        self.run_id: str | None = run_id
        """The run this handle knows: the one ``start_workflow`` started or ``get_workflow_handle``
        named; None for a handle by workflow id alone."""
        self._result_type = result_type
        self._started = started  # this client started the run: it exists even if not yet recorded
        self.started_update: UpdateHandle[Any] | None = None
        """The update sent with the start (``start_workflow(start_update=...)``), accepted."""
        self._trace_context: Mapping[str, str] = {}  # of its start span, when this client started it
        self._pinned = pinned and run_id is not None
        self._last_run_id = run_id or ""  # the run of the last history page read

    def _target(self) -> dict[str, str]:
        """The request fields naming what this handle addresses."""
        if self._pinned:
            return {"run_id": self.run_id or "", "workflow_id": self.id}
        return {"run_id": "", "workflow_id": self.id}

    def _name(self) -> str:
        return f"with id {self.run_id if self._pinned else self.id!r}"

    async def result(self, timeout: float | datetime.timedelta | None = None) -> T:
        """The run's return value, decoded to the workflow's return type when known.

        Raises :class:`WorkflowFailed` if the run finished in error, ``TimeoutError`` if it
        has not finished within ``timeout`` (seconds or a timedelta; ``None``: wait as long as
        it takes).
        """
        limit = optional_seconds(timeout, "timeout")
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            wait = _POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic()))
            try:
                request = pb.GetResultRequest(
                    run_id=self.run_id or "", workflow_id=self.id, wait=wait, started=self._started
                )
                resp = await self._client._rpc("result", request, wait + 10)
            except grpc.aio.AioRpcError as exc:
                if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    # The server may be restarting: keep waiting within the caller's timeout.
                    if deadline is not None and time.monotonic() >= deadline:
                        raise TimeoutError(
                            f"workflow run {self.run_id or self.id} did not finish within {limit:g}s"
                        ) from None
                    await asyncio.sleep(0.2)
                    continue
                raise _rpc_error(exc) from None
            if not resp.found:
                raise WorkflowNotFound(f"no workflow run {self._name()}")
            if resp.finished:
                if not resp.ok:
                    failure = _FAILURES.get(resp.error_type, WorkflowFailed)
                    raise failure(self.run_id or self.id, resp.error_type, resp.error)
                return converter.decode(resp.output, self._result_type, self._client.codec)  # type: ignore[no-any-return]
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"workflow run {self.run_id or self.id} did not finish within {limit:g}s")

    async def signal(self, name: str, *args: Any, timeout: float | datetime.timedelta | None = None) -> None:
        """Send the signal ``name`` with ``args`` to the run (``goblins.workflow.wait_for_signal`` gets it).

        Returns once the signal is durable. Raises WorkflowNotFound for an unknown run and
        GoblinsError for a finished one, or when the server does not answer within ``timeout``
        seconds (default: the client's ``call_timeout``); a signal sent again is recorded once.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"signal name must be a non-empty str, got {name!r}")
        payload = _sized(converter.encode_args(args, f"signal {name!r}", self._client.codec), f"signal {name!r}")
        signal_id = os.urandom(16).hex()  # the server records a resent or redelivered signal once
        request = pb.SignalWorkflow(name=name, input=payload, signal_id=signal_id, **self._target())
        traced = None
        if _tracing.live():
            attributes = {"goblins.run_id": self.run_id or self.id, "goblins.signal": name}
            traced = _tracing.client_span(f"SignalWorkflow:{name}", attributes, None, self._trace_context)
        with traced or contextlib.nullcontext():
            await self._client._call("Signal", request, timeout)

    # Typed by a Query / Update definition (docs/typing.md): its signature fixes the arguments'
    # types and count and the answer's type; a name is unchecked.
    @overload
    async def query(
        self, name: Callable[[*Ts], QueryAnswer[R]], *args: *Ts, timeout: float | datetime.timedelta | None = None
    ) -> R: ...
    @overload
    async def query(self, name: str, *args: Any, timeout: float | datetime.timedelta | None = None) -> Any: ...
    async def query(
        self,
        name: Callable[[*Ts], QueryAnswer[Any]] | str,
        *args: *Ts,
        timeout: float | datetime.timedelta | None = None,
    ) -> Any:
        """Call the run's query handler ``name`` (see ``goblins.workflow.set_query_handler``) and return
        its answer; nothing is recorded in the history. ``name``: a str or a
        ``goblins.workflow.Query``. ``timeout``: as for ``signal``."""
        name = handler_name(name, "query")
        payload = _sized(converter.encode_args(args, f"query {name!r}", self._client.codec), f"query {name!r}")
        request = pb.QueryRequest(name=name, input=payload, **self._target())
        answer = await self._client._call("Query", request, timeout)
        if not answer.ok:
            raise GoblinsError(f"query {name!r} of run {self.run_id or self.id} failed: {answer.error}")
        return converter.decode(answer.output, codec=self._client.codec)

    @overload
    async def execute_update(
        self,
        name: Callable[[*Ts], UpdateResult[R]],
        *args: *Ts,
        update_id: str | None = None,
        timeout: float | datetime.timedelta | None = None,
    ) -> R: ...
    @overload
    async def execute_update(
        self, name: str, *args: Any, update_id: str | None = None, timeout: float | datetime.timedelta | None = None
    ) -> Any: ...
    async def execute_update(
        self,
        name: Callable[[*Ts], UpdateResult[Any]] | str,
        *args: *Ts,
        update_id: str | None = None,
        timeout: float | datetime.timedelta | None = None,
    ) -> Any:
        """Run the run's update handler ``name`` (see ``goblins.workflow.set_update_handler``)
        with ``args`` and return its result. ``name``: a str or a ``goblins.workflow.Update``.
        Raises :class:`goblins.UpdateRejected` when its
        validator refuses it (nothing recorded), :class:`goblins.UpdateFailed` when the handler
        raises, ``TimeoutError`` past ``timeout``. ``update_id`` (default: random): an update
        sent again with the same id runs once and answers with the first one's outcome."""
        return await self._new_update(name, args, update_id).result(timeout)

    @overload
    async def start_update(
        self, name: Callable[[*Ts], UpdateResult[R]], *args: *Ts, update_id: str | None = None
    ) -> UpdateHandle[R]: ...
    @overload
    async def start_update(self, name: str, *args: Any, update_id: str | None = None) -> UpdateHandle[Any]: ...
    async def start_update(
        self, name: Callable[[*Ts], UpdateResult[Any]] | str, *args: *Ts, update_id: str | None = None
    ) -> UpdateHandle[Any]:
        """Send the update ``name`` and return once the run accepted it (:class:`UpdateRejected`
        if not): ``await handle.result()`` waits for the handler's result."""
        return await start_update_(self._new_update(name, args, update_id))

    def _new_update(self, name: object, args: tuple[Any, ...], update_id: str | None) -> UpdateHandle[Any]:
        run_id = self.run_id if self._pinned else None
        return new_update(self._client, run_id, name, args, update_id, workflow_id=self.id)

    async def cancel(self, reason: str = "", timeout: float | datetime.timedelta | None = None) -> None:
        """Ask the run to cancel: its code sees ``asyncio.CancelledError`` at its current await
        and may clean up; if it lets the error through, ``result()`` raises WorkflowCancelled.
        ``timeout``: as for ``signal``."""
        request = pb.CancelWorkflow(reason=reason, **self._target())  # type: ignore[arg-type]
        await self._client._call("Cancel", request, timeout)

    async def terminate(self, reason: str = "", timeout: float | datetime.timedelta | None = None) -> None:
        """End the run at once, running none of its code; ``result()`` raises WorkflowTerminated.
        ``timeout``: as for ``signal``."""
        request = pb.CancelWorkflow(terminate=True, reason=reason, **self._target())  # type: ignore[arg-type]
        await self._client._call("Cancel", request, timeout)

    async def reset(
        self,
        *,
        to_step: int | None = None,
        to_last_workflow_task: bool = False,
        reason: str = "",
        reapply_signals: bool = True,
        timeout: float | datetime.timedelta | None = None,
    ) -> WorkflowHandle[T]:
        """Reset the run (docs/reset.md): a new run under the same workflow id whose history is
        this run's through event ``to_step`` (a workflow-task boundary, as ``goblins workflow
        show`` numbers events) or, with ``to_last_workflow_task``, before its newest workflow
        task's decisions; then the workflow's code, as deployed now, carries on from there.
        The run, if still running, is terminated with a link to the new one; signals it got
        after the point are re-applied unless ``reapply_signals`` is False. Returns a handle
        pinned to the new run. Raises GoblinsError naming the valid points for a bad one, and
        when a concurrent reset or start of the id won. ``timeout``: as for ``signal``."""
        return await reset_run(self, to_step, to_last_workflow_task, reason, reapply_signals, timeout)

    async def describe(self, timeout: float | datetime.timedelta | None = None) -> RunDescription:
        """The run at a glance (:class:`goblins.RunDescription`): status, times, what it waits
        on (activities with their attempts and last failure, timers, children) and why it is
        not moving when that is known. Raises WorkflowNotFound for an unknown run.
        ``timeout``: as for ``signal``, per call."""
        events, run_id = await self._history_of_one_run(timeout)
        request = pb.DescribeWorkflowRequest(run_id=run_id, activities=pending_activity_names(events))
        try:
            live = await self._client._call("DescribeWorkflow", request, timeout)
        except GoblinsError as exc:
            if not str(exc).startswith("UNIMPLEMENTED"):
                raise
            live = pb.DescribeWorkflowResponse()  # an older server: the history alone
        facts = wire.live_facts(request, live, time.time())
        if waits_for_signals(events, facts):
            try:  # from the worker that holds the run: best effort (an older worker does not know it)
                pinned: WorkflowHandle[Any] = WorkflowHandle(self._client, run_id, id=self.id, pinned=True)
                signals = await pinned.query(SIGNALS_QUERY, timeout=_SIGNALS_TIMEOUT)
                facts = dataclasses.replace(facts, signals_waited_for=tuple(signals))
            except (GoblinsError, TypeError):
                pass
        return describe_run(events, facts)

    async def _history_of_one_run(self, timeout: float | datetime.timedelta | None) -> tuple[list[Event], str]:
        """The events of the run this handle addresses now, and its run id."""
        events, token = await self.history_page(timeout=timeout)
        run_id = self._last_run_id
        pinned: WorkflowHandle[Any] = WorkflowHandle(self._client, run_id, id=self.id, pinned=True)
        while token:
            more, token = await pinned.history_page(token, timeout=timeout)
            events.extend(more)
        return events, run_id

    async def history(self, timeout: float | datetime.timedelta | None = None) -> list[Event]:
        """The run's events, oldest first (read page by page: see :meth:`history_events`).
        ``timeout``: as for ``signal``, per page."""
        return [e async for e in self.history_events(timeout=timeout)]

    async def history_events(
        self, page_size: int = 0, timeout: float | datetime.timedelta | None = None
    ) -> AsyncIterator[Event]:
        """The run's events, oldest first, fetched a page at a time as the iteration goes: a
        history of many big results never travels in one message, nor sits whole in memory."""
        token = b""
        while True:
            events, token = await self.history_page(token, page_size, timeout=timeout)
            for e in events:
                yield e
            if not token:
                return

    async def history_page(
        self,
        page_token: bytes = b"",
        page_size: int = 0,
        *,
        after_seq: int = 0,
        timeout: float | datetime.timedelta | None = None,
    ) -> tuple[list[Event], bytes]:
        """One page of the run's events, oldest first, and the token of the next page (``b""``:
        this was the last). ``page_token``: from the previous page (``b""``: the first page);
        ``page_size``: events in a page (0: the server's default, 1,000; at most 10,000). A page
        also stops past 4 MiB of events. ``after_seq``: without a token, the first page starts
        after this event (to read what is new). Raises GoblinsError for a token that is not
        this run's. ``timeout``: as for ``signal``."""
        if not isinstance(page_size, int) or page_size < 0:
            raise ValueError(f"page_size must be an int >= 0 (0: the server's default), got {page_size!r}")
        target = self._target()
        if page_token:  # the token names its run: later pages stay on the first page's run
            target["run_id"] = ""
        request = pb.GetHistoryRequest(page_token=page_token, page_size=page_size, after_seq=after_seq, **target)
        # A run this handle started exists: in the distributed mode its owner may record it a
        # moment after the start returned, so "not found" is retried for a while.
        give_up = time.monotonic() + (_STARTED_GRACE if self._started else 0.0)
        while True:
            resp = await self._client._call("GetHistory", request, timeout)
            if resp.found or time.monotonic() >= give_up:
                break
            await asyncio.sleep(0.05)
        if not resp.found:
            raise WorkflowNotFound(f"no workflow run {self._name()}")
        self._last_run_id = resp.run_id or request.run_id  # an older server: the run asked for
        codec = self._client.codec
        return [wire.event_from_proto(e, codec) for e in resp.events], resp.next_page_token
