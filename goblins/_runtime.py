"""The workflow runtime: history events in, commands out. No I/O.

A :class:`WorkflowInstance` is a tiny deterministic asyncio event loop that owns one run's
workflow coroutine. ``activate(events)`` feeds history events in order and, after each one,
runs the coroutine until nothing more can move; then it returns the commands the code asked
for (schedule activities, finish). Live execution and replay take the same path, event by
event, so a run that resumes on another worker reaches exactly the same state.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from goblins import converter, wire
from goblins._definitions import WorkflowDefinition, activity_definition, name_of, workflow_definition
from goblins._envelope import PayloadCodec
from goblins._local_activity import LOCAL, LocalActivities
from goblins._queues import check_priority, check_queue
from goblins._settle import _SETTLE, _fail_workflow
from goblins._updates import UpdateHandling
from goblins.api import v1 as pb
from goblins.errors import (
    ActivityFailed,
    ApplicationError,
    ChildWorkflowFailed,
    CodecError,
    GoblinsError,
    NondeterminismError,
    SerializationError,
    describe,
    stack_trace,
)
from goblins.history import (
    ACTIVITY_FAILED,
    ACTIVITY_SCHEDULED,
    ACTIVITY_STARTED,
    ACTIVITY_SUCCEEDED,
    CANCEL_REQUESTED,
    CHILD_COMPLETED,
    CHILD_FAILED,
    CHILD_STARTED,
    LOCAL_ACTIVITY_RECORDED,
    MARKER_RECORDED,
    SEARCH_ATTRIBUTES_UPSERTED,
    SIGNALED,
    SIGNALS_QUERY,
    TASK_DECISIONS,
    TIMER_FIRED,
    TIMER_STARTED,
    UPDATE_ACCEPTED,
    UPDATE_COMPLETED,
    WORKFLOW_FAILED,
    WORKFLOW_SCHEDULED,
    WORKFLOW_STARTED,
    WORKFLOW_SUCCEEDED,
    WORKFLOW_TASK_FAILED,
)
from goblins.retry import RetryPolicy
from goblins.wire import step_id_of

CHILD = "child"  # the kind of a child-workflow step
TIMER = "timer"  # the kind of a timer step, where activity steps record the activity's name
CANCELLED = "WorkflowCancelled"  # error_type of a run that ended because it was cancelled

DEFAULT_RETRY_POLICY = RetryPolicy()

# The instance whose activation runs on this thread: read by goblins.execute_activity without
# asking asyncio for the running loop (Python 3.11 calls getpid() on every such read).
_active = threading.local()


def new_step_id(run_id: str, position: int) -> str:
    """The id of the ``position``-th activity call of a run: the same on every replay."""
    return f"{run_id}/{position}"


@dataclasses.dataclass
class Completion:
    """The outcome of an activation: commands, or a workflow task failure."""

    commands: list[pb.Command]
    seen_seq: int
    failure: tuple[str, str] | None = None
    """(error_type, error) of a workflow task failure."""
    finished: bool = False
    stack_trace: str = ""
    """Where the workflow task failed (with ``failure``)."""


class WorkflowInstance(UpdateHandling, LocalActivities, asyncio.AbstractEventLoop):
    """One run of a workflow, driven by its history."""

    def __init__(self, run_id: str, definition: WorkflowDefinition, codec: PayloadCodec | None = None) -> None:
        self.run_id = run_id
        self.definition = definition
        self.codec = codec  # of the worker: every payload this run reads or writes passes it
        self.last_seq = 0
        self._ready: collections.deque[asyncio.Handle] = collections.deque()
        self._root: asyncio.Task[Any] | None = None
        self._positions = 0
        self._recorded: dict[str, tuple[str, str]] = {}  # step id -> (kind, name), from history
        self._pending: dict[str, tuple[asyncio.Future[Any], Any]] = {}
        self._early: dict[str, pb.HistoryEvent] = {}
        self._commands: list[pb.Command] = []
        self._nondeterminism: NondeterminismError | None = None
        self._finished = False
        self._signals: dict[str, collections.deque[Any]] = collections.defaultdict(collections.deque)
        self._signal_waiters: dict[str, collections.deque[asyncio.Future[Any]]] = collections.defaultdict(
            collections.deque
        )
        self._cancel_requested = False
        self._timers_due: dict[str, float] = {}  # timer step id -> when it fires
        self.query_handlers: dict[str, Callable[..., Any]] = {}
        self._init_updates()
        self._init_local()
        self.now = 0.0  # the time of the newest event applied: the same on every replay
        self.random = random.Random(run_id)  # seeded by the run: the same draws on every replay
        self._crashed: BaseException | None = None  # a bug that ended the workflow code: fails the task
        self._seq = 0  # the event being applied: the code runs in reaction to it
        self._decided_to = 0  # the newest event a workflow task's commands recorded (see patched)
        self._markers: set[str] = set()  # the patch ids the history has markers for
        self.upserts_recorded: set[str] = set()  # the upsert ids the history has (_workflow_search)
        self._patches: dict[str, bool] = {}  # each patch id's answer: asked once per run
        self.trace_context: Mapping[str, str] = {}  # recorded with the start (goblins/_tracing.py)
        self.trace_parent: Any = None  # the same, extracted once by goblins/_tracing.py
        # The newest event the workflow's own earlier decisions recorded: code that runs for an
        # event before it ran already, in an earlier task (goblins.workflow.logger is silent).
        self.decided_seq = 0
        self.replay_through = 0  # the same, as the server tells it (WorkflowTask.replay_through)
        self.replaying = False

    # ---- the seam: events in, completion out; never raises ----

    def activate(self, events: Sequence[pb.HistoryEvent]) -> Completion:
        return self._activation(self._apply_events, events)

    def resolve_local(self, outcomes: Sequence[pb.LocalActivityRecordedAttributes]) -> Completion:
        """The worker ran the local activities this activation asked for: record each outcome
        and run the code on (the commands returned follow the activation's)."""
        return self._activation(self._settle_locals, outcomes)

    def _settle_locals(self, outcomes: Sequence[pb.LocalActivityRecordedAttributes]) -> None:
        for outcome in outcomes:
            self._settle_local(outcome)

    def _activation(self, body: Callable[[Any], None], arg: Any) -> Completion:
        self._commands = []
        # This instance is the running loop for the whole activation, not per event: Python
        # 3.11 calls getpid() on every set and read of the running loop.
        previous = asyncio._get_running_loop()
        asyncio._set_running_loop(self)
        outer, _active.instance = getattr(_active, "instance", None), self
        try:
            body(arg)
        except BaseException as exc:
            # A bug in goblins, a corrupt history, or workflow code raising SystemExit or
            # KeyboardInterrupt (which asyncio lets escape a task): fail the task, keep the run
            # and the worker. The instance is discarded with the failure.
            return _task_failure(exc, self.last_seq)
        finally:
            _active.instance = outer
            asyncio._set_running_loop(previous)
        if self._crashed is not None:
            return _task_failure(self._crashed, self.last_seq)
        if self._nondeterminism is not None:
            return _task_failure(self._nondeterminism, self.last_seq)
        if self._finished and self._update_commands:
            self._updates_before_end()
        return Completion(self._commands, self.last_seq, None, self._finished)

    def _apply_events(self, events: Sequence[pb.HistoryEvent]) -> None:
        for event in events:
            step = _STEPS.get(event.type)
            if step is not None:
                step_id, recorded = step(event)
                self._recorded[step_id] = recorded
                if event.seq > self.decided_seq:  # saw_later may have set a newer one
                    self.decided_seq = event.seq
            if event.type in _DECIDED:
                self._decided_to = event.seq
                if event.type == MARKER_RECORDED:
                    self._markers.add(event.marker_recorded.patch_id)
                elif event.type == SEARCH_ATTRIBUTES_UPSERTED:  # replayed: not commanded again
                    self.upserts_recorded.add(event.search_attributes_upserted.upsert_id)
        for event in events:
            self._apply(event)
            self.last_seq = event.seq
            if self._nondeterminism is not None:
                break

    def saw_later(self, events: Sequence[pb.HistoryEvent]) -> None:
        """Events past what this activation shows (a stale task, redelivered): the decisions
        among them mark code that ran already (goblins.workflow.logger stays silent there)."""
        for event in events:
            if event.type in _STEPS:
                self.decided_seq = max(self.decided_seq, event.seq)

    def _apply(self, event: pb.HistoryEvent) -> None:
        self.now = event.time or self.now
        self._seq = event.seq
        self.replaying = event.seq < self.decided_seq or event.seq <= self.replay_through
        step = _APPLY.get(event.type)
        if step is None:  # a history from a newer server: fail the task rather than guess
            raise ValueError(f"event {event.seq} has an unknown type {event.type!r}")
        if step(self, event):
            self._run_ready()

    # Each returns whether the workflow's code has something new to run.

    def _apply_scheduled(self, event: pb.HistoryEvent) -> bool:
        if self._root is not None:
            return False
        self.trace_context = event.workflow_scheduled.trace_context
        self.scheduled = event.workflow_scheduled  # its search attributes and memo (_workflow_search)
        self._root = self.create_task(self._main(event.workflow_scheduled.input))
        self._root.add_done_callback(self._on_root_done)
        return True

    def _apply_activity_failed(self, event: pb.HistoryEvent) -> bool:
        if event.activity_finished_in_error.retry_at:
            return False  # the server retries: the step goes on
        return self._apply_step_end(event)

    def _apply_step_end(self, event: pb.HistoryEvent) -> bool:
        step_id = step_id_of(event)
        waiter = self._pending.pop(step_id, None)
        if waiter is None:
            self._early[step_id] = event
            return False
        self._resolve(waiter[0], waiter[1], event)
        return True

    def _apply_signaled(self, event: pb.HistoryEvent) -> bool:
        signaled = event.workflow_signaled
        self._deliver_signal(signaled.signal_name, signaled.input)
        return True

    def _apply_cancel_requested(self, event: pb.HistoryEvent) -> bool:
        self._cancel_requested = True
        if self._root is not None and not self._root.done():
            self._root.cancel()
        return True

    def _apply_finished(self, event: pb.HistoryEvent) -> bool:
        self._finished = True
        return False

    def _apply_nothing(self, event: pb.HistoryEvent) -> bool:
        return False  # recorded for the server's sake (or read in activate's first pass)

    async def _main(self, payload: bytes) -> Any:
        # Input that does not fit the signature finishes the run in error: no deployment can
        # fix the recorded input, so retrying its task would go on for ever.
        try:
            args = converter.decode_args(payload, self.definition.fn, self.codec)
            code = self.definition.fn(*args)  # an async def: a wrong argument count raises here
        except CodecError:
            raise  # no key here: the task fails, and a worker that holds the key runs it
        except Exception as exc:
            raise ApplicationError(str(exc), type=type(exc).__name__, non_retryable=True) from exc
        return await code

    def _resolve(self, future: asyncio.Future[Any], hint: Any, event: pb.HistoryEvent) -> None:
        if not future.done():
            _SETTLE[event.type](future, hint, event, self.codec)

    def _on_root_done(self, task: asyncio.Task[Any]) -> None:
        if self._finished or self._nondeterminism is not None:
            return
        if task.cancelled():
            self._finished = True
            failure = pb.FailWorkflow(error_type=CANCELLED, error=f"{CANCELLED}: the workflow was cancelled")
            self._commands.append(pb.Command(fail_workflow=failure))
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, ContinueAsNew) and not self._fails_run(exc):
            # Temporal's rule: anything else is a bug in the code (a NameError, SystemExit): it
            # fails the workflow task, not the run, and the server retries the task until a
            # deployment with fixed code completes it.
            self._crashed = exc
            return
        command: pb.Command
        try:
            if isinstance(exc, ContinueAsNew):
                command = pb.Command(continue_as_new=pb.ContinueAsNew(input=exc.payload))
            elif exc is None:
                output = converter.encode(task.result(), f"workflow {self.definition.name!r} result", self.codec)
                command = pb.Command(complete_workflow=pb.CompleteWorkflow(output=output))
            else:
                command = pb.Command(fail_workflow=_fail_workflow(exc, self.codec))
        except Exception as bug:  # a result (or details) that cannot be encoded: a bug too
            self._crashed = bug
            return
        self._finished = True
        self._commands.append(command)

    def _fails_run(self, exc: BaseException) -> bool:
        """Whether ``exc``, escaping the workflow's code, ends the run (else: its task)."""
        if isinstance(exc, (ApplicationError, ActivityFailed, ChildWorkflowFailed)):
            return True
        return isinstance(exc, self.definition.failure_exception_types)

    # ---- called by workflow code through goblins.execute_activity ----

    def schedule_activity(
        self,
        activity: Any,
        args: Sequence[Any],
        retry_policy: RetryPolicy | None,
        start_to_close_timeout: float | None,
        heartbeat_timeout: float | None = None,
        schedule_to_close_timeout: float | None = None,
        flow: tuple[str | None, int | None, str | None] = (None, None, None),
    ) -> asyncio.Future[Any]:
        name = name_of(activity, "activity")
        queue, priority, ckey = _flow(*flow) if flow != (None, None, None) else ("", 0, "")
        defn = activity_definition(activity)
        hint = converter.param_hints(defn.fn)[1] if defn is not None else Any
        payload = converter.encode_args(args, f"activity {name!r}", self.codec)
        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise TypeError(f"retry_policy must be a goblins.RetryPolicy, got {retry_policy!r}")
        for label, value in (
            ("start_to_close_timeout", start_to_close_timeout),
            ("heartbeat_timeout", heartbeat_timeout),
            ("schedule_to_close_timeout", schedule_to_close_timeout),
        ):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise ValueError(f"{label} must be a number of seconds > 0, got {value!r}")
        act_id, recorded = self._next_step("activity", name)
        if recorded is None:
            policy = wire.retry_policy_to_proto(retry_policy or DEFAULT_RETRY_POLICY)
            schedule = pb.ScheduleActivity(
                step_id=act_id,
                activity_name=name,
                input=payload,
                retry_policy=policy,
                start_to_close_timeout=float(start_to_close_timeout or 0),
                heartbeat_timeout=float(heartbeat_timeout or 0),
                schedule_to_close_timeout=float(schedule_to_close_timeout or 0),
                task_queue=queue,
                priority=priority,
                concurrency_key=ckey,
            )
            self._commands.append(pb.Command(schedule_activity=schedule))
        return self._step_future(act_id, hint)

    def start_timer(self, seconds: float) -> asyncio.Future[Any]:
        """A future resolved when a durable timer of ``seconds`` fires (goblins.sleep)."""
        timer_id, recorded = self._next_step(TIMER, "")
        if recorded is None:
            self._commands.append(pb.Command(start_timer=pb.StartTimer(timer_id=timer_id, seconds=seconds)))
        self._timers_due[timer_id] = self.now + seconds
        return self._step_future(timer_id, None)

    def asleep_for(self) -> float:
        """Seconds until the run can move again, when it waits on timers only (0: otherwise)."""
        pending = [step for step, (future, _) in self._pending.items() if not future.done()]
        if not pending or any(step not in self._timers_due for step in pending):
            return 0.0
        if any(waiters for waiters in self._signal_waiters.values()):
            return 0.0
        return max(0.0, min(self._timers_due[step] for step in pending) - self.now)

    def start_child(
        self,
        workflow: Any,
        args: Sequence[Any],
        run_id: str | None,
        flow: tuple[str | None, int | None] = (None, None),
        extra: Callable[[Any], None] | None = None,
    ) -> tuple[str, asyncio.Future[Any]]:
        """Start a child workflow run; (its run id, a future of its result)."""
        name = name_of(workflow, "workflow")
        queue, priority, _ = _flow(flow[0], flow[1], None)
        defn = workflow_definition(workflow)
        hint = converter.param_hints(defn.fn)[1] if defn is not None else Any
        payload = converter.encode_args(args, f"child workflow {name!r}", self.codec)
        if run_id is not None and (not isinstance(run_id, str) or not run_id):
            raise ValueError(f"run_id must be a non-empty str, got {run_id!r}")
        step_id, recorded = self._next_step(CHILD, name)
        child_run_id = run_id or step_id  # deterministic: the parent's step id
        if recorded is None:
            start = pb.StartChildWorkflow(
                step_id=step_id,
                workflow_name=name,
                input=payload,
                child_run_id=child_run_id,
                task_queue=queue,
                priority=priority,
            )
            if extra is not None:  # search attributes and memo (goblins/_client_search.py)
                extra(start)
            self._commands.append(pb.Command(start_child_workflow=start))
        return child_run_id, self._step_future(step_id, hint)

    def _next_step(self, kind: str, name: str) -> tuple[str, tuple[str, str] | None]:
        """The next step's id, and what the history recorded there (None: a new step)."""
        self._positions += 1
        step_id = new_step_id(self.run_id, self._positions)
        recorded = self._recorded.get(step_id)
        if recorded is not None and recorded != (kind, name):
            asked, was = _describe_step(kind, name), _describe_step(*recorded)
            self._nondeterminism = NondeterminismError(
                f"workflow {self.definition.name!r} run {self.run_id}: step {self._positions} asks for {asked} "
                f"but the history recorded {was} at that step"
            )
            raise self._nondeterminism
        if recorded is None:
            self._recorded[step_id] = (kind, name)
        return step_id, recorded

    def _step_future(self, step_id: str, hint: Any) -> asyncio.Future[Any]:
        future = self.create_future()
        early = self._early.pop(step_id, None)
        if early is not None:
            self._resolve(future, hint, early)
        else:
            self._pending[step_id] = (future, hint)
        return future

    # ---- versioning (goblins.workflow.patched / deprecate_patch) ----

    def patched(self, patch_id: str, deprecated: bool = False) -> bool:
        """Whether the run takes the new code of ``patch_id``: asked once per run, then remembered.

        A history marker says the run took it; without one, the answer depends on whether the
        code is replaying: once a later workflow task recorded a command (``_decided_to`` is past
        the event the code reacts to), the run went past this point on code without the patch,
        so it keeps the old branch. Otherwise the run reaches the point now: it takes the new
        branch and records a marker (not a step: step ids do not move when a patch comes or goes).
        """
        if not isinstance(patch_id, str) or not patch_id:
            raise ValueError(f"patch id must be a non-empty str, got {patch_id!r}")
        known = self._patches.get(patch_id)
        if known is not None:
            return known
        if patch_id in self._markers:
            taken = True
        elif self._decided_to > self._seq:
            taken = False
        else:
            taken = True
            self._markers.add(patch_id)
            marker = pb.RecordMarker(patch_id=patch_id, deprecated=deprecated)
            self._commands.append(pb.Command(record_marker=marker))
        self._patches[patch_id] = taken
        return taken

    def unasked_steps(self) -> list[str]:
        """The steps the history recorded that the code has not asked for, in words. Once a
        whole history is replayed, code that still owes one has taken another path."""
        owed = [(int(step.rpartition("/")[2]), kind) for step, kind in self._recorded.items()]
        return [f"step {n} ({_describe_step(*kind)})" for n, kind in sorted(owed) if n > self._positions]

    # ---- queries ----

    def query(self, name: str, payload: bytes) -> Any:
        """Run the query handler ``name`` against the state the run has reached."""
        handler = self.query_handlers.get(name)
        if handler is None and name == SIGNALS_QUERY:
            return sorted(n for n, waiters in self._signal_waiters.items() if any(not w.done() for w in waiters))
        if handler is None:
            known = ", ".join(sorted(self.query_handlers)) or "none"
            raise LookupError(f"workflow {self.definition.name!r} has no query handler {name!r} (it has: {known})")
        value = handler(*converter.decode_args(payload, handler, self.codec))
        if asyncio.iscoroutine(value):
            value.close()
            raise TypeError(f"query handler {name!r} must be a plain function, not async")
        return value

    # ---- signals ----

    def _deliver_signal(self, name: str, payload: bytes) -> None:
        value: Any
        try:
            args = converter.decode(payload, codec=self.codec) if payload else []
            if not isinstance(args, list):
                raise TypeError(f"a JSON array of arguments was expected, got {type(args).__name__}")
            value = None if not args else args[0] if len(args) == 1 else list(args)
        except CodecError:
            raise  # no key here: the task fails (a worker with the key delivers the signal)
        except Exception as exc:
            # Recorded before the server checked payloads: the waiting code gets the error, once,
            # instead of every replay of the run failing here.
            value = _Undeliverable(SerializationError(f"signal {name!r} could not be decoded: {exc}"))
        waiters = self._signal_waiters[name]
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                _settle(waiter, value)
                return
        self._signals[name].append(value)

    def signal_future(self, name: str) -> asyncio.Future[Any]:
        """The next signal called ``name``: at once if one arrived already (signals queue up)."""
        future = self.create_future()
        if self._signals[name]:
            _settle(future, self._signals[name].popleft())
        else:
            self._signal_waiters[name].append(future)
        return future

    # ---- the minimal event loop ----

    def _run_ready(self) -> None:
        """Run callbacks until none is left; only inside activate(), which made this the running loop."""
        ready = self._ready
        while ready:
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()

    def call_soon(  # type: ignore[override]
        self, callback: Callable[..., Any], *args: Any, context: Any = None
    ) -> asyncio.Handle:
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_later(  # type: ignore[override]
        self, delay: float, callback: Callable[..., Any], *args: Any, context: Any = None
    ) -> Any:
        raise GoblinsError(
            "workflow code cannot use asyncio timers (asyncio.sleep, wait_for, timeouts): "
            "they are not durable. Do time-based work in an activity."
        )

    call_at = call_later  # type: ignore[assignment]

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)

    def create_task(self, coro: Any, *, name: Any = None, context: Any = None) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=self, name=name, context=context)

    def time(self) -> float:
        return 0.0

    def get_debug(self) -> bool:
        return False

    def is_running(self) -> bool:
        return True

    def is_closed(self) -> bool:
        return False

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        # Futures of an evicted instance die unobserved; nothing to report.
        pass

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        pass


