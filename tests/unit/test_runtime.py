"""The worker-side replay core: hand-built histories in, commands out. No I/O."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import orjson
import pydantic
import pytest

import goblins
from goblins import converter, wire
from goblins._definitions import workflow_definition
from goblins._runtime import Completion, WorkflowInstance
from goblins.api import v1 as pb

RUN = "run-1"


# ---- activities and workflows under test (module level: their annotations must resolve) ----


@goblins.activity
async def step_a(x: int) -> int:
    return x + 1


@goblins.activity
async def step_b(x: int) -> int:
    return x * 2


@goblins.activity(name="greetActivity")
async def greet(name: str) -> str:
    return f"Hello {name}"


@goblins.workflow(name="greet")
async def greeting(name: str) -> str:
    result: str = await goblins.workflow.execute_activity(greet, name)
    return result


@goblins.workflow
async def two_steps(x: int) -> int:
    a = await goblins.workflow.execute_activity(step_a, x)
    b = await goblins.workflow.execute_activity(step_b, a)
    return int(b)


@goblins.workflow
async def only_b(x: int) -> int:
    return int(await goblins.workflow.execute_activity(step_b, x))


@goblins.workflow
async def fan_out(n: int) -> list[int]:
    return list(await asyncio.gather(*(goblins.workflow.execute_activity(step_a, i) for i in range(n))))


@goblins.workflow
async def catches_failure(x: int) -> str:
    try:
        await goblins.workflow.execute_activity(step_a, x)
    except goblins.ActivityFailed as exc:
        return f"caught: {exc}"
    return "not caught"


@goblins.workflow
async def raises(x: int) -> int:
    raise ValueError(f"bad input {x}")


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Label(pydantic.BaseModel):
    text: str
    size: int


@goblins.activity
async def describe_point(p: Point) -> Label:
    return Label(text=f"{p.x},{p.y}", size=2)


@goblins.workflow
async def typed(p: Point) -> dict[str, Any]:
    label = await goblins.workflow.execute_activity(describe_point, p)
    return {"input_type": type(p).__name__, "x": p.x, "label_type": type(label).__name__, "text": label.text}


@goblins.workflow
async def unserializable(x: int) -> str:
    try:
        await goblins.workflow.execute_activity(step_a, object())
    except goblins.errors.SerializationError as exc:
        return f"refused: {exc}"
    return "sent"


@goblins.workflow
async def uses_sleep(x: int) -> int:
    await asyncio.sleep(1)
    return x


# ---- history builders ----


class History:
    """Builds a run's events the way the server would record them."""

    def __init__(self, workflow_name: str, *args: Any) -> None:
        self.events: list[pb.HistoryEvent] = []
        self.workflow_name = workflow_name
        self.add("WORKFLOW_SCHEDULED", input=converter.encode_args(args, "test"))

    def add(self, type: str, **fields: Any) -> pb.HistoryEvent:
        event = wire.history_event(
            type, run_id=RUN, seq=len(self.events) + 1, workflow_name=self.workflow_name, time=1.0, **fields
        )
        self.events.append(event)
        return event

    def started(self) -> History:
        self.add("WORKFLOW_STARTED")
        return self

    def scheduled(self, position: int, name: str, *args: Any) -> History:
        self.add(
            "ACTIVITY_SCHEDULED",
            activity_name=name,
            step_id=f"{RUN}/{position}",
            input=converter.encode_args(args, "test"),
        )
        return self

    def succeeded(self, position: int, name: str, value: Any, attempt: int = 1) -> History:
        self.add(
            "ACTIVITY_FINISHED_IN_SUCCESS",
            activity_name=name,
            step_id=f"{RUN}/{position}",
            attempt=attempt,
            output=converter.encode(value),
        )
        return self

    def failed(self, position: int, name: str, error_type: str, message: str, attempt: int, retry_at: float) -> History:
        self.add(
            "ACTIVITY_FINISHED_IN_ERROR",
            activity_name=name,
            step_id=f"{RUN}/{position}",
            attempt=attempt,
            failure={"type": error_type, "message": f"{error_type}: {message}"},
            retry_at=retry_at,
        )
        return self


