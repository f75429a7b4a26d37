"""A run folded from its history: what each stored event means for the run's state. No I/O.

The server's decisions (``state.RunState``) build on this fold; a run loaded from the store
after a restart is this fold of its events, so the two must agree event by event.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Self

from goblins.api import v1 as pb
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

DEADLINE = "/deadline"  # the execution-timeout timer's id is RUN_ID/deadline


@dataclasses.dataclass
class ActivityState:
    name: str
    attempt: int
    started: bool
    finished: bool
    scheduled: pb.HistoryEvent  # its ACTIVITY_SCHEDULED
    # That event's attributes, held: each read of a sub-message through the event builds a
    # new wrapper object, and the hot paths read these per report.
    spec: pb.ActivityScheduledAttributes
    details: bytes = b""  # the newest heartbeat details of a finished attempt (for the next one)
    # The current attempt went async (goblins.activity.CompleteAsync): its task token's secret
    # hashes to this; and when the attempt first started (its start_to_close counts from then).
    async_hash: bytes = b""
    started_at: float = 0.0

    @property
    def task_id(self) -> str:
        return f"{self.spec.step_id}#{self.attempt}"


class FoldedRun:
    """A run, folded from its history, plus its outstanding workflow task."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.workflow_name = ""
        self.events: list[pb.HistoryEvent] = []
        # through[i]: the bytes of events[:i], kept as they come (the history size limit and
        # the pages of a workflow task read it; nothing re-sums the history).
        self.through: list[int] = [0]
        self.activities: dict[str, ActivityState] = {}
        self.timers: dict[str, float] = {}  # timer id -> when it fires, while not fired
        # activity run id -> last heartbeat details (stored beside the history, not in it)
        self.heartbeats: dict[str, bytes] = {}
        self.timer_ids: set[str] = set()  # every timer ever started
        self.cancel_requested = False
        self.cancel_seq = 0  # seq of WORKFLOW_CANCEL_REQUESTED: activities scheduled before it are unwanted
        self.signal_ids: set[str] = set()
        # update id -> its UPDATE_COMPLETED (None while its handler runs), for every accepted update
        self.updates: dict[str, pb.HistoryEvent | None] = {}
        # step id -> CHILD_WORKFLOW_STARTED's attributes, while running
        self.children: dict[str, pb.ChildWorkflowStartedAttributes] = {}
        self.child_steps: set[str] = set()  # every child step ever started
        self.patches: set[str] = set()  # every patch id a MARKER_RECORDED names
        self.local_steps: set[str] = set()  # every step a LOCAL_ACTIVITY_RECORDED names

        self.upserts: set[str] = set()  # every upsert id a SEARCH_ATTRIBUTES_UPSERTED names
        self.marker_seq = 0  # the newest event a completion recorded that a marker must not precede
        self.parent_run_id = ""
        self.parent_step = ""
        self.task_queue = ""  # "" on the wire: the default queue
        self.priority = 0
        self.finished = False
        self.started = False
        self.wf_task_id: str | None = None
        self.last_wake_seq = 0  # newest event the workflow code must see
        self.wf_seen = 0  # newest event a completed workflow task had seen
        # The same, kept as completions come (in memory only: 0 after a reload), for the worker's
        # replay-safe logging (WorkflowTask.replay_through).
        self.replay_through = 0
        # Consecutive failed workflow tasks, counted from events only (a completion that records
        # nothing cannot reset it) so that a run folded from its history backs off the same.
        self.failed_wf_tasks = 0

    @classmethod
    def from_history(
        cls,
        run_id: str,
        events: list[pb.HistoryEvent],
        wf_task_id: str | None = None,
        heartbeats: dict[str, bytes] | None = None,
        **init: Any,  # the subclass's own arguments (RunState: its id source)
    ) -> Self:
        state = cls(run_id, **init)
        for event in events:
            state.apply(event)
        state.wf_task_id = wf_task_id
        state.heartbeats.update(heartbeats or {})
        return state

    @property
    def next_seq(self) -> int:
        return len(self.events) + 1

    @property
    def history_bytes(self) -> int:
        """The serialized size of the run's events."""
        return self.through[-1]

    def apply(self, e: pb.HistoryEvent) -> None:
        """Fold one stored event into the state; an event kind this server does not know raises."""
        self.events.append(e)
        self.through.append(self.through[-1] + e.ByteSize())
        fold = _FOLD.get(e.type)
        if fold is None:
            raise ValueError(f"run {self.run_id}: event {e.seq} has an unknown type {e.type!r}")
        fold(self, e)

    def _fold_activity_scheduled(self, e: pb.HistoryEvent) -> None:
        a = e.activity_scheduled
        self.activities[a.step_id] = ActivityState(a.activity_name, 1, False, False, e, a)
        self.failed_wf_tasks = 0
        self.marker_seq = e.seq

    def _fold_activity_started(self, e: pb.HistoryEvent) -> None:
        a = e.activity_started
        act = self.activities[a.step_id]
        if not act.started or act.attempt != a.attempt:
            act.started_at = e.time
        if a.async_token_hash:
            act.async_hash = a.async_token_hash
        act.attempt, act.started = a.attempt, True

    def _fold_activity_succeeded(self, e: pb.HistoryEvent) -> None:
        self.activities[e.activity_finished_in_success.step_id].finished = True
        self.last_wake_seq = e.seq

    def _fold_activity_failed(self, e: pb.HistoryEvent) -> None:
        a = e.activity_finished_in_error
        act = self.activities[a.step_id]
        if a.heartbeat_details:
            act.details = a.heartbeat_details
        if a.retry_at:
            act.attempt, act.started, act.async_hash = a.attempt + 1, False, b""
        else:
            act.finished = True
            self.last_wake_seq = e.seq

    def _fold_workflow_scheduled(self, e: pb.HistoryEvent) -> None:
        a = e.workflow_scheduled
        self.workflow_name = e.workflow_name
        self.parent_run_id, self.parent_step = a.parent_run_id, a.parent_step_id
        self.task_queue, self.priority = a.task_queue, a.priority
        if a.execution_timeout:  # the deadline is a server timer, not a step of the workflow
            self.timers[self.run_id + DEADLINE] = e.time + a.execution_timeout
        self.last_wake_seq = e.seq

    def _fold_workflow_started(self, e: pb.HistoryEvent) -> None:
        self.started = True
        self.failed_wf_tasks = 0
        self.marker_seq = e.seq

    def _fold_workflow_task_failed(self, e: pb.HistoryEvent) -> None:
        self.failed_wf_tasks += 1

    def _fold_timer_started(self, e: pb.HistoryEvent) -> None:
        a = e.timer_started
        self.timers[a.step_id] = a.fire_at
        self.timer_ids.add(a.step_id)
        self.marker_seq = e.seq

    def _fold_timer_fired(self, e: pb.HistoryEvent) -> None:
        self.timers.pop(e.timer_fired.step_id, None)
        self.last_wake_seq = e.seq

    def _fold_signaled(self, e: pb.HistoryEvent) -> None:
        self.signal_ids.add(e.workflow_signaled.signal_id)
        self.last_wake_seq = e.seq

    def _fold_cancel_requested(self, e: pb.HistoryEvent) -> None:
        self.cancel_requested = True
        self.cancel_seq = e.seq
        self.last_wake_seq = e.seq

    def _fold_child_started(self, e: pb.HistoryEvent) -> None:
        a = e.child_workflow_started
        self.children[a.step_id] = a
        self.child_steps.add(a.step_id)
        self.marker_seq = e.seq

    def _fold_child_completed(self, e: pb.HistoryEvent) -> None:
        self.children.pop(e.child_workflow_completed.step_id, None)
        self.last_wake_seq = e.seq

    def _fold_child_failed(self, e: pb.HistoryEvent) -> None:
        self.children.pop(e.child_workflow_failed.step_id, None)
        self.last_wake_seq = e.seq

    def _fold_update_accepted(self, e: pb.HistoryEvent) -> None:
        self.updates[e.update_accepted.update_id] = None
        self.last_wake_seq = e.seq

    def _fold_update_completed(self, e: pb.HistoryEvent) -> None:
        self.updates[e.update_completed.update_id] = e

    def _fold_workflow_finished(self, e: pb.HistoryEvent) -> None:
        self.finished = True

    def _fold_marker(self, e: pb.HistoryEvent) -> None:
        self.patches.add(e.marker_recorded.patch_id)
        self.failed_wf_tasks = 0  # a workflow task completed (as ACTIVITY_SCHEDULED says too)
        self.marker_seq = e.seq

    def _fold_local_activity(self, e: pb.HistoryEvent) -> None:
        self.local_steps.add(e.local_activity_recorded.step_id)
        self.failed_wf_tasks = 0  # a workflow task completed (its worker ran the activity)
        self.marker_seq = e.seq

    def _fold_upserted(self, e: pb.HistoryEvent) -> None:
        self.upserts.add(e.search_attributes_upserted.upsert_id)


