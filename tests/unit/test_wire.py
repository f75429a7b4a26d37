"""goblins.wire: the one domain <-> protobuf mapping keeps every attribute of every kind both ways."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import goblins
import goblins.testing
from goblins import converter, wire
from goblins.api import v1 as pb
from goblins.history import FINISHED, KINDS, STATUSES, WAKES, Event, EventType, Failure, parse_status, run_status

_ONEOF = pb.HistoryEvent.DESCRIPTOR.oneofs_by_name["attributes"]


def _failure(depth: int = 1) -> pb.Failure:
    """A failure with every field set (and a cause, with every field set)."""
    return pb.Failure(
        message=f"ValueError: no ({depth})",
        type="ValueError",
        stack_trace='File "wf.py", line 3',
        non_retryable=True,
        details=converter.encode({"depth": depth}),
        cause=_failure(depth + 1) if depth < 2 else None,
    )


# A value for every field type an attribute message uses (payloads are converter-encoded).
_SAMPLES: dict[str, Any] = {
    "input": converter.encode(["a", 1]),
    "output": converter.encode({"k": [1, 2]}),
    "heartbeat_details": converter.encode({"done": 3}),
    "retry_policy": pb.RetryPolicy(
        initial_interval=0.5, backoff_coefficient=3.0, maximum_interval=9.0, max_attempts=4, non_retryable_errors=["E"]
    ),
    "failure": _failure(),
    "async_token_hash": bytes(range(32)),  # a SHA-256 digest: raw bytes, not a payload
    "trace_context": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    "search_attributes": {"customer": pb.SearchValue(keyword="c-17"), "amount": pb.SearchValue(float=42.5)},
    "memo": converter.encode({"note": "rush"}),
}


def _sample(field: Any) -> Any:
    if field.name in _SAMPLES:
        return _SAMPLES[field.name]
    if field.type == field.TYPE_STRING:
        return f"{field.name}-1"
    if field.type in (field.TYPE_INT32, field.TYPE_INT64):
        return 7
    if field.type == field.TYPE_DOUBLE:
        return 1000.5
    if field.type == field.TYPE_BOOL:
        return True
    raise AssertionError(f"no sample for {field.name} ({field.type}): add one")


def full_event(kind: str) -> pb.HistoryEvent:
    """An event of ``kind`` with every envelope and attribute field set to a value that is not its default."""
    which = kind.lower()
    message = pb.HistoryEvent.DESCRIPTOR.fields_by_name[which].message_type
    attributes = {f.name: _sample(f) for f in message.fields}
    return wire.history_event(kind, run_id="run-1", seq=7, time=1000.5, workflow_name="wf", **attributes)


KIND_NAMES = [kind.value for kind in EventType]


def test_every_kind_has_its_attribute_message_in_the_oneof() -> None:
    assert [f.name for f in _ONEOF.fields] == [k.lower() for k in KIND_NAMES]
    assert {n: pb.EventType.Name(n) for n in KINDS} == {n: k.value for n, k in KINDS.items()}
    assert set(pb.EventType.keys()) == {"EVENT_TYPE_UNSPECIFIED", *KIND_NAMES}


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_every_attribute_of_every_kind_round_trips(kind: str) -> None:
    e = full_event(kind)
    attributes = wire.attributes_of(e)
    assert {f.name for f, _ in attributes.ListFields()} == {f.name for f in attributes.DESCRIPTOR.fields}
    event = wire.event_from_proto(e)
    assert isinstance(event, Event) and event.type == EventType(kind)
    assert (event.seq, event.run_id, event.time, event.workflow_name) == (7, "run-1", 1000.5, "wf")
    assert wire.event_to_proto(event) == e


def test_the_domain_event_decodes_payloads_and_failures() -> None:
    event = wire.event_from_proto(full_event("ACTIVITY_FINISHED_IN_ERROR"))
    assert (event.step_id, event.name, event.output, event.input) == ("step_id-1", "activity_name-1", None, None)
    assert event.attributes == {"attempt": 7, "max_attempts": 7, "retry_at": 1000.5, "heartbeat_details": {"done": 3}}
    assert event.failure == Failure(
        message="ValueError: no (1)",
        type="ValueError",
        stack_trace='File "wf.py", line 3',
        non_retryable=True,
        details={"depth": 1},
        cause=Failure("ValueError: no (2)", "ValueError", 'File "wf.py", line 3', True, {"depth": 2}),
    )
    scheduled = wire.event_from_proto(full_event("ACTIVITY_SCHEDULED"))
    assert scheduled.input == ["a", 1]
    assert scheduled.attributes["retry_policy"] == goblins.RetryPolicy(
        maximum_attempts=4,
        initial_interval=0.5,
        backoff_coefficient=3.0,
        maximum_interval=9.0,
        non_retryable_error_types=("E",),
    )
    run = wire.event_from_proto(full_event("WORKFLOW_STARTED"))
    assert (run.name, run.step_id, run.attributes) == ("wf", "", {})


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_an_event_with_only_its_kind_round_trips(kind: str) -> None:
    e = wire.history_event(kind, run_id="r", seq=1)
    event = wire.event_from_proto(e)
    assert event.input is None and event.failure is None
    assert wire.event_to_proto(event) == e


def test_the_helpers_read_step_ids_failures_and_names() -> None:
    failed = full_event("CHILD_WORKFLOW_FAILED")
    assert wire.step_id_of(failed) == "step_id-1" and wire.failure_of(failed) == _failure()
    assert wire.columns(failed) == ("CHILD_WORKFLOW_FAILED", "step_id-1")
    signaled = full_event("WORKFLOW_SIGNALED")
    assert wire.step_id_of(signaled) == "" and wire.failure_of(signaled) is None
    assert wire.columns(signaled) == ("WORKFLOW_SIGNALED", "")


def test_an_event_whose_attributes_do_not_match_its_type_is_refused() -> None:
    e = full_event("TIMER_FIRED")
    e.type = pb.TIMER_STARTED
    with pytest.raises(ValueError, match="TIMER_STARTED event with attributes 'timer_fired'"):
        wire.event_from_proto(e)
    with pytest.raises(ValueError, match="unknown event type 99"):
        wire.event_from_proto(pb.HistoryEvent(type=99))  # type: ignore[arg-type]


def test_payloads_a_converter_cannot_read_stay_bytes() -> None:
    e = wire.history_event("WORKFLOW_SCHEDULED", run_id="r", seq=1, input=b"\xff not json")
    event = wire.event_from_proto(e)
    assert event.input == b"\xff not json"
    assert wire.event_to_proto(event) == e


def test_a_wire_event_is_returned_as_it_is() -> None:
    e = full_event("TIMER_STARTED")
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
    assert {KINDS[n] for n in FINISHED} == {"WORKFLOW_FINISHED_IN_SUCCESS", "WORKFLOW_FINISHED_IN_ERROR"}
    assert not FINISHED & WAKES and WAKES <= set(KINDS)
    assert goblins.events.WORKFLOW_FINISHED == {KINDS[n] for n in FINISHED}
    assert [run_status(pb.EventType.Value(t)) for t in ("WORKFLOW_SCHEDULED", *sorted(KINDS[n] for n in FINISHED))] == [
        "RUNNING",
        "FAILED",
        "COMPLETED",
    ]
    assert STATUSES == (
        "RUNNING",
        "COMPLETED",
        "FAILED",
        "CANCELLED",
        "TERMINATED",
        "TIMED_OUT",
        "CONTINUED_AS_NEW",
    )
    assert run_status(pb.ACTIVITY_STARTED) is None
    # How the run ended decides its status (Temporal's): the server's own ends by error type.
    failed = pb.WORKFLOW_FINISHED_IN_ERROR
    assert [run_status(failed, error_type=t) for t in ("ValueError", "WorkflowCancelled")] == ["FAILED", "CANCELLED"]
    assert [run_status(failed, error_type=t) for t in ("WorkflowTerminated", "WorkflowTimedOut")] == [
        "TERMINATED",
        "TIMED_OUT",
    ]
    assert run_status(pb.WORKFLOW_FINISHED_IN_SUCCESS, continued_as="r~2") == "CONTINUED_AS_NEW"
    end = pb.HistoryEvent(type=failed)
    end.workflow_finished_in_error.failure.type = "WorkflowTerminated"
    assert wire.status_of(end) == "TERMINATED"
    assert [parse_status(s) for s in ("cancelled", " Timed_Out", "", None)] == ["CANCELLED", "TIMED_OUT", "", ""]
    with pytest.raises(ValueError, match="status must be one of RUNNING, COMPLETED"):
        parse_status("DONE")


@goblins.workflow(name="sleeper")
async def sleeps_first() -> str:
    await goblins.workflow.sleep(5)
    return "done"


def test_replay_names_a_timer_the_history_never_recorded() -> None:
    """Was: "the recorded run succeeded, the code now fails: " (a start_timer read as a failure)."""
    history = [
        wire.history_event("WORKFLOW_SCHEDULED", run_id="r", seq=1, workflow_name="sleeper", input=b"[]"),
        wire.history_event("WORKFLOW_STARTED", run_id="r", seq=2, workflow_name="sleeper"),
        wire.history_event(
            "WORKFLOW_FINISHED_IN_SUCCESS", run_id="r", seq=3, workflow_name="sleeper", output=b'"done"'
        ),
    ]
    with pytest.raises(goblins.NondeterminismError, match=r"starts a timer of 5 s .* never recorded"):
        goblins.testing.replay(history, sleeps_first)


def test_the_public_event_is_a_small_envelope() -> None:
    assert [f.name for f in dataclasses.fields(Event)] == [
        "seq",
        "type",
        "run_id",
        "time",
        "workflow_name",
        "step_id",
        "name",
        "input",
        "output",
        "failure",
        "attributes",
    ]
