"""Async activity completion in the decision core: an attempt that went async, its deadlines,
and a client's completion, failure or heartbeat of it. No I/O (a part of server/state.py).

An activity that raises ``goblins.activity.CompleteAsync`` reports it (an ActivityResult with
``async_completion``): the run records a second ACTIVITY_STARTED of the attempt carrying the
SHA-256 of its task token's secret, and the attempt's task is done (no worker holds it, none is
handed it again, after a restart either). Its timeouts become durable timers of the run: the
start_to_close deadline, and a heartbeat deadline that re-arms itself from the last heartbeat
a client sent. A client's ActivityCompletion is applied only to the current attempt, async, and
with a secret whose hash matches: anything else changes nothing.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from goblins._task_token import secret_hash
from goblins.api import v1 as pb
from goblins.server.effects import Effects
from goblins.server.fold import ActivityState

if TYPE_CHECKING:
    from goblins.server.state import RunState

ASYNC_TIMER = "#async-"
"""An async attempt's deadline timer is TASK_ID#async-h (start_to_close) or TASK_ID#async-sT
(its heartbeat deadline at T): the task id is STEP_ID#ATTEMPT."""


def went_async(rs: RunState, fx: Effects, act: ActivityState, r: pb.ActivityResult, now: float) -> Effects:
    """The attempt's worker let it go (CompleteAsync): record it, release its task, arm its
    deadlines. A resent report (the attempt is async already) only releases the task again;
    one without a hash to check tokens against is ignored (the attempt times out as leased)."""
    if len(r.token_hash) != 32:
        return fx
    fx.done_tasks.append(act.task_id)
    if act.async_hash or rs.finished:
        return fx
    began = act.started_at if act.started else now
    event = rs.new_event(pb.ACTIVITY_STARTED, now)
    a = event.activity_started
    s = act.spec
    a.step_id, a.activity_name = s.step_id, s.activity_name
    a.attempt, a.max_attempts = r.attempt, s.retry_policy.max_attempts
    a.async_token_hash = r.token_hash
    rs.record(fx, event)
    act.started_at = began
    timeout = rs.activity_record(act, began).timeout
    if timeout:
        fx.timers.append(rs._timer_task(f"{act.task_id}{ASYNC_TIMER}h", began + timeout))
    if s.heartbeat_timeout:
        rs.heartbeat_times[s.step_id] = now
        _arm_heartbeat(rs, fx, act, now + s.heartbeat_timeout)
    return fx


def owed_timers(rs: RunState, fx: Effects, act: ActivityState, now: float) -> None:
    """The deadlines an async attempt owes, rebuilt from the history (a run loaded where tasks
    are not stored): its heartbeat deadline starts afresh, as no heartbeat time is recorded."""
    timeout = rs.activity_record(act, act.started_at or now).timeout
    if timeout:
        fx.timers.append(rs._timer_task(f"{act.task_id}{ASYNC_TIMER}h", (act.started_at or now) + timeout))
    if act.spec.heartbeat_timeout:
        rs.heartbeat_times.setdefault(act.spec.step_id, now)
        _arm_heartbeat(rs, fx, act, rs.heartbeat_times[act.spec.step_id] + act.spec.heartbeat_timeout)


def deadline(rs: RunState, r: pb.TimerFired, now: float) -> Effects:
    """One of an async attempt's deadline timers is due: time the attempt out, or (a heartbeat
    deadline that a heartbeat moved) arm the next one."""
    fx = Effects()
    fx.done_tasks.append(r.timer_id)
    task_id, _, kind = r.timer_id.rpartition(ASYNC_TIMER)
    step_id, _, attempt = task_id.rpartition("#")
    act = rs.activities.get(step_id)
    if rs.finished or act is None or act.finished or not act.async_hash or str(act.attempt) != attempt:
        return fx  # completed, retried or ended meanwhile: a stale deadline
    s = act.spec
    if kind == "h":
        timeout = rs.activity_record(act, act.started_at).timeout
        fx.extend(rs.activity_result(_timed_out(rs, act, f"did not finish within {timeout:g}s"), now, by_token=True))
        return fx
    last = rs.heartbeat_times.get(step_id)
    if last is None:  # loaded after a restart or a takeover: the heartbeat clock starts now
        rs.heartbeat_times[step_id] = now
        _arm_heartbeat(rs, fx, act, now + s.heartbeat_timeout)
    elif last + s.heartbeat_timeout <= now:
        what = f"sent no heartbeat for {s.heartbeat_timeout:g}s"
        fx.extend(rs.activity_result(_timed_out(rs, act, what), now, by_token=True))
    else:
        _arm_heartbeat(rs, fx, act, last + s.heartbeat_timeout)
    return fx


