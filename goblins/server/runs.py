"""The application layer: one method per client verb, over the event loop and the mode's ports.

Business rules live here and nowhere else: following a continue-as-new chain, how long to wait
for a result and when "not found" may be answered, whether a run exists and is still running
before a signal or cancel, how a query reaches a worker. The gRPC layer (server/grpc.py) only
decodes, calls one of these methods and encodes; the errors below tell it which status to
answer with.
"""

from __future__ import annotations

import asyncio
import math
import os
from typing import TYPE_CHECKING

from goblins._search import put
from goblins.api import v1 as pb
from goblins.history import FINISHED, WORKFLOW_SUCCEEDED, parse_status
from goblins.server import search
from goblins.server.checks import MAX_PAYLOAD, MAX_REASON, bad_payload, bad_seconds, too_long
from goblins.server.completions import RunCompletions
from goblins.server.effects import ACTIVITY, WORKFLOW
from goblins.server.flow import check_priority, check_queue
from goblins.server.loop import EventLoop
from goblins.server.paging import (
    PAGE_BYTES,
    list_token,
    page_events,
    page_token,
    parse_list_token,
    parse_token,
    run_of_token,
)
from goblins.server.ports import Mode

# Re-exported: code written before request_errors.py imports them from here.
from goblins.server.request_errors import DeadlineExceeded as DeadlineExceeded
from goblins.server.request_errors import FailedPrecondition as FailedPrecondition
from goblins.server.request_errors import InvalidArgument as InvalidArgument
from goblins.server.request_errors import NotFound as NotFound
from goblins.server.request_errors import RequestError as RequestError
from goblins.server.updates import RunUpdates
from goblins.server.workflow_ids import TERMINATED_BY_START, AlreadyStarted, WorkflowIds

if TYPE_CHECKING:
    from goblins.server.scheduler import Scheduler

MAX_WAIT = 60.0
QUERY_TIMEOUT = 10.0
MAX_DESCRIBED = 1000  # activity names one describe may ask about
_HOSTING = {True: pb.HOSTING_YES, False: pb.HOSTING_NO, None: pb.HOSTING_UNKNOWN}


ENGINE_FIELDS: dict[str, tuple[str, ...]] = {
    "StartWorkflowRequest": ("parent_run_id", "parent_step", "reset"),
    "CancelWorkflow": ("reset_to_run_id",),
    "ResetWorkflowRequest": ("new_workflow_id",),
}
"""Fields of public request messages that only the server may set (a child's parent, set when
the parent's workflow task starts it; a reset's new run and its link): a client that sets one
is refused, INVALID_ARGUMENT naming it, rather than ignored, so a forged one never looks accepted."""


def _refuse_engine_fields(request: pb.StartWorkflowRequest | pb.CancelWorkflow | pb.ResetWorkflowRequest) -> None:
    present = {f.name for f, _ in request.ListFields()}
    for field in ENGINE_FIELDS[type(request).__name__]:
        if field in present:
            raise InvalidArgument(
                f"{field} is set by the server only (a child workflow's parent, a reset); a client may not set it"
            )


def _refuse_long(*fields: tuple[str, str], limit: int | None = None) -> None:
    problem = too_long(*fields) if limit is None else too_long(*fields, limit=limit)
    if problem:
        raise InvalidArgument(problem)


