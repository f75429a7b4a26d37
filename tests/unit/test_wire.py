"""goblins.wire: the one domain <-> protobuf mapping keeps every field both ways."""

from __future__ import annotations

import dataclasses

import pytest

import goblins
import goblins.testing
from goblins import converter, wire
from goblins.api import v1 as pb
from goblins.history import FINISHED, STATUSES, WAKES, Event, EventType, run_status


def _full_event() -> pb.Event:
    """An event with every field set to a value that is not its default."""
    return pb.Event(
        run_id="run-1",
        seq=7,
        type=EventType.ACTIVITY_FINISHED_IN_ERROR.value,
        workflow_name="wf",
        activity_name="act",
        step_id="run-1/3",
        attempt=2,
        max_attempts=5,
        input=converter.encode(["a", 1]),
        output=converter.encode({"k": [1, 2]}),
        error="ValueError: no",
        error_type="ValueError",
        timestamp=1000.5,
        retry_at=1002.5,
        retry_policy=pb.RetryPolicy(
            initial_interval=0.5,
            backoff_coefficient=3.0,
            maximum_interval=9.0,
            max_attempts=4,
            non_retryable_errors=["KeyError"],
        ),
        start_to_close_timeout=3.0,
        fire_at=1100.0,
        signal_name="sig",
        child_run_id="child-1",
        parent_run_id="parent-1",
        execution_timeout=60.0,
        heartbeat_timeout=2.0,
        schedule_to_close_timeout=30.0,
        heartbeat_details=converter.encode({"done": 3}),
        continued_as="run-1~2",
        signal_id="sig-1",
        parent_step_id="parent-1/2",
        stack_trace="Traceback (most recent call last):\n  ...\nValueError: no\n",
        non_retryable=True,
        error_details=converter.encode([{"order": 7}]),
    )


def test_the_sample_sets_every_field_of_the_event() -> None:
    """A field added to the proto must be added here, and so to the round trip below."""
    assert {f.name for f, _ in _full_event().ListFields()} == {f.name for f in pb.Event.DESCRIPTOR.fields}


def test_an_event_round_trips_through_the_domain_event() -> None:
    e = _full_event()
    event = wire.event_from_proto(e)
    assert isinstance(event, Event)
    assert event.input == ["a", 1] and event.output == {"k": [1, 2]}
    assert event.heartbeat_details == {"done": 3}
    assert event.retry_policy == goblins.RetryPolicy(
        maximum_attempts=4,
        initial_interval=0.5,
        backoff_coefficient=3.0,
        maximum_interval=9.0,
        non_retryable_error_types=("KeyError",),
    )
    assert wire.event_to_proto(event) == e


def test_an_empty_event_round_trips() -> None:
    e = pb.Event(run_id="r", seq=1, type=EventType.WORKFLOW_STARTED.value)
    event = wire.event_from_proto(e)
    assert event.input is None and event.retry_policy is None and event.heartbeat_details is None
    assert wire.event_to_proto(event) == e


def test_payloads_a_converter_cannot_read_stay_bytes() -> None:
    e = pb.Event(run_id="r", seq=1, type=EventType.WORKFLOW_SCHEDULED.value, input=b"\xff not json")
    event = wire.event_from_proto(e)
    assert event.input == b"\xff not json"
    assert wire.event_to_proto(event) == e


def test_a_wire_event_is_returned_as_it_is() -> None:
    e = _full_event()
    assert wire.event_to_proto(e) is e


def test_a_retry_policy_round_trips() -> None:
    policy = goblins.RetryPolicy(maximum_attempts=0, initial_interval=2, non_retryable_error_types=["E"])
    assert wire.retry_policy_from_proto(wire.retry_policy_to_proto(policy)) == policy
    assert policy.to_proto() == wire.retry_policy_to_proto(policy)


@pytest.mark.parametrize("kind", [f.name for f in pb.Command.DESCRIPTOR.oneofs_by_name["kind"].fields])
def test_every_command_kind_is_described(kind: str) -> None:
    command = pb.Command(**{kind: getattr(pb, pb.Command.DESCRIPTOR.fields_by_name[kind].message_type.name)()})
    assert wire.describe_command(command)


def test_an_unknown_command_kind_raises() -> None:
    with pytest.raises(ValueError, match="unknown command"):
        wire.describe_command(pb.Command())


def test_the_vocabulary() -> None:
    assert FINISHED == {"WORKFLOW_FINISHED_IN_SUCCESS", "WORKFLOW_FINISHED_IN_ERROR"}
    assert not FINISHED & WAKES and WAKES <= {t.value for t in EventType}
    assert [
        run_status(t) for t in ("WORKFLOW_SCHEDULED", "WORKFLOW_FINISHED_IN_SUCCESS", "WORKFLOW_FINISHED_IN_ERROR")
    ] == list(STATUSES)
    assert run_status("ACTIVITY_STARTED") is None


@goblins.workflow(name="sleeper")
async def sleeps_first() -> str:
    await goblins.workflow.sleep(5)
    return "done"


def test_replay_names_a_timer_the_history_never_recorded() -> None:
    """Was: "the recorded run succeeded, the code now fails: " (a start_timer read as a failure)."""
    history = [
        pb.Event(run_id="r", seq=1, type="WORKFLOW_SCHEDULED", workflow_name="sleeper", input=b"[]"),
        pb.Event(run_id="r", seq=2, type="WORKFLOW_STARTED", workflow_name="sleeper"),
        pb.Event(run_id="r", seq=3, type="WORKFLOW_FINISHED_IN_SUCCESS", workflow_name="sleeper", output=b'"done"'),
    ]
    with pytest.raises(goblins.NondeterminismError, match=r"starts a timer of 5 s .* never recorded"):
        goblins.testing.replay(history, sleeps_first)


def test_the_public_event_has_every_field_of_the_wire_event() -> None:
    assert {f.name for f in pb.Event.DESCRIPTOR.fields} == {f.name for f in dataclasses.fields(Event)}
