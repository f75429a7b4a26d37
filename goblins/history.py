"""The history's vocabulary: event kinds, the sets code asks about, run statuses, and the
public event a client reads. Every other module takes these names from here.

The constants are plain ``str`` (the ``EventType`` values), because the hot paths compare and
hash them per event: a ``StrEnum`` member hashes through a Python-level ``__hash__``.
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
    # A workflow task failed (a bug in workflow code, nondeterminism); the server retries it
    # with back-off until a worker completes it. Replay ignores it.
    WORKFLOW_TASK_FAILED = "WORKFLOW_TASK_FAILED"
    TIMER_STARTED = "TIMER_STARTED"
    TIMER_FIRED = "TIMER_FIRED"
    WORKFLOW_SIGNALED = "WORKFLOW_SIGNALED"
    WORKFLOW_CANCEL_REQUESTED = "WORKFLOW_CANCEL_REQUESTED"
    CHILD_WORKFLOW_STARTED = "CHILD_WORKFLOW_STARTED"
    CHILD_WORKFLOW_COMPLETED = "CHILD_WORKFLOW_COMPLETED"
    CHILD_WORKFLOW_FAILED = "CHILD_WORKFLOW_FAILED"


# The values as plain strings, one name each (see the module docstring).
WORKFLOW_SCHEDULED = EventType.WORKFLOW_SCHEDULED.value
WORKFLOW_STARTED = EventType.WORKFLOW_STARTED.value
WORKFLOW_SUCCEEDED = EventType.WORKFLOW_FINISHED_IN_SUCCESS.value
WORKFLOW_FAILED = EventType.WORKFLOW_FINISHED_IN_ERROR.value
WORKFLOW_TASK_FAILED = EventType.WORKFLOW_TASK_FAILED.value
ACTIVITY_SCHEDULED = EventType.ACTIVITY_SCHEDULED.value
ACTIVITY_STARTED = EventType.ACTIVITY_STARTED.value
ACTIVITY_SUCCEEDED = EventType.ACTIVITY_FINISHED_IN_SUCCESS.value
ACTIVITY_FAILED = EventType.ACTIVITY_FINISHED_IN_ERROR.value
TIMER_STARTED = EventType.TIMER_STARTED.value
TIMER_FIRED = EventType.TIMER_FIRED.value
SIGNALED = EventType.WORKFLOW_SIGNALED.value
CANCEL_REQUESTED = EventType.WORKFLOW_CANCEL_REQUESTED.value
CHILD_STARTED = EventType.CHILD_WORKFLOW_STARTED.value
CHILD_COMPLETED = EventType.CHILD_WORKFLOW_COMPLETED.value
CHILD_FAILED = EventType.CHILD_WORKFLOW_FAILED.value

FINISHED = frozenset({WORKFLOW_SUCCEEDED, WORKFLOW_FAILED})
"""The run is over: nothing is recorded after one of these."""
STEP_ENDS = frozenset({ACTIVITY_SUCCEEDED, ACTIVITY_FAILED, TIMER_FIRED, CHILD_COMPLETED, CHILD_FAILED})
"""They end a step the workflow waits on (an ACTIVITY_FINISHED_IN_ERROR with a retry_at does not)."""
WAKES = frozenset({WORKFLOW_SCHEDULED, SIGNALED, CANCEL_REQUESTED}) | STEP_ENDS
"""They give the workflow's code something new to see: a workflow task follows."""

# Run statuses, as stored by the run index and asked for by clients.
RUNNING, COMPLETED, FAILED = "RUNNING", "COMPLETED", "FAILED"
STATUSES = (RUNNING, COMPLETED, FAILED)
_STATUS_SET_BY = {WORKFLOW_SCHEDULED: RUNNING, WORKFLOW_SUCCEEDED: COMPLETED, WORKFLOW_FAILED: FAILED}


def run_status(event_type: str) -> str | None:
    """The run status an event sets, if any."""
    return _STATUS_SET_BY.get(event_type)


@dataclasses.dataclass(frozen=True)
class Event:
    """One entry of a run's history, as a client reads it."""

    seq: int
    """Position in the run's history, from 1."""
    type: EventType
    run_id: str
    workflow_name: str
    activity_name: str
    step_id: str
    """The workflow step the event is about (an activity, a timer, a child); empty for the run's own."""
    attempt: int
    max_attempts: int
    input: Any
    """Decoded JSON: the argument list for scheduled events."""
    output: Any
    error: str
    error_type: str
    timestamp: float
    """Seconds since the epoch, when the server recorded the event."""
    retry_at: float
    """For ACTIVITY_FINISHED_IN_ERROR: when the next attempt is due (0: no retry)."""
    fire_at: float = 0.0
    """For TIMER_STARTED: when the timer fires."""
    signal_name: str = ""
    """For WORKFLOW_SIGNALED: the signal's name."""
    child_run_id: str = ""
    """For CHILD_WORKFLOW_*: the child run's id."""
    parent_run_id: str = ""
    """For a child's WORKFLOW_SCHEDULED: the parent run's id."""
    parent_step_id: str = ""
    """For a child's WORKFLOW_SCHEDULED: the parent's step that started it."""
    signal_id: str = ""
    """For WORKFLOW_SIGNALED: the sender's id for the signal."""
    continued_as: str = ""
    """For the WORKFLOW_FINISHED_IN_SUCCESS of a run that continued as new: the next run's id
    (its ``input`` holds the next run's arguments)."""
    execution_timeout: float = 0.0
    """For WORKFLOW_SCHEDULED: the run's execution_timeout in seconds (0: none)."""
    retry_policy: Any = None
    """For ACTIVITY_SCHEDULED: the activity's ``goblins.RetryPolicy``."""
    start_to_close_timeout: float = 0.0
    """For ACTIVITY_SCHEDULED: seconds one attempt may take (0: no limit)."""
    heartbeat_timeout: float = 0.0
    """For ACTIVITY_SCHEDULED: seconds between heartbeats before an attempt is lost (0: none)."""
    schedule_to_close_timeout: float = 0.0
    """For ACTIVITY_SCHEDULED: seconds all attempts may take (0: no limit)."""
    heartbeat_details: Any = None
    """For ACTIVITY_FINISHED_IN_ERROR: the attempt's last heartbeat details, decoded."""
    stack_trace: str = ""
    """For ACTIVITY_FINISHED_IN_ERROR, WORKFLOW_TASK_FAILED and WORKFLOW_FINISHED_IN_ERROR: the
    traceback of the error (empty when none was recorded)."""
    non_retryable: bool = False
    """For ACTIVITY_FINISHED_IN_ERROR: the activity raised ``ApplicationError(non_retryable=True)``."""
    error_details: Any = None
    """For ACTIVITY_FINISHED_IN_ERROR and WORKFLOW_FINISHED_IN_ERROR: an ``ApplicationError``'s
    details, decoded (a list; None when there were none)."""
