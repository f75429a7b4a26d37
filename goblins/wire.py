"""The one mapping between goblins' domain objects and the wire messages (``goblins.api.v1``).

Every field of a history event crosses here in both directions, so a field added to the proto
and forgotten here fails ``tests/unit/test_wire.py`` instead of being dropped on one path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from goblins import _search, converter
from goblins._envelope import PayloadCodec
from goblins.api import v1 as pb
from goblins.describe import LiveFacts
from goblins.history import (
    KINDS,
    RUNNING,
    WORKFLOW_FAILED,
    WORKFLOW_SCHEDULED,
    WORKFLOW_SUCCEEDED,
    Event,
    EventType,
    Failure,
    kind_of,
    run_status,
)
from goblins.retry import RetryPolicy

# Each attribute message's field names, and which of them are payloads (bytes), by oneof field.
_ONEOF = pb.HistoryEvent.DESCRIPTOR.oneofs_by_name["attributes"]
_MESSAGES = {f.name: cast(Any, f.message_type) for f in _ONEOF.fields}
_ATTRIBUTE_FIELDS: dict[str, tuple[str, ...]] = {name: tuple(g.name for g in m.fields) for name, m in _MESSAGES.items()}
_BYTES: dict[str, frozenset[str]] = {
    name: frozenset(g.name for g in m.fields if g.type == g.TYPE_BYTES) for name, m in _MESSAGES.items()
}
# The domain's kinds and the wire's enum are one list: a proto edit that breaks that fails here.
if {number: pb.EventType.Name(number) for number in KINDS} != {n: k.value for n, k in KINDS.items()}:
    raise ImportError("goblins.history's kinds and history.proto's EventType disagree")
_NUMBERS: dict[EventType, pb.EventType] = {kind: cast(pb.EventType, number) for number, kind in KINDS.items()}


def _decode_payload(data: bytes, codec: PayloadCodec | None = None) -> Any:
    # A client reads any history, including one whose payloads its converter cannot read
    # (or that are encrypted with a key it does not hold): those stay bytes rather than
    # hiding the event.
    try:
        return converter.decode(data, codec=codec) if data else None
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


# ---- history events ----

ATTRIBUTES: dict[int, str] = {number: kind.value.lower() for number, kind in KINDS.items()}
"""Each kind's field of the ``attributes`` oneof (the kind's name in lower case)."""
# The hot paths (every stored event goes through ``columns``) read these plain dicts: no enum
# member's ``.value`` (a property) and one lookup per question.
_TYPE_NAMES: dict[int, str] = {number: kind.value for number, kind in KINDS.items()}
_STEP_FIELDS = {n: field for n, field in ATTRIBUTES.items() if "step_id" in _ATTRIBUTE_FIELDS[field]}
_FAILURE_FIELDS = {n: field for n, field in ATTRIBUTES.items() if "failure" in _ATTRIBUTE_FIELDS[field]}
_NAMES = ("activity_name", "child_workflow_name", "signal_name", "update_name")  # the domain event's `name`


def history_event(
    kind: EventType | str,
    *,
    run_id: str = "",
    seq: int = 0,
    time: float = 0.0,
    workflow_name: str = "",
    **attributes: Any,
) -> pb.HistoryEvent:
    """A wire event of ``kind`` (by name) with these attributes: for tests and tools."""
    number = _NUMBERS[EventType(kind)]
    return pb.HistoryEvent(
        run_id=run_id, seq=seq, time=time, type=number, workflow_name=workflow_name, **{ATTRIBUTES[number]: attributes}
    )


def attributes_of(e: pb.HistoryEvent) -> Any:
    """The kind's own fields of ``e`` (the attribute message its ``type`` names)."""
    return getattr(e, ATTRIBUTES[e.type])


def type_name(e: pb.HistoryEvent) -> str:
    """The kind's name, as the stores keep it in their type column."""
    return _TYPE_NAMES[e.type]


def columns(e: pb.HistoryEvent) -> tuple[str, str]:
    """What the stores keep beside an event's bytes: its kind's name and its step id."""
    kind = e.type
    field = _STEP_FIELDS.get(kind)
    return _TYPE_NAMES[kind], getattr(e, field).step_id if field is not None else ""


def step_id_of(e: pb.HistoryEvent) -> str:
    """The workflow step ``e`` is about (empty for the kinds of the whole run)."""
    field = _STEP_FIELDS.get(e.type)
    return getattr(e, field).step_id if field is not None else ""  # type: ignore[no-any-return]


_ENDS = frozenset({WORKFLOW_FAILED, WORKFLOW_SUCCEEDED})


def status_of(e: pb.HistoryEvent) -> str | None:
    """The run status ``e`` sets (RUNNING, one of the ended ones), or None: most events set none."""
    kind = e.type
    if kind not in _ENDS:  # the stores call this per event committed: one set lookup for most
        return RUNNING if kind == WORKFLOW_SCHEDULED else None
    if kind == WORKFLOW_FAILED:
        return run_status(kind, error_type=e.workflow_finished_in_error.failure.type)
    return run_status(kind, continued_as=e.workflow_finished_in_success.continued_as)


def failure_of(e: pb.HistoryEvent) -> pb.Failure | None:
    """Why ``e`` ended in error, for the kinds that carry a failure."""
    field = _FAILURE_FIELDS.get(e.type)
    return getattr(e, field).failure if field is not None else None


def failure_to_proto(f: Failure) -> pb.Failure:
    return pb.Failure(
        message=f.message,
        type=f.type,
        stack_trace=f.stack_trace,
        non_retryable=f.non_retryable,
        details=_encode_payload(f.details),
        cause=failure_to_proto(f.cause) if f.cause is not None else None,
    )


