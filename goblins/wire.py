"""The one mapping between goblins' domain objects and the wire messages (``goblins.api.v1``).

Every field of a history event crosses here in both directions, so a field added to the proto
and forgotten here fails ``tests/unit/test_wire.py`` instead of being dropped on one path.
"""

from __future__ import annotations

from typing import Any, cast

from goblins import converter
from goblins.api import v1 as pb
from goblins.history import Event, EventType
from goblins.retry import RetryPolicy


def _decode_payload(data: bytes) -> Any:
    # A client reads any history, including one whose payloads its converter cannot read:
    # those stay bytes rather than hiding the event.
    try:
        return converter.decode(data) if data else None
    except Exception:
        return data


def _encode_payload(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return converter.encode(value)


def retry_policy_to_proto(policy: RetryPolicy) -> pb.RetryPolicy:
    """The wire form of a policy (every activity a workflow schedules comes through here)."""
    # After __post_init__ both intervals are float seconds: a cast, not a check.
    return pb.RetryPolicy(
        initial_interval=cast(float, policy.initial_interval),
        backoff_coefficient=policy.backoff_coefficient,
        maximum_interval=cast(float, policy.maximum_interval),
        max_attempts=policy.maximum_attempts,
        non_retryable_errors=list(policy.non_retryable_error_types),
    )


def retry_policy_from_proto(policy: pb.RetryPolicy) -> RetryPolicy:
    return RetryPolicy(
        maximum_attempts=policy.max_attempts,
        initial_interval=policy.initial_interval,
        backoff_coefficient=policy.backoff_coefficient,
        maximum_interval=policy.maximum_interval,
        non_retryable_error_types=tuple(policy.non_retryable_errors),
    )


def event_from_proto(e: pb.Event) -> Event:
    """The client's view of a stored event: payloads decoded, every field kept."""
    return Event(
        seq=e.seq,
        type=EventType(e.type),
        run_id=e.run_id,
        workflow_name=e.workflow_name,
        activity_name=e.activity_name,
        step_id=e.step_id,
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
        parent_run_id=e.parent_run_id,
        parent_step_id=e.parent_step_id,
        signal_id=e.signal_id,
        continued_as=e.continued_as,
        execution_timeout=e.execution_timeout,
        retry_policy=retry_policy_from_proto(e.retry_policy) if e.HasField("retry_policy") else None,
        start_to_close_timeout=e.start_to_close_timeout,
        heartbeat_timeout=e.heartbeat_timeout,
        schedule_to_close_timeout=e.schedule_to_close_timeout,
        heartbeat_details=_decode_payload(e.heartbeat_details),
    )


def event_to_proto(e: Event | pb.Event) -> pb.Event:
    """The wire form of an event (a wire event is returned as it is)."""
    if isinstance(e, pb.Event):
        return e
    return pb.Event(
        run_id=e.run_id,
        seq=e.seq,
        type=e.type.value,
        workflow_name=e.workflow_name,
        activity_name=e.activity_name,
        step_id=e.step_id,
        attempt=e.attempt,
        max_attempts=e.max_attempts,
        input=_encode_payload(e.input),
        output=_encode_payload(e.output),
        error=e.error,
        error_type=e.error_type,
        timestamp=e.timestamp,
        retry_at=e.retry_at,
        fire_at=e.fire_at,
        signal_name=e.signal_name,
        child_run_id=e.child_run_id,
        parent_run_id=e.parent_run_id,
        parent_step_id=e.parent_step_id,
        signal_id=e.signal_id,
        continued_as=e.continued_as,
        execution_timeout=e.execution_timeout,
        retry_policy=retry_policy_to_proto(e.retry_policy) if e.retry_policy is not None else None,
        start_to_close_timeout=e.start_to_close_timeout,
        heartbeat_timeout=e.heartbeat_timeout,
        schedule_to_close_timeout=e.schedule_to_close_timeout,
        heartbeat_details=_encode_payload(e.heartbeat_details),
    )


def describe_command(command: pb.Command) -> str:
    """A command in words, for errors that name what the code asked for."""
    kind = command.WhichOneof("kind")
    if kind == "schedule_activity":
        c = command.schedule_activity
        return f"schedules activity {c.activity_name!r} ({c.step_id})"
    if kind == "start_timer":
        return f"starts a timer of {command.start_timer.seconds:g} s ({command.start_timer.timer_id})"
    if kind == "start_child_workflow":
        c2 = command.start_child_workflow
        return f"starts child workflow {c2.workflow_name!r} ({c2.step_id})"
    if kind == "complete_workflow":
        return "succeeds"
    if kind == "fail_workflow":
        return f"fails: {command.fail_workflow.error}"
    if kind == "continue_as_new":
        return "continues as new"
    raise ValueError(f"unknown command kind {kind!r}")
