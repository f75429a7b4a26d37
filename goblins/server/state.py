"""The server's functional core: a run's state and a report in, effects out. No I/O.

Every function here is deterministic given ``now`` and idempotent: a report that was already
applied (a redelivery, a worker resending after a reconnect) produces no new event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from goblins.api import v1 as pb
from goblins.history import (
    ACTIVITY_FAILED,
)
from goblins.retry import next_delay
from goblins.server import asyncs
from goblins.server.effects import ACTIVITY, TIMER, WF_TASK_MARK, WORKFLOW, Effects, IdSource, TaskRecord
from goblins.server.farewells import CONTINUED, TERMINATED, TIMED_OUT, Farewells
from goblins.server.fold import DEADLINE, ActivityState
from goblins.wire import step_id_of

# A failing workflow task (a bug, nondeterminism) is retried with this back-off, so a fixed
# worker deployment picks the run up again without flooding the history meanwhile.
WF_TASK_RETRY_INITIAL = 1.0
WF_TASK_RETRY_MAX = 60.0


class RunState(Farewells):
    """A run, folded from its history (:class:`FoldedRun`), and the decisions its reports lead to."""

    def __init__(self, run_id: str, *, ids: IdSource) -> None:
        super().__init__(run_id)
        self.ids = ids  # fresh ids for workflow tasks and messages (injected: the core stays pure)
        # When this server last saw each step's heartbeat (the loop notes it: describe shows it).
        self.heartbeat_times: dict[str, float] = {}

    def new_event(self, kind: pb.EventType, now: float, **attributes: Any) -> pb.HistoryEvent:
        """The run's next event, of ``kind``: the caller sets its attributes, then records it.

        The hot paths set the attributes on the event's own attribute message: measured ~2x
        cheaper than building an attribute message and copying it in (``attributes``, kept
        for the rare kinds).
        """
        return pb.HistoryEvent(
            run_id=self.run_id, seq=self.next_seq, time=now, type=kind, workflow_name=self.workflow_name, **attributes
        )

    def record(self, fx: Effects, event: pb.HistoryEvent) -> pb.HistoryEvent:
        self.apply(event)
        fx.events.append(event)
        return event

    def _attempt_event(
        self, kind: pb.EventType, field: str, act: ActivityState, attempt: int, now: float
    ) -> tuple[pb.HistoryEvent, Any]:
        """An event of ``kind`` about ``attempt`` of ``act``, and its attributes (``field``)."""
        event = self.new_event(kind, now)
        a = getattr(event, field)
        s = act.spec
        a.step_id, a.activity_name = s.step_id, s.activity_name
        a.attempt, a.max_attempts = attempt, s.retry_policy.max_attempts
        return event, a

    def _record_failed(
        self,
        fx: Effects,
        message: str,
        error_type: str,
        now: float,
        source: pb.FailWorkflow | None = None,
        reset_to: str = "",
    ) -> None:
        """Record the run's end in error (with the traceback and details ``source`` carries;
        ``reset_to``: the run a reset made in its place)."""
        event = self.new_event(pb.WORKFLOW_FINISHED_IN_ERROR, now)
        event.workflow_finished_in_error.reset_to_run_id = reset_to
        failure = event.workflow_finished_in_error.failure
        failure.message, failure.type = message, error_type
        if source is not None:
            _copy_failure(failure, source)
        self.record(fx, event)

    # ---- decisions ----

    def start(
        self,
        workflow_name: str,
        payload: bytes,
        now: float,
        parent_run_id: str = "",
        parent_step: str = "",
        execution_timeout: float = 0.0,
        trace_context: Mapping[str, str] | None = None,
        flow: tuple[str, int] = ("", 0),
        request: pb.StartWorkflowRequest | None = None,
        workflow_id: str = "",
    ) -> Effects:
        fx = Effects()
        self.workflow_name = workflow_name
        event = self.new_event(pb.WORKFLOW_SCHEDULED, now)
        a = event.workflow_scheduled
        a.input, a.execution_timeout = payload, execution_timeout
        a.workflow_id = workflow_id or self.run_id.partition(CONTINUED)[0]
        a.parent_run_id, a.parent_step_id = parent_run_id, parent_step
        if trace_context:
            a.trace_context.update(trace_context)
        a.task_queue, a.priority = flow
        if request is not None:  # search attributes and memo (checked by the server already)
            a.search_attributes.MergeFrom(request.search_attributes)
            a.memo = request.memo
        self.record(fx, event)
        if execution_timeout:
            deadline = self.run_id + DEADLINE
            fx.timers.append(self._timer_task(deadline, self.timers[deadline]))
        self._wake(fx, now)
        return fx

    def restarted(self, now: float) -> Effects:
        """A start for a run that exists (a resent start): a finished run sends its reports to
        other runs again (a child tells its parent)."""
        fx = Effects()
        fx.messages.extend(self.farewells())
        return fx

    def activity_started(self, r: pb.ActivityStarted, now: float) -> Effects:
        fx = Effects()
        act = self.activities.get(r.step_id)
        if act is None or act.finished or act.attempt != r.attempt or act.started or self.finished:
            return fx
        if r.task_id != act.task_id:  # about another task than it names (see activity_result)
            return fx
        event, _ = self._attempt_event(pb.ACTIVITY_STARTED, "activity_started", act, r.attempt, now)
        self.record(fx, event)
        return fx

    def activity_result(self, r: pb.ActivityResult, now: float, *, by_token: bool = False) -> Effects:
        """An attempt's outcome; one gone async only ``by_token`` (server/asyncs.py), not a worker's."""
        fx = Effects()
        act = self.activities.get(r.step_id)
        if act is None or act.finished or act.attempt != r.attempt:
            return fx  # stale or duplicate: already decided
        if r.task_id != act.task_id:
            # The task a report names is the one its sender was handed (the transport checks
            # that); its step and attempt must be that task's, or a holder of one task could
            # finish another step of the run.
            return fx
        if r.async_completion:
            return asyncs.went_async(self, fx, act, r, now)
        if act.async_hash and not by_token:
            return fx
        fx.done_tasks.append(act.task_id)
        if self.finished:
            return fx
        s = act.spec
        if r.ok:
            event, done = self._attempt_event(
                pb.ACTIVITY_FINISHED_IN_SUCCESS, "activity_finished_in_success", act, r.attempt, now
            )
            done.output = r.output
            self.record(fx, event)
            self._wake(fx, now)
            return fx
        event, failed = self._attempt_event(
            pb.ACTIVITY_FINISHED_IN_ERROR, "activity_finished_in_error", act, r.attempt, now
        )
        failed.failure.message, failed.failure.type = r.error, r.error_type
        _copy_failure(failed.failure, r)
        failed.heartbeat_details = r.heartbeat_details or self.heartbeats.get(s.step_id, b"")
        delay = None if r.non_retryable else next_delay(s.retry_policy, r.attempt, r.error_type)
        deadline = act.scheduled.time + s.schedule_to_close_timeout if s.schedule_to_close_timeout else 0.0
        if delay is not None and deadline and now + delay >= deadline:
            delay = None  # no time left for another attempt
        if not self.wants(act):
            delay = None  # cancelled after it was scheduled: a new attempt would be told to stop
        if delay is None:
            self.record(fx, event)
            self._wake(fx, now)
            return fx
        failed.retry_at = now + delay
        self.record(fx, event)
        fx.tasks.append(self._activity_task(act, failed.retry_at))
        return fx

    def workflow_task_completed(self, r: pb.WorkflowTaskCompleted, now: float) -> Effects:
        if r.task_id != self.wf_task_id or not r.task_id:
            # Not the run's outstanding workflow task: applied already (a resend, a broker's
            # redelivery), or forged. Only the current task's holder decides the run's next
            # step; its id carries 48 random bits and is in no history a client can read.
            return Effects()
        unknown = [c.WhichOneof("kind") for c in r.commands if c.WhichOneof("kind") not in _DECIDE]
        if unknown:  # from a worker newer (or more broken) than this server: retried like any failed task
            error = f"ValueError: the server does not know the command kind {unknown[0]!r}"
            failed = pb.WorkflowTaskFailed(task_id=r.task_id, error=error, error_type="ValueError")
            return self.workflow_task_failed(failed, now)
        fx = Effects()
        self.replay_through = max(self.replay_through, r.seen_seq)
        fx.done_tasks.append(r.task_id)
        self.wf_task_id = None
        if self.finished:
            return fx
        # A completion that did not see the newest recorded commands (a stale, redelivered task)
        # answered patched() from a shorter history than the one its marker would land in:
        # replaying the longer one would answer otherwise, so its markers are not recorded.
        stale = self.marker_seq > r.seen_seq
        if not self.started:
            started = self.new_event(pb.WORKFLOW_STARTED, now)
            started.workflow_started.SetInParent()
            self.record(fx, started)
        for command in r.commands:
            which = command.WhichOneof("kind")
            if stale and which == "record_marker":
                continue
            _DECIDE[which](self, fx, getattr(command, which), now)  # type: ignore[index]
            if self.finished:
                self._ended(fx)
                return fx
        if self.last_wake_seq > r.seen_seq:
            self._wake(fx, now)
        return fx

    def workflow_task_failed(self, r: pb.WorkflowTaskFailed, now: float) -> Effects:
        fx = Effects()
        if r.task_id != self.wf_task_id or self.finished:
            return fx
        fx.done_tasks.append(r.task_id)
        self.wf_task_id = None
        event = self.new_event(pb.WORKFLOW_TASK_FAILED, now)
        failure = event.workflow_task_failed.failure
        failure.message, failure.type = r.error, r.error_type
        _copy_failure(failure, r)
        self.record(fx, event)
        delay = min(WF_TASK_RETRY_INITIAL * 2 ** (self.failed_wf_tasks - 1), WF_TASK_RETRY_MAX)
        self._wake(fx, now + delay)
        return fx

    def heartbeat(self, r: pb.ActivityHeartbeat) -> bool:
        """Note an attempt's heartbeat (nothing is recorded); False: the attempt is not wanted."""
        act = self.activities.get(r.step_id)
        if act is None or act.finished or act.attempt != r.attempt or not self.wants(act) or r.task_id != act.task_id:
            return False
        if r.details:
            self.heartbeats[r.step_id] = r.details
        return True

    def wants(self, act: ActivityState) -> bool:
        """Whether the run still wants ``act``: not once the run has ended, nor once a cancel
        request came after it was scheduled (the workflow's await of it was cancelled). An
        activity the workflow schedules after the request (a compensation) is wanted."""
        if self.finished:
            return False
        return not self.cancel_requested or act.scheduled.seq > self.cancel_seq

    def timer_fired(self, r: pb.TimerFired, now: float) -> Effects:
        if asyncs.ASYNC_TIMER in r.timer_id:
            return asyncs.deadline(self, r, now)
        fx = Effects()
        fire_at = self.timers.get(r.timer_id)
        fx.done_tasks.append(r.timer_id)
        if fire_at is None or self.finished:
            return fx  # fired already (a second delivery of the due timer) or the run ended
        if r.timer_id == self.run_id + DEADLINE:
            limit = self.events[0].workflow_scheduled.execution_timeout
            error = f"{TIMED_OUT}: the run took longer than its execution_timeout of {limit:g}s"
            self._record_failed(fx, error, TIMED_OUT, now)
            self._ended(fx)
            return fx
        event = self.new_event(pb.TIMER_FIRED, now)
        event.timer_fired.step_id, event.timer_fired.fire_at = r.timer_id, fire_at
        self.record(fx, event)
        self._wake(fx, now)
        return fx

    def signal(self, r: pb.SignalWorkflow, now: float) -> Effects:
        fx = Effects()
        if self.finished or (r.signal_id and r.signal_id in self.signal_ids):
            return fx  # a redelivery (Kafka) or a resend of a recorded signal
        event = self.new_event(pb.WORKFLOW_SIGNALED, now)
        a = event.workflow_signaled
        a.signal_name, a.input, a.signal_id = r.name, r.input, r.signal_id
        self.record(fx, event)
        self._wake(fx, now)
        return fx

    def update(self, r: pb.UpdateWorkflowRequest, now: float) -> Effects:
        """An update the workflow's validator accepted: recorded once per update id."""
        fx = Effects()
        if self.finished or r.update_id in self.updates:
            return fx  # a redelivery (Kafka) or a client's resend
        event = self.new_event(pb.UPDATE_ACCEPTED, now)
        a = event.update_accepted
        a.update_id, a.update_name, a.input = r.update_id, r.name, r.input
        self.record(fx, event)
        self._wake(fx, now)
        return fx

    def cancel(self, r: pb.CancelWorkflow, now: float) -> Effects:
        """Cancel: the workflow's code sees CancelledError. Terminate: the run ends now."""
        fx = Effects()
        if self.finished:
            return fx
        if r.terminate:
            reason = f"{TERMINATED}: {r.reason}" if r.reason else TERMINATED
            self._record_failed(fx, reason, TERMINATED, now, reset_to=r.reset_to_run_id)
            self._ended(fx)  # its children are cancelled with its other reports
        elif not self.cancel_requested:
            event = self.new_event(pb.WORKFLOW_CANCEL_REQUESTED, now)
            event.workflow_cancel_requested.reason = r.reason
            self.record(fx, event)
            self._wake(fx, now)
            self._cancel_children(fx, now)  # cancelling a parent cancels its children
        return fx

    def child_finished(self, r: pb.ChildFinished, now: float) -> Effects:
        fx = Effects()
        started = self.children.get(r.step_id)
        if started is None or self.finished:
            return fx  # told already
        if r.ok:
            event = self.new_event(pb.CHILD_WORKFLOW_COMPLETED, now)
            a: Any = event.child_workflow_completed
            a.output = r.output
        else:
            event = self.new_event(pb.CHILD_WORKFLOW_FAILED, now)
            a = event.child_workflow_failed
            a.failure.message, a.failure.type = r.error, r.error_type
        a.step_id, a.child_workflow_name, a.child_run_id = r.step_id, started.child_workflow_name, r.child_run_id
        self.record(fx, event)
        self._wake(fx, now)
        return fx

    def owed(self, now: float) -> Effects:
        """The tasks, timers and messages this run's state calls for, rebuilt from its history.

        Used where tasks are not stored with the events (the Kafka transport): after a server
        restart or a partition move, re-publishing them resumes a run whose tasks may have been
        lost between the store commit and the produce. Workers drop duplicates by task id.
        """
        fx = Effects()
        if self.finished:
            fx.messages.extend(self.farewells())
            return fx
        for act in self.activities.values():
            if act.finished:
                continue
            if act.async_hash:  # no worker holds it: only its deadlines are owed
                asyncs.owed_timers(self, fx, act, now)
                continue
            step_id = act.spec.step_id
            last = next((e for e in reversed(self.events) if step_id_of(e) == step_id), None)
            if last is not None and last.type == ACTIVITY_FAILED and last.activity_finished_in_error.retry_at > now:
                # Its retry timer: stored again (the same row if the commit wrote it already;
                # a crash between the events and the timer row may have lost it).
                fx.tasks.append(self._activity_task(act, last.activity_finished_in_error.retry_at))
                continue
            fx.tasks.append(self._activity_task(act, now))
        fx.timers.extend(self._timer_task(timer_id, fire_at) for timer_id, fire_at in self.timers.items())
        for child in self.children.values():  # a child's start may not have been delivered: resend
            self._send_child_start(fx, child, now)
        if self.wf_task_id is not None or self.last_wake_seq > self.wf_seen:
            self.wf_task_id = self.wf_task_id or f"{self.run_id}{WF_TASK_MARK}{self.ids()[:12]}"
            fx.tasks.append(self._workflow_task(self.wf_task_id, now))
        return fx

    def owed_tasks(self, now: float) -> list[TaskRecord]:
        """``owed`` as one list (tasks, timers, then messages)."""
        return self.owed(now).new_tasks

    # ---- helpers ----

    def _schedule(self, fx: Effects, c: pb.ScheduleActivity, now: float) -> None:
        if c.step_id in self.activities:
            return  # a replayed or resent command: scheduled once only
        event = self.new_event(pb.ACTIVITY_SCHEDULED, now)
        a = event.activity_scheduled
        a.step_id, a.activity_name, a.input = c.step_id, c.activity_name, c.input
        a.retry_policy.CopyFrom(c.retry_policy)
        a.start_to_close_timeout, a.heartbeat_timeout = c.start_to_close_timeout, c.heartbeat_timeout
        a.schedule_to_close_timeout = c.schedule_to_close_timeout
        if c.trace_context:
            a.trace_context.update(c.trace_context)
        # An activity runs on its workflow's queue, at its priority, unless told otherwise.
        a.task_queue, a.priority = c.task_queue or self.task_queue, c.priority or self.priority
        a.concurrency_key = c.concurrency_key
        self.record(fx, event)
        fx.tasks.append(self._activity_task(self.activities[c.step_id], now))

    def _start_timer(self, fx: Effects, c: pb.StartTimer, now: float) -> None:
        if c.timer_id in self.timer_ids:
            return  # started already (a resent command), maybe fired already
        event = self.new_event(pb.TIMER_STARTED, now)
        event.timer_started.step_id, event.timer_started.fire_at = c.timer_id, now + c.seconds
        self.record(fx, event)
        fx.timers.append(self._timer_task(c.timer_id, event.timer_started.fire_at))

    def _record_marker(self, fx: Effects, c: pb.RecordMarker, now: float) -> None:
        if c.patch_id in self.patches:
            return  # a resent command: one marker per patch (the code asks once, then remembers)
        event = self.new_event(pb.MARKER_RECORDED, now)
        event.marker_recorded.patch_id, event.marker_recorded.deprecated = c.patch_id, c.deprecated
        self.record(fx, event)

    def _upsert(self, fx: Effects, c: pb.UpsertSearchAttributes, now: float) -> None:
        if c.upsert_id in self.upserts:
            return  # a replayed or resent command: recorded once
        event = self.new_event(pb.SEARCH_ATTRIBUTES_UPSERTED, now)
        event.search_attributes_upserted.search_attributes.MergeFrom(c.search_attributes)
        event.search_attributes_upserted.upsert_id = c.upsert_id
        self.record(fx, event)

    def _ended(self, fx: Effects) -> None:
        """The run has just recorded its end: its pending tasks are void, its farewells go out."""
        self._drop_tasks(fx)
        fx.messages.extend(self.farewells())

    def _timer_task(self, timer_id: str, fire_at: float) -> TaskRecord:
        return TaskRecord(timer_id, self.run_id, TIMER, "", fire_at, b"")

    def activity_record(self, act: ActivityState, visible_at: float) -> TaskRecord:
        """The task of ``act``'s current attempt (its timeout as of ``visible_at``)."""
        return self._activity_task(act, visible_at)

    def _activity_task(self, act: ActivityState, visible_at: float) -> TaskRecord:
        s = act.spec
        timeout = s.start_to_close_timeout
        if s.schedule_to_close_timeout:  # an attempt may not outlive the whole activity's deadline
            left = max(act.scheduled.time + s.schedule_to_close_timeout - visible_at, 0.001)
            timeout = min(timeout, left) if timeout else left
        task = pb.ActivityTask(
            task_id=act.task_id,
            run_id=self.run_id,
            step_id=s.step_id,
            activity_name=s.activity_name,
            workflow_name=self.workflow_name,
            input=s.input,
            attempt=act.attempt,
            max_attempts=s.retry_policy.max_attempts,
            start_to_close_timeout=timeout,
            heartbeat_timeout=s.heartbeat_timeout,
            heartbeat_details=act.details,
            task_queue=s.task_queue,
            priority=s.priority,
            concurrency_key=s.concurrency_key,
        )
        if s.trace_context:
            task.trace_context.update(s.trace_context)
        return TaskRecord(
            act.task_id,
            self.run_id,
            ACTIVITY,
            s.activity_name,
            visible_at,
            task.SerializeToString(),
            timeout,
            s.heartbeat_timeout,
            s.task_queue,
            s.priority,
            s.concurrency_key,
        )

    def _workflow_task(self, task_id: str, visible_at: float) -> TaskRecord:
        """A workflow task; on a queue or at a priority, its data says which (kept with it)."""
        q, p = self.task_queue, self.priority
        data = pb.WorkflowTask(task_queue=q, priority=p).SerializeToString() if q or p else b""
        return TaskRecord(task_id, self.run_id, WORKFLOW, self.workflow_name, visible_at, data, queue=q, priority=p)

    def _wake(self, fx: Effects, visible_at: float) -> None:
        """Make sure a workflow task will show the workflow its new events."""
        if self.wf_task_id is not None or self.finished:
            return
        self.wf_task_id = f"{self.run_id}{WF_TASK_MARK}{self.ids()[:12]}"
        fx.tasks.append(self._workflow_task(self.wf_task_id, visible_at))

    def _drop_tasks(self, fx: Effects) -> None:
        """The run ended: its pending activities, timers and workflow task are void."""
        for act in self.activities.values():
            if not act.finished:
                fx.done_tasks.append(act.task_id)
        fx.done_tasks.extend(self.timers)
        if self.wf_task_id is not None:
            fx.done_tasks.append(self.wf_task_id)
            self.wf_task_id = None