def failure_from_proto(f: pb.Failure, codec: PayloadCodec | None = None) -> Failure:
    return Failure(
        message=f.message,
        type=f.type,
        stack_trace=f.stack_trace,
        non_retryable=f.non_retryable,
        details=_decode_payload(f.details, codec),
        cause=failure_from_proto(f.cause, codec) if f.HasField("cause") else None,
    )


def event_from_proto(e: pb.HistoryEvent, codec: PayloadCodec | None = None) -> Event:
    """The client's view of a stored event: payloads decoded (through ``codec``; a payload it
    cannot decode stays bytes), every field kept."""
    kind = kind_of(e.type)
    which = e.WhichOneof("attributes")
    if which != ATTRIBUTES[e.type]:
        raise ValueError(f"event {e.seq} of run {e.run_id}: a {kind} event with attributes {which!r}")
    attrs = getattr(e, which)
    common: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for name in _ATTRIBUTE_FIELDS[which]:
        value = getattr(attrs, name)
        if name in ("input", "output"):
            common[name] = _decode_payload(value, codec)
        elif name in _NAMES:
            common["name"] = value
        elif name == "step_id":
            common[name] = value
        elif name == "failure":
            common[name] = failure_from_proto(value, codec) if attrs.HasField(name) else None
        elif name == "retry_policy":
            rest[name] = retry_policy_from_proto(value) if attrs.HasField(name) else None
        elif name == "trace_context":  # a map: a plain dict for the client
            rest[name] = dict(value)
        elif name == "search_attributes":  # typed values: Python's (None: removed, in an upsert)
            rest[name] = {n: _search.from_proto(v) for n, v in sorted(value.items())}
        else:
            rest[name] = _decode_payload(value, codec) if isinstance(value, bytes) else value
    common.setdefault("name", e.workflow_name)
    return Event(
        seq=e.seq,
        type=kind,
        run_id=e.run_id,
        time=e.time,
        workflow_name=e.workflow_name,
        attributes=rest,
        **common,
    )


def event_to_proto(e: Event | pb.HistoryEvent) -> pb.HistoryEvent:
    """The wire form of an event (a wire event is returned as it is)."""
    if isinstance(e, pb.HistoryEvent):
        return e
    number = _NUMBERS[e.type]
    which = ATTRIBUTES[number]
    attrs: dict[str, Any] = {}
    for name in _ATTRIBUTE_FIELDS[which]:
        if name in ("input", "output"):
            attrs[name] = _encode_payload(getattr(e, name))
        elif name in _NAMES:
            attrs[name] = e.name
        elif name == "step_id":
            attrs[name] = e.step_id
        elif name == "failure":
            attrs[name] = failure_to_proto(e.failure) if e.failure is not None else None
        elif name == "retry_policy":
            policy = e.attributes.get(name)
            attrs[name] = retry_policy_to_proto(policy) if policy is not None else None
        elif name == "search_attributes":
            attrs[name] = _search.encode(e.attributes.get(name))
        elif name in e.attributes:
            value = e.attributes[name]
            attrs[name] = _encode_payload(value) if name in _BYTES[which] else value
    return pb.HistoryEvent(
        run_id=e.run_id, seq=e.seq, time=e.time, type=number, workflow_name=e.workflow_name, **{which: attrs}
    )


def describe_command(command: pb.Command) -> str:
    """A command in words, for errors that name what the code asked for."""
    kind = command.WhichOneof("kind")
    describe = _DESCRIBE.get(kind)  # type: ignore[arg-type]
    if describe is None:
        raise ValueError(f"unknown command kind {kind!r}")
    return describe(getattr(command, kind))  # type: ignore[arg-type]


_DESCRIBE: dict[str, Callable[[Any], str]] = {
    "schedule_activity": lambda c: f"schedules activity {c.activity_name!r} ({c.step_id})",
    "start_timer": lambda c: f"starts a timer of {c.seconds:g} s ({c.timer_id})",
    "start_child_workflow": lambda c: f"starts child workflow {c.workflow_name!r} ({c.step_id})",
    "complete_workflow": lambda c: "succeeds",
    "fail_workflow": lambda c: f"fails: {c.error}",
    "continue_as_new": lambda c: "continues as new",
    "record_marker": lambda c: f"records patch {c.patch_id!r}{' (deprecated)' if c.deprecated else ''}",
    "complete_update": lambda c: f"completes update {c.update_id}",
    "record_local_activity": lambda c: f"records local activity {c.outcome.activity_name!r} ({c.outcome.step_id})",
    "upsert_search_attributes": lambda c: f"upserts search attributes {', '.join(sorted(c.search_attributes))}",
}
"""Each command kind in words: every kind is named, unknown kinds raise."""


def live_facts(request: pb.DescribeWorkflowRequest, reply: pb.DescribeWorkflowResponse, now: float) -> LiveFacts:
    """The server's DescribeWorkflow answer to ``request`` as facts (``now``: the client's
    clock, used when the server sent none)."""
    hosted = {pb.HOSTING_YES: True, pb.HOSTING_NO: False}
    return LiveFacts(
        now=reply.server_time or now,
        workflow_hosted=hosted.get(reply.workflow_hosted),
        activities_hosted={
            name: hosted.get(h) for name, h in zip(request.activities, reply.activities_hosted, strict=False)
        },
        heartbeats={
            b.step_id: (converter.decode(b.details) if b.details else None, b.time or None) for b in reply.heartbeats
        },
        waiting=tuple(reply.waiting),
    )
