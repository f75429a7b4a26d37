"""gRPC adapter: client calls and worker sessions, translated to the Core's entry points."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

from goblins._proto import goblins_pb2 as pb
from goblins._proto import goblins_pb2_grpc as pb_grpc
from goblins.server.core import FINISHED, Core, task_id_of
from goblins.server.dispatcher import Dispatcher, Session
from goblins.server.engine import WORKFLOW
from goblins.server.store import STATUSES

log = logging.getLogger("goblins.server")

MAX_WAIT = 60.0
# Distributed mode: a run unknown to the store is reported missing only after this long, since
# a just-started run may still be on its way to its owner (e.g. during a partition takeover).
NOT_FOUND_GRACE = 15.0
QUERY_TIMEOUT = 10.0


def _result(event: pb.Event) -> pb.GetResultResponse:
    ok = event.type == "WORKFLOW_FINISHED_IN_SUCCESS"
    response = pb.GetResultResponse(
        found=True,
        finished=True,
        ok=ok,
        output=event.output,
        error=event.error,
        error_type=event.error_type,
        workflow_name=event.workflow_name,
    )
    if event.continued_as:
        response.continued_as.append(event.continued_as)
    return response


Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


def unavailable_on_store_errors(handler: Handler) -> Handler:
    """A store that fails (e.g. Cassandra restarting) answers UNAVAILABLE: clients retry it."""

    @functools.wraps(handler)
    async def wrapped(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await handler(self, request, context)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.warning("%s failed: %s: %s", handler.__name__, type(exc).__name__, exc)
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"event store unavailable: {type(exc).__name__}")

    return wrapped  # type: ignore[return-value]


def _new_run_id() -> str:
    """A random (version 4) UUID string, like str(uuid4()) but without building a UUID object."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _expire(waiter: asyncio.Future[pb.Event | None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _Aborted(grpc.aio.AbortError):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code, self.details = code, details


class _SessionContext:
    """The part of a ServicerContext the StartWorkflow and GetResult handlers use, for requests
    that arrive over a ClientSession stream: an abort fails that one request."""

    async def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        raise _Aborted(code, details)


_SESSION_CONTEXT: Any = _SessionContext()


class _Replies:
    """Replies waiting to go down a ClientSession stream; sent as one message per wake-up."""

    def __init__(self) -> None:
        self.msg = pb.ClientReplies()
        self.queued = False
        self.closed = False
        self._wake = asyncio.Event()

    def add(self, request_id: int) -> pb.ClientReply:
        self.queued = True
        self._wake.set()
        reply = self.msg.replies.add()
        reply.id = request_id
        return reply

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    async def next(self) -> pb.ClientReplies | None:
        while not self.queued:
            if self.closed:
                return None
            self._wake.clear()
            await self._wake.wait()
        msg, self.msg, self.queued = self.msg, pb.ClientReplies(), False
        return msg


