"""A run's reports to other runs: children started and cancelled, continue-as-new, the news
to a parent (its "farewells"). Part of the server's decision core (``RunState``), kept apart
for its size. No I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goblins._search import current_attributes, put
from goblins.api import v1 as pb
from goblins.history import WORKFLOW_SUCCEEDED
from goblins.server.effects import Effects, IdSource, TaskRecord
from goblins.server.fold import FoldedRun
from goblins.wire import failure_of

TERMINATED = "WorkflowTerminated"  # error_type of a terminated run
TIMED_OUT = "WorkflowTimedOut"  # error_type of a run that overran its execution_timeout
MIN_TIMEOUT = 0.001  # a continuation started after its chain's deadline times out at once
CONTINUED = "~"  # a run that continues as new: RUN_ID~2, RUN_ID~3, ...


class Farewells(FoldedRun):
    """RunState's decisions about other runs (a base of RunState, which sets ``ids``)."""

    ids: IdSource

    if TYPE_CHECKING:

        def new_event(self, kind: pb.EventType, now: float, **attributes: Any) -> pb.HistoryEvent: ...

        def record(self, fx: Effects, event: pb.HistoryEvent) -> pb.HistoryEvent: ...

    def _cancel_children(self, fx: Effects, now: float) -> None:
        for child in self.children.values():
            cancel = pb.CancelWorkflow(run_id=child.child_run_id, reason=f"parent {self.run_id} cancelled")
            fx.send(pb.Report(cancel_workflow=cancel), now, self.ids())

    def _start_child(self, fx: Effects, c: pb.StartChildWorkflow, now: float) -> None:
        if c.step_id in self.child_steps:
            return  # started already (a resent command)
        started = pb.ChildWorkflowStartedAttributes(
            step_id=c.step_id, child_workflow_name=c.workflow_name, child_run_id=c.child_run_id, input=c.input
        )
        if c.trace_context:
            started.trace_context.update(c.trace_context)
        # A child runs on its parent's queue, at its priority, unless told otherwise.
        started.task_queue, started.priority = c.task_queue or self.task_queue, c.priority or self.priority

        started.search_attributes.MergeFrom(c.search_attributes)
        started.memo = c.memo
        self.record(fx, self.new_event(pb.CHILD_WORKFLOW_STARTED, now, child_workflow_started=started))
        self._send_child_start(fx, started, now)

    def _continue_as_new(self, fx: Effects, c: pb.ContinueAsNew, now: float) -> None:
        """This run ends; a new run of the same workflow (a fresh history) carries on."""
        base, sep, n = self.run_id.rpartition(CONTINUED)
        next_id = f"{base}{CONTINUED}{int(n) + 1}" if sep and n.isdigit() else f"{self.run_id}{CONTINUED}2"
        # The input is recorded with the end: the next run's start (one of the farewells) is
        # built from the history, live and when it must be resent.
        event = self.new_event(pb.WORKFLOW_FINISHED_IN_SUCCESS, now)
        event.workflow_finished_in_success.continued_as = next_id
        event.workflow_finished_in_success.input = c.input
        self.record(fx, event)

    def _start_continuation(self, fx: Effects, end: pb.HistoryEvent) -> None:
        first = self.events[0]
        limit = first.workflow_scheduled.execution_timeout
        done = end.workflow_finished_in_success
        request = pb.StartWorkflowRequest(
            workflow_name=self.workflow_name,
            input=done.input,
            run_id=done.continued_as,
            parent_run_id=self.parent_run_id,  # a child stays its parent's child across the chain
            parent_step=self.parent_step,
            task_queue=first.workflow_scheduled.task_queue,
            priority=first.workflow_scheduled.priority,
            workflow_id=first.workflow_scheduled.workflow_id,
        )
        # The chain keeps its workflow id, memo and search attributes (as upserted so far).
        put(request.search_attributes, current_attributes(self.events))
        request.memo, request.workflow_id = first.workflow_scheduled.memo, first.workflow_scheduled.workflow_id
        if first.workflow_scheduled.trace_context:  # the chain goes on in the same trace
            request.trace_context.update(first.workflow_scheduled.trace_context)
        if limit:  # the timeout bounds the whole chain, as it would one run
            request.execution_timeout = max(first.time + limit - end.time, MIN_TIMEOUT)
        fx.send(pb.Report(start_workflow=request), end.time, self.ids())

    def owes_farewells(self) -> bool:
        """Whether this run has finished with reports for other runs (see ``farewells``)."""
        if not self.finished:
            return False
        end = self.events[-1]
        ends_children = _error_type(end) in (TERMINATED, TIMED_OUT) and bool(self.children)
        return bool(_continued_as(end) or self.parent_run_id or ends_children)

    def farewells(self) -> list[TaskRecord]:
        """A finished run's reports to other runs, rebuilt from its history: the start of its
        continuation, the news to its parent, the cancels of the children it was terminated
        or timed out with. Sent when the run ends; where tasks are not stored with the events
        (Kafka), resent until delivered. Receivers take each once."""
        if not self.finished:
            return []
        fx = Effects()
        end = self.events[-1]
        if _continued_as(end):  # the last run of the chain tells the parent
            self._start_continuation(fx, end)
        elif self.parent_run_id:
            self._notify_parent(fx, end)
        if _error_type(end) in (TERMINATED, TIMED_OUT):  # the ends that cancel the children
            self._cancel_children(fx, end.time)
        return fx.messages

    def _send_child_start(self, fx: Effects, started: pb.ChildWorkflowStartedAttributes, now: float) -> None:
        request = pb.StartWorkflowRequest(
            workflow_name=started.child_workflow_name,
            input=started.input,
            run_id=started.child_run_id,
            parent_run_id=self.run_id,
            parent_step=started.step_id,
            task_queue=started.task_queue,
            priority=started.priority,
        )
        if started.trace_context:
            request.trace_context.update(started.trace_context)
        request.search_attributes.MergeFrom(started.search_attributes)
        request.memo = started.memo
        fx.send(pb.Report(start_workflow=request), now, self.ids())

    def _notify_parent(self, fx: Effects, end: pb.HistoryEvent) -> None:
        news = pb.ChildFinished(run_id=self.parent_run_id, step_id=self.parent_step, child_run_id=self.run_id)
        if end.type == WORKFLOW_SUCCEEDED:
            news.ok, news.output = True, end.workflow_finished_in_success.output
        else:
            failure = end.workflow_finished_in_error.failure
            news.error, news.error_type = failure.message, failure.type
        fx.send(pb.Report(child_finished=news), end.time, self.ids())


def _error_type(end: pb.HistoryEvent) -> str:
    """The error type a run's end carries ('' for a success)."""
    failure = failure_of(end)
    return failure.type if failure is not None else ""


def _continued_as(end: pb.HistoryEvent) -> str:
    """The run a finished run continued as ('' if none)."""
    return end.workflow_finished_in_success.continued_as if end.type == WORKFLOW_SUCCEEDED else ""
