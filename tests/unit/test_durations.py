"""Every duration of the public API: seconds or a timedelta, finite and not negative."""

from __future__ import annotations

import datetime
import math
from typing import Any

import grpc
import pytest

import goblins
from goblins import converter, wire
from goblins._definitions import workflow_definition
from goblins._duration import seconds
from goblins._runtime import Completion, WorkflowInstance

MS = datetime.timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 0.0), (2, 2.0), (0.25, 0.25), (250 * MS, 0.25), (datetime.timedelta(hours=1), 3600.0)]
)
def test_seconds_and_timedeltas_read_alike(value: Any, expected: float) -> None:
    assert seconds(value, "x") == expected


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -1, -MS, "1", True, None, [1]])
def test_anything_but_a_finite_duration_is_one_error_naming_the_argument(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"^my_timeout must be seconds"):
        seconds(bad, "my_timeout")


def test_a_bound_refuses_zero() -> None:
    with pytest.raises(ValueError, match=r"my_timeout must be seconds \(a finite number > 0\)"):
        seconds(datetime.timedelta(0), "my_timeout", zero=False)


def test_retry_policy_intervals_take_timedeltas_and_keep_seconds() -> None:
    policy = goblins.RetryPolicy(initial_interval=500 * MS, maximum_interval=datetime.timedelta(minutes=1))
    assert (policy.initial_interval, policy.maximum_interval) == (0.5, 60.0)
    proto = policy.to_proto()
    assert (proto.initial_interval, proto.maximum_interval) == (0.5, 60.0)


# ---- inside a workflow ----


@goblins.activity
async def step(x: int) -> int:
    return x


@goblins.workflow
async def with_timedeltas(x: int) -> int:
    return await goblins.workflow.execute_activity(
        step,
        x,
        start_to_close_timeout=datetime.timedelta(seconds=12),
        heartbeat_timeout=1500 * MS,
        schedule_to_close_timeout=60,
    )


@goblins.workflow
async def bad_timeout(name: str) -> int:
    options: dict[str, Any] = {name: math.nan}
    return await goblins.workflow.execute_activity(step, 1, **options)


def duration(value: Any) -> Any:
    """From JSON input: an int means a timedelta of that many seconds, a str a float ("nan")."""
    return datetime.timedelta(seconds=value) if isinstance(value, int) else float(value)


@goblins.workflow
async def sleeps(value: Any) -> None:
    await goblins.workflow.sleep(duration(value))


@goblins.workflow
async def waits(value: Any) -> Any:
    return await goblins.workflow.wait_for_signal("go", timeout=duration(value))


def activate(fn: Any, *args: Any) -> Completion:
    defn = workflow_definition(fn)
    assert defn is not None
    start = wire.history_event("WORKFLOW_SCHEDULED", run_id="r", seq=1, input=converter.encode_args(args, "test"))
    return WorkflowInstance("r", defn).activate([start])


def failure_of(c: Completion) -> str:
    """The error of a workflow task failure: a bad argument is a bug in the code, which fails
    the task (retried until fixed code is deployed), not the run."""
    assert not c.commands and c.failure is not None
    return c.failure[1]


def test_activity_timeouts_take_timedeltas() -> None:
    (cmd,) = activate(with_timedeltas, 1).commands
    s = cmd.schedule_activity
    assert (s.start_to_close_timeout, s.heartbeat_timeout, s.schedule_to_close_timeout) == (12.0, 1.5, 60.0)


@pytest.mark.parametrize("name", ["start_to_close_timeout", "heartbeat_timeout", "schedule_to_close_timeout"])
def test_a_nan_activity_timeout_fails_the_task_naming_it(name: str) -> None:
    assert failure_of(activate(bad_timeout, name)).startswith(f"ValueError: {name} must be seconds")


def test_sleep_takes_a_timedelta_and_refuses_nan_and_negatives() -> None:
    (cmd,) = activate(sleeps, 3).commands
    assert cmd.start_timer.seconds == 3.0
    assert failure_of(activate(sleeps, "nan")).startswith("ValueError: duration must be seconds")
    assert failure_of(activate(sleeps, -1)).startswith("ValueError: duration must be seconds")


def test_wait_for_signal_refuses_an_infinite_timeout() -> None:
    assert failure_of(activate(waits, "inf")).startswith("ValueError: timeout must be seconds")
    (cmd,) = activate(waits, "2.5").commands
    assert cmd.start_timer.seconds == 2.5


# ---- in a client: refused before anything is sent ----


async def test_client_durations_are_checked_before_any_call() -> None:
    channel = grpc.aio.insecure_channel("127.0.0.1:9")  # nothing listens: no call may be made
    client = goblins.Client(channel, "127.0.0.1:9")
    try:
        with pytest.raises(ValueError, match=r"^execution_timeout must be seconds"):
            await client.start_workflow("wf", execution_timeout=math.nan)
        with pytest.raises(ValueError, match=r"^execution_timeout must be seconds"):
            await client.start_workflow("wf", execution_timeout=datetime.timedelta(0))
        with pytest.raises(ValueError, match=r"^timeout must be seconds"):
            await client.execute_workflow("wf", timeout=-1)
        with pytest.raises(ValueError, match=r"^timeout must be seconds"):
            await client.get_workflow_handle("run").result(timeout=math.inf)
        with pytest.raises(ValueError, match=r"^limit must be an int >= 1"):
            await client.list_workflows(limit=-1)
        with pytest.raises(ValueError, match=r"^timeout must be seconds"):
            await goblins.Client.connect("127.0.0.1:9", timeout=math.nan)
    finally:
        await client.close()