def timed_out_result(task: pb.ActivityTask, timeout: float, heartbeat: bool = False) -> pb.ActivityResult:
    """The report the server makes for an attempt that overran its timeout (or stopped heartbeating)."""
    what = f"sent no heartbeat for {task.heartbeat_timeout:g}s" if heartbeat else f"did not finish within {timeout:g}s"
    return pb.ActivityResult(
        task_id=task.task_id,
        run_id=task.run_id,
        step_id=task.step_id,
        attempt=task.attempt,
        ok=False,
        error_type="TimeoutError",
        error=f"TimeoutError: activity {task.activity_name!r} {what}",
    )


def _complete(rs: RunState, fx: Effects, c: pb.CompleteWorkflow, now: float) -> None:
    event = rs.new_event(pb.WORKFLOW_FINISHED_IN_SUCCESS, now)
    event.workflow_finished_in_success.output = c.output
    rs.record(fx, event)


def _fail(rs: RunState, fx: Effects, c: pb.FailWorkflow, now: float) -> None:
    rs._record_failed(fx, c.error, c.error_type, now, c)


def _complete_update(rs: RunState, fx: Effects, c: pb.CompleteUpdate, now: float) -> None:
    if c.update_id not in rs.updates or rs.updates[c.update_id] is not None:
        return  # not accepted (forged), or completed already (a replayed or resent command)
    accepted = next(e for e in rs.events if e.type == pb.UPDATE_ACCEPTED and e.update_accepted.update_id == c.update_id)
    event = rs.new_event(pb.UPDATE_COMPLETED, now)
    a = event.update_completed
    a.update_id, a.update_name = c.update_id, accepted.update_accepted.update_name
    if c.HasField("failure"):
        a.failure.message, a.failure.type = c.failure.error, c.failure.error_type
        _copy_failure(a.failure, c.failure)
    else:
        a.output = c.output
    rs.record(fx, event)


