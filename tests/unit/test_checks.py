"""The fast path of the completion check agrees with the described check on every field."""

from __future__ import annotations

import pytest

from goblins.api import v1 as pb
from goblins.server import checks

NAN, INF = float("nan"), float("inf")
LONG = "x" * (checks.MAX_NAME + 1)


def _activity(**fields: object) -> pb.Command:
    return pb.Command(schedule_activity=pb.ScheduleActivity(step_id="1", activity_name="a", **fields))  # type: ignore[arg-type]


def _retry(**fields: object) -> pb.Command:
    return _activity(retry_policy=pb.RetryPolicy(**fields))  # type: ignore[arg-type]


BAD = [
    _activity(input=b"x" * 101),
    _activity(start_to_close_timeout=NAN),
    _activity(heartbeat_timeout=INF),
    _activity(schedule_to_close_timeout=-1.0),
    pb.Command(schedule_activity=pb.ScheduleActivity(step_id=LONG, activity_name="a")),
    pb.Command(schedule_activity=pb.ScheduleActivity(step_id="1", activity_name=LONG)),
    _retry(initial_interval=NAN),
    _retry(maximum_interval=INF),
    _retry(backoff_coefficient=-2.0),
    _retry(max_attempts=-1),
    pb.Command(complete_workflow=pb.CompleteWorkflow(output=b"1" * 101)),
    pb.Command(start_timer=pb.StartTimer(timer_id="t", seconds=NAN)),
    pb.Command(start_timer=pb.StartTimer(timer_id=LONG, seconds=1.0)),
    pb.Command(start_child_workflow=pb.StartChildWorkflow(step_id="1", workflow_name=LONG)),
    pb.Command(continue_as_new=pb.ContinueAsNew(input=b"[" + b"1" * 100 + b"]")),
]
GOOD = [
    _activity(input=b"[1]", start_to_close_timeout=60.0, heartbeat_timeout=0.0),
    _retry(initial_interval=1.0, maximum_interval=100.0, backoff_coefficient=2.0, max_attempts=3),
    pb.Command(complete_workflow=pb.CompleteWorkflow(output=b"1")),
    pb.Command(start_timer=pb.StartTimer(timer_id="t", seconds=1.5)),
    pb.Command(start_child_workflow=pb.StartChildWorkflow(step_id="1", workflow_name="w")),
]


@pytest.mark.parametrize("command", BAD + GOOD)
def test_the_fast_path_agrees_with_the_described_check(command: pb.Command) -> None:
    described = checks.bad_command(command, 0, limit=100)
    assert checks._fine(command, 100) == (not described)
    completion = pb.WorkflowTaskCompleted(commands=[GOOD[0], command])
    refused = checks.bad_completion(completion, limit=100)
    assert refused == (f"workflow task completion refused: {checks.bad_command(command, 1, 100)}" if described else "")


def test_every_bad_command_is_refused() -> None:
    assert all(checks.bad_command(c, 0, limit=100) for c in BAD)