def instance(fn: Any) -> WorkflowInstance:
    defn = workflow_definition(fn)
    assert defn is not None
    return WorkflowInstance(RUN, defn)


def kinds(c: Completion) -> list[str]:
    return [str(cmd.WhichOneof("kind")) for cmd in c.commands]


def schedules(c: Completion) -> list[pb.ScheduleActivity]:
    return [cmd.schedule_activity for cmd in c.commands if cmd.WhichOneof("kind") == "schedule_activity"]


def output_of(c: Completion) -> Any:
    (cmd,) = [cmd for cmd in c.commands if cmd.WhichOneof("kind") == "complete_workflow"]
    return orjson.loads(cmd.complete_workflow.output)


# ---- live execution, one activation at a time ----


def test_first_activation_schedules_with_deterministic_id() -> None:
    h = History("greet", "Green Got")
    c = instance(greeting).activate(h.events)
    assert c.failure is None and not c.finished
    assert c.seen_seq == 1
    (s,) = schedules(c)
    assert s.step_id == f"{RUN}/1"
    assert s.activity_name == "greetActivity"
    assert orjson.loads(s.input) == ["Green Got"]
    assert s.retry_policy.max_attempts == goblins.RetryPolicy().maximum_attempts


def test_schedule_carries_retry_policy_and_timeout() -> None:
    @goblins.workflow(name="with_options")
    async def with_options(x: int) -> int:
        policy = goblins.RetryPolicy(maximum_attempts=7, initial_interval=0.5, non_retryable_error_types=["KeyError"])
        return int(await goblins.workflow.execute_activity(step_a, x, retry_policy=policy, start_to_close_timeout=12))

    (s,) = schedules(instance(with_options).activate(History("with_options", 1).events))
    assert s.retry_policy.max_attempts == 7
    assert s.retry_policy.initial_interval == 0.5
    assert list(s.retry_policy.non_retryable_errors) == ["KeyError"]
    assert s.start_to_close_timeout == 12


def test_success_resolves_activity_and_completes_workflow() -> None:
    h = History("greet", "Green Got")
    wf = instance(greeting)
    wf.activate(h.events)
    h.started().scheduled(1, "greetActivity", "Green Got").succeeded(1, "greetActivity", "Hello Green Got")
    c = wf.activate(h.events[1:])
    assert kinds(c) == ["complete_workflow"]
    assert c.finished
    assert output_of(c) == "Hello Green Got"
    assert c.seen_seq == len(h.events)


def test_two_sequential_steps_live() -> None:
    h = History("two_steps", 3)
    wf = instance(two_steps)
    (s1,) = schedules(wf.activate(h.events))
    assert s1.activity_name == "step_a"
    h.started().scheduled(1, "step_a", 3).succeeded(1, "step_a", 4)
    c = wf.activate(h.events[1:])
    (s2,) = schedules(c)
    assert (s2.step_id, s2.activity_name, orjson.loads(s2.input)) == (f"{RUN}/2", "step_b", [4])
    before = len(h.events)
    h.scheduled(2, "step_b", 4).succeeded(2, "step_b", 8)
    c = wf.activate(h.events[before:])
    assert output_of(c) == 8


# ---- replay ----


def full_two_steps_history() -> History:
    h = History("two_steps", 3).started().scheduled(1, "step_a", 3).succeeded(1, "step_a", 4)
    h.scheduled(2, "step_b", 4).succeeded(2, "step_b", 8)
    h.add("WORKFLOW_FINISHED_IN_SUCCESS", output=converter.encode(8))
    return h


def test_replay_from_scratch_schedules_nothing_and_returns_same_result() -> None:
    h = full_two_steps_history()
    c = instance(two_steps).activate(h.events)
    assert c.failure is None
    assert schedules(c) == []
    assert output_of(c) == 8
    assert c.finished
    assert c.seen_seq == len(h.events)


