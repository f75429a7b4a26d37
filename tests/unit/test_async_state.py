"""Async activity completion in the decision core (server/asyncs.py): an attempt that went
async, its deadlines as run timers, a client's completion checked against the token's hash."""

from __future__ import annotations

from goblins import _task_token
from goblins.api import v1 as pb
from goblins.server.asyncs import ASYNC_TIMER
from goblins.server.effects import TIMER
from goblins.server.state import RunState
from tests.unit.test_state import RUN, T0, result, running_with, schedule

SECRET = b"s" * 16
STEP = f"{RUN}/1"


def went_async(timeout: float = 30.0, heartbeat: float = 0.0) -> tuple[RunState, list[str]]:
    command = schedule(1, timeout=timeout)
    command.schedule_activity.heartbeat_timeout = heartbeat
    rs, _ = running_with(command)
    rs.activity_started(pb.ActivityStarted(task_id=f"{STEP}#1", run_id=RUN, step_id=STEP, attempt=1), T0 + 2)
    r = result(1, ok=False)
    r.async_completion, r.token_hash = True, _task_token.secret_hash(SECRET)
    fx = rs.activity_result(r, T0 + 3)
    assert [e.activity_started.async_token_hash for e in fx.events] == [r.token_hash]
    assert fx.done_tasks == [f"{STEP}#1"]  # no worker holds it now
    assert not fx.tasks and all(t.kind == TIMER for t in fx.timers)
    return rs, [t.task_id for t in fx.timers]


def completion(secret: bytes = SECRET, attempt: int = 1, **fields: object) -> pb.ActivityCompletion:
    return pb.ActivityCompletion(run_id=RUN, step_id=STEP, attempt=attempt, secret=secret, **fields)  # type: ignore[arg-type]


def test_going_async_arms_the_attempts_deadlines_from_its_start() -> None:
    rs, timers = went_async(timeout=30.0, heartbeat=5.0)
    assert timers == [f"{STEP}#1{ASYNC_TIMER}h", f"{STEP}#1{ASYNC_TIMER}s{T0 + 8:.3f}"]
    assert rs.activities[STEP].started_at == T0 + 2
    again = result(1, ok=False)
    again.async_completion, again.token_hash = True, _task_token.secret_hash(SECRET)
    assert not rs.activity_result(again, T0 + 4).events  # a resend records nothing new


def test_only_the_right_secret_completes_and_only_once() -> None:
    rs, _ = went_async()
    assert not rs.activity_result(result(1), T0 + 4).events  # nor may its old worker report it
    fx, _ = rs_complete(rs, completion(b"x" * 16, ok=True, output=b'"forged"'))
    assert not fx.events
    fx, _ = rs_complete(rs, completion(ok=True, output=b'"paid"'))
    assert [e.activity_finished_in_success.output for e in fx.events] == [b'"paid"']
    fx, _ = rs_complete(rs, completion(ok=True, output=b'"again"'))
    assert not fx.events


def test_the_start_to_close_timer_times_it_out_and_a_stale_one_does_nothing() -> None:
    rs, timers = went_async(timeout=30.0)
    fx = rs.timer_fired(pb.TimerFired(timer_id=timers[0], run_id=RUN), T0 + 32)
    failure = fx.events[0].activity_finished_in_error
    assert failure.failure.type == "TimeoutError" and "did not finish within 30s" in failure.failure.message
    assert failure.retry_at  # the policy retries it: a new task for attempt 2
    assert [t.task_id for t in fx.tasks] == [f"{STEP}#2"]
    assert not rs.timer_fired(pb.TimerFired(timer_id=timers[0], run_id=RUN), T0 + 33).events


def test_a_heartbeat_moves_the_heartbeat_deadline() -> None:
    rs, timers = went_async(timeout=0.0, heartbeat=5.0)
    fx, beat = rs_complete(rs, completion(heartbeat=True, details=b'{"n":1}'), T0 + 6)
    assert beat and not fx.events and rs.heartbeats[STEP] == b'{"n":1}'
    fx = rs.timer_fired(pb.TimerFired(timer_id=timers[0], run_id=RUN), T0 + 8)
    assert not fx.events and [t.visible_at for t in fx.timers] == [T0 + 11]  # re-armed from the beat
    fx = rs.timer_fired(pb.TimerFired(timer_id=fx.timers[0].task_id, run_id=RUN), T0 + 11)
    assert "sent no heartbeat for 5s" in fx.events[0].activity_finished_in_error.failure.message


def test_a_reloaded_run_owes_deadlines_not_a_task() -> None:
    rs, _ = went_async(timeout=30.0, heartbeat=5.0)
    reloaded = RunState.from_history(RUN, rs.events, ids=lambda: "0" * 32)
    owed = reloaded.owed(T0 + 10)
    assert not [t for t in owed.tasks if t.task_id == f"{STEP}#1"]
    assert sorted(t.visible_at for t in owed.timers) == [T0 + 15, T0 + 32]


def rs_complete(rs: RunState, c: pb.ActivityCompletion, now: float = T0 + 5) -> tuple[object, bool]:
    from goblins.server import asyncs

    return asyncs.complete(rs, c, now)