class GoblinsService(pb_grpc.GoblinsServicer):
    def __init__(self, core: Core) -> None:
        self.core = core

    @unavailable_on_store_errors
    async def StartWorkflow(
        self, request: pb.StartWorkflowRequest, context: grpc.aio.ServicerContext
    ) -> pb.StartWorkflowResponse:
        name = request.workflow_name
        if not name:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "workflow_name is required")
        if not await self.core.is_registered(WORKFLOW, name):
            await context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"no worker has registered a workflow named {name!r}",
            )
        run_id = request.run_id or _new_run_id()
        if request.execution_timeout < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "execution_timeout must be >= 0 seconds")
        created = await self.core.start_workflow(
            name, request.input, run_id, fresh=not request.run_id, execution_timeout=request.execution_timeout
        )
        return pb.StartWorkflowResponse(run_id=run_id, existed=not created)

    @unavailable_on_store_errors
    async def GetResult(self, request: pb.GetResultRequest, context: grpc.aio.ServicerContext) -> pb.GetResultResponse:
        """The run's outcome; for a run that continued as new, the outcome of the chain's end."""
        loop = self.core.loop or asyncio.get_running_loop()
        deadline = loop.time() + min(max(request.wait, 0.0), MAX_WAIT)
        chain: list[str] = []
        while True:
            response = await self._one_result(request)
            if not (response.finished and response.continued_as):
                if chain:
                    full = [*chain, *response.continued_as]
                    del response.continued_as[:]
                    response.continued_as.extend(full)
                return response
            chain.extend(response.continued_as)
            request = pb.GetResultRequest(
                run_id=response.continued_as[-1], wait=max(deadline - loop.time(), 0.0), started=True
            )

    async def _one_result(self, request: pb.GetResultRequest) -> pb.GetResultResponse:
        loop = self.core.loop or asyncio.get_running_loop()
        deadline = loop.time() + min(max(request.wait, 0.0), MAX_WAIT)
        # In the distributed mode another server may own the run: its result reaches this one
        # through the store, so the wait re-reads it now and then. A just-started run may not
        # be recorded yet: "not found" is answered only after a short grace.
        distributed = self.core.transport.kind != "embedded"
        owns = getattr(self.core.transport, "owns", None)
        # The owner's waiter wakes at once; a re-read now and then covers a partition move.
        poll = MAX_WAIT if not distributed else 5.0 if owns is not None and owns(request.run_id) else 0.02
        # A run the caller started (or the next run of a chain) exists: never "not found".
        grace = MAX_WAIT if request.started else NOT_FOUND_GRACE if distributed else 0.0
        not_found_until = loop.time() + min(grace, request.wait)
        run_id = request.run_id
        waiter = self.core.waiter(run_id)
        try:
            while True:
                known, last = self.core.known_last(run_id)  # memory first: no store read, no thread hop
                if not known:
                    last = await self.core.store.last_event(run_id)
                    if last is not None and last.type in FINISHED:
                        return _result(last)
                elif last is not None:
                    return _result(last)
                now = loop.time()
                if not known and last is None and now >= not_found_until:
                    return pb.GetResultResponse(found=False)
                if now >= deadline:
                    name = last.workflow_name if last else self._workflow_name(run_id)
                    return pb.GetResultResponse(found=True, finished=False, workflow_name=name)
                # The waiter resolves with the finishing event, or with None when this wait ends.
                timer = loop.call_later(min(poll, deadline - now), _expire, waiter)
                try:
                    event = await waiter
                finally:
                    timer.cancel()
                if event is not None:
                    return _result(event)
                self.core.drop_waiter(run_id, waiter)
                waiter = self.core.waiter(run_id)  # registered again before the next read
                poll = min(poll * 2, 1.0)
        finally:
            self.core.drop_waiter(run_id, waiter)

    def _workflow_name(self, run_id: str) -> str:
        rs = self.core.runs.get(run_id)
        return rs.workflow_name if rs is not None else ""

    async def _control(self, run_id: str, report: pb.Report, context: grpc.aio.ServicerContext) -> pb.ControlResponse:
        loop = asyncio.get_running_loop()
        # Distributed mode: a just-started run may still be on its way to its owner.
        give_up = loop.time() + (NOT_FOUND_GRACE if self.core.transport.kind != "embedded" else 0.0)
        delay = 0.05
        while True:
            last = await self.core.store.last_event(run_id)
            rs = self.core.runs.get(run_id)
            if last is not None or rs is not None:
                break
            if loop.time() >= give_up:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"no workflow run with id {run_id!r}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
        if (last is not None and last.type in FINISHED) or (rs is not None and rs.finished):
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"workflow run {run_id} has already finished")
        await self.core.control(report)
        return pb.ControlResponse()

    @unavailable_on_store_errors
    async def Signal(self, request: pb.SignalWorkflow, context: grpc.aio.ServicerContext) -> pb.ControlResponse:
        if not request.name:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a signal needs a name")
        if not request.signal_id:  # a client that chose none: still recorded once, whatever Kafka redelivers
            request.signal_id = _new_run_id()
        return await self._control(request.run_id, pb.Report(signal_workflow=request), context)

    @unavailable_on_store_errors
    async def Cancel(self, request: pb.CancelWorkflow, context: grpc.aio.ServicerContext) -> pb.ControlResponse:
        return await self._control(request.run_id, pb.Report(cancel_workflow=request), context)

    @unavailable_on_store_errors
    async def Query(self, request: pb.QueryRequest, context: grpc.aio.ServicerContext) -> pb.QueryAnswer:
        if not request.name:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a query needs a name")
        rs = self.core.runs.get(request.run_id)
        last = None if rs is not None else await self.core.store.last_event(request.run_id)
        if rs is None and last is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no workflow run with id {request.run_id!r}")
        workflow_name = rs.workflow_name if rs is not None else last.workflow_name  # type: ignore[union-attr]
        loop = asyncio.get_running_loop()
        query_id = _new_run_id()
        answer: asyncio.Future[pb.QueryAnswer] = loop.create_future()
        self.core.queries[query_id] = answer
        try:
            reply_to = self.core.address if self.core.transport.kind != "embedded" else ""
            task = pb.QueryTask(
                query_id=query_id,
                run_id=request.run_id,
                workflow_name=workflow_name,
                name=request.name,
                input=request.input,
                reply_to=reply_to,
            )
            if not await self.core.transport.send_query(task):
                await context.abort(
                    grpc.StatusCode.FAILED_PRECONDITION, f"no worker hosting {workflow_name!r} is connected"
                )
            try:
                return await asyncio.wait_for(answer, QUERY_TIMEOUT)
            except TimeoutError:
                await context.abort(
                    grpc.StatusCode.DEADLINE_EXCEEDED, f"no worker answered the query within {QUERY_TIMEOUT:g}s"
                )
                raise
        finally:
            self.core.queries.pop(query_id, None)

    async def AnswerQuery(self, request: pb.QueryAnswer, context: grpc.aio.ServicerContext) -> pb.ControlResponse:
        answer = self.core.queries.get(request.query_id)
        if answer is not None and not answer.done():
            answer.set_result(request)
        return pb.ControlResponse()

    @unavailable_on_store_errors
    async def GetHistory(
        self, request: pb.GetHistoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetHistoryResponse:
        events = await self.core.store.history(request.run_id, request.after_seq)
        if events is None and self.core.transport.kind != "embedded":
            # A just-started run may still be on its way to its owner, as for Signal and Cancel.
            loop = asyncio.get_running_loop()
            give_up, delay = loop.time() + NOT_FOUND_GRACE, 0.02
            while events is None and loop.time() < give_up:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)
                events = await self.core.store.history(request.run_id, request.after_seq)
        if events is None:
            return pb.GetHistoryResponse(found=False)
        return pb.GetHistoryResponse(found=True, events=events)

    @unavailable_on_store_errors
    async def ListWorkflows(
        self, request: pb.ListWorkflowsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWorkflowsResponse:
        if request.status and request.status not in STATUSES:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"status must be one of {', '.join(STATUSES)}, got {request.status!r}",
            )
        runs = await self.core.store.list_runs(request.status, request.workflow_name, request.limit)
        return pb.ListWorkflowsResponse(runs=runs)

    async def GetClusterInfo(
        self, request: pb.ClusterInfoRequest, context: grpc.aio.ServicerContext
    ) -> pb.ClusterInfo:
        return self.core.transport.cluster_info()

    @unavailable_on_store_errors
    async def Register(self, request: pb.Hello, context: grpc.aio.ServicerContext) -> pb.RegisterResponse:
        ensure = getattr(self.core.transport, "ensure_task_topics", None)
        if ensure is not None:
            await ensure(list(request.workflows), list(request.activities))
        await self.core.register(list(request.workflows), list(request.activities))
        log.info("worker %s connected (%s, %d workflows, %d activities)", request.worker_id,
                 self.core.transport.kind, len(request.workflows), len(request.activities))
        return pb.RegisterResponse()

    @unavailable_on_store_errors
    async def CheckTasks(
        self, request: pb.CheckTasksRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckTasksResponse:
        reply = pb.CheckTasksResponse()
        for task in request.tasks:
            pending, details = await self.core.task_pending(task)
            reply.pending.append(pending)
            reply.heartbeat_details.append(details)
        return reply

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
                if which == "start":
                    response: Any = await self.StartWorkflow(request.start, _SESSION_CONTEXT)
                elif which == "result":
                    response = await self.GetResult(request.result, _SESSION_CONTEXT)
                else:
                    raise _Aborted(grpc.StatusCode.UNIMPLEMENTED, f"unknown client request {which!r}")
            except _Aborted as exc:
                reply = replies.add(request.id)
                reply.code, reply.details = exc.code.value[0], exc.details
                return
            except Exception as exc:  # what a unary RPC would end with: UNKNOWN
                log.exception("client request %s failed", which)
                reply = replies.add(request.id)
                reply.code, reply.details = grpc.StatusCode.UNKNOWN.value[0], f"{type(exc).__name__}: {exc}"
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
                msg = await replies.next()
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
        await self.core.register(list(hello.workflows), list(hello.activities))
        dispatcher = self.core.transport.dispatcher  # type: ignore[attr-defined]
        if dispatcher is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "this server's workers use Kafka")
        session = Session(hello.worker_id, list(hello.workflows), list(hello.activities))
        dispatcher.connect(session, list(hello.running_task_ids))
        log.info("worker %s connected (%d workflows, %d activities)", hello.worker_id,
                 len(hello.workflows), len(hello.activities))
        self._absorb(first, session, dispatcher)
        reader = asyncio.create_task(self._read(request_iterator, session, dispatcher))
        try:
            yield pb.ServerMessage()  # the worker knows it is registered and connected
            while True:
                msg = await session.next_message()
                if msg is None:
                    break
                yield msg
        finally:
            reader.cancel()
            dispatcher.disconnect(session)
            log.info("worker %s disconnected", hello.worker_id)

    def _absorb(self, msg: pb.WorkerMessage, session: Session, dispatcher: Dispatcher) -> None:
        for report in msg.reports:
            if report.HasField("activity_heartbeat"):  # not recorded: only a lease and a checkpoint
                if not self.core.heartbeat(report.activity_heartbeat):
                    session.cancel(report.activity_heartbeat.task_id)
                continue
            # A start is an observation; the worker keeps only outcomes until they are acked.
            ack = None if report.HasField("activity_started") else functools.partial(session.ack, task_id_of(report))
            self.core.report(report, ack)
        if msg.HasField("credit"):
            dispatcher.credit(session, msg.credit.activities, msg.credit.workflows)

    async def _read(
        self, requests: AsyncIterator[pb.WorkerMessage], session: Session, dispatcher: Dispatcher
    ) -> None:
        try:
            async for msg in requests:
                self._absorb(msg, session, dispatcher)
        except (asyncio.CancelledError, grpc.aio.AioRpcError):
            pass
        finally:
            session.close()