def new_id() -> str:
    """A random (version 4) UUID string, like str(uuid4()) but without building a UUID object."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _result(event: pb.HistoryEvent) -> pb.GetResultResponse:
    response = pb.GetResultResponse(found=True, finished=True, workflow_name=event.workflow_name)
    if event.type == WORKFLOW_SUCCEEDED:
        done = event.workflow_finished_in_success
        response.ok, response.output = True, done.output
        if done.continued_as:
            response.continued_as.append(done.continued_as)
    else:
        failure = event.workflow_finished_in_error.failure
        response.error, response.error_type = failure.message, failure.type
    return response


def _expire(waiter: asyncio.Future[pb.HistoryEvent | None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Runs(RunUpdates, RunCompletions):
    """What clients (and workers, for registration and checks) ask of the server."""

    def __init__(self, mode: Mode, loop: EventLoop) -> None:
        self.mode = mode
        self.loop = loop
        self.store = mode.store
        self.router = mode.router
        self.queries: dict[str, asyncio.Future[pb.QueryAnswer]] = {}  # query id -> its answer
        self.address = ""  # where workers reach this server (set once it listens)
        self.max_payload = MAX_PAYLOAD  # bytes in one payload a client sends
        self.ids = WorkflowIds(mode.index, loop, self.store.last_event)
        self.schedules: Scheduler | None = None  # set by the server once started (server/scheduler.py)

    def _refuse_payload(self, data: bytes, argument: str) -> None:
        problem = bad_payload(data, argument, self.max_payload, args=True)
        if problem:
            raise InvalidArgument(problem)

    # ---- start and result ----

    async def start(self, request: pb.StartWorkflowRequest) -> pb.StartWorkflowResponse:
        name = request.workflow_name
        if not name:
            raise InvalidArgument("workflow_name is required")
        _refuse_engine_fields(request)
        _refuse_long(("workflow_name", name), ("run_id", request.run_id), ("workflow_id", request.workflow_id))
        try:  # its task queue and priority (docs/task-queues.md)
            check_priority(request.priority or None)
            if request.task_queue:
                check_queue(request.task_queue)
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        problem = bad_seconds(request.execution_timeout, "execution_timeout")
        if problem:
            raise InvalidArgument(problem)
        self._refuse_payload(request.input, "input")
        problem = bad_payload(request.memo, "memo", self.max_payload, args=False) if request.memo else ""
        if problem:
            raise InvalidArgument(problem)
        self.loop.refuse_in_outage()
        if not await self.loop.is_registered(WORKFLOW, name):
            raise NotFound(f"no worker has registered a workflow named {name!r}")
        if request.start_signal:
            _refuse_long(("start_signal", request.start_signal), ("start_signal_id", request.start_signal_id))
            self._refuse_payload(request.start_signal_input, "start_signal_input")
        problem, attributes = await search.checked(self.loop, dict(request.search_attributes))
        if problem:
            raise InvalidArgument(problem)
        run_id = request.run_id or new_id()
        victim = ""
        if request.workflow_id:  # the id's policies decide; without one, the run id is the workflow id
            try:
                run_id, new, victim = await self.ids.claim(request, run_id)
            except AlreadyStarted as refused:
                return pb.StartWorkflowResponse(
                    run_id=refused.run_id, existed=True, workflow_id=refused.workflow_id, already_started=True
                )
            if not new:  # USE_EXISTING: the id's running run
                return pb.StartWorkflowResponse(run_id=run_id, existed=True, workflow_id=request.workflow_id)
        start = pb.StartWorkflowRequest(
            workflow_name=name,
            input=request.input,
            run_id=run_id,
            execution_timeout=request.execution_timeout,
            workflow_id=request.workflow_id or run_id,
        )
        if request.start_signal:  # signal-with-start: recorded with the start, or sent to the run
            start.start_signal, start.start_signal_input = request.start_signal, request.start_signal_input
            start.start_signal_id = request.start_signal_id or new_id()
        if victim:
            try:
                await self.terminate(victim, TERMINATED_BY_START)
            except FailedPrecondition:
                pass  # it ended meanwhile
        if request.trace_context:  # opaque here: recorded with the start for the workers' tracing
            start.trace_context.update(request.trace_context)
        start.task_queue, start.priority = request.task_queue, request.priority

        put(start.search_attributes, attributes)
        start.memo, start.workflow_id = request.memo, request.workflow_id
        created = await self.router.start(start, fresh=not request.run_id)
        if request.start_signal and not created:
            last = await self.store.last_event(run_id)
            rs = self.loop.run(run_id)
            if (rs is not None and rs.finished) or (rs is None and last is not None and last.type in FINISHED):
                raise FailedPrecondition(f"workflow run {run_id} has already finished: the signal was not delivered")
        return pb.StartWorkflowResponse(run_id=run_id, existed=not created, workflow_id=request.workflow_id or run_id)

    async def result(self, request: pb.GetResultRequest) -> pb.GetResultResponse:
        """The run's outcome; for a run that continued as new, the outcome of the chain's end."""
        if math.isnan(request.wait):  # NaN would make every deadline below NaN: a wait forever
            raise InvalidArgument("wait must be a number of seconds, got nan")
        loop = self.loop.loop or asyncio.get_running_loop()
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
        core = self.loop
        loop = core.loop or asyncio.get_running_loop()
        deadline = loop.time() + min(max(request.wait, 0.0), MAX_WAIT)
        run_id = request.run_id
        if not run_id:
            run_id = request.run_id = await self.ids.resolve(request.workflow_id, "")
        poll = self.router.result_poll(run_id)
        # A run the caller started (or the next run of a chain) exists: never "not found". A
        # run unknown to the store may still be on its way to its owner (the router's grace).
        grace = MAX_WAIT if request.started else self.router.not_found_grace
        not_found_until = loop.time() + min(grace, request.wait)
        waiter = core.waiter(run_id)
        try:
            while True:
                known, last = core.known_last(run_id)  # memory first: no store read, no thread hop
                if not known:
                    last = await self.store.last_event(run_id)
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
                core.drop_waiter(run_id, waiter)
                waiter = core.waiter(run_id)  # registered again before the next read
                poll = min(poll * 2, 1.0)
        finally:
            core.drop_waiter(run_id, waiter)

    def _workflow_name(self, run_id: str) -> str:
        rs = self.loop.run(run_id)
        return rs.workflow_name if rs is not None else ""

    async def _resolve(self, workflow_id: str, run_id: str) -> str:
        """The run a request names: its run_id, else its workflow id's newest run."""
        _refuse_long(("workflow_id", workflow_id))
        return await self.ids.resolve(workflow_id, run_id)

    # ---- signal, cancel, terminate ----

    async def signal(self, request: pb.SignalWorkflow) -> None:
        if not request.name:
            raise InvalidArgument("a signal needs a name")
        _refuse_long(("run_id", request.run_id), ("name", request.name), ("signal_id", request.signal_id))
        self._refuse_payload(request.input, "input")
        if not request.signal_id:  # a client that chose none: still recorded once, whatever Kafka redelivers
            request.signal_id = new_id()
        request.run_id = await self._resolve(request.workflow_id, request.run_id)
        await self._control(request.run_id, pb.Report(signal_workflow=request))

    async def cancel(self, request: pb.CancelWorkflow) -> None:
        """Cancel the run (its code sees CancelledError), or with ``terminate`` end it at once."""
        _refuse_long(("run_id", request.run_id))
        _refuse_long(("reason", request.reason), limit=MAX_REASON)
        _refuse_engine_fields(request)
        request.run_id = await self._resolve(request.workflow_id, request.run_id)
        await self._control(request.run_id, pb.Report(cancel_workflow=request))

    async def terminate(self, run_id: str, reason: str = "") -> None:
        await self.cancel(pb.CancelWorkflow(run_id=run_id, terminate=True, reason=reason))

    async def _control(self, run_id: str, report: pb.Report) -> None:
        self.loop.refuse_in_outage()
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.router.not_found_grace  # a just-started run may be on its way
        delay = 0.05
        while True:
            last = await self.store.last_event(run_id)
            rs = self.loop.run(run_id)
            if last is not None or rs is not None:
                break
            if loop.time() >= give_up:
                raise NotFound(f"no workflow run with id {run_id!r}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
        if (last is not None and last.type in FINISHED) or (rs is not None and rs.finished):
            raise FailedPrecondition(f"workflow run {run_id} has already finished")
        await self.router.submit(report)

    # ---- query ----

    async def query(self, request: pb.QueryRequest) -> pb.QueryAnswer:
        if not request.name:
            raise InvalidArgument("a query needs a name")
        _refuse_long(("run_id", request.run_id), ("name", request.name))
        self._refuse_payload(request.input, "input")
        request.run_id = await self._resolve(request.workflow_id, request.run_id)
        return await self._ask_worker(pb.QueryTask(run_id=request.run_id, name=request.name, input=request.input))

    async def _ask_worker(self, task: pb.QueryTask) -> pb.QueryAnswer:
        """Hand ``task`` (a query, or an update's validation) to the worker holding its run and
        wait for the answer; nothing is recorded."""
        rs = self.loop.run(task.run_id)
        if rs is not None:
            workflow_name, task.task_queue = rs.workflow_name, rs.task_queue
        else:
            last = await self.store.last_event(task.run_id)
            if last is None:
                raise NotFound(f"no workflow run with id {task.run_id!r}")
            workflow_name = last.workflow_name
            # The run's queue (its workers' topics, in the distributed mode): its first event.
            first, _ = await self.store.history_page(task.run_id, 0, 1, PAGE_BYTES) or ([], False)
            task.task_queue = first[0].workflow_scheduled.task_queue if first else ""
        query_id = new_id()
        answer: asyncio.Future[pb.QueryAnswer] = asyncio.get_running_loop().create_future()
        self.queries[query_id] = answer
        try:
            task.query_id, task.workflow_name, task.reply_to = query_id, workflow_name, self.address
            if not await self.mode.queue.send_query(task):
                raise FailedPrecondition(f"no worker hosting {workflow_name!r} is connected")
            try:
                return await asyncio.wait_for(answer, QUERY_TIMEOUT)
            except TimeoutError:
                raise DeadlineExceeded(f"no worker answered the query within {QUERY_TIMEOUT:g}s") from None
        finally:
            self.queries.pop(query_id, None)

    def answer_query(self, answer: pb.QueryAnswer) -> None:
        """A worker's answer to a query this server asked."""
        waiting = self.queries.get(answer.query_id)
        if waiting is not None and not waiting.done():
            waiting.set_result(answer)

    # ---- history and list ----

    async def history_page(self, request: pb.GetHistoryRequest) -> pb.GetHistoryResponse:
        """One page of the run's events: at most ``page_size`` of them (0: the default) and
        ``PAGE_BYTES`` past the first; ``next_page_token`` leads to the next page."""
        if not request.run_id and request.page_token:  # a later page: the run of the first
            request.run_id = run_of_token(request.page_token)
        run_id = request.run_id = await self._resolve(request.workflow_id, request.run_id)
        if request.page_size < 0:
            raise InvalidArgument(f"page_size must be >= 0 (0: the default), got {request.page_size}")
        after = request.after_seq
        if request.page_token:
            parsed = parse_token(request.page_token, run_id)
            if parsed is None:
                raise InvalidArgument("page_token is not a token of this run's history (pass next_page_token as is)")
            after = parsed
        limit = page_events(request.page_size)
        page = await self.store.history_page(run_id, after, limit, PAGE_BYTES)
        if page is None and self.router.not_found_grace and not request.page_token:
            # A just-started run may still be on its way to its owner, as for signal and cancel.
            loop = asyncio.get_running_loop()
            give_up, delay = loop.time() + self.router.not_found_grace, 0.02
            while page is None and loop.time() < give_up:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)
                page = await self.store.history_page(run_id, after, limit, PAGE_BYTES)
        if page is None:
            return pb.GetHistoryResponse(found=False)
        events, more = page
        reply = pb.GetHistoryResponse(found=True, events=events, run_id=run_id)
        if more and events:
            reply.next_page_token = page_token(run_id, events[-1].seq)
        return reply

    async def list_runs(self, request: pb.ListWorkflowsRequest) -> pb.ListWorkflowsResponse:
        """One page of runs, newest first, with the token of the next (empty: the last page)."""
        if request.query:
            try:
                reply = await search.list_runs(self.loop, self.mode.index, request)
            except ValueError as exc:
                raise InvalidArgument(str(exc)) from None
            await self.ids.of_runs(list(reply.runs))
            return reply
        try:
            status = parse_status(request.status)
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        _refuse_long(("workflow_name", request.workflow_name))
        if request.limit < 0:
            raise InvalidArgument(f"limit must be >= 0 (0: the default), got {request.limit}")
        after = None
        if request.page_token:
            after = parse_list_token(request.page_token)
            if after is None:
                raise InvalidArgument("page_token is not a next_page_token of ListWorkflows")
        limit = request.limit or 100
        runs = await self.mode.index.list_runs(
            status,
            request.workflow_name,
            limit,
            after=after,
            created_after=request.created_after,
            created_before=request.created_before,
        )
        await self.ids.of_runs(runs)
        reply = pb.ListWorkflowsResponse(runs=runs)
        if len(runs) >= limit:
            reply.next_page_token = list_token(runs[-1].created_at, runs[-1].run_id)
        return reply

    async def count_runs(self, request: pb.CountWorkflowsRequest) -> pb.CountWorkflowsResponse:
        try:
            return pb.CountWorkflowsResponse(count=await search.count_runs(self.loop, self.mode.index, request.query))
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None

    async def search_attributes(self, request: pb.SearchAttributesRequest) -> pb.SearchAttributesResponse:
        try:
            return await search.declare(self.loop, request)
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None

    # ---- describe ----

    async def describe(self, request: pb.DescribeWorkflowRequest) -> pb.DescribeWorkflowResponse:
        """The live facts about a run that its history does not hold: whether connected workers
        host its workflow and the activities it waits on, and its attempts' last heartbeats."""
        _refuse_long(("run_id", request.run_id), *(("activity name", n) for n in request.activities))
        if len(request.activities) > MAX_DESCRIBED:
            raise InvalidArgument(f"at most {MAX_DESCRIBED} activity names, got {len(request.activities)}")
        request.run_id = await self._resolve(request.workflow_id, request.run_id)
        rs = self.loop.run(request.run_id)
        last = None if rs is not None else await self.store.last_event(request.run_id)
        if rs is None and last is None:
            return pb.DescribeWorkflowResponse(found=False)
        name = rs.workflow_name if rs is not None else last.workflow_name  # type: ignore[union-attr]
        reply = pb.DescribeWorkflowResponse(found=True, workflow_name=name, server_time=self.loop.clock())
        if (rs is not None and rs.finished) or (last is not None and last.type in FINISHED):
            return reply  # an ended run waits for nothing
        names = list(dict.fromkeys(request.activities))
        hosted = await self.mode.queue.hosted([(WORKFLOW, name)] + [(ACTIVITY, n) for n in names])
        reply.workflow_hosted = _HOSTING[hosted[0]]
        by_name = dict(zip(names, hosted[1:], strict=True))
        reply.activities_hosted.extend(_HOSTING[by_name[n]] for n in request.activities)
        if rs is not None:
            beats, times = rs.heartbeats, rs.heartbeat_times
        elif request.activities and (stored := await self.store.load_run(request.run_id)) is not None:
            beats, times = stored.heartbeats, {}  # another server owns the run: no times known here
        else:
            beats, times = {}, {}
        for step_id, details in beats.items():
            reply.heartbeats.add(step_id=step_id, details=details, time=times.get(step_id, 0.0))
        for step_id in times.keys() - beats.keys():  # heartbeats without details
            reply.heartbeats.add(step_id=step_id, time=times[step_id])
        if rs is not None:  # its activities not started that wait for their queue's limits
            for act in rs.activities.values():
                why = "" if act.started or act.finished else self.mode.queue.waiting(act.spec.task_queue)
                if why:
                    reply.waiting.append(f"{act.spec.step_id} ({act.name}): waiting: {why}")
        return reply

    # ---- workers ----

    async def register(self, workflows: list[str], activities: list[str], queue: str = "") -> None:
        """A worker hosts these names (on ``queue``): their task topics exist and the registry has them."""
        _refuse_long(*(("workflow name", n) for n in workflows), *(("activity name", n) for n in activities))
        self.loop.refuse_in_outage()
        if queue:
            try:
                check_queue(queue)
            except ValueError as exc:
                raise InvalidArgument(str(exc)) from None
        await self.mode.queue.ensure_task_topics(workflows, activities, queue)
        await self.loop.register([(WORKFLOW, n) for n in workflows] + [(ACTIVITY, n) for n in activities])

    async def check_tasks(self, tasks: list[pb.ActivityTask]) -> pb.CheckTasksResponse:
        reply = pb.CheckTasksResponse()
        for task in tasks:
            pending, details = await self.loop.task_pending(task)
            reply.pending.append(pending)
            reply.heartbeat_details.append(details)
        return reply

    def cluster_info(self) -> pb.ClusterInfo:
        return self.mode.queue.cluster_info()

    async def workers(self) -> pb.ListWorkersResponse:
        return await self.mode.queue.workers()

    async def set_task_queue(self, config: pb.TaskQueueConfig) -> pb.TaskQueueConfig:
        """Store a task queue's limits (docs/task-queues.md) and apply them."""
        try:
            config.name = check_queue(config.name or "")
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        if config.max_concurrent < 0 or config.max_per_key < 0 or not 0 <= config.rate_per_second < math.inf:
            raise InvalidArgument("max_concurrent, rate_per_second and max_per_key are >= 0 (0: no limit)")
        config.updated_at = self.loop.clock()
        return await self.mode.queue.set_queue(config)

    async def task_queues(self, request: pb.ListTaskQueuesRequest) -> pb.ListTaskQueuesResponse:
        reply = await self.mode.queue.queues()
        if request.name:
            wanted = request.name
            kept = [q for q in reply.queues if q.config.name == wanted]
            del reply.queues[:]
            reply.queues.extend(kept)
        return reply
