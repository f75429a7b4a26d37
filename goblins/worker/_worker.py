"""The worker: runs workflow tasks and activity tasks that the server hands it."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import functools
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import grpc

from goblins import _tracing, converter
from goblins._activity import ActivityContext, CompleteAsync, log_failed_attempt, record_failure
from goblins._activity import current as activity_context
from goblins._channel import Refusals, check_address, open_channel, token_or_env
from goblins._definitions import (
    ActivityDefinition,
    WorkflowDefinition,
    activity_definition,
    workflow_definition,
)
from goblins._envelope import PayloadCodec
from goblins._gc import tune_gc
from goblins._queues import check_queue
from goblins._runtime import WorkflowInstance
from goblins._tls import TLSConfig, resolve
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.codec import chain
from goblins.errors import GoblinsError, PermissionDenied, Unauthenticated
from goblins.worker._local import LocalRunner
from goblins.worker._process import ProcessSlots
from goblins.worker._query import QueryAnswers
from goblins.worker._reconnect import Unreachable
from goblins.worker._source import Cancel, Registration, TaskKind, TaskSource, free_slots, open_source
from goblins.worker._watchdog import Watchdog as _Watchdog

if TYPE_CHECKING:
    from goblins.worker._metrics import WorkerMetrics

log = logging.getLogger("goblins.worker")

EVICT_SLEEPERS = 60.0  # a run that waits on timers only, longer than this, leaves the cache
HISTORY_PATIENCE = 30.0  # keep retrying a history fetch this long (doubling waits)
STARTED_REPORT_DELAY = 0.02  # an activity attempt still running this long reports its start (see _run_activity)
STUCK_GRACE = 5.0  # a sync attempt this long past its start_to_close_timeout is reported stuck
WATCH_EVERY = 0.25  # how often the watchdog looks at the running workflow task and sync attempts


# Refusals the worker stops at (a reconnect would be refused the same), as the errors it raises.
_REFUSED: dict[grpc.StatusCode, type[GoblinsError]] = {
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
}

_Definition = TypeVar("_Definition", WorkflowDefinition, ActivityDefinition)


def _by_name(
    arg: str, decorator: str, fns: Iterable[Callable[..., Any]], define: Callable[[Any], _Definition | None]
) -> dict[str, _Definition]:
    """The definitions of ``fns`` by name; a clear error for an undecorated function or a clash."""
    found: dict[str, _Definition] = {}
    for fn in fns:
        defn = define(fn)
        if defn is None:
            raise TypeError(f"Worker({arg}=...): {fn!r} is not decorated with @goblins.{decorator}")
        if defn.name in found and found[defn.name].fn is not fn:
            raise ValueError(f"Worker({arg}=...): two {arg} are named {defn.name!r}")
        found[defn.name] = defn
    return found


class Worker(QueryAnswers):
    """Hosts workflows and activities and runs the tasks the server sends for them.

    ``await Worker("localhost:9075", workflows=[...], activities=[...]).run()`` runs until
    cancelled or :meth:`shutdown`. The worker reconnects by itself when the server restarts.

    Sync (``def``) activities run in ``activity_executor``: ``"thread"`` (default), ``"process"``
    (an attempt past its ``start_to_close_timeout`` has its process killed and is retried), or
    any ``concurrent.futures.Executor``; ``max_concurrent_sync_activities`` sizes that pool. The
    worker asks for no task it has no free slot for (per kind: :meth:`free_slots`).
    ``blocked_workflow_warning``: seconds after which workflow code that blocks the worker is
    logged with its stack (``None``: never). ``token``: sent with every call, for a server that
    authenticates its callers (default: $GOBLINS_TOKEN; "": none); a refused token ends :meth:`run` with
    :class:`~goblins.errors.Unauthenticated` or :class:`~goblins.errors.PermissionDenied`.
    See docs/activities.md. ``metrics_port``: serve Prometheus metrics at
    ``http://metrics_host:metrics_port/metrics`` while running (host default 127.0.0.1; see
    docs/metrics.md).
    ``codecs``: applied to every payload the worker reads or writes (:mod:`goblins.codec`, e.g.
    ``[goblins.AesGcmCodec(keys)]``); None reads ``GOBLINS_CODEC_KEYS``, ``[]`` is none; see
    docs/security.md.
    ``tls``: reach the server over TLS (default: ``TLSConfig.from_env()``, plaintext when no
    GOBLINS_TLS_* variable is set).
    """

    def __init__(
        self,
        server: str = "localhost:9075",
        *,
        workflows: Iterable[Callable[..., Any]] = (),
        activities: Iterable[Callable[..., Any]] = (),
        max_concurrent_activities: int = 100,
        max_concurrent_workflow_tasks: int = 100,
        max_cached_workflows: int = 10_000,
        activity_executor: concurrent.futures.Executor | Literal["thread", "process"] | None = None,
        max_concurrent_sync_activities: int | None = None,
        blocked_workflow_warning: float | None = 2.0,
        identity: str | None = None,
        token: str | None = None,
        metrics_port: int | None = None,
        metrics_host: str | None = None,
        codecs: Sequence[PayloadCodec] | None = None,
        tls: TLSConfig | None = None,
        task_queue: str | None = None,
    ) -> None:
        for address in server.split(",") if isinstance(server, str) else [server]:
            check_address(address.strip())
        self.server = server
        self._token = token_or_env(token, "Worker(token=...)")
        self.tls = resolve(tls)
        self._workflows = _by_name("workflows", "workflow", workflows, workflow_definition)
        self._activities = _by_name("activities", "activity", activities, activity_definition)
        if not self._workflows and not self._activities:
            raise ValueError("Worker needs at least one workflow or activity")
        for name, value in (
            ("max_concurrent_activities", max_concurrent_activities),
            ("max_concurrent_workflow_tasks", max_concurrent_workflow_tasks),
            ("max_cached_workflows", max_cached_workflows),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Worker({name}=...) must be an int >= 1, got {value!r}")
        self.max_concurrent_activities = max_concurrent_activities
        self.max_concurrent_workflow_tasks = max_concurrent_workflow_tasks
        self.max_cached_workflows = max_cached_workflows
        # Only tasks of this queue (docs/task-queues.md); "" on the wire is "default".
        self.task_queue = check_queue(task_queue) if task_queue is not None else ""
        self.identity = identity or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._sync_names = [name for name, defn in self._activities.items() if not defn.is_async]
        self._executor, self._processes, self.max_concurrent_sync_activities = _sync_pool(
            activity_executor, max_concurrent_sync_activities, max_concurrent_activities
        )
        if blocked_workflow_warning is not None and not blocked_workflow_warning > 0:
            raise ValueError(
                f"Worker(blocked_workflow_warning=...) must be > 0 or None, got {blocked_workflow_warning!r}"
            )
        self.blocked_workflow_warning = blocked_workflow_warning
        self.codec = chain(codecs)
        """The codecs (goblins.codec) every payload this worker reads or writes passes, as one."""
        self.stuck_activities = 0
        """How many sync activity attempts ran past their start_to_close_timeout plus a grace
        and were reported stuck (each once), since the worker started."""
        self._sync_attempts: dict[str, tuple[pb.ActivityTask, float]] = {}  # task id -> (task, start)
        self._activation: tuple[str, str] | None = None  # (run id, workflow): the workflow task in user code
        self._watchdog: _Watchdog | None = None
        self._cache: collections.OrderedDict[str, WorkflowInstance] = collections.OrderedDict()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._kinds: dict[str, TaskKind] = {}  # of the running tasks: what sources see of the worker
        self._contexts: dict[str, ActivityContext] = {}  # running activity attempts, by task id
        self._checks: set[asyncio.Future[None]] = set()
        self._source: TaskSource | None = None  # of the current (or last) session
        self._stub: pb_grpc.GoblinsStub | None = None
        self._stop = asyncio.Event()
        self._connected = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pages_fetched = 0  # history pages read after a first one (tests check paging happens)
        self.metrics_port, self.metrics_host = metrics_port, metrics_host
        self.metrics: WorkerMetrics | None = None  # while running with a metrics port
        self._unreachable = Unreachable(self.identity)
        self._locals = LocalRunner(self._activities, self.codec, self._executor, self.identity)

    # ---- public ----

    async def run(self) -> None:
        """Connect, take tasks, reconnect after any loss of the server, until shutdown()."""
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        tune_gc()
        self._watchdog = _Watchdog(self, threading.get_ident())
        self._watchdog.start()
        if self._processes is not None:
            self._processes.warm()
        if self.metrics_port is not None:
            from goblins.worker._metrics import WorkerMetrics  # prometheus_client: only when asked

            self.metrics = WorkerMetrics(self._registration(), self._connected.is_set)
            self.metrics.serve(self.metrics_port, self.metrics_host)
        backoff = 0.05
        # Several servers of one cluster ("h1:9075,h2:9075"): after a failure, try the next.
        addresses = [a.strip() for a in self.server.split(",") if a.strip()]
        failures = 0
        refusals = Refusals(self.tls)
        try:
            while not self._stop.is_set():
                address = addresses[failures % len(addresses)]
                stub, close = self._open(address)
                try:
                    self._stub = stub
                    info = await self._stub.GetClusterInfo(pb.ClusterInfoRequest())
                    refusals.connected()
                    self._source = open_source(self._stub, info, self._registration(), self._source)
                    await self._serve(self._source)
                    backoff = 0.05
                except grpc.aio.AioRpcError as exc:
                    refused = _REFUSED.get(exc.code())
                    if refused is not None:  # the same token would be refused again: stop, say why
                        raise refused(exc.details() or exc.code().name) from None
                    failures += 1
                    # A refused TLS handshake looks like a server that is down: say which it is.
                    reason = refusals.see(exc.details() or "")
                    if reason is not None:
                        log.warning("worker %s: cannot connect to %s: %s; retrying", self.identity, address, reason)
                    self._unreachable.failed(address, f"{exc.code().name}: {exc.details()}")
                finally:
                    self._connected.clear()
                    await close()
                if self._stop.is_set():
                    break
                try:
                    await asyncio.wait_for(self._stop.wait(), backoff)
                except TimeoutError:
                    pass
                backoff = min(backoff * 2, 1.0)
        finally:
            for task in list(self._running.values()):
                task.cancel()
            if self._running:
                await asyncio.gather(*self._running.values(), return_exceptions=True)
            self._watchdog.stop()
            if self._processes is not None:
                self._processes.close()
            if self.metrics is not None:
                self.metrics.close()
                self.metrics = None

    def _open(self, address: str) -> tuple[pb_grpc.GoblinsStub, Callable[[], Awaitable[None]]]:
        """The server's methods at ``address`` and how to let go of them: a gRPC stub here; an
        in-process worker (goblins.local) answers with the server's own handlers instead."""
        channel = open_channel(address, tls=self.tls, token=self._token)
        return pb_grpc.GoblinsStub(channel), channel.close  # type: ignore[no-untyped-call]

    async def shutdown(self) -> None:
        """Stop taking tasks and leave; tasks still running are redelivered elsewhere."""
        self._stop.set()

    def free_slots(self) -> dict[str, int]:
        """Free slots per kind: ``activities`` (all activities), ``sync_activities`` (of those,
        the sync ones: threads or processes) and ``workflow_tasks`` (0 for a kind the worker
        hosts none of). The worker asks the server for no more than these, so it never holds a
        task it cannot start."""
        activities, workflows, sync = free_slots(self._registration(), self._kinds)
        return {"activities": activities, "sync_activities": sync, "workflow_tasks": workflows}

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Until the worker has a session with the server (useful in tests and scripts)."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    # ---- the loop over a task source ----

    def _registration(self) -> Registration:
        return Registration(
            worker_id=self.identity,
            workflows=list(self._workflows),
            activities=list(self._activities),
            max_activities=self.max_concurrent_activities,
            max_workflow_tasks=self.max_concurrent_workflow_tasks,
            running=self._running_kinds,
            sync_activities=self._sync_names,
            max_sync_activities=self.max_concurrent_sync_activities,
            task_queue=self.task_queue,
        )

    def _running_kinds(self) -> Mapping[str, TaskKind]:
        return self._kinds

    async def _serve(self, source: TaskSource) -> None:
        """Run what ``source`` hands out until it ends (shutdown, or the server is lost)."""
        self._source = source
        stopper = asyncio.ensure_future(self._stop.wait())
        stopper.add_done_callback(lambda _: source.close())
        try:
            async with contextlib.aclosing(source.tasks()) as batches:
                async for batch in batches:
                    if not self._connected.is_set():
                        self._connected.set()
                        self._unreachable.connected()
                    for item in batch:
                        if isinstance(item, Cancel):
                            ctx = self._contexts.get(item.task_id)
                            if ctx is not None:
                                ctx.cancel()
                        else:
                            self._start(item)
        finally:
            stopper.cancel()
            self._connected.clear()
            source.close()

    def _start(self, task: pb.Task) -> None:
        if task.HasField("query"):
            answer = self._create_task(self._answer_query(task.query))
            self._checks.add(answer)
            answer.add_done_callback(self._checks.discard)
            return
        if task.HasField("activity"):
            t = task.activity
            if t.task_id not in self._running:
                defn = self._activities.get(t.activity_name)
                self._kinds[t.task_id] = "sync_activity" if defn is not None and not defn.is_async else "activity"
                self._running[t.task_id] = self._create_task(self._run_activity(t))
        else:
            w = task.workflow
            if w.task_id not in self._running:
                self._kinds[w.task_id] = "workflow"
                self._running[w.task_id] = self._create_task(self._run_workflow_task(w))

    def _create_task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        return self._loop_now().create_task(coro)

    def _loop_now(self) -> asyncio.AbstractEventLoop:
        # The loop of run(), not asyncio.get_running_loop(): Python 3.11 calls getpid() to find it.
        return self._loop if self._loop is not None else asyncio.get_running_loop()

    def _forget(self, task_id: str) -> None:
        """The task ends without a report (shutdown, or given up): the server redelivers it."""
        self._running.pop(task_id, None)
        self._kinds.pop(task_id, None)

    def _finish(self, task_id: str, report: pb.Report) -> None:
        if self._source is not None:  # before _forget: the source reads the task's kind (its slot)
            self._source.complete(task_id, report)
        self._forget(task_id)

    def _send(self, report: pb.Report) -> None:
        """A fire-and-forget report (activity started, heartbeat), on the loop's thread."""
        if self._source is not None:
            self._source.send(report)

    # ---- activities ----

    async def _run_activity(self, t: pb.ActivityTask) -> None:
        began = time.monotonic()
        started = pb.ActivityStarted(task_id=t.task_id, run_id=t.run_id, step_id=t.step_id, attempt=t.attempt)
        # An attempt that ends within the delay sends its start with its result, in one message:
        # the server records both in one commit (one fsync and one message less per activity).
        start = _Start(self._send, pb.Report(activity_started=started))
        report_start = self._loop_now().call_later(STARTED_REPORT_DELAY, start.send)
        result = pb.ActivityResult(task_id=t.task_id, run_id=t.run_id, step_id=t.step_id, attempt=t.attempt)
        ctx = ActivityContext(t, start.then, asyncio.get_running_loop(), self.codec)
        self._contexts[t.task_id] = ctx
        token = activity_context.set(ctx)  # this task's context: goblins.heartbeat() finds it
        span = _tracing.activity_attempt(t) if _tracing.live() else None  # current for the code
        try:
            defn = self._activities.get(t.activity_name)
            if defn is None:
                raise LookupError(f"activity {t.activity_name!r} is not registered on worker {self.identity}")
            if defn.is_async or self._processes is None:
                args = converter.decode_args(t.input, defn.fn, self.codec)
            if defn.is_async:
                inner = asyncio.ensure_future(defn.fn(*args))
                ctx.on_cancel = inner.cancel
                value = await (asyncio.wait_for(inner, t.start_to_close_timeout) if t.start_to_close_timeout else inner)
            elif self._processes is not None:
                value = None
                self._sync_attempts[t.task_id] = (t, time.monotonic())
                run = asyncio.ensure_future(
                    self._processes.run(
                        defn.fn,
                        converter.plain(t.input, self.codec),  # the child holds no key: it gets plaintext
                        f"activity {t.activity_name!r} result",
                        t.start_to_close_timeout or None,
                    )
                )
                ctx.on_cancel = functools.partial(_cancel, run)
                try:
                    result.ok, result.output, result.error_type, result.error, result.stack_trace = await run
                    if result.ok and self.codec is not None:
                        result.output = self.codec.encode(result.output)
                except TimeoutError:
                    result.error_type = "TimeoutError"
                    result.error = (
                        f"TimeoutError: activity {t.activity_name!r} did not finish within "
                        f"{t.start_to_close_timeout:g}s (its process was killed)"
                    )
                    log.warning(
                        "activity attempt killed: run %s step %s activity %r attempt %d ran past its "
                        "start_to_close_timeout of %gs",
                        t.run_id,
                        t.step_id,
                        t.activity_name,
                        t.attempt,
                        t.start_to_close_timeout,
                    )
            else:
                self._sync_attempts[t.task_id] = (t, time.monotonic())
                call = functools.partial(contextvars.copy_context().run, defn.fn, *args)
                value = await asyncio.get_running_loop().run_in_executor(self._executor, call)
            if not result.error_type:
                if self._processes is None or defn.is_async:
                    result.output = converter.encode(value, f"activity {t.activity_name!r} result", self.codec)
                result.ok = True
        except asyncio.CancelledError:
            if not ctx.cancelled:  # the worker is shutting down: the server redelivers the task
                self._forget(t.task_id)
                raise
            result.error_type = "CancelledError"
            result.error = "CancelledError: the activity was cancelled (its run no longer wants it)"
        except CompleteAsync:  # a client completes it with the task token: the slot is free now
            result.async_completion, result.token_hash = True, ctx.token_hash()
        except BaseException as exc:  # SystemExit/KeyboardInterrupt from user code: an error, not a lost task
            record_failure(result, exc, self.codec)
        finally:
            report_start.cancel()
            activity_context.reset(token)
            self._contexts.pop(t.task_id, None)
            self._sync_attempts.pop(t.task_id, None)
            if self.metrics is not None:
                self.metrics.activity(t.activity_name, time.monotonic() - began)
            if span is not None:
                _tracing.end_attempt(*span, result)
        if not result.ok and not result.async_completion:
            log_failed_attempt(t, result)
        result.heartbeat_details = ctx.details
        start.send()  # if not sent yet: the server records no result without its start
        self._finish(t.task_id, pb.Report(activity_result=result))

    # ---- workflows ----

    async def _history(
        self, run_id: str, page_token: bytes = b"", upto: int = 0, later: list[pb.HistoryEvent] | None = None
    ) -> list[pb.HistoryEvent]:
        """The run's events from the start (or from ``page_token``) up to seq ``upto`` (0: the
        newest), read page by page: no message carries more than a page of a long history.
        ``later`` receives the events read past ``upto``."""
        assert self._stub is not None
        events: list[pb.HistoryEvent] = []
        while True:
            if page_token:
                self._pages_fetched += 1
            page = await self._stub.GetHistory(pb.GetHistoryRequest(run_id=run_id, page_token=page_token))
            events.extend(page.events)
            page_token = page.next_page_token
            if not page_token or (upto and events and events[-1].seq >= upto):
                break
        if upto and events and events[-1].seq > upto:  # newer than the task: its next task shows them
            if later is not None:
                later.extend(e for e in events if e.seq > upto)
            events = [e for e in events if e.seq <= upto]
        return events

    async def _run_workflow_task(self, t: pb.WorkflowTask) -> None:
        delay = 0.1
        while True:
            try:
                report = await self._workflow_report(t)
                break
            except asyncio.CancelledError:
                self._forget(t.task_id)
                raise
            except grpc.aio.AioRpcError as exc:  # the history fetch failed: the server or store restarts
                if self._stop.is_set() or delay > HISTORY_PATIENCE:
                    log.warning("workflow task %s abandoned: %s", t.task_id, exc.code().name)
                    self._forget(t.task_id)
                    return  # the server redelivers it (another session, a lease expiry, a rebalance)
                await asyncio.sleep(delay)
                delay *= 2
        self._finish(t.task_id, report)

    async def _workflow_report(self, t: pb.WorkflowTask) -> pb.Report:
        began = time.time_ns() if _tracing.live() else 0  # the task's span, made once it is done
        instance = self._cache.get(t.run_id)
        events: Any = t.events
        fresh = False  # a new instance: it rebuilds the run from its history
        if instance is None or instance.last_seq != t.from_seq:
            fresh = True
            later: list[pb.HistoryEvent] = []
            defn = self._workflows.get(t.workflow_name)
            if defn is None:
                failed = pb.WorkflowTaskFailed(
                    task_id=t.task_id,
                    run_id=t.run_id,
                    error_type="LookupError",
                    error=f"LookupError: workflow {t.workflow_name!r} is not registered on worker {self.identity}",
                )
                return pb.Report(workflow_task_failed=failed)
            if t.from_seq != 0 or not (t.events or t.next_page_token):  # a replay from the start
                events = await self._history(t.run_id, upto=t.last_seq, later=later)
            elif t.next_page_token:
                events = [*t.events, *await self._history(t.run_id, t.next_page_token, t.last_seq, later)]
            instance = WorkflowInstance(t.run_id, defn, self.codec)  # type: ignore[abstract]
            instance.saw_later(later)  # a stale task (redelivered): its code ran past it already
            self._cache[t.run_id] = instance
            while len(self._cache) > self.max_cached_workflows:
                self._cache.popitem(last=False)
        else:
            if t.next_page_token:  # the task's events were cut to bound its size: the rest in pages
                events = [*t.events, *await self._history(t.run_id, t.next_page_token, t.last_seq)]
            self._cache.move_to_end(t.run_id)
        instance.replay_through = t.replay_through
        self._activation = (t.run_id, t.workflow_name)  # the watchdog warns if it blocks the loop
        try:
            completion = instance.activate(events)
        finally:
            self._activation = None
        if instance.local_requests:  # goblins.workflow.execute_local_activity: run here, now
            completion = await self._locals.run(instance, completion)
        if began:
            replay = fresh and (instance.decided_seq > 0 or t.replay_through > 0)  # code ran before
            _tracing.workflow_task(t, instance, began, completion.commands, completion.failure, replay)
        if completion.failure is not None:
            self._cache.pop(t.run_id, None)
            error_type, error = completion.failure
            log.error(
                "workflow task of run %s (workflow %r) failed: %s\n%s",
                t.run_id,
                t.workflow_name,
                error,
                completion.stack_trace.rstrip(),
                extra={"run_id": t.run_id, "workflow": t.workflow_name},
            )
            failed = pb.WorkflowTaskFailed(
                task_id=t.task_id,
                run_id=t.run_id,
                error=error,
                error_type=error_type,
                stack_trace=completion.stack_trace,
            )
            return pb.Report(workflow_task_failed=failed)
        if completion.finished or instance.asleep_for() > EVICT_SLEEPERS:
            # Done, or asleep for long: the run holds no memory here; its timer's workflow
            # task replays it from the history (on this worker or any other).
            self._cache.pop(t.run_id, None)
        done = pb.WorkflowTaskCompleted(
            task_id=t.task_id, run_id=t.run_id, seen_seq=completion.seen_seq, commands=completion.commands
        )
        return pb.Report(workflow_task_completed=done)


