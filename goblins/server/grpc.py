"""The gRPC layer: decode a request, call ``Runs``, encode the answer; and the workers' Connect
streams. No business rules live here (see server/runs.py).

One mapping turns exceptions into status codes, for unary calls and ClientSession alike:
request errors keep their meaning (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION,
DEADLINE_EXCEEDED); a store outage is UNAVAILABLE (clients retry it); anything else is a bug:
INTERNAL, logged with its stack trace.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf.message import DecodeError

from goblins._batching import MessageOutbox
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.errors import PermissionDenied, StoreRejected, StoreUnavailable, Unauthenticated
from goblins.server import auth
from goblins.server.ports import WorkersElsewhere
from goblins.server.request_errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, NotFound
from goblins.server.reset_runs import reset as reset_run
from goblins.server.runs import Runs
from goblins.server.scheduler import Scheduler
from goblins.server.session import Session

log = logging.getLogger("goblins.server")

REFUSALS_LOGGED = 10  # per session; past these, one refusal in a thousand is logged

_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (StoreRejected, grpc.StatusCode.INVALID_ARGUMENT),  # what the request holds cannot be stored
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (WorkersElsewhere, grpc.StatusCode.FAILED_PRECONDITION),
    (DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),  # a request its caller's role may not make
]


def status_of(exc: Exception, call: str) -> tuple[grpc.StatusCode, str]:
    """The status a failed call answers with (and its log line, for outages and bugs)."""
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code, str(exc)
    if isinstance(exc, StoreUnavailable):
        log.warning("%s failed: %s", call, exc)
        return grpc.StatusCode.UNAVAILABLE, f"event store unavailable: {exc}"
    log.error("%s failed", call, exc_info=exc)
    return grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}"


class Corrupt:
    """A unary request whose bytes did not decode (corrupt wire format, invalid UTF-8)."""

    def __init__(self, error: str) -> None:
        self.error = error


def _tolerant(deserialize: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def decode(data: bytes) -> Any:
        try:
            return deserialize(data)
        except DecodeError as exc:  # grpc would answer UNKNOWN: the handler answers INVALID_ARGUMENT
            return Corrupt(str(exc))

    return decode


class _Capture:
    """Stands in for a server to take the generated handlers."""

    def __init__(self) -> None:
        self.name = ""
        self.handlers: dict[str, Any] = {}

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        pass

    def add_registered_method_handlers(self, name: str, handlers: dict[str, Any]) -> None:
        self.name, self.handlers = name, handlers


def add_service(server: grpc.aio.Server, service: pb_grpc.GoblinsServicer) -> None:
    """``add_GoblinsServicer_to_server``, with unary requests that do not decode handed to the
    handler as ``Corrupt`` (answered INVALID_ARGUMENT by ``mapped``)."""
    capture = _Capture()
    pb_grpc.add_GoblinsServicer_to_server(service, capture)  # type: ignore[no-untyped-call]
    handlers = {
        method: h if h.request_streaming else h._replace(request_deserializer=_tolerant(h.request_deserializer))
        for method, h in capture.handlers.items()
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(capture.name, handlers),))
    server.add_registered_method_handlers(capture.name, handlers)


Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


def mapped(handler: Handler) -> Handler:
    """Answer a unary call's failure with the status ``status_of`` gives it."""

    @functools.wraps(handler)
    async def wrapped(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if isinstance(request, Corrupt):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the request does not decode: {request.error}")
        try:
            return await handler(self, request, context)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as exc:
            code, details = status_of(exc, handler.__name__)
            await context.abort(code, details)

    return wrapped  # type: ignore[return-value]


class _Replies(MessageOutbox[pb.ClientReplies]):
    """Replies waiting to go down a ClientSession stream; sent as one message per wake-up."""

    def __init__(self) -> None:
        super().__init__(pb.ClientReplies)

    def add(self, request_id: int) -> pb.ClientReply:
        reply = self.message().replies.add()
        reply.id = request_id
        return reply


class GoblinsService(pb_grpc.GoblinsServicer):
    def __init__(self, runs: Runs) -> None:
        self.runs = runs
        self.loop = runs.loop
        self.queue = runs.mode.queue
        self._leaving: set[asyncio.Task[None]] = set()
        # While commits fail, worker sessions end with UNAVAILABLE and the cause: a worker then
        # holds its reports (resent when it reconnects) instead of piling them up here, and a
        # reconnect is refused until the store is back.
        self._sessions: set[Session] = set()
        self.loop.on_outage(self._end_sessions)
        # Reports refused from workers' streams, by kind: a task the session does not hold
        # (forged, or its lease ended), or a kind only the server makes.
        self.refused: collections.Counter[str] = collections.Counter()

    def _end_sessions(self, cause: str) -> None:
        for session in list(self._sessions):
            session.close()

    @mapped
    async def StartWorkflow(
        self, request: pb.StartWorkflowRequest, context: grpc.aio.ServicerContext
    ) -> pb.StartWorkflowResponse:
        if request.start_signal:
            auth.require("signal")
        return await self.runs.start(request)

    @mapped
    async def GetResult(self, request: pb.GetResultRequest, context: grpc.aio.ServicerContext) -> pb.GetResultResponse:
        return await self.runs.result(request)

    @mapped
    async def Signal(self, request: pb.SignalWorkflow, context: grpc.aio.ServicerContext) -> pb.ControlResponse:
        await self.runs.signal(request)
        return pb.ControlResponse()

    @mapped
    async def Cancel(self, request: pb.CancelWorkflow, context: grpc.aio.ServicerContext) -> pb.ControlResponse:
        auth.require("terminate" if request.terminate else "cancel")
        await self.runs.cancel(request)
        return pb.ControlResponse()

    @mapped
    async def Query(self, request: pb.QueryRequest, context: grpc.aio.ServicerContext) -> pb.QueryAnswer:
        return await self.runs.query(request)

    @mapped
    async def UpdateWorkflow(
        self, request: pb.UpdateWorkflowRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateWorkflowResponse:
        return await self.runs.update(request)

    @mapped
    async def CompleteActivity(
        self, request: pb.CompleteActivityRequest, context: grpc.aio.ServicerContext
    ) -> pb.ControlResponse:
        await self.runs.complete_activity(request)
        return pb.ControlResponse()

    @mapped
    async def ResetWorkflow(
        self, request: pb.ResetWorkflowRequest, context: grpc.aio.ServicerContext
    ) -> pb.ResetWorkflowResponse:
        return await reset_run(self.runs, request)

    @mapped
    async def AnswerQuery(self, request: pb.QueryAnswer, context: grpc.aio.ServicerContext) -> pb.ControlResponse:
        self.runs.answer_query(request)
        return pb.ControlResponse()

    @mapped
    async def GetHistory(
        self, request: pb.GetHistoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetHistoryResponse:
        return await self.runs.history_page(request)

    @mapped
    async def ListWorkflows(
        self, request: pb.ListWorkflowsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWorkflowsResponse:
        return await self.runs.list_runs(request)

    @mapped
    async def CountWorkflows(
        self, request: pb.CountWorkflowsRequest, context: grpc.aio.ServicerContext
    ) -> pb.CountWorkflowsResponse:
        return await self.runs.count_runs(request)

    @mapped
    async def SearchAttributes(
        self, request: pb.SearchAttributesRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchAttributesResponse:
        if request.name:  # a declaration: what a start's first use of the name would do
            auth.require("start")
        return await self.runs.search_attributes(request)

    @mapped
    async def ListWorkers(
        self, request: pb.ListWorkersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWorkersResponse:
        return await self.runs.workers()

    @mapped
    async def DescribeWorkflow(
        self, request: pb.DescribeWorkflowRequest, context: grpc.aio.ServicerContext
    ) -> pb.DescribeWorkflowResponse:
        return await self.runs.describe(request)

    def _scheduler(self) -> Scheduler:
        if self.runs.schedules is None:
            raise FailedPrecondition("this server runs no scheduler")
        return self.runs.schedules

    @mapped
    async def ScheduleCommand(
        self, request: pb.ScheduleCommandRequest, context: grpc.aio.ServicerContext
    ) -> pb.ScheduleCommandResponse:
        return await self._scheduler().command(request)

    @mapped
    async def DescribeSchedule(
        self, request: pb.DescribeScheduleRequest, context: grpc.aio.ServicerContext
    ) -> pb.ScheduleInfo:
        return await self._scheduler().describe(request)

    @mapped
    async def ListSchedules(
        self, request: pb.ListSchedulesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListSchedulesResponse:
        return await self._scheduler().list()

    @mapped
    async def SetTaskQueue(self, request: pb.TaskQueueConfig, context: grpc.aio.ServicerContext) -> pb.TaskQueueConfig:
        return await self.runs.set_task_queue(request)

    @mapped
    async def ListTaskQueues(
        self, request: pb.ListTaskQueuesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListTaskQueuesResponse:
        return await self.runs.task_queues(request)

    @mapped
    async def GetClusterInfo(self, request: pb.ClusterInfoRequest, context: grpc.aio.ServicerContext) -> pb.ClusterInfo:
        return self.runs.cluster_info()

    @mapped
    async def Register(self, request: pb.Hello, context: grpc.aio.ServicerContext) -> pb.RegisterResponse:
        auth.require_names(request.workflows, request.activities)
        await self.runs.register(list(request.workflows), list(request.activities), request.task_queue)
        log.info(
            "worker %s connected (%s, %d workflows, %d activities)",
            request.worker_id,
            self.runs.cluster_info().transport,
            len(request.workflows),
            len(request.activities),
        )
        return pb.RegisterResponse()

    @mapped
    async def CheckTasks(
        self, request: pb.CheckTasksRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckTasksResponse:
        return await self.runs.check_tasks(list(request.tasks))

    async def ClientSession(
        self, request_iterator: AsyncIterator[pb.ClientRequests], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ClientReplies]:
        """StartWorkflow and GetResult requests multiplexed over one stream; each is answered
        exactly as its unary RPC would be (a failure carries the RPC's status code)."""
        loop = asyncio.get_running_loop()
        replies = _Replies()
        running: set[asyncio.Task[None]] = set()

        async def serve(request: pb.ClientRequest) -> None:
            which = request.WhichOneof("kind")
            try:
                auth.require_request(which or "")
                if which == "start":
                    if request.start.start_signal:
                        auth.require("signal")
                    response: Any = await self.runs.start(request.start)
                elif which == "result":
                    response = await self.runs.result(request.result)
                else:
                    reply = replies.add(request.id)
                    reply.code = grpc.StatusCode.UNIMPLEMENTED.value[0]
                    reply.details = f"unknown client request {which!r}"
                    return
            except Exception as exc:
                code, details = status_of(exc, f"client request {which}")
                reply = replies.add(request.id)
                reply.code, reply.details = code.value[0], details
                return
            getattr(replies.add(request.id), which).CopyFrom(response)

        async def read() -> None:
            try:
                async for batch in request_iterator:
                    for request in batch.requests:
                        task = loop.create_task(serve(request))
                        running.add(task)
                        task.add_done_callback(running.discard)
                if running:  # the client is done sending: answer what it asked, then end
                    await asyncio.gather(*running, return_exceptions=True)
            except (asyncio.CancelledError, grpc.aio.AioRpcError):
                pass
            finally:
                replies.close()

        reader = loop.create_task(read())
        try:
            while True:
                msg = await replies.take()
                if msg is None:
                    break
                yield msg
        finally:
            reader.cancel()
            for task in list(running):
                task.cancel()

    async def Connect(
        self, request_iterator: AsyncIterator[pb.WorkerMessage], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ServerMessage]:
        first = await anext(aiter(request_iterator), None)
        if first is None or not first.HasField("hello"):
            return
        hello = first.hello
        session = Session(hello.worker_id, hello.workflows, hello.activities, hello.sync_activities, hello.task_queue)
        try:
            auth.require_names(hello.workflows, hello.activities)
            await self.runs.register(list(hello.workflows), list(hello.activities), hello.task_queue)
            self.queue.connect(session, list(hello.running_task_ids))
        except Exception as exc:
            code, details = status_of(exc, "Connect")
            await context.abort(code, details)
        log.info(
            "worker %s connected (%d workflows, %d activities)",
            hello.worker_id,
            len(hello.workflows),
            len(hello.activities),
        )
        self._absorb(first, session)
        reader = asyncio.create_task(self._read(request_iterator, session))
        self._sessions.add(session)
        try:
            yield pb.ServerMessage()  # the worker knows it is registered and connected
            while True:
                msg = await session.next_message()
                if msg is None:
                    break
                yield msg
            if self.loop.outage:
                await context.abort(grpc.StatusCode.UNAVAILABLE, f"event store unavailable: {self.loop.outage}")
        finally:
            self._sessions.discard(session)
            reader.cancel()
            session.close()
            # The reports it sent are applied before its tasks are redelivered: a result it sent
            # just before leaving finishes its task rather than the task running again elsewhere.
            leaving = asyncio.ensure_future(self._leave(session))
            self._leaving.add(leaving)
            leaving.add_done_callback(self._leaving.discard)

    async def _leave(self, session: Session) -> None:
        await self.loop.applied()
        self.queue.disconnect(session)
        log.info("worker %s disconnected", session.worker_id)

    def _absorb(self, msg: pb.WorkerMessage, session: Session) -> None:
        loop = self.loop
        for report in msg.reports:
            which = report.WhichOneof("kind")
            body: Any = getattr(report, which) if which else None
            task_id: str = getattr(body, "task_id", "")
            refused = session.refusal(which, task_id, getattr(body, "run_id", ""))
            if refused:
                self._refuse(session, which, refused)
                if which == "activity_heartbeat":  # an attempt it does not hold: stop it
                    session.cancel(task_id)
                elif which in ("activity_result", "workflow_task_completed", "workflow_task_failed"):
                    session.ack(task_id)  # never applied: the worker may forget it
                continue
            if which == "activity_heartbeat":  # not recorded: only a lease and a checkpoint
                if not loop.heartbeat(body):
                    session.cancel(task_id)
                continue
            # A start is an observation; the worker keeps only outcomes until they are acked.
            ack = None if which == "activity_started" else functools.partial(session.ack, task_id)
            loop.report(report, ack)
        if msg.HasField("credit"):
            credit = msg.credit
            self.queue.credit(session, credit.activities, credit.workflows, credit.sync_activities)

    def _refuse(self, session: Session, which: str | None, why: str) -> None:
        """Count a refused report; log it (the first ones of a session, then one in a thousand)."""
        session.refused += 1
        self.refused[which or ""] += 1
        if session.refused <= REFUSALS_LOGGED or session.refused % 1000 == 0:
            log.warning(
                "report %s from worker %s refused (%d so far): %s", which, session.worker_id, session.refused, why
            )

    async def _read(self, requests: AsyncIterator[pb.WorkerMessage], session: Session) -> None:
        try:
            async for msg in requests:
                self._absorb(msg, session)
        except (asyncio.CancelledError, grpc.aio.AioRpcError):
            pass
        finally:
            session.close()
