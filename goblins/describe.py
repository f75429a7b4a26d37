"""What a run is doing and why it is not moving: ``WorkflowHandle.describe()`` and
``goblins workflow describe``.

The description is folded from the run's history by a pure function (:func:`describe_run`:
events in, description out; no I/O, no clock of its own), given the few live facts a history
does not hold (:class:`LiveFacts`: which names connected workers host, the attempts' last
heartbeats), which the client asks the server for (the DescribeWorkflow RPC).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from goblins.history import (
    COMPLETED,
    FAILED,
    RUNNING,
    WORKFLOW_FAILED,
    WORKFLOW_SUCCEEDED,
    Event,
    EventType,
    Failure,
    run_status,
)

SCHEDULED, STARTED, BACKING_OFF = "SCHEDULED", "STARTED", "BACKING_OFF"
ASYNC = "ASYNC"  # an attempt that raised CompleteAsync: a client completes it

# The kinds a completed workflow task records (its commands and the run's end): a failing
# streak of workflow tasks is over once one of them follows the failures.
_COMMANDED = frozenset(
    {
        EventType.ACTIVITY_SCHEDULED,
        EventType.TIMER_STARTED,
        EventType.CHILD_WORKFLOW_STARTED,
        EventType.MARKER_RECORDED,
        EventType.LOCAL_ACTIVITY_RECORDED,
        EventType.SEARCH_ATTRIBUTES_UPSERTED,
        EventType.UPDATE_COMPLETED,
        EventType.WORKFLOW_FINISHED_IN_SUCCESS,
        EventType.WORKFLOW_FINISHED_IN_ERROR,
    }
)


@dataclasses.dataclass(frozen=True)
class PendingActivity:
    """An activity the run waits on."""

    step_id: str
    name: str
    state: str
    """``"SCHEDULED"`` (no attempt started yet), ``"STARTED"`` (an attempt runs),
    ``"ASYNC"`` (the attempt raised CompleteAsync: a client completes it by its task token) or
    ``"BACKING_OFF"`` (an attempt failed; the next starts at ``next_retry_time``)."""
    attempt: int
    """The attempt running or last run (0: none started yet)."""
    max_attempts: int
    """0: unbounded."""
    scheduled_time: float
    last_started_time: float | None = None
    last_failure: Failure | None = None
    """The last failed attempt's error, with its stack trace."""
    next_retry_time: float | None = None
    heartbeat_details: Any = None
    """The attempt's last heartbeat details, decoded (None: none sent)."""
    last_heartbeat_time: float | None = None
    """When the server last saw a heartbeat (None: none seen by the server asked)."""


@dataclasses.dataclass(frozen=True)
class PendingTimer:
    """A durable timer (a ``workflow.sleep`` or a wait's timeout) that has not fired."""

    step_id: str
    fire_time: float


@dataclasses.dataclass(frozen=True)
class ChildRun:
    """A child workflow the run started, as the parent's history knows it."""

    step_id: str
    name: str
    run_id: str
    status: str
    """RUNNING until the child's outcome is recorded, then how it ended (COMPLETED, FAILED,
    CANCELLED, TERMINATED, TIMED_OUT)."""
    result: Any = None
    failure: Failure | None = None


