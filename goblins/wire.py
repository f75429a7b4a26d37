"""The one mapping between goblins' domain objects and the wire messages (``goblins.api.v1``).

Every field of a history event crosses here in both directions, so a field added to the proto
and forgotten here fails ``tests/unit/test_wire.py`` instead of being dropped on one path.
"""

from __future__ import annotations

from collections.abc import Callable
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


# Fields that are the same on both sides; the others (type, payloads, the policy) are mapped
# one by one below.
_COPIED = (
    "seq",
    "run_id",
    "workflow_name",
    "activity_name",
    "step_id",
    "attempt",
    "max_attempts",
    "error",
    "error_type",
    "timestamp",
    "retry_at",
    "fire_at",
    "signal_name",
    "signal_id",
    "child_run_id",
    "parent_run_id",
    "parent_step_id",
    "continued_as",
    "execution_timeout",
    "start_to_close_timeout",
    "heartbeat_timeout",
    "schedule_to_close_timeout",
    "stack_trace",
    "non_retryable",
)
_PAYLOADS = ("input", "output", "heartbeat_details", "error_details")


def _fields(e: Any, payload: Callable[[Any], Any]) -> dict[str, Any]:
    fields = {name: getattr(e, name) for name in _COPIED}
    fields.update((name, payload(getattr(e, name))) for name in _PAYLOADS)
    return fields


def event_from_proto(e: pb.Event) -> Event:
    """The client's view of a stored event: payloads decoded, every field kept."""
    return Event(
        type=EventType(e.type),
        retry_policy=retry_policy_from_proto(e.retry_policy) if e.HasField("retry_policy") else None,
        **_fields(e, _decode_payload),
    )


def event_to_proto(e: Event | pb.Event) -> pb.Event:
    """The wire form of an event (a wire event is returned as it is)."""
    if isinstance(e, pb.Event):
        return e
    return pb.Event(
        type=e.type.value,
        retry_policy=retry_policy_to_proto(e.retry_policy) if e.retry_policy is not None else None,
        **_fields(e, _encode_payload),
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