class _Undeliverable:
    """A signal whose payload could not be decoded: its waiter raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if isinstance(value, _Undeliverable):
        future.set_exception(value.error)
    else:
        future.set_result(value)


class ContinueAsNew(BaseException):
    """Raised by goblins.continue_as_new: ends this run, starts a fresh one with ``payload``."""

    def __init__(self, payload: bytes) -> None:
        super().__init__("continue as new")
        self.payload = payload


def _task_failure(exc: BaseException, seen_seq: int) -> Completion:
    return Completion([], seen_seq, describe(exc), stack_trace=stack_trace(exc))


def _describe_step(kind: str, name: str) -> str:
    if kind == LOCAL:
        return f"local activity {name!r}"
    return "a timer" if kind == TIMER else f"child workflow {name!r}" if kind == CHILD else f"activity {name!r}"


def current_instance(what: str) -> WorkflowInstance:
    """The instance whose workflow code is running, or a clear error outside a workflow."""
    instance = getattr(_active, "instance", None)
    if instance is None:
        raise GoblinsError(f"goblins.{what}() can only be called from inside a workflow")
    return instance  # type: ignore[no-any-return]


_APPLY: dict[int, Callable[[WorkflowInstance, pb.HistoryEvent], bool]] = {
    WORKFLOW_SCHEDULED: WorkflowInstance._apply_scheduled,
    ACTIVITY_SUCCEEDED: WorkflowInstance._apply_step_end,
    ACTIVITY_FAILED: WorkflowInstance._apply_activity_failed,
    TIMER_FIRED: WorkflowInstance._apply_step_end,
    CHILD_COMPLETED: WorkflowInstance._apply_step_end,
    CHILD_FAILED: WorkflowInstance._apply_step_end,
    SIGNALED: WorkflowInstance._apply_signaled,
    CANCEL_REQUESTED: WorkflowInstance._apply_cancel_requested,
    WORKFLOW_SUCCEEDED: WorkflowInstance._apply_finished,
    WORKFLOW_FAILED: WorkflowInstance._apply_finished,
    ACTIVITY_SCHEDULED: WorkflowInstance._apply_nothing,
    ACTIVITY_STARTED: WorkflowInstance._apply_nothing,
    WORKFLOW_STARTED: WorkflowInstance._apply_nothing,
    WORKFLOW_TASK_FAILED: WorkflowInstance._apply_nothing,
    TIMER_STARTED: WorkflowInstance._apply_nothing,
    CHILD_STARTED: WorkflowInstance._apply_nothing,
    MARKER_RECORDED: WorkflowInstance._apply_nothing,  # read in activate's first pass (patched)
    SEARCH_ATTRIBUTES_UPSERTED: WorkflowInstance._apply_nothing,  # the code made it (_workflow_search)
    UPDATE_ACCEPTED: WorkflowInstance._apply_update_accepted,
    UPDATE_COMPLETED: WorkflowInstance._apply_update_completed,
    LOCAL_ACTIVITY_RECORDED: WorkflowInstance._apply_local_recorded,
}
"""What replay does with each kind of event: every kind is named, unknown kinds raise."""

_STEPS: dict[int, Callable[[pb.HistoryEvent], tuple[str, tuple[str, str]]]] = {
    ACTIVITY_SCHEDULED: lambda e: (e.activity_scheduled.step_id, ("activity", e.activity_scheduled.activity_name)),
    TIMER_STARTED: lambda e: (e.timer_started.step_id, (TIMER, "")),
    CHILD_STARTED: lambda e: (e.child_workflow_started.step_id, (CHILD, e.child_workflow_started.child_workflow_name)),
    LOCAL_ACTIVITY_RECORDED: lambda e: (
        e.local_activity_recorded.step_id,
        (LOCAL, e.local_activity_recorded.activity_name),
    ),
}
"""The kinds that start a step: the step id, and what was recorded there (checked on replay)."""

_DECIDED = TASK_DECISIONS
"""The kinds a workflow task's completion records (and the run's end): one of them after the
event the code reacts to means the code is replaying a reaction the history holds already."""


def _flow(queue: str | None, priority: int | None, ckey: str | None) -> tuple[str, int, str]:
    """A step's task queue, priority and concurrency key as the wire has them ("" and 0: the
    workflow's own), or ValueError."""
    if ckey is not None and (not isinstance(ckey, str) or not ckey or len(ckey) > 200):
        raise ValueError(f"concurrency_key must be a non-empty str of at most 200 characters, got {ckey!r}")
    return (check_queue(queue) if queue is not None else ""), check_priority(priority), ckey or ""