@dataclasses.dataclass(frozen=True)
class RunDescription:
    """A run at a glance: its status and times, what it waits on, and why it is not moving."""

    run_id: str
    workflow_name: str
    status: str
    """One of ``goblins.history.STATUSES``."""
    start_time: float
    """Seconds since the epoch."""
    close_time: float | None
    """When the run ended (None while it runs)."""
    duration: float
    """Seconds from start to close, or to now for a run still going."""
    pending_activities: tuple[PendingActivity, ...] = ()
    pending_timers: tuple[PendingTimer, ...] = ()
    children: tuple[ChildRun, ...] = ()
    signals_received: tuple[str, ...] = ()
    """The names of the signals recorded, oldest first."""
    signals_waited_for: tuple[str, ...] = ()
    """Signals the workflow's code waits for, when a worker said (empty: none or unknown)."""
    cancel_requested: bool = False
    result: Any = None
    failure: Failure | None = None
    """Why the run ended in error."""
    continued_as: str = ""
    """The run that took over (CONTINUED_AS_NEW)."""
    workflow_task_failure: Failure | None = None
    """The last failure of the run's workflow task, while its workflow tasks keep failing."""
    workflow_task_failing_since: float | None = None
    workflow_task_failures: int = 0
    """Failed workflow tasks in the current streak."""
    reasons: tuple[str, ...] = ()
    """Why the run is not moving, when that is known: a missing worker, a failing workflow
    task (the whole error), an activity retrying."""
    pending_updates: tuple[str, ...] = ()
    """The updates accepted whose handler has not finished, as ``name (update id)``."""
    search_attributes: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Its search attributes now: its start's, then its upserts (docs/search.md)."""
    memo: Any = None
    """The memo it was started with (None: none)."""

    reset_from: str = ""
    """A run made by a reset (docs/reset.md): ``"RUN_ID at step N"``, the run and point it was reset from."""
    reset_to: str = ""
    """A run a reset terminated: the run that carries on in its place."""


@dataclasses.dataclass(frozen=True)
class LiveFacts:
    """What the server knows now that the history does not say (all optional)."""

    now: float
    """The time to count a running run's duration to."""
    workflow_hosted: bool | None = None
    """A connected worker hosts the run's workflow (None: unknown)."""
    activities_hosted: Mapping[str, bool | None] = dataclasses.field(default_factory=dict)
    heartbeats: Mapping[str, tuple[Any, float | None]] = dataclasses.field(default_factory=dict)
    """step id -> (decoded details, when seen)."""
    signals_waited_for: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    """Activities that wait for their task queue's limits, and which limit (docs/task-queues.md)."""


def clock(t: float) -> str:
    """A time of day as the reasons show it (UTC, to the second)."""
    return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%H:%M:%S UTC")


def pending_activity_names(events: Iterable[Event]) -> list[str]:
    """The names of the activities a run waits on (what to ask the server about)."""
    return sorted({a.name for a in _Fold(events).activities.values()})


def waits_for_signals(events: Iterable[Event], live: LiveFacts) -> bool:
    """Whether to ask the run's worker which signals its code awaits: only a running run whose
    workflow a connected worker hosts and whose workflow task is not failing can answer."""
    f = _Fold(events)
    return f.status == RUNNING and f.task_failure is None and live.workflow_hosted is True


def describe_run(events: Iterable[Event], live: LiveFacts) -> RunDescription:
    """The description of the run whose history is ``events`` (oldest first, from the first)."""
    f = _Fold(events)
    running = f.status == RUNNING
    activities = tuple(
        dataclasses.replace(
            a,
            heartbeat_details=live.heartbeats.get(a.step_id, (None, None))[0],
            last_heartbeat_time=live.heartbeats.get(a.step_id, (None, None))[1],
        )
        if a.step_id in live.heartbeats
        else a
        for a in f.activities.values()
    )
    reasons: list[str] = []
    if running:
        if f.task_failure is not None and f.failing_since is not None:
            reasons.append(f"workflow task failing since {clock(f.failing_since)}: {f.task_failure.message}")
        if live.workflow_hosted is False:
            reasons.append(f"no connected worker hosts workflow {f.name!r}")
        for a in activities:
            if live.activities_hosted.get(a.name) is False:
                reasons.append(f"no connected worker hosts activity {a.name!r} (step {a.step_id})")
            if a.state == BACKING_OFF and a.next_retry_time is not None:
                of = f" of {a.max_attempts}" if a.max_attempts else ""
                failed = f" (attempt {a.attempt} failed: {a.last_failure.message})" if a.last_failure else ""
                reasons.append(
                    f"activity {a.name!r} retrying: attempt {a.attempt + 1}{of}, "
                    f"next at {clock(a.next_retry_time)}{failed}"
                )
        reasons.extend(live.waiting)
    close = None if running else f.close_time
    return RunDescription(
        run_id=f.run_id,
        workflow_name=f.name,
        status=f.status,
        start_time=f.start_time,
        close_time=close,
        duration=max(0.0, (live.now if close is None else close) - f.start_time),
        pending_activities=activities if running else (),
        pending_timers=tuple(f.timers.values()) if running else (),
        children=tuple(f.children.values()),
        signals_received=tuple(f.signals),
        pending_updates=tuple(f"{name} ({update_id})" for update_id, name in f.updates.items()),
        signals_waited_for=live.signals_waited_for if running else (),
        cancel_requested=f.cancel_requested,
        result=f.result,
        failure=f.failure,
        continued_as=f.continued_as,
        reset_from=f.reset_from,
        reset_to=f.reset_to,
        workflow_task_failure=f.task_failure if running else None,
        workflow_task_failing_since=f.failing_since if running else None,
        workflow_task_failures=f.task_failures if running else 0,
        reasons=tuple(reasons),
        search_attributes=f.search_attributes,
        memo=f.memo,
    )


