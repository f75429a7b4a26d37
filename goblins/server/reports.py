"""The event loop's reports: checked (payload and history limits), then handed to RunState.

``ReportDecisions`` is a part of ``EventLoop`` (server/loop.py), kept apart for its size.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from goblins.api import v1 as pb
from goblins.server import asyncs, search
from goblins.server.checks import (
    bad_completion,
    completion_refused,
    history_too_big,
    history_too_long,
    oversized_result,
)
from goblins.server.effects import Effects
from goblins.server.state import RunState

log = logging.getLogger("goblins.server")


class ReportDecisions:
    """Which RunState handler a report goes to (a mixin: EventLoop sets the attributes)."""

    max_payload: int
    max_history_events: int
    warn_history_events: int
    max_history_bytes: int
    warn_history_bytes: int
    _warned_long: set[str]
    _beats: dict[tuple[str, str], bytes]

    registered: set[tuple[str, str]]
    declared_now: list[tuple[str, str]]  # search attributes declared in this turn (committed with it)

    if TYPE_CHECKING:

        def heartbeat(self, r: pb.ActivityHeartbeat) -> bool: ...

    def _decide(self, rs: RunState, report: pb.Report, now: float) -> Effects:
        which = report.WhichOneof("kind")
        if which == "activity_result":
            refused = oversized_result(report.activity_result, self.max_payload)
            return rs.activity_result(refused or report.activity_result, now)
        if which == "activity_started":
            return rs.activity_started(report.activity_started, now)
        if which == "workflow_task_completed":
            completed, events, size = report.workflow_task_completed, len(rs.events), rs.history_bytes
            problem = bad_completion(completed, self.max_payload)
            if not problem:
                problem, declared = search.bad_commands(completed, self.registered)
                self.registered.update(declared)
                self.declared_now.extend(declared)
            if (events >= self.warn_history_events or size >= self.warn_history_bytes) and not problem:
                problem = history_too_long(events, completed, self.max_history_events) or history_too_big(
                    size, completed, self.max_history_bytes
                )
                self._warn_long(rs.run_id, events, size)
            if not problem:
                return rs.workflow_task_completed(report.workflow_task_completed, now)
            report, which = completion_refused(report.workflow_task_completed, problem), "workflow_task_failed"
        if which == "workflow_task_failed":
            failed = report.workflow_task_failed
            log.warning("workflow task of run %s failed: %s", rs.run_id, failed.error)
            return rs.workflow_task_failed(failed, now)
        if which == "timer_fired":
            return rs.timer_fired(report.timer_fired, now)
        if which == "signal_workflow":
            return rs.signal(report.signal_workflow, now)
        if which == "update_workflow":
            return rs.update(report.update_workflow, now)
        if which == "cancel_workflow":
            return rs.cancel(report.cancel_workflow, now)
        if which == "child_finished":
            return rs.child_finished(report.child_finished, now)
        if which == "complete_activity":  # a client's word on an async attempt
            c = report.complete_activity
            fx, beat = asyncs.complete(rs, c, now)
            if beat and c.details:
                self._beats[(rs.run_id, c.step_id)] = c.details
            return fx
        if which == "activity_heartbeat":  # through the queue, so offsets stay in order (Kafka)
            self.heartbeat(report.activity_heartbeat)
        return Effects()

    def _warn_long(self, run_id: str, events: int, size: int) -> None:
        if run_id in self._warned_long:
            return
        if len(self._warned_long) > 10_000:  # a log line again is cheaper than memory
            self._warned_long.clear()
        self._warned_long.add(run_id)
        log.warning("run %s has %d events, %d bytes; long or big histories slow every replay", run_id, events, size)