class _Start:
    """An attempt's start report, sent once: after a delay, or just before its result."""

    __slots__ = ("_report", "_send", "_sent")

    def __init__(self, send: Callable[[pb.Report], None], report: pb.Report) -> None:
        self._send = send
        self._report = report
        self._sent = False

    def send(self) -> None:
        if not self._sent:
            self._sent = True
            self._send(self._report)

    def then(self, report: pb.Report) -> None:
        """Send ``report`` (a heartbeat) after the start: a heartbeat says the attempt runs."""
        self.send()
        self._send(report)


def _cancel(fut: asyncio.Future[Any]) -> None:
    fut.cancel()


def _sync_pool(
    executor: concurrent.futures.Executor | str | None, slots: int | None, max_activities: int
) -> tuple[concurrent.futures.Executor | None, ProcessSlots | None, int]:
    """Where sync activities run (threads, processes or the caller's executor) and how many at
    once: the slot count that the worker's credit for them follows."""
    if slots is not None and (not isinstance(slots, int) or slots < 1):
        raise ValueError(f"Worker(max_concurrent_sync_activities=...) must be an int >= 1, got {slots!r}")
    if executor is None or executor == "thread":
        # The size asyncio gives its default executor, which sync activities used before.
        size = min(slots or min(32, (os.cpu_count() or 1) + 4), max_activities)
        return concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix="goblins-activity"), None, size
    if executor == "process":
        size = min(slots or os.cpu_count() or 1, max_activities)
        return None, ProcessSlots(size), size
    if isinstance(executor, concurrent.futures.Executor):
        # Its own limit, when it tells (thread and process pools do): more would only queue.
        size = min(slots or getattr(executor, "_max_workers", max_activities), max_activities)
        return executor, None, size
    raise ValueError(f"Worker(activity_executor=...) must be 'thread', 'process' or an Executor, got {executor!r}")
