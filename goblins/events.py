"""History events: the vocabulary of what happened to a run."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from goblins import converter
from goblins.api import v1 as pb


class EventType(enum.StrEnum):
    """The kinds of history events (the original goblins' names)."""

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


WORKFLOW_FINISHED = frozenset({EventType.WORKFLOW_FINISHED_IN_SUCCESS, EventType.WORKFLOW_FINISHED_IN_ERROR})


def _decode_payload(data: bytes) -> Any:
    try:
        return converter.decode(data) if data else None
    except Exception:
        return data


@dataclasses.dataclass(frozen=True)
class Event:
    """One entry of a run's history, as a client reads it."""

    seq: int
    """Position in the run's history, from 1."""
    type: EventType
    run_id: str
    workflow_name: str
    activity_name: str
    activity_run_id: str
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
    continued_as: str = ""
    """For the WORKFLOW_FINISHED_IN_SUCCESS of a run that continued as new: the next run's id
    (its ``input`` holds the next run's arguments)."""
    execution_timeout: float = 0.0
    """For WORKFLOW_SCHEDULED: the run's execution_timeout in seconds (0: none)."""

    @classmethod
    def from_proto(cls, e: pb.Event) -> Event:
        return cls(
            seq=e.seq,
            type=EventType(e.type),
            run_id=e.run_id,
            workflow_name=e.workflow_name,
            activity_name=e.activity_name,
            activity_run_id=e.activity_run_id,
            attempt=e.attempt,
            max_attempts=e.max_attempts,
            input=_decode_payload(e.input),
            output=_decode_payload(e.output),
            error=e.error,
            error_type=e.error_type,
            timestamp=e.timestamp,
            retry_at=e.retry_at,
            fire_at=e.fire_at,
            signal_name=e.signal_name,
            child_run_id=e.child_run_id,
            execution_timeout=e.execution_timeout,
            parent_run_id=e.parent_run_id,
            continued_as=e.continued_as,
        )
