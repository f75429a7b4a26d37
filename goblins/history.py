"""The history's vocabulary: event kinds, the sets code asks about, run statuses, and the
public event a client reads. Every other module takes these names from here.

The kind constants are the wire's ints, because the hot paths compare and hash them per event
(a ``StrEnum`` member hashes through a Python-level ``__hash__``); ``EventType`` is the kind a
client reads.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any


class EventType(enum.StrEnum):
    """The kinds of history events (the original goblins' names: a compatibility constraint)."""

    WORKFLOW_SCHEDULED = "WORKFLOW_SCHEDULED"
    WORKFLOW_STARTED = "WORKFLOW_STARTED"
    WORKFLOW_FINISHED_IN_SUCCESS = "WORKFLOW_FINISHED_IN_SUCCESS"
    WORKFLOW_FINISHED_IN_ERROR = "WORKFLOW_FINISHED_IN_ERROR"
    ACTIVITY_SCHEDULED = "ACTIVITY_SCHEDULED"
    ACTIVITY_STARTED = "ACTIVITY_STARTED"
    ACTIVITY_FINISHED_IN_SUCCESS = "ACTIVITY_FINISHED_IN_SUCCESS"
    ACTIVITY_FINISHED_IN_ERROR = "ACTIVITY_FINISHED_IN_ERROR"
    # A workflow task failed (e.g. nondeterminism); the server retries it. Replay ignores it.
    WORKFLOW_TASK_FAILED = "WORKFLOW_TASK_FAILED"
    TIMER_STARTED = "TIMER_STARTED"
    TIMER_FIRED = "TIMER_FIRED"
    WORKFLOW_SIGNALED = "WORKFLOW_SIGNALED"
    WORKFLOW_CANCEL_REQUESTED = "WORKFLOW_CANCEL_REQUESTED"
    CHILD_WORKFLOW_STARTED = "CHILD_WORKFLOW_STARTED"
    CHILD_WORKFLOW_COMPLETED = "CHILD_WORKFLOW_COMPLETED"
    CHILD_WORKFLOW_FAILED = "CHILD_WORKFLOW_FAILED"
    # goblins.workflow.patched() took the new branch (or deprecate_patch() ran): not a step.
    MARKER_RECORDED = "MARKER_RECORDED"
    # A client's update passed the workflow's validator; then its handler's outcome.
    UPDATE_ACCEPTED = "UPDATE_ACCEPTED"
    UPDATE_COMPLETED = "UPDATE_COMPLETED"
    # goblins.workflow.upsert_search_attributes: the run's indexed attributes changed.
    SEARCH_ATTRIBUTES_UPSERTED = "SEARCH_ATTRIBUTES_UPSERTED"
    # goblins.workflow.execute_local_activity ran in a workflow task: its result or failure.
    LOCAL_ACTIVITY_RECORDED = "LOCAL_ACTIVITY_RECORDED"


# The kinds as the wire's numbers (``EventType`` in proto/goblins/api/v1/history.proto, in the
# order of the enum above; test_wire pins the two together). A stored event's ``type`` is one
# of these ints: the hot paths compare and hash them per event.
WORKFLOW_SCHEDULED = 1
WORKFLOW_STARTED = 2
WORKFLOW_SUCCEEDED = 3
WORKFLOW_FAILED = 4
ACTIVITY_SCHEDULED = 5
ACTIVITY_STARTED = 6
ACTIVITY_SUCCEEDED = 7
ACTIVITY_FAILED = 8
WORKFLOW_TASK_FAILED = 9
TIMER_STARTED = 10
TIMER_FIRED = 11
SIGNALED = 12
CANCEL_REQUESTED = 13
CHILD_STARTED = 14
CHILD_COMPLETED = 15
CHILD_FAILED = 16
MARKER_RECORDED = 17
UPDATE_ACCEPTED = 18
UPDATE_COMPLETED = 19
SEARCH_ATTRIBUTES_UPSERTED = 20
LOCAL_ACTIVITY_RECORDED = 21

# The kinds a workflow task's completion records (and the run's end, which the code decides):
# the replay core (a reaction the history already holds) and reset (which decisions
# --to-last-workflow-task undoes) read the same set.
TASK_DECISIONS = frozenset(
    {
        WORKFLOW_STARTED,
        ACTIVITY_SCHEDULED,
        TIMER_STARTED,
        CHILD_STARTED,
        MARKER_RECORDED,
        SEARCH_ATTRIBUTES_UPSERTED,
        LOCAL_ACTIVITY_RECORDED,
        WORKFLOW_SUCCEEDED,
        WORKFLOW_FAILED,
    }
)

KINDS: dict[int, EventType] = {number: kind for number, kind in enumerate(EventType, start=1)}
"""Each wire number's kind (its name is what the stores keep in their type column)."""


def kind_of(number: int) -> EventType:
    """The kind of a wire number; a number from a newer server raises ``ValueError``."""
    kind = KINDS.get(number)
    if kind is None:
        raise ValueError(f"unknown event type {number}")
    return kind


FINISHED = frozenset({WORKFLOW_SUCCEEDED, WORKFLOW_FAILED})
"""The run is over: nothing is recorded after one of these."""
STEP_ENDS = frozenset({ACTIVITY_SUCCEEDED, ACTIVITY_FAILED, TIMER_FIRED, CHILD_COMPLETED, CHILD_FAILED})
"""They end a step the workflow waits on (an ACTIVITY_FINISHED_IN_ERROR with a retry_at does not)."""
WAKES = frozenset({WORKFLOW_SCHEDULED, SIGNALED, CANCEL_REQUESTED, UPDATE_ACCEPTED}) | STEP_ENDS
"""They give the workflow's code something new to see: a workflow task follows."""

# Run statuses, as stored by the run index and asked for by clients (Temporal's): a run that
# catches its cancellation and returns is COMPLETED; one that ends by the cancel is CANCELLED.
RUNNING, COMPLETED, FAILED = "RUNNING", "COMPLETED", "FAILED"
CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW = "CANCELLED", "TERMINATED", "TIMED_OUT", "CONTINUED_AS_NEW"
STATUSES = (RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW)
LEGACY_STATUSES = frozenset({COMPLETED, FAILED})
"""What a store written by release 0.x (three statuses) may hold for a run that ended otherwise."""
_STATUS_SET_BY = {WORKFLOW_SCHEDULED: RUNNING, WORKFLOW_SUCCEEDED: COMPLETED, WORKFLOW_FAILED: FAILED}
# The error_type the server records for a run it ended (server/farewells.py) or that let its
# cancellation through: the run's status says how it ended, not just that it failed.
_FAILED_AS = {"WorkflowCancelled": CANCELLED, "WorkflowTerminated": TERMINATED, "WorkflowTimedOut": TIMED_OUT}


def run_status(event_type: int, error_type: str = "", continued_as: str = "") -> str | None:
    """The run status an event (of this wire number) sets, if any. For the run's end, pass
    its failure's type (``WORKFLOW_FINISHED_IN_ERROR``) or its ``continued_as``."""
    status = _STATUS_SET_BY.get(event_type)
    if status is FAILED:
        return _FAILED_AS.get(error_type, FAILED)
    if status is COMPLETED and continued_as:
        return CONTINUED_AS_NEW
    return status


def parse_status(status: str | None) -> str:
    """A status as a user typed it (any case; ``""``/None: any status), checked; ValueError
    names the statuses for one that is none of them."""
    if not status:
        return ""
    upper = status.strip().upper()
    if upper not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    return upper


SIGNALS_QUERY = "__goblins.signals_waited_for"
"""A query every workflow answers (``describe`` asks it): the signal names its code awaits."""


@dataclasses.dataclass(frozen=True)
class Failure:
    """Why an event ended in error: the exception, as the code that raised it described it."""

    message: str
    """The exception in words (``"ValueError: no such order"``)."""
    type: str
    """The exception's class name."""
    stack_trace: str = ""
    non_retryable: bool = False
    """The code said that retrying cannot help."""
    details: Any = None
    """Details the code attached to the error, decoded."""
    cause: Failure | None = None
    """The failure this one was raised from."""


@dataclasses.dataclass(frozen=True)
class Event:
    """One entry of a run's history, as a client reads it: a small common envelope, and the
    kind's other fields in ``attributes``."""

    seq: int
    """Position in the run's history, from 1."""
    type: EventType
    run_id: str
    time: float
    """Seconds since the epoch, when the server recorded the event."""
    workflow_name: str = ""
    """The run's workflow."""
    step_id: str = ""
    """The workflow step the event is about (an activity, a timer, a child); empty for the run's own."""
    name: str = ""
    """What the event is about: the activity's, the child workflow's or the signal's name; for
    the run's own events, the workflow's."""
    input: Any = None
    """Decoded payload: the argument list of a scheduled workflow, activity or child, a signal's
    arguments, the next run's arguments of a run that continued as new."""
    output: Any = None
    """Decoded payload: what a workflow, activity or child returned."""
    failure: Failure | None = None
    """For the kinds that end in error: why."""
    attributes: dict[str, Any] = dataclasses.field(default_factory=dict)
    """The kind's other fields, by their wire names (``attempt``, ``retry_at``, ``child_run_id``,
    ``continued_as``, ``fire_at``, ``retry_policy``...), payloads decoded."""
