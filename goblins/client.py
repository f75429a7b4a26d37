"""The client: start workflows, wait for their results, read their histories."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, TypeVarTuple, Unpack, overload

import grpc

from goblins import _client_activity, _tracing, converter
from goblins._batching import MessageOutbox
from goblins._channel import open_channel, token_or_env, wait_ready
from goblins._client_queues import TaskQueueInfo, config_request, list_task_queues, set_task_queue
from goblins._client_search import check_type, start_fields
from goblins._client_update import new_update, signal_with_start
from goblins._client_update import start_update as start_update_
from goblins._definitions import name_of, workflow_definition
from goblins._duration import optional_seconds, seconds
from goblins._envelope import PayloadCodec
from goblins._handle import RunInfo as RunInfo
from goblins._handle import WorkflowHandle as WorkflowHandle
from goblins._handle import _rpc_error, _sized
from goblins._handler_defs import Update
from goblins._options import StartWorkflowOptions as StartWorkflowOptions
from goblins._options import WorkflowOptions as WorkflowOptions
from goblins._query import parse as parse_query
from goblins._queues import check_priority, check_queue
from goblins._schedules import ScheduleDescription, ScheduleHandle, ScheduleOverlap, build_spec, list_schedules
from goblins._tls import TLSConfig, resolve
from goblins._workflow_ids import IdConflictPolicy, IdReusePolicy, conflict_policy, reuse_policy
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.codec import chain
from goblins.errors import (
    GoblinsError,
    WorkflowAlreadyStarted,
)
from goblins.listing import RunPage, WorkerInfo, WorkerList, epoch, token_bytes, token_text

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

# Every call but a wait for a result gives up after this long (``Client.connect(call_timeout=)``,
# or a call's own ``timeout=``): a server that does not answer (hung, or its store failing
# without saying so) is an error, not a hang. Meanwhile a call waits for a server that is
# (re)starting, instead of failing while the channel reconnects.
CALL_TIMEOUT = 30.0


def _no_answer(what: str, timeout: float) -> GoblinsError:
    return GoblinsError(f"goblins server unavailable: no answer to {what} within {timeout:g}s")


def _error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)


_CODES = {c.value[0]: c for c in grpc.StatusCode}
# A session stream that ends with these did not break: retrying on a new one would end the same.
_FINAL = (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


class _Session:
    """StartWorkflow and GetResult over one ClientSession stream, batched both ways.

    ``call`` answers like the unary RPC would (the response, or the AioRpcError it would
    raise); when the stream breaks, every request on it fails with the stream's error.
    """

    def __init__(self, stub: pb_grpc.GoblinsStub) -> None:
        self._pending: dict[int, asyncio.Future[pb.ClientReply]] = {}
        self._ids = itertools.count(1)
        self._out = MessageOutbox(pb.ClientRequests)
        self.closed = False
        self._call = stub.ClientSession(self._requests())
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def call(self, kind: str, request: Any, timeout: float | None = None) -> Any:
        if self.closed:
            raise _error(grpc.StatusCode.UNAVAILABLE, "client session closed")
        request_id = next(self._ids)
        fut: asyncio.Future[pb.ClientReply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = fut
        out = self._out.message().requests.add()
        out.id = request_id
        getattr(out, kind).CopyFrom(request)
        try:
            reply = await (fut if timeout is None else asyncio.wait_for(fut, timeout))
        except TimeoutError:
            raise _error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded") from None
        finally:
            self._pending.pop(request_id, None)
        if reply.code:
            raise _error(_CODES.get(reply.code, grpc.StatusCode.UNKNOWN), reply.details)
        return getattr(reply, kind)

    async def _requests(self) -> Any:
        while (msg := await self._out.take()) is not None:
            yield msg

    async def _read(self) -> None:
        error = _error(grpc.StatusCode.UNAVAILABLE, "the server ended the client session")
        try:
            async for batch in self._call:
                for reply in batch.replies:
                    fut = self._pending.get(reply.id)
                    if fut is not None and not fut.done():
                        fut.set_result(reply)
        except grpc.aio.AioRpcError as exc:
            error = exc
        except asyncio.CancelledError:
            error = _error(grpc.StatusCode.CANCELLED, "client closed")
        finally:
            self.close()
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(error)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._out.close()
            self._call.cancel()


class Client:
    """A connection to a goblins server. Create with ``await Client.connect("localhost:9075")``."""

    def __init__(
        self,
        channel: grpc.aio.Channel | None,
        address: str,
        stub: Any = None,
        call_timeout: float = CALL_TIMEOUT,
        *,
        codecs: Sequence[PayloadCodec] | None = None,
    ) -> None:
        """Prefer :meth:`connect`. ``stub``, instead of a channel: an object with the server's
        methods, called one request at a time (``goblins.local`` passes its in-process one)."""
        self.call_timeout = seconds(call_timeout, "call_timeout", zero=False)
        self.codec = chain(codecs)
        """The codecs (goblins.codec) every payload this client writes or reads passes, as one."""
        self._channel = channel
        self._stub = stub if stub is not None else pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        self.address = address
        self._session: _Session | None = None
        # One call per request: the server has no ClientSession, or it is in this process
        # (a stream would only add a hop there).
        self._unary = stub is not None

    def _timeout(self, timeout: float | datetime.timedelta | None) -> float:
        return self.call_timeout if timeout is None else seconds(timeout, "timeout", zero=False)

    async def _call(self, method: str, request: Any, timeout: float | datetime.timedelta | None = None) -> Any:
        """One unary call, within ``timeout`` (default: ``call_timeout``), waiting meanwhile for
        a server that is not up (yet)."""
        limit = self._timeout(timeout)
        try:
            return await getattr(self._stub, method)(request, wait_for_ready=True, timeout=limit)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED and exc.details() == "Deadline Exceeded":
                raise _no_answer(method, limit) from None
            raise _rpc_error(exc) from None

    async def _rpc(self, kind: str, request: Any, timeout: float | None = None) -> Any:
        """StartWorkflow ("start") or GetResult ("result"), over the client session stream."""
        if not self._unary:
            if self._session is None or self._session.closed:
                self._session = _Session(self._stub)
            session = self._session
            try:
                return await session.call(kind, request, timeout)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED and not exc.details().startswith("unknown client"):
                    self._unary = True  # an older server
                elif session.closed and exc.code() not in _FINAL:
                    # The stream broke (e.g. the server died: grpc says INTERNAL or UNAVAILABLE):
                    # the server is unavailable, and callers that may retry, retry.
                    raise grpc.aio.AioRpcError(
                        grpc.StatusCode.UNAVAILABLE,
                        grpc.aio.Metadata(),
                        grpc.aio.Metadata(),
                        f"the session stream broke: {exc.code().name} {exc.details()}",
                    ) from None
                else:
                    raise
        method = self._stub.StartWorkflow if kind == "start" else self._stub.GetResult
        return await method(request, timeout=timeout)

    @classmethod
    async def connect(
        cls,
        address: str = "localhost:9075",
        timeout: float | datetime.timedelta = 10.0,
        call_timeout: float | datetime.timedelta = CALL_TIMEOUT,
        *,
        token: str | None = None,
        codecs: Sequence[PayloadCodec] | None = None,
        tls: TLSConfig | None = None,
    ) -> Client:
        """Connect to the server at HOST:PORT; raises GoblinsError if it does not answer within
        ``timeout`` (seconds or a timedelta). ``call_timeout``: how long each later call (start,
        signal, cancel, query, history, list; not a wait for a result, which has its own
        ``timeout``) waits for an answer before raising GoblinsError; a call's own ``timeout=``
        overrides it. ``token``: sent with every call, for a server that authenticates its
        callers (default: $GOBLINS_TOKEN; "": none; a refused call raises :class:`Unauthenticated` or
        :class:`PermissionDenied`). ``codecs``: applied to every payload (:mod:`goblins.codec`, e.g.
        ``[goblins.AesGcmCodec(keys)]``); None reads ``GOBLINS_CODEC_KEYS``, ``[]`` is none.
        ``tls``: connect over TLS (default: ``TLSConfig.from_env()``, plaintext when no
        GOBLINS_TLS_* variable is set); a failed handshake raises GoblinsError at once."""
        limit = seconds(timeout, "timeout", zero=False)
        per_call = seconds(call_timeout, "call_timeout", zero=False)
        codec = chain(codecs)  # a bad GOBLINS_CODEC_KEYS fails here, before any connection
        tls = resolve(tls)
        channel = open_channel(address, tls=tls, token=token_or_env(token, "Client.connect(token=...)"))
        try:
            await wait_ready(channel, address, tls, limit)
        except BaseException:
            await channel.close()
            raise
        client = cls(channel, address, call_timeout=per_call, codecs=[])
        client.codec = codec  # the chain made above (a second chain(None) would read the variable again)
        return client

    async def close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._channel is not None:
            await self._channel.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # The typed signatures (docs/typing.md): a workflow function fixes the arguments' types and
    # count and the result's type; a name is unchecked. The keyword options are
    # StartWorkflowOptions' / WorkflowOptions' (goblins/_options.py), declared once.
    @overload
    async def start_workflow(
        self, workflow: Callable[[*Ts], Awaitable[T]], *args: *Ts, **options: Unpack[StartWorkflowOptions]
    ) -> WorkflowHandle[T]: ...
    @overload
    async def start_workflow(
        self, workflow: str, *args: Any, **options: Unpack[StartWorkflowOptions]
    ) -> WorkflowHandle[Any]: ...
    async def start_workflow(
        self,
        workflow: Callable[[*Ts], Awaitable[Any]] | str,
        *args: *Ts,
        id: str | None = None,
        run_id: str | None = None,
        id_reuse_policy: IdReusePolicy | str | None = None,
        id_conflict_policy: IdConflictPolicy | str | None = None,
        execution_timeout: float | datetime.timedelta | None = None,
        timeout: float | datetime.timedelta | None = None,
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = (),
        start_update: str | Update[..., Any] | None = None,
        start_update_args: Sequence[Any] = (),
        task_queue: str | None = None,
        priority: int | None = None,
        search_attributes: Mapping[str, Any] | None = None,
        memo: Mapping[str, Any] | None = None,
    ) -> WorkflowHandle[Any]:
        """Start a top-level run of ``workflow`` (an ``@goblins.workflow`` function or its name).

        ``id``: the workflow id, the caller's business key (e.g. ``"order-42"``); the server gives
        the run its own run id (``handle.run_id``). Without it, the workflow id is the run id.
        When the id already has a run, ``id_conflict_policy`` (it is running; default FAIL) or
        ``id_reuse_policy`` (it is closed; default ALLOW_DUPLICATE) decide, atomically across
        servers; a refused start raises :class:`goblins.WorkflowAlreadyStarted` (see
        docs/workflow-ids.md). ``run_id``: choose the run id yourself; starting is then idempotent
        (a second start returns the same run, running or closed; without ``id=`` the workflow id
        is that run id: the behaviour of earlier releases). With
        ``execution_timeout`` (seconds or a timedelta), a run still going after that long ends
        in error and ``result()`` raises :class:`goblins.WorkflowTimedOut`. (Inside a workflow,
        ``goblins.workflow.start_child`` starts a child run.) ``timeout``: how long to wait
        for the server to record the start (default: the client's ``call_timeout``); past it,
        GoblinsError (the start may still be recorded: with ``run_id``, start again to know).

        Signal-with-start: with ``start_signal`` (and its ``start_signal_args``), the signal is
        recorded with the start in one commit, or, when the run (``run_id``) exists and runs,
        sent to it; GoblinsError if that run has finished.

        Update-with-start: with ``start_update`` (a name or a ``goblins.workflow.Update``) and its
        ``start_update_args``, once the run is started (or found running, with ``run_id``) the
        update is sent to it; the call returns when the run has accepted it, as
        ``handle.started_update`` (``await handle.started_update.result()``), or raises
        :class:`goblins.UpdateRejected` (the run stays started, as in Temporal).

        ``task_queue`` (default ``"default"``) and ``priority`` (1 lowest to 5 highest, default
        3): where and in what order the run's tasks go, its activities' and children's too unless
        they say otherwise (docs/task-queues.md).

        ``search_attributes``: indexed values (str, int, float, bool, aware datetime) that
        ``list_workflows(query=...)`` finds the run by; ``memo``: a dict recorded with the run,
        shown by describe, never indexed (docs/search.md).
        """
        name = name_of(workflow, "workflow")
        if run_id is not None and (not isinstance(run_id, str) or not run_id):
            raise ValueError(f"run_id must be a non-empty str, got {run_id!r}")
        if id is not None and (not isinstance(id, str) or not id):
            raise ValueError(f"id must be a non-empty str, got {id!r}")
        reuse, conflict = reuse_policy(id_reuse_policy), conflict_policy(id_conflict_policy)
        limit = optional_seconds(execution_timeout, "execution_timeout", zero=False)
        wait = self._timeout(timeout)
        payload = _sized(converter.encode_args(args, f"workflow {name!r}", self.codec), f"workflow {name!r}")
        try:
            request = pb.StartWorkflowRequest(
                workflow_name=name,
                input=payload,
                run_id=run_id or "",
                execution_timeout=limit or 0.0,
                workflow_id=id or "",
                id_reuse_policy=f"ID_REUSE_{reuse.name}",
                id_conflict_policy=f"ID_CONFLICT_{conflict.name}",
                task_queue=check_queue(task_queue) if task_queue is not None else "",
                priority=check_priority(priority),
            )
            start_fields(request, search_attributes, memo, self.codec)
            if start_signal is not None:
                signal_with_start(request, start_signal, start_signal_args, self.codec)
            traced = None
            if _tracing.live():  # the start's span context is recorded with the run: one trace
                attributes = {"goblins.workflow": name, "goblins.run_id": run_id or ""}
                traced = _tracing.client_span(f"StartWorkflow:{name}", attributes, request.trace_context, {})
            with traced or contextlib.nullcontext() as span:
                resp = await self._rpc("start", request, wait)
                if span is not None:
                    span.set_attribute("goblins.run_id", resp.run_id)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED and exc.details() == "Deadline Exceeded":
                raise _no_answer("StartWorkflow", wait) from None
            raise _rpc_error(exc) from None
        if resp.already_started:
            raise WorkflowAlreadyStarted(id or run_id or "", resp.run_id)
        defn = workflow_definition(workflow)
        result_type = converter.param_hints(defn.fn)[1] if defn is not None else Any
        handle: WorkflowHandle[Any] = WorkflowHandle(
            self, resp.run_id, result_type, started=True, id=resp.workflow_id or id or resp.run_id
        )
        handle._trace_context = request.trace_context
        if start_update is not None:
            update = new_update(self, resp.run_id, start_update, tuple(start_update_args), None)
            handle.started_update = await start_update_(update)
        return handle

    @overload
    async def execute_workflow(
        self, workflow: Callable[[*Ts], Awaitable[T]], *args: *Ts, **options: Unpack[WorkflowOptions]
    ) -> T: ...
    @overload
    async def execute_workflow(self, workflow: str, *args: Any, **options: Unpack[WorkflowOptions]) -> Any: ...
    async def execute_workflow(
        self,
        workflow: Callable[[*Ts], Awaitable[Any]] | str,
        *args: *Ts,
        id: str | None = None,
        run_id: str | None = None,
        id_reuse_policy: IdReusePolicy | str | None = None,
        id_conflict_policy: IdConflictPolicy | str | None = None,
        execution_timeout: float | datetime.timedelta | None = None,
        timeout: float | datetime.timedelta | None = None,
        task_queue: str | None = None,
        priority: int | None = None,
        search_attributes: Mapping[str, Any] | None = None,
        memo: Mapping[str, Any] | None = None,
    ) -> Any:
        """Start a run and wait for its result.

        ``execution_timeout`` bounds the run itself (recorded, enforced by the server);
        ``timeout`` bounds only how long this call waits, as in ``WorkflowHandle.result``.
        """
        optional_seconds(timeout, "timeout")  # refused before the run starts
        handle = await self.start_workflow(
            workflow,
            *args,
            id=id,
            run_id=run_id,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            execution_timeout=execution_timeout,
            task_queue=task_queue,
            priority=priority,
            search_attributes=search_attributes,
            memo=memo,
        )
        return await handle.result(timeout=timeout)

    @overload
    def get_workflow_handle(self, id: str, *, run_id: str | None = None) -> WorkflowHandle[Any]: ...
    @overload
    def get_workflow_handle(self, id: str, result_type: type[T], *, run_id: str | None = None) -> WorkflowHandle[T]: ...
    def get_workflow_handle(self, id: str, result_type: Any = Any, *, run_id: str | None = None) -> WorkflowHandle[Any]:
        """A handle to the workflow id ``id``: each call addresses its current run (the newest
        of a continue-as-new chain); with ``run_id``, that one run alone. A run id passed as
        ``id`` works too (a run started without ``id=`` has its run id as workflow id).
        ``result()`` decodes to ``result_type`` when given."""
        if not isinstance(id, str) or not id:
            raise ValueError(f"id must be a non-empty str, got {id!r}")
        return WorkflowHandle(self, run_id, result_type, id=id, pinned=run_id is not None)

    async def list_workflows(
        self,
        status: str | None = None,
        workflow_name: str | None = None,
        limit: int = 100,
        timeout: float | datetime.timedelta | None = None,
        *,
        query: str | None = None,
        page_size: int | None = None,
        next_page_token: str = "",
    ) -> list[RunInfo]:
        """Runs, newest first; ``status`` (any case) is one of ``goblins.history.STATUSES``:
        RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW.
        ``timeout``: how long to wait for an answer (default: the client's ``call_timeout``).

        ``query``: a visibility query instead (``"WorkflowType = 'order' AND customer = 'c-17'
        ORDER BY StartTime DESC"``, docs/search.md); a syntax mistake raises ``ValueError``, one
        the server finds (an unknown attribute, a value of the wrong type) ``GoblinsError``,
        both naming its column. ``page_size`` (an alias of ``limit``) and ``next_page_token`` (a token of
        ``list_workflows_page``): one page of it."""
        limit = page_size if page_size is not None else limit
        page = await self.list_workflows_page(
            status, workflow_name, limit, next_page_token, timeout=timeout, query=query
        )
        return page.runs

    async def count_workflows(self, query: str = "", timeout: float | datetime.timedelta | None = None) -> int:
        """How many runs match a visibility ``query`` (empty: every run; docs/search.md)."""
        parse_query(query)  # a syntax mistake: ValueError naming its column, before any call
        resp = await self._call("CountWorkflows", pb.CountWorkflowsRequest(query=query), timeout)
        return int(resp.count)

    async def add_search_attribute(
        self, name: str, type: str, timeout: float | datetime.timedelta | None = None
    ) -> dict[str, str]:
        """Declare the search attribute ``name`` of ``type`` (keyword, text, int, float, bool,
        datetime) before its first use; returns every declared attribute (name -> type)."""
        request = pb.SearchAttributesRequest(name=name, type=check_type(type))
        return dict((await self._call("SearchAttributes", request, timeout)).attributes)

    async def list_search_attributes(self, timeout: float | datetime.timedelta | None = None) -> dict[str, str]:
        """The declared search attributes (name -> type), built-ins left out."""
        return dict((await self._call("SearchAttributes", pb.SearchAttributesRequest(), timeout)).attributes)

    async def list_workflows_page(
        self,
        status: str | None = None,
        workflow_name: str | None = None,
        limit: int = 100,
        page_token: str = "",
        *,
        created_after: float | datetime.datetime | None = None,
        created_before: float | datetime.datetime | None = None,
        timeout: float | datetime.timedelta | None = None,
        query: str | None = None,
    ) -> RunPage:
        """One page of runs, newest first, as ``list_workflows`` filters them, and the token of
        the next page (``page_token`` of the next call; empty on the last). ``created_after`` /
        ``created_before``: bounds on the start time (epoch seconds or aware datetimes; the
        first inclusive)."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"limit must be an int >= 1, got {limit!r}")
        if query:
            parse_query(query)  # a syntax mistake: ValueError naming its column, before any call
        request = pb.ListWorkflowsRequest(
            status=(status or "").upper(),
            workflow_name=workflow_name or "",
            limit=limit,
            page_token=token_bytes(page_token),
            created_after=epoch(created_after),
            created_before=epoch(created_before),
            query=query or "",
        )
        resp = await self._call("ListWorkflows", request, timeout)
        return RunPage([RunInfo._from_proto(run) for run in resp.runs], token_text(resp.next_page_token))

    async def complete_activity(
        self, task_token: bytes | str, result: Any = None, *, timeout: float | datetime.timedelta | None = None
    ) -> None:
        """Complete an activity attempt that raised ``goblins.activity.CompleteAsync``, by its
        ``task_token`` (bytes, or the text ``goblins activity`` prints), with ``result``; returns
        once durable. :class:`goblins.errors.ActivityNotFound` if the attempt is no longer open."""
        await _client_activity.complete(self, task_token, result, timeout)

    async def fail_activity(
        self,
        task_token: bytes | str,
        error: BaseException | str,
        non_retryable: bool = False,
        *,
        timeout: float | datetime.timedelta | None = None,
    ) -> None:
        """Fail an async activity attempt with ``error``: retried by its retry policy unless
        ``non_retryable`` (or ``error`` is an ApplicationError that says so)."""
        await _client_activity.fail(self, task_token, error, non_retryable, timeout)

    async def heartbeat_activity(
        self, task_token: bytes | str, details: Any = None, *, timeout: float | datetime.timedelta | None = None
    ) -> None:
        """An async activity attempt is alive: resets its heartbeat_timeout clock; ``details``
        (JSON) reach a later attempt as ``info().heartbeat_details``."""
        await _client_activity.heartbeat(self, task_token, details, timeout)

    async def create_schedule(
        self,
        id: str,
        workflow: Callable[..., Any] | str,
        *args: Any,
        cron: str | None = None,
        every: float | datetime.timedelta | None = None,
        timezone: str | None = None,
        start_at: float | datetime.datetime | None = None,
        end_at: float | datetime.datetime | None = None,
        jitter: float | datetime.timedelta | None = None,
        overlap: ScheduleOverlap | str | None = None,
        catchup_window: float | datetime.timedelta | None = None,
        execution_timeout: float | datetime.timedelta | None = None,
        paused: bool = False,
        note: str = "",
    ) -> ScheduleHandle:
        """Start ``workflow(*args)`` on a calendar: ``cron`` (5 fields, in ``timezone``, an IANA
        name, default UTC) or ``every`` (seconds or a timedelta, counted from ``start_at``, else
        from the epoch), between ``start_at`` and ``end_at``. Each action is a run with the
        workflow id ``ID-<scheduled time, UTC, to the second>``, started once. ``jitter``: each
        action fires up to this much later. ``overlap``: what a time does while the previous
        action runs (:class:`goblins.ScheduleOverlap`, default SKIP). ``catchup_window``: times
        missed (server down) by more than this are skipped (default a year). ``paused``: create
        it paused, ``note`` saying why. Raises GoblinsError if the id exists. See
        docs/schedules.md."""
        if not isinstance(id, str) or not id:
            raise ValueError(f"id must be a non-empty str, got {id!r}")
        spec = build_spec(
            self,
            workflow,
            args,
            cron=cron,
            every=every,
            timezone=timezone,
            start_at=start_at,
            end_at=end_at,
            jitter=jitter,
            overlap=overlap,
            catchup_window=catchup_window,
            execution_timeout=execution_timeout,
        )
        request = pb.ScheduleCommandRequest(schedule_id=id, command="create", spec=spec, paused=paused, note=note)
        await self._call("ScheduleCommand", request)
        return ScheduleHandle(self, id)

    def get_schedule_handle(self, id: str) -> ScheduleHandle:
        """A handle to the schedule ``id`` (not checked until used)."""
        if not isinstance(id, str) or not id:
            raise ValueError(f"id must be a non-empty str, got {id!r}")
        return ScheduleHandle(self, id)

    async def list_schedules(self) -> list[ScheduleDescription]:
        """Every schedule, by id (their recent actions without statuses: describe one for those)."""
        return await list_schedules(self)

    async def list_workers(self, timeout: float | datetime.timedelta | None = None) -> WorkerList:
        """The workers connected now: what each hosts, its tasks in hand and free slots (in the
        distributed mode, the workers' Kafka consumer group; slots unknown there)."""
        resp = await self._call("ListWorkers", pb.ListWorkersRequest(), timeout)
        workers = tuple(
            WorkerInfo(
                w.worker_id,
                tuple(w.workflows),
                tuple(w.activities),
                w.tasks_in_flight,
                w.free_activity_slots,
                w.free_workflow_slots,
                w.host,
                w.task_queue or "default",
            )
            for w in resp.workers
        )
        return WorkerList(workers, resp.transport, resp.missing)

    async def set_task_queue(
        self,
        name: str,
        *,
        max_concurrent: int | None = None,
        rate_per_second: float | None = None,
        max_per_key: int | None = None,
        reset: bool = False,
        timeout: float | datetime.timedelta | None = None,
    ) -> TaskQueueInfo:
        """Set a task queue's limits, enforced by the server across all workers (0 or None: no
        limit; ``reset``: remove them all). Stored durably. See docs/task-queues.md."""
        request = config_request(name, max_concurrent, rate_per_second, max_per_key, reset)
        return await set_task_queue(self, request, timeout)

    async def list_task_queues(
        self, name: str = "", timeout: float | datetime.timedelta | None = None
    ) -> list[TaskQueueInfo]:
        """The task queues with limits or tasks or workers (``name``: that one only)."""
        return await list_task_queues(self, name, timeout)
