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
    SIGNALED,
    TIMER_FIRED,
    TIMER_STARTED,
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
    scheduled: pb.Event
    details: bytes = b""  # the newest heartbeat details of a finished attempt (for the next one)

    @property
    def task_id(self) -> str:
        return f"{self.scheduled.step_id}#{self.attempt}"


class FoldedRun:
    """A run, folded from its history, plus its outstanding workflow task."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.workflow_name = ""
        self.events: list[pb.Event] = []
        # through[i]: the bytes of events[:i], kept as they come (the history size limit and
        # the pages of a workflow task read it; nothing re-sums the history).
        self.through: list[int] = [0]
        self.activities: dict[str, ActivityState] = {}
        self.timers: dict[str, pb.Event] = {}  # timer id -> TIMER_STARTED, while not fired
        # activity run id -> last heartbeat details (stored beside the history, not in it)
        self.heartbeats: dict[str, bytes] = {}
        self.timer_ids: set[str] = set()  # every timer ever started
        self.cancel_requested = False
        self.cancel_seq = 0  # seq of WORKFLOW_CANCEL_REQUESTED: activities scheduled before it are unwanted
        self.signal_ids: set[str] = set()
        self.children: dict[str, pb.Event] = {}  # step id -> CHILD_WORKFLOW_STARTED, while running
        self.child_steps: set[str] = set()  # every child step ever started
        self.parent_run_id = ""
        self.parent_step = ""
        self.finished = False
        self.started = False
        self.wf_task_id: str | None = None
        self.last_wake_seq = 0  # newest event the workflow code must see
        self.wf_seen = 0  # newest event a completed workflow task had seen
        # Consecutive failed workflow tasks, counted from events only (a completion that records
        # nothing cannot reset it) so that a run folded from its history backs off the same.
        self.failed_wf_tasks = 0

    @classmethod
    def from_history(
        cls,
        run_id: str,
        events: list[pb.Event],
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

    def apply(self, e: pb.Event) -> None:
        """Fold one stored event into the state; an event kind this server does not know raises."""
        self.events.append(e)
        self.through.append(self.through[-1] + e.ByteSize())
        fold = _FOLD.get(e.type)
        if fold is None:
            raise ValueError(f"run {self.run_id}: event {e.seq} has an unknown type {e.type!r}")
        fold(self, e)

    def _fold_activity_scheduled(self, e: pb.Event) -> None:
        self.activities[e.step_id] = ActivityState(e.activity_name, 1, False, False, e)
        self.failed_wf_tasks = 0

    def _fold_activity_started(self, e: pb.Event) -> None:
        act = self.activities[e.step_id]
        act.attempt, act.started = e.attempt, True

    def _fold_activity_finished(self, e: pb.Event) -> None:
        act = self.activities[e.step_id]
        if e.type == ACTIVITY_FAILED and e.heartbeat_details:
            act.details = e.heartbeat_details
        if e.type == ACTIVITY_FAILED and e.retry_at:
            act.attempt, act.started = e.attempt + 1, False
        else:
            act.finished = True
            self.last_wake_seq = e.seq

    def _fold_workflow_scheduled(self, e: pb.Event) -> None:
        self.workflow_name = e.workflow_name
        self.parent_run_id, self.parent_step = e.parent_run_id, e.parent_step_id
        if e.execution_timeout:  # the deadline is a server timer, not a step of the workflow
            deadline = self.run_id + DEADLINE
            self.timers[deadline] = pb.Event(step_id=deadline, fire_at=e.timestamp + e.execution_timeout)
        self.last_wake_seq = e.seq

    def _fold_workflow_started(self, e: pb.Event) -> None:
        self.started = True
        self.failed_wf_tasks = 0

    def _fold_workflow_task_failed(self, e: pb.Event) -> None:
        self.failed_wf_tasks += 1

    def _fold_timer_started(self, e: pb.Event) -> None:
        self.timers[e.step_id] = e
        self.timer_ids.add(e.step_id)

    def _fold_timer_fired(self, e: pb.Event) -> None:
        self.timers.pop(e.step_id, None)
        self.last_wake_seq = e.seq

    def _fold_signaled(self, e: pb.Event) -> None:
        self.signal_ids.add(e.signal_id)
        self.last_wake_seq = e.seq

    def _fold_cancel_requested(self, e: pb.Event) -> None:
        self.cancel_requested = True
        self.cancel_seq = e.seq
        self.last_wake_seq = e.seq

    def _fold_child_started(self, e: pb.Event) -> None:
        self.children[e.step_id] = e
        self.child_steps.add(e.step_id)

    def _fold_child_finished(self, e: pb.Event) -> None:
        self.children.pop(e.step_id, None)
        self.last_wake_seq = e.seq

    def _fold_workflow_finished(self, e: pb.Event) -> None:
        self.finished = True


_FOLD = {
    ACTIVITY_SCHEDULED: FoldedRun._fold_activity_scheduled,
    ACTIVITY_STARTED: FoldedRun._fold_activity_started,
    ACTIVITY_SUCCEEDED: FoldedRun._fold_activity_finished,
    ACTIVITY_FAILED: FoldedRun._fold_activity_finished,
    WORKFLOW_SCHEDULED: FoldedRun._fold_workflow_scheduled,
    WORKFLOW_STARTED: FoldedRun._fold_workflow_started,
    WORKFLOW_TASK_FAILED: FoldedRun._fold_workflow_task_failed,
    TIMER_STARTED: FoldedRun._fold_timer_started,
    TIMER_FIRED: FoldedRun._fold_timer_fired,
    SIGNALED: FoldedRun._fold_signaled,
    CANCEL_REQUESTED: FoldedRun._fold_cancel_requested,
    CHILD_STARTED: FoldedRun._fold_child_started,
    CHILD_COMPLETED: FoldedRun._fold_child_finished,
    CHILD_FAILED: FoldedRun._fold_child_finished,
    WORKFLOW_SUCCEEDED: FoldedRun._fold_workflow_finished,
    WORKFLOW_FAILED: FoldedRun._fold_workflow_finished,
}
"""How each kind of event folds into a run's state: every kind is named, unknown kinds raise."""