def test_event_by_event_is_live_execution_with_each_step_scheduled_once() -> None:
    # Fed one event at a time, the instance cannot know a step is recorded before it is
    # asked for: it schedules each step once (the server drops resent schedules), like live.
    h = full_two_steps_history()
    wf = instance(two_steps)
    commands: list[pb.Command] = []
    for event in h.events:
        commands.extend(wf.activate([event]).commands)
    assert [c.WhichOneof("kind") for c in commands] == ["schedule_activity", "schedule_activity", "complete_workflow"]
    assert [c.schedule_activity.step_id for c in commands[:2]] == [f"{RUN}/1", f"{RUN}/2"]
    assert orjson.loads(commands[2].complete_workflow.output) == 8


def test_scheduled_but_unfinished_activity_is_awaited_not_rescheduled() -> None:
    h = History("two_steps", 3).started().scheduled(1, "step_a", 3).succeeded(1, "step_a", 4)
    h.scheduled(2, "step_b", 4)
    c = instance(two_steps).activate(h.events)
    assert c.failure is None and c.commands == [] and not c.finished
    # ...and its result, arriving later, resumes the replayed instance.
    wf = instance(two_steps)
    wf.activate(h.events)
    h.succeeded(2, "step_b", 8)
    assert output_of(wf.activate(h.events[-1:])) == 8


def test_retried_attempt_in_history_is_not_a_result() -> None:
    h = History("two_steps", 3).started().scheduled(1, "step_a", 3)
    h.failed(1, "step_a", "RuntimeError", "flaky", attempt=1, retry_at=99.0)
    wf = instance(two_steps)
    c = wf.activate(h.events)
    assert c.failure is None and c.commands == [] and not c.finished
    h.succeeded(1, "step_a", 4, attempt=2)
    (s,) = schedules(wf.activate(h.events[-1:]))
    assert s.activity_name == "step_b"


def test_gather_schedules_all_at_once_and_replays_the_same() -> None:
    h = History("fan_out", 5)
    c = instance(fan_out).activate(h.events)
    ids = [s.step_id for s in schedules(c)]
    assert ids == [f"{RUN}/{i}" for i in range(1, 6)]
    assert [orjson.loads(s.input) for s in schedules(c)] == [[i] for i in range(5)]

    h.started()
    for i in range(5):
        h.scheduled(i + 1, "step_a", i)
    for i in reversed(range(5)):  # results arrive in any order
        h.succeeded(i + 1, "step_a", i + 1)
    replayed = instance(fan_out).activate(h.events)
    assert schedules(replayed) == []
    assert output_of(replayed) == [1, 2, 3, 4, 5]


def test_gather_partially_finished_replay_waits_for_the_rest() -> None:
    h = History("fan_out", 3).started()
    for i in range(3):
        h.scheduled(i + 1, "step_a", i)
    h.succeeded(2, "step_a", 2)
    wf = instance(fan_out)
    c = wf.activate(h.events)
    assert c.commands == [] and not c.finished
    h.succeeded(1, "step_a", 1).succeeded(3, "step_a", 3)
    assert output_of(wf.activate(h.events[-2:])) == [1, 2, 3]


# ---- activity errors ----


def test_final_activity_error_raises_activity_failed_in_workflow() -> None:
    h = History("catches_failure", 1).started().scheduled(1, "step_a", 1)
    h.failed(1, "step_a", "KeyError", "no such sku", attempt=3, retry_at=0)
    c = instance(catches_failure).activate(h.events)
    text = output_of(c)
    assert text.startswith("caught: ")
    assert "KeyError" in text and "no such sku" in text


def test_uncaught_activity_failure_fails_the_workflow() -> None:
    h = History("two_steps", 1).started().scheduled(1, "step_a", 1)
    h.failed(1, "step_a", "KeyError", "no such sku", attempt=1, retry_at=0)
    c = instance(two_steps).activate(h.events)
    (cmd,) = c.commands
    assert cmd.WhichOneof("kind") == "fail_workflow"
    assert cmd.fail_workflow.error_type == "ActivityFailed"
    assert "KeyError" in cmd.fail_workflow.error and "no such sku" in cmd.fail_workflow.error