_FOLD = {
    ACTIVITY_SCHEDULED: FoldedRun._fold_activity_scheduled,
    ACTIVITY_STARTED: FoldedRun._fold_activity_started,
    ACTIVITY_SUCCEEDED: FoldedRun._fold_activity_succeeded,
    ACTIVITY_FAILED: FoldedRun._fold_activity_failed,
    WORKFLOW_SCHEDULED: FoldedRun._fold_workflow_scheduled,
    WORKFLOW_STARTED: FoldedRun._fold_workflow_started,
    WORKFLOW_TASK_FAILED: FoldedRun._fold_workflow_task_failed,
    TIMER_STARTED: FoldedRun._fold_timer_started,
    TIMER_FIRED: FoldedRun._fold_timer_fired,
    SIGNALED: FoldedRun._fold_signaled,
    CANCEL_REQUESTED: FoldedRun._fold_cancel_requested,
    CHILD_STARTED: FoldedRun._fold_child_started,
    CHILD_COMPLETED: FoldedRun._fold_child_completed,
    CHILD_FAILED: FoldedRun._fold_child_failed,
    WORKFLOW_SUCCEEDED: FoldedRun._fold_workflow_finished,
    WORKFLOW_FAILED: FoldedRun._fold_workflow_finished,
    MARKER_RECORDED: FoldedRun._fold_marker,
    UPDATE_ACCEPTED: FoldedRun._fold_update_accepted,
    UPDATE_COMPLETED: FoldedRun._fold_update_completed,
    LOCAL_ACTIVITY_RECORDED: FoldedRun._fold_local_activity,
    SEARCH_ATTRIBUTES_UPSERTED: FoldedRun._fold_upserted,
}
"""How each kind of event folds into a run's state: every kind is named, unknown kinds raise."""