def _record_local_activity(rs: RunState, fx: Effects, c: pb.RecordLocalActivity, now: float) -> None:
    if c.outcome.step_id in rs.local_steps:
        return  # a resent command: a local activity's outcome is recorded once
    event = rs.new_event(pb.LOCAL_ACTIVITY_RECORDED, now)
    event.local_activity_recorded.CopyFrom(c.outcome)
    rs.record(fx, event)


def _copy_failure(failure: pb.Failure, source: pb.ActivityResult | pb.WorkflowTaskFailed | pb.FailWorkflow) -> None:
    """The failure fields (traceback, non_retryable, details) ``source`` carries, onto the
    history's ``failure``: the one place that maps them from the reports onto the history."""
    failure.stack_trace = source.stack_trace
    if isinstance(source, pb.ActivityResult):
        failure.non_retryable = source.non_retryable
    if not isinstance(source, pb.WorkflowTaskFailed):
        failure.details = source.error_details


_DECIDE: dict[str, Callable[[RunState, Effects, Any, float], None]] = {
    "schedule_activity": RunState._schedule,
    "start_timer": RunState._start_timer,
    "start_child_workflow": RunState._start_child,
    "continue_as_new": RunState._continue_as_new,
    "record_marker": RunState._record_marker,
    "upsert_search_attributes": RunState._upsert,
    "complete_workflow": _complete,
    "fail_workflow": _fail,
    "complete_update": _complete_update,
    "record_local_activity": _record_local_activity,
}
"""What each kind of command records: every kind is named; a task with an unknown one fails."""