def test_non_final_error_is_ignored() -> None:
    h = History("catches_failure", 1).started().scheduled(1, "step_a", 1)
    h.failed(1, "step_a", "KeyError", "retry me", attempt=1, retry_at=123.0)
    c = instance(catches_failure).activate(h.events)
    assert c.failure is None and c.commands == [] and not c.finished


# ---- nondeterminism and workflow errors ----


def test_nondeterminism_fails_the_task_naming_both_activities() -> None:
    h = History("only_b", 1).started().scheduled(1, "step_a", 1)
    c = instance(only_b).activate(h.events)
    assert c.failure is not None
    error_type, message = c.failure
    assert error_type == "NondeterminismError"
    assert "'step_a'" in message and "'step_b'" in message
    assert c.commands == []


def test_nondeterminism_is_not_hidden_by_workflow_code_catching_it() -> None:
    @goblins.workflow(name="swallows")
    async def swallows(x: int) -> str:
        try:
            await goblins.workflow.execute_activity(step_b, x)
        except Exception:
            return "swallowed"
        return "ok"

    h = History("swallows", 1).started().scheduled(1, "step_a", 1)
    c = instance(swallows).activate(h.events)
    assert c.failure is not None and c.failure[0] == "NondeterminismError"
    assert c.commands == []


def test_a_bug_in_workflow_code_fails_the_task_not_the_run() -> None:
    # Temporal's rule: a fixed deployment can resume the run, so the run is not ended.
    c = instance(raises).activate(History("raises", 7).events)
    assert c.commands == [] and not c.finished
    assert c.failure == ("ValueError", "ValueError: bad input 7")
    assert "Traceback" in c.stack_trace and 'in raises\n    raise ValueError(f"bad input {x}")' in c.stack_trace


def test_an_application_error_fails_the_run_with_its_type_details_and_trace() -> None:
    @goblins.workflow(name="app_error")
    async def app_error() -> None:
        raise goblins.ApplicationError("no stock", {"sku": "A1"}, 3, type="OutOfStock")

    c = instance(app_error).activate(History("app_error").events)
    assert c.failure is None and c.finished
    (cmd,) = c.commands
    f = cmd.fail_workflow
    assert (f.error_type, f.error) == ("OutOfStock", "OutOfStock: no stock")
    assert converter.decode(f.error_details) == [{"sku": "A1"}, 3]
    assert "in app_error" in f.stack_trace


def test_declared_failure_exception_types_fail_the_run() -> None:
    class Refused(ValueError):
        pass

    @goblins.workflow.defn(name="declares", failure_exception_types=[ValueError])
    async def declares(x: int) -> None:
        raise Refused(f"refused {x}") if x else KeyError("a bug")

    c = instance(declares).activate(History("declares", 1).events)
    (cmd,) = c.commands
    assert cmd.fail_workflow.error == "Refused: refused 1"
    c = instance(declares).activate(History("declares", 0).events)
    assert c.commands == [] and c.failure is not None and c.failure[0] == "KeyError"


def test_failure_exception_types_must_be_exception_classes() -> None:
    async def wf() -> None:
        pass

    with pytest.raises(TypeError, match="failure_exception_types must hold Exception classes"):
        goblins.workflow(failure_exception_types=["ValueError"])(wf)  # type: ignore[list-item]


def test_an_uncaught_activity_failure_fails_the_run_with_its_details() -> None:
    h = History("two_steps", 1).started().scheduled(1, "step_a", 1)
    h.add(
        "ACTIVITY_FINISHED_IN_ERROR",
        step_id=f"{RUN}/1",
        activity_name="step_a",
        attempt=1,
        failure={"type": "Declined", "message": "Declined: card", "details": converter.encode(["card-7"])},
    )
    (cmd,) = instance(two_steps).activate(h.events).commands
    assert cmd.fail_workflow.error_type == "ActivityFailed"
    assert converter.decode(cmd.fail_workflow.error_details) == ["card-7"]


