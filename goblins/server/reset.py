"""Reset: a new run whose history is an old run's, copied through a workflow-task boundary.

The pure core (no I/O): which events of a history are valid reset points, the point "before the
newest workflow task's decisions", and the new run's history. The application side (the
ResetWorkflow RPC: checks, the workflow id's claim, the old run's termination) is in
``server/reset_runs.py``; the loop installs the history this module builds (``install``).

A reset point is the ``seq`` of an event that wakes the workflow (what ``goblins workflow
show`` numbers): the run's WORKFLOW_SCHEDULED (seq 1: from the start), an activity's final
result, a fired timer, a signal, a cancel request, or a child's end — the events after which
a workflow task decided what to do next. The new run's history is the old one's events
1..seq, then the signals received after the point (unless dropped), then a fresh workflow
task runs the workflow's code, as deployed now, from there. A point is refused while a child
workflow runs (the child reports to the old run) or an update's handler runs (its caller
waits on the old run).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from goblins.api import v1 as pb
from goblins.history import (
    SIGNALED,
    TASK_DECISIONS,
    UPDATE_ACCEPTED,
    UPDATE_COMPLETED,
    WORKFLOW_FAILED,
)
from goblins.server.effects import Effects
from goblins.server.farewells import TERMINATED, TIMED_OUT
from goblins.server.fold import FoldedRun
from goblins.wire import failure_of, type_name

if TYPE_CHECKING:
    from goblins.server.state import RunState

# Events a workflow task's commands record (the decisions --to-last-workflow-task undoes).
_DECIDED = TASK_DECISIONS | {UPDATE_COMPLETED}  # an update handler's end is a decision too
_NOT_DECIDED = (TERMINATED, TIMED_OUT)  # ends the server records, not the workflow's code
MAX_NAMED = 30  # valid points an error message lists


class BadResetPoint(ValueError):
    """The asked point is not a workflow-task boundary of the run (the message names the valid ones)."""


@dataclasses.dataclass(frozen=True)
class ResetPlan:
    """What a reset of one run to one point makes."""

    to_seq: int
    events: list[pb.HistoryEvent]  # the new run's history, before its fresh workflow task
    signals_reapplied: int


def reset_points(events: list[pb.HistoryEvent]) -> list[int]:
    """The seqs of the events a history may be reset to, oldest first."""
    fold = FoldedRun("")
    points = []
    for e in events:
        fold.apply(e)
        if fold.finished or fold.last_wake_seq != e.seq or e.type == UPDATE_ACCEPTED:
            continue
        if fold.children or any(done is None for done in fold.updates.values()):
            continue  # a child or an update's handler still running belongs to the old run
        points.append(e.seq)
    return points


def _decided(e: pb.HistoryEvent) -> bool:
    if e.type not in _DECIDED:
        return False
    failure = failure_of(e) if e.type == WORKFLOW_FAILED else None
    return failure is None or failure.type not in _NOT_DECIDED


def last_workflow_task_point(events: list[pb.HistoryEvent]) -> int:
    """The newest valid point before the newest event a workflow task decided: a reset there
    runs that task again (Temporal's "last workflow task"); the newest point if none decided."""
    points = reset_points(events)
    if not points:
        raise BadResetPoint("the run has no reset point (a child workflow or an update has run since its start)")
    decided = [e.seq for e in events if _decided(e)]
    if decided:
        before = [p for p in points if p < decided[-1]]
        if before:
            return before[-1]
    return points[-1]


def _describe(events: list[pb.HistoryEvent], points: list[int]) -> str:
    by_seq = {e.seq: e for e in events}
    named = [f"{p} ({type_name(by_seq[p])})" for p in points[-MAX_NAMED:]]
    more = f"{len(points) - MAX_NAMED} older, and " if len(points) > MAX_NAMED else ""
    return more + ", ".join(named)


def check_point(events: list[pb.HistoryEvent], to_seq: int) -> None:
    """Raise BadResetPoint, naming the valid points, unless ``to_seq`` is one."""
    points = reset_points(events)
    if to_seq in points:
        return
    last = events[-1].seq if events else 0
    if not 1 <= to_seq <= last:
        why = f"step {to_seq} is not an event of the run (its events are 1..{last})"
    else:
        kind = type_name(events[to_seq - 1])
        why = f"step {to_seq} ({kind}) is not a workflow-task boundary"
    raise BadResetPoint(
        f"{why}; a reset point is an event that wakes the workflow (its start, an activity's final "
        f"result, a timer, a signal, a cancel request, a child's end) with no child or update running. "
        f"Valid points: {_describe(events, reset_points(events)) or 'none'}"
    )


def _moved(value: str, old: str, new: str) -> str:
    return new + value[len(old) :] if value.startswith(old + "/") else value


def _copy(e: pb.HistoryEvent, old: str, new: str) -> pb.HistoryEvent:
    """``e`` as the new run's: its run id, and the step ids (``RUN_ID/position``) that name it."""
    out = pb.HistoryEvent()
    out.CopyFrom(e)
    out.run_id = new
    which = out.WhichOneof("attributes")
    if which:
        attributes = getattr(out, which)
        for field, value in attributes.ListFields():
            if isinstance(value, str) and value.startswith(old + "/"):
                setattr(attributes, field.name, _moved(value, old, new))
    return out


def plan_reset(
    events: list[pb.HistoryEvent],
    to_seq: int,
    new_run_id: str,
    now: float,
    *,
    workflow_id: str,
    reason: str = "",
    reapply_signals: bool = True,
) -> ResetPlan:
    """The new run's history: ``events`` 1..``to_seq`` (checked to be a reset point), then
    the signals recorded after it (``reapply_signals``), renumbered after the copy."""
    check_point(events, to_seq)
    old = events[0].run_id
    copied = [_copy(e, old, new_run_id) for e in events[:to_seq]]
    first = copied[0].workflow_scheduled
    first.workflow_id = workflow_id
    first.reset_from_run_id, first.reset_to_seq, first.reset_reason = old, to_seq, reason
    copied[0].time = now  # the run's own start: when it was made (its deadline stays the chain's)
    if first.execution_timeout:
        first.execution_timeout = max(events[0].time + first.execution_timeout - now, 0.001)
    reapplied = 0
    if reapply_signals:
        for e in events[to_seq:]:
            if e.type == SIGNALED:
                signal = _copy(e, old, new_run_id)
                signal.seq, signal.time = len(copied) + 1, now
                copied.append(signal)
                reapplied += 1
    return ResetPlan(to_seq, copied, reapplied)


def install(rs: RunState, events: list[pb.HistoryEvent], now: float) -> Effects:
    """Record a reset's history in a new run and what it calls for: the tasks of activities
    and timers that were pending at the point (again: their results after it are dropped),
    and a fresh workflow task."""
    fx = Effects()
    for e in events:
        rs.record(fx, e)
    fx.extend(rs.owed(now))  # the copy ends at a wake: ``owed`` includes the workflow task
    return fx
