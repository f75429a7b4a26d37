"""Local activities in the replay core: a call waits for the worker in the task; its outcome is
recorded as a command; a replay settles the step from LOCAL_ACTIVITY_RECORDED and runs nothing.
No I/O: the worker's part is played by the test."""

from __future__ import annotations

from typing import Any

import pytest

import goblins
from goblins import converter, wire
from goblins._definitions import workflow_definition
from goblins._runtime import WorkflowInstance
from goblins.api import v1 as pb
from goblins.server import checks

RUN = "run-local"
RAN: list[int] = []


@goblins.activity
async def double(x: int) -> int:
    RAN.append(x)
    return 2 * x


@goblins.workflow
async def two_locals(x: int) -> int:
    a = await goblins.workflow.execute_local_activity(double, x)
    try:
        b = await goblins.workflow.execute_local_activity(double, a)
    except goblins.ActivityFailed as exc:
        return -exc.attempt
    return int(b)


def instance(workflow: Any) -> WorkflowInstance:
    defn = workflow_definition(workflow)
    assert defn is not None
    return WorkflowInstance(RUN, defn)  # type: ignore[abstract]


def scheduled(x: int) -> pb.HistoryEvent:
    return wire.history_event(
        "WORKFLOW_SCHEDULED", run_id=RUN, seq=1, workflow_name="two_locals", input=converter.encode([x])
    )


def recorded(seq: int, step: int, output: Any = None, **fields: Any) -> pb.HistoryEvent:
    attrs = pb.LocalActivityRecordedAttributes(step_id=f"{RUN}/{step}", activity_name="double", **fields)
    if output is not None:
        attrs.output = converter.encode(output)
    return pb.HistoryEvent(run_id=RUN, seq=seq, type=pb.LOCAL_ACTIVITY_RECORDED, local_activity_recorded=attrs)


def ok(step: int, value: int) -> pb.LocalActivityRecordedAttributes:
    return pb.LocalActivityRecordedAttributes(
        step_id=f"{RUN}/{step}", activity_name="double", output=converter.encode(value), attempts=1
    )


def test_a_call_waits_for_the_worker_and_its_outcome_is_a_command() -> None:
    wf = instance(two_locals)
    first = wf.activate([scheduled(3)])
    assert first.commands == [] and not first.finished
    [request] = wf.take_local_requests()
    assert (request.step_id, request.activity_name, request.first_attempt) == (f"{RUN}/1", "double", 1)
    assert converter.decode(request.input) == [3]
    second = wf.resolve_local([ok(1, 6)])
    assert [c.WhichOneof("kind") for c in second.commands] == ["record_local_activity"]
    assert second.commands[0].record_local_activity.outcome.step_id == f"{RUN}/1"
    [request] = wf.take_local_requests()  # the code went on to the second call
    third = wf.resolve_local([ok(2, 12)])
    kinds = [c.WhichOneof("kind") for c in third.commands]
    assert kinds == ["record_local_activity", "complete_workflow"] and third.finished
    assert converter.decode(third.commands[1].complete_workflow.output) == 12


def test_replay_settles_from_the_recorded_event_and_runs_nothing() -> None:
    RAN.clear()
    wf = instance(two_locals)
    # outputs the activity could not have returned: replay must use the recorded ones
    events = [scheduled(3), recorded(2, 1, 100, attempts=1), recorded(3, 2, 7, attempts=2)]
    completion = wf.activate(events)
    assert wf.local_requests == [] and RAN == []
    assert completion.finished
    assert converter.decode(completion.commands[0].complete_workflow.output) == 7


def test_a_recorded_failure_raises_activity_failed_on_replay() -> None:
    failure = pb.Failure(message="ValueError: no", type="ValueError")
    events = [scheduled(3), recorded(2, 1, 6, attempts=1), recorded(3, 2, failure=failure, attempts=3)]
    completion = instance(two_locals).activate(events)
    assert converter.decode(completion.commands[0].complete_workflow.output) == -3


def test_a_durable_backoff_sleeps_on_a_timer_then_calls_again_as_a_new_step() -> None:
    wf = instance(two_locals)
    wf.activate([scheduled(3)])
    wf.take_local_requests()
    failure = pb.Failure(message="ValueError: later", type="ValueError")
    outcome = pb.LocalActivityRecordedAttributes(
        step_id=f"{RUN}/1", activity_name="double", failure=failure, attempts=1, backoff=30.0
    )
    done = wf.resolve_local([outcome])
    kinds = [c.WhichOneof("kind") for c in done.commands]
    assert kinds == ["record_local_activity", "start_timer"]
    assert done.commands[1].start_timer.seconds == 30.0
    assert wf.local_requests == []
    # the timer fires: the call goes on as step 3, from attempt 2
    fired = pb.HistoryEvent(
        run_id=RUN, seq=5, type=pb.TIMER_FIRED, timer_fired=pb.TimerFiredAttributes(step_id=f"{RUN}/2")
    )
    started = pb.HistoryEvent(
        run_id=RUN, seq=4, type=pb.TIMER_STARTED, timer_started=pb.TimerStartedAttributes(step_id=f"{RUN}/2")
    )
    wf.activate([recorded(3, 1, failure=failure, attempts=1, backoff=30.0), started, fired])
    [request] = wf.take_local_requests()
    assert (request.step_id, request.first_attempt) == (f"{RUN}/3", 2)


def test_an_activity_where_the_history_has_a_local_one_is_nondeterminism() -> None:
    @goblins.workflow(name="two_locals")
    async def changed(x: int) -> int:
        return int(await goblins.workflow.execute_activity(double, x))

    completion = instance(changed).activate([scheduled(3), recorded(2, 1, 6, attempts=1)])
    assert completion.failure is not None
    assert "local activity 'double'" in completion.failure[1]


def test_a_start_to_close_timeout_past_five_seconds_is_refused() -> None:
    @goblins.workflow(name="two_locals")
    async def long(x: int) -> int:
        return int(await goblins.workflow.execute_local_activity(double, x, start_to_close_timeout=60))

    completion = instance(long).activate([scheduled(3)])  # a bug in the code, as execute_activity's: the task fails
    assert completion.failure is not None and "<= 5s" in completion.failure[1]


@pytest.mark.parametrize("backoff", [float("nan"), -1.0, float("inf")])
def test_the_server_refuses_a_bad_backoff(backoff: float) -> None:
    outcome = pb.LocalActivityRecordedAttributes(step_id="s", activity_name="a", backoff=backoff)
    command = pb.Command(record_local_activity=pb.RecordLocalActivity(outcome=outcome))
    assert "backoff" in checks.bad_command(command, 0)
    assert not checks._fine(command, checks.MAX_PAYLOAD)