def refusal(rs: RunState, c: pb.ActivityCompletion) -> str:
    """Why ``c`` may not complete (or heartbeat) the attempt it names; empty when it may."""
    act = rs.activities.get(c.step_id)
    if act is None:
        return f"run {rs.run_id} has no activity step {c.step_id!r}"
    if act.finished or act.attempt != c.attempt:
        return f"attempt {c.attempt} of step {c.step_id!r} is no longer current: {_fate(rs, c)}"
    if rs.finished:
        return f"its workflow run {rs.run_id} has ended"
    if not act.async_hash:
        return f"attempt {c.attempt} of step {c.step_id!r} did not go async (its worker still runs it)"
    if not hmac.compare_digest(act.async_hash, secret_hash(c.secret)):
        return f"the task token's secret does not match attempt {c.attempt} of step {c.step_id!r}"
    return ""


def still_on_worker(rs: RunState, c: pb.ActivityCompletion) -> bool:
    """Whether the attempt ``c`` names is current and unfinished but not (yet) async."""
    act = rs.activities.get(c.step_id)
    return act is not None and not act.finished and act.attempt == c.attempt and not act.async_hash and not rs.finished


def complete(rs: RunState, c: pb.ActivityCompletion, now: float) -> tuple[Effects, bool]:
    """A client's completion, failure or heartbeat of an async attempt (checked again here, at
    the run's owner: the attempt may have timed out since the client's server checked it).
    Returns the effects and whether a heartbeat was accepted (its details are then stored)."""
    if refusal(rs, c):
        return Effects(), False
    act = rs.activities[c.step_id]
    if c.heartbeat:
        rs.heartbeat_times[c.step_id] = now
        if c.details:
            rs.heartbeats[c.step_id] = c.details
        return Effects(), True
    result = pb.ActivityResult(task_id=act.task_id, run_id=rs.run_id, step_id=c.step_id, attempt=c.attempt)
    result.ok, result.output = c.ok, c.output
    if not c.ok:
        f = c.failure
        result.error, result.error_type, result.stack_trace = f.message, f.type, f.stack_trace
        result.non_retryable, result.error_details = f.non_retryable, f.details
    return rs.activity_result(result, now, by_token=True), False


def outcome_of(rs: RunState, c: pb.ActivityCompletion) -> pb.HistoryEvent | None:
    """The event that finished the attempt ``c`` names, if one did."""
    for e in reversed(rs.events):
        if e.type == pb.ACTIVITY_FINISHED_IN_SUCCESS:
            a = e.activity_finished_in_success
            if a.step_id == c.step_id and a.attempt == c.attempt:
                return e
        elif e.type == pb.ACTIVITY_FINISHED_IN_ERROR:
            b = e.activity_finished_in_error
            if b.step_id == c.step_id and b.attempt == c.attempt:
                return e
    return None


def secret_matches(rs: RunState, c: pb.ActivityCompletion) -> bool:
    """Whether ``c``'s secret is the one the attempt it names recorded when it went async."""
    for e in reversed(rs.events):
        if e.type == pb.ACTIVITY_STARTED:
            a = e.activity_started
            if a.step_id == c.step_id and a.attempt == c.attempt and a.async_token_hash:
                return hmac.compare_digest(a.async_token_hash, secret_hash(c.secret))
    return False


def same_outcome(event: pb.HistoryEvent, c: pb.ActivityCompletion) -> bool:
    """Whether ``c`` asks for the outcome ``event`` recorded (a client's retry)."""
    if c.heartbeat:
        return False
    if event.type == pb.ACTIVITY_FINISHED_IN_SUCCESS:
        return c.ok and event.activity_finished_in_success.output == c.output
    failure = event.activity_finished_in_error.failure
    return not c.ok and (failure.message, failure.type) == (c.failure.message, c.failure.type)


def _fate(rs: RunState, c: pb.ActivityCompletion) -> str:
    event = outcome_of(rs, c)
    if event is None:
        return "it never ran"
    if event.type == pb.ACTIVITY_FINISHED_IN_SUCCESS:
        return "it completed"
    failure = event.activity_finished_in_error.failure
    retried = " (and was retried)" if event.activity_finished_in_error.retry_at else ""
    return f"it failed{retried}: {failure.message}"


def _arm_heartbeat(rs: RunState, fx: Effects, act: ActivityState, due: float) -> None:
    fx.timers.append(rs._timer_task(f"{act.task_id}{ASYNC_TIMER}s{due:.3f}", due))


def _timed_out(rs: RunState, act: ActivityState, what: str) -> pb.ActivityResult:
    return pb.ActivityResult(
        task_id=act.task_id,
        run_id=rs.run_id,
        step_id=act.spec.step_id,
        attempt=act.attempt,
        ok=False,
        error_type="TimeoutError",
        error=f"TimeoutError: activity {act.spec.activity_name!r} {what}",
    )