class _Fold:
    """The run's state as its events leave it (what ``describe_run`` reads)."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.run_id = self.name = self.continued_as = self.reset_from = self.reset_to = ""
        self.search_attributes: dict[str, Any] = {}
        self.memo: Any = None
        self.status = RUNNING
        self.start_time = 0.0
        self.close_time: float | None = None
        self.activities: dict[str, PendingActivity] = {}
        self.timers: dict[str, PendingTimer] = {}
        self.children: dict[str, ChildRun] = {}
        self.signals: list[str] = []
        self.updates: dict[str, str] = {}  # update id -> name, while its handler runs
        self.cancel_requested = False
        self.result: Any = None
        self.failure: Failure | None = None
        self.task_failure: Failure | None = None
        self.failing_since: float | None = None
        self.task_failures = 0
        for e in events:
            self._apply(e)

    def _apply(self, e: Event) -> None:
        if e.type in _COMMANDED:
            self.task_failure, self.failing_since, self.task_failures = None, None, 0
        fold = _FOLD.get(e.type)
        if fold is not None:  # the other kinds change nothing a description shows
            fold(self, e)

    def _scheduled(self, e: Event) -> None:
        self.run_id, self.name, self.start_time = e.run_id, e.workflow_name, e.time
        self.search_attributes = dict(e.attributes.get("search_attributes") or {})
        self.memo = e.attributes.get("memo")
        if e.attributes.get("reset_from_run_id"):
            self.reset_from = f"{e.attributes['reset_from_run_id']} at step {e.attributes.get('reset_to_seq', 0)}"

    def _upserted(self, e: Event) -> None:
        for name, value in (e.attributes.get("search_attributes") or {}).items():
            if value is None:  # removed
                self.search_attributes.pop(name, None)
            else:
                self.search_attributes[name] = value

    def _activity_scheduled(self, e: Event) -> None:
        policy = e.attributes.get("retry_policy")
        limit = policy.maximum_attempts if policy is not None else 0
        self.activities[e.step_id] = PendingActivity(e.step_id, e.name, SCHEDULED, 0, limit or 0, e.time)

    def _activity_started(self, e: Event) -> None:
        a = self.activities.get(e.step_id)
        if a is not None:
            attempt = int(e.attributes.get("attempt") or a.attempt + 1)
            if e.attributes.get("async_token_hash"):  # the attempt went async: its start stays
                self.activities[e.step_id] = dataclasses.replace(a, state=ASYNC, attempt=attempt)
                return
            self.activities[e.step_id] = dataclasses.replace(
                a, state=STARTED, attempt=attempt, last_started_time=e.time, next_retry_time=None
            )

    def _activity_failed(self, e: Event) -> None:
        a = self.activities.get(e.step_id)
        if a is None or not e.attributes.get("retry_at"):  # no retry: the step is over
            self.activities.pop(e.step_id, None)
            return
        attempt = int(e.attributes.get("attempt") or a.attempt)
        self.activities[e.step_id] = dataclasses.replace(
            a, state=BACKING_OFF, attempt=attempt, last_failure=e.failure, next_retry_time=e.attributes["retry_at"]
        )

    def _activity_succeeded(self, e: Event) -> None:
        self.activities.pop(e.step_id, None)

    def _timer_started(self, e: Event) -> None:
        self.timers[e.step_id] = PendingTimer(e.step_id, e.attributes.get("fire_at", 0.0))

    def _timer_fired(self, e: Event) -> None:
        self.timers.pop(e.step_id, None)

    def _child_started(self, e: Event) -> None:
        self.children[e.step_id] = ChildRun(e.step_id, e.name, e.attributes.get("child_run_id", ""), RUNNING)

    def _signaled(self, e: Event) -> None:
        self.signals.append(e.name)

    def _update_accepted(self, e: Event) -> None:
        self.updates[e.attributes.get("update_id", "")] = e.name

    def _update_completed(self, e: Event) -> None:
        self.updates.pop(e.attributes.get("update_id", ""), None)

    def _cancel_requested(self, e: Event) -> None:
        self.cancel_requested = True

    def _task_failed(self, e: Event) -> None:
        if self.failing_since is None:
            self.failing_since = e.time
        self.task_failure, self.task_failures = e.failure, self.task_failures + 1

    def _succeeded(self, e: Event) -> None:
        self.continued_as = e.attributes.get("continued_as", "")
        self.status = run_status(WORKFLOW_SUCCEEDED, continued_as=self.continued_as) or COMPLETED
        self.close_time, self.result = e.time, e.output

    def _failed(self, e: Event) -> None:
        self.failure = e.failure
        self.reset_to = e.attributes.get("reset_to_run_id", "")
        self.status = run_status(WORKFLOW_FAILED, error_type=e.failure.type if e.failure else "") or FAILED
        self.close_time = e.time

    def _child_ended(self, e: Event) -> None:
        before = self.children.get(e.step_id)
        run_id = e.attributes.get("child_run_id") or (before.run_id if before else "")
        if e.type == EventType.CHILD_WORKFLOW_COMPLETED:
            self.children[e.step_id] = ChildRun(e.step_id, e.name, run_id, COMPLETED, result=e.output)
        else:
            status = run_status(WORKFLOW_FAILED, error_type=e.failure.type if e.failure else "") or FAILED
            self.children[e.step_id] = ChildRun(e.step_id, e.name, run_id, status, failure=e.failure)


# What each kind of event changes in a description (kinds not here change nothing shown).
_FOLD: dict[EventType, Callable[[_Fold, Event], None]] = {
    EventType.WORKFLOW_SCHEDULED: _Fold._scheduled,
    EventType.SEARCH_ATTRIBUTES_UPSERTED: _Fold._upserted,
    EventType.ACTIVITY_SCHEDULED: _Fold._activity_scheduled,
    EventType.ACTIVITY_STARTED: _Fold._activity_started,
    EventType.ACTIVITY_FINISHED_IN_ERROR: _Fold._activity_failed,
    EventType.ACTIVITY_FINISHED_IN_SUCCESS: _Fold._activity_succeeded,
    EventType.TIMER_STARTED: _Fold._timer_started,
    EventType.TIMER_FIRED: _Fold._timer_fired,
    EventType.CHILD_WORKFLOW_STARTED: _Fold._child_started,
    EventType.CHILD_WORKFLOW_COMPLETED: _Fold._child_ended,
    EventType.CHILD_WORKFLOW_FAILED: _Fold._child_ended,
    EventType.WORKFLOW_SIGNALED: _Fold._signaled,
    EventType.UPDATE_ACCEPTED: _Fold._update_accepted,
    EventType.UPDATE_COMPLETED: _Fold._update_completed,
    EventType.WORKFLOW_CANCEL_REQUESTED: _Fold._cancel_requested,
    EventType.WORKFLOW_TASK_FAILED: _Fold._task_failed,
    EventType.WORKFLOW_FINISHED_IN_SUCCESS: _Fold._succeeded,
    EventType.WORKFLOW_FINISHED_IN_ERROR: _Fold._failed,
}