def test_unserializable_result_fails_the_task() -> None:
    @goblins.workflow(name="bad_result")
    async def bad_result() -> object:
        return object()

    c = instance(bad_result).activate(History("bad_result").events)
    assert c.commands == [] and c.failure is not None and c.failure[0] == "SerializationError"


def test_asyncio_timers_are_refused_in_workflow_code() -> None:
    c = instance(uses_sleep).activate(History("uses_sleep", 1).events)
    assert c.commands == [] and c.failure is not None and "asyncio timers" in c.failure[1]


# ---- payload types ----


def test_dataclass_and_pydantic_values_decode_to_annotated_types() -> None:
    h = History("typed", Point(1, 2))
    wf = instance(typed)
    (s,) = schedules(wf.activate(h.events))
    assert orjson.loads(s.input) == [{"x": 1, "y": 2}]
    h.started().scheduled(1, "describe_point", Point(1, 2)).succeeded(1, "describe_point", Label(text="1,2", size=2))
    out = output_of(wf.activate(h.events[1:]))
    assert out == {"input_type": "Point", "x": 1, "label_type": "Label", "text": "1,2"}


def test_unserializable_argument_is_refused_before_any_command() -> None:
    c = instance(unserializable).activate(History("unserializable", 1).events)
    assert schedules(c) == []
    text = output_of(c)
    assert text.startswith("refused: ") and "argument 1 (object)" in text


def test_execute_activity_outside_a_workflow_is_a_clear_error() -> None:
    with pytest.raises(goblins.GoblinsError, match="only be called from inside a workflow"):
        goblins.workflow.execute_activity(step_a, 1)


async def test_execute_activity_in_a_plain_event_loop_is_a_clear_error() -> None:
    with pytest.raises(goblins.GoblinsError, match="only be called from inside a workflow"):
        goblins.workflow.execute_activity(step_a, 1)


def test_activate_restores_the_callers_running_loop() -> None:
    instance(greeting).activate(History("greet", "x").events)
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


def test_wrong_number_of_arguments_fails_the_workflow() -> None:
    # Deterministic, and no retry can fix it: the run finishes in error instead of its
    # workflow task failing (and being retried) for ever.
    c = instance(greeting).activate(History("greet").events)
    assert c.failure is None
    (cmd,) = c.commands
    assert cmd.WhichOneof("kind") == "fail_workflow"
    assert cmd.fail_workflow.error_type == "TypeError"
    assert "name" in cmd.fail_workflow.error


def test_input_that_does_not_match_the_annotation_fails_the_workflow() -> None:
    c = instance(typed).activate(History("typed", "not a point").events)
    assert c.failure is None
    (cmd,) = c.commands
    assert cmd.fail_workflow.error_type == "SerializationError"
    assert "Point" in cmd.fail_workflow.error


def test_an_unknown_event_kind_fails_the_task_rather_than_being_skipped() -> None:
    h = History("greet", "Green Got")
    unknown = pb.HistoryEvent(run_id=RUN, seq=2, type=99)  # type: ignore[arg-type]
    c = instance(greeting).activate([*h.events, unknown])
    assert c.failure is not None and "unknown type 99" in c.failure[1]


@goblins.workflow
async def waits_for_signal(x: int) -> str:
    try:
        value = await goblins.workflow.wait_for_signal("go")
    except goblins.errors.SerializationError as exc:
        return f"undeliverable: {exc}"
    return f"got {value}"


@pytest.mark.parametrize("payload", [b"not json", b'{"a": 1}'], ids=["not-json", "object"])
def test_a_signal_that_cannot_be_decoded_fails_its_wait_not_every_replay(payload: bytes) -> None:
    # Recorded before the server checked payloads: the run must still be able to move on.
    h = History("waits_for_signal", 1).started()
    h.add("WORKFLOW_SIGNALED", signal_name="go", input=payload)
    c = instance(waits_for_signal).activate(h.events)
    assert c.failure is None
    assert output_of(c).startswith("undeliverable: signal 'go' could not be decoded")
