"""The server's decision core: a run's state and a report in, events and tasks out. No I/O."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from goblins import wire
from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, WORKFLOW, Effects
from goblins.server.state import RunState, timed_out_result
from tests.unit.memory_ports import Ids

RUN = "run-1"
T0 = 1000.0


def types(fx: Effects) -> list[str]:
    return [wire.type_name(e) for e in fx.events]


def flat(e: pb.HistoryEvent) -> SimpleNamespace:
    """The event's envelope and attributes side by side (a failure as error and error_type)."""
    a = wire.attributes_of(e)
    fields = {f.name: getattr(a, f.name) for f in a.DESCRIPTOR.fields}
    failure = fields.pop("failure", None)
    if failure is not None:
        fields.update(error=failure.message, error_type=failure.type)
    return SimpleNamespace(
        type=wire.type_name(e), seq=e.seq, run_id=e.run_id, workflow_name=e.workflow_name, time=e.time, **fields
    )


def policy(
    max_attempts: int = 3,
    initial: float = 1.0,
    coefficient: float = 2.0,
    maximum: float = 100.0,
    non_retryable: tuple[str, ...] = (),
) -> pb.RetryPolicy:
    return pb.RetryPolicy(
        max_attempts=max_attempts,
        initial_interval=initial,
        backoff_coefficient=coefficient,
        maximum_interval=maximum,
        non_retryable_errors=list(non_retryable),
    )


def schedule(position: int, name: str = "act", retry: pb.RetryPolicy | None = None, timeout: float = 0.0) -> pb.Command:
    return pb.Command(
        schedule_activity=pb.ScheduleActivity(
            step_id=f"{RUN}/{position}",
            activity_name=name,
            input=b'["x"]',
            retry_policy=retry if retry is not None else policy(),
            start_to_close_timeout=timeout,
        )
    )


def completed(
    rs: RunState, *commands: pb.Command, seen: int | None = None, task_id: str | None = None
) -> pb.WorkflowTaskCompleted:
    return pb.WorkflowTaskCompleted(
        task_id=task_id if task_id is not None else rs.wf_task_id or "",
        run_id=RUN,
        seen_seq=len(rs.events) if seen is None else seen,
        commands=list(commands),
    )


def result(position: int, attempt: int = 1, ok: bool = True, error_type: str = "RuntimeError") -> pb.ActivityResult:
    r = pb.ActivityResult(
        task_id=f"{RUN}/{position}#{attempt}", run_id=RUN, step_id=f"{RUN}/{position}", attempt=attempt, ok=ok
    )
    if ok:
        r.output = b'"out"'
    else:
        r.error_type, r.error = error_type, f"{error_type}: boom"
    return r


def started_run() -> tuple[RunState, Effects]:
    rs = RunState(RUN, ids=Ids())
    return rs, rs.start("wf", b'["in"]', T0)


def running_with(*commands: pb.Command) -> tuple[RunState, Effects]:
    """A run whose first workflow task scheduled ``commands``."""
    rs, _ = started_run()
    fx = rs.workflow_task_completed(completed(rs, *commands), T0 + 1)
    return rs, fx


# ---- start ----


def test_start_records_workflow_scheduled_and_a_workflow_task() -> None:
    rs, fx = started_run()
    e = flat(fx.events[0])
    assert len(fx.events) == 1
    assert (e.type, e.seq, e.run_id, e.workflow_name, e.input, e.time) == (
        "WORKFLOW_SCHEDULED",
        1,
        RUN,
        "wf",
        b'["in"]',
        T0,
    )
    (t,) = fx.new_tasks
    assert (t.kind, t.name, t.run_id, t.visible_at) == (WORKFLOW, "wf", RUN, T0)
    assert rs.wf_task_id == t.task_id
    assert fx.done_tasks == []


# ---- workflow task completed ----


def test_schedule_commands_record_events_and_activity_tasks() -> None:
    rs, fx = running_with(schedule(1, "a", timeout=5.0), schedule(2, "b"))
    assert types(fx) == ["WORKFLOW_STARTED", "ACTIVITY_SCHEDULED", "ACTIVITY_SCHEDULED"]
    assert [e.seq for e in fx.events] == [2, 3, 4]
    s1 = flat(fx.events[1])
    assert (s1.step_id, s1.activity_name, s1.retry_policy.max_attempts, s1.input) == (f"{RUN}/1", "a", 3, b'["x"]')
    assert [(t.kind, t.name, t.task_id) for t in fx.new_tasks] == [
        (ACTIVITY, "a", f"{RUN}/1#1"),
        (ACTIVITY, "b", f"{RUN}/2#1"),
    ]
    assert fx.new_tasks[0].timeout == 5.0
    task = pb.ActivityTask.FromString(fx.new_tasks[0].data)
    assert (task.step_id, task.attempt, task.workflow_name, task.start_to_close_timeout) == (
        f"{RUN}/1",
        1,
        "wf",
        5.0,
    )
    assert fx.done_tasks and rs.wf_task_id is None


def test_resent_schedule_command_records_nothing_new() -> None:
    rs, _ = running_with(schedule(1))
    before = len(rs.events)
    fx = rs.workflow_task_completed(completed(rs, schedule(1), task_id="old-task"), T0 + 2)
    assert fx.events == [] and fx.new_tasks == [] and fx.done_tasks == []
    assert len(rs.events) == before


def test_complete_workflow_records_success_and_finishes() -> None:
    rs, _ = started_run()
    fx = rs.workflow_task_completed(completed(rs, pb.Command(complete_workflow=pb.CompleteWorkflow(output=b"1"))), T0)
    assert types(fx) == ["WORKFLOW_STARTED", "WORKFLOW_FINISHED_IN_SUCCESS"]
    assert flat(fx.events[-1]).output == b"1"
    assert rs.finished and fx.new_tasks == []


def test_fail_workflow_records_error() -> None:
    rs, _ = started_run()
    fail = pb.Command(fail_workflow=pb.FailWorkflow(error_type="ValueError", error="ValueError: no"))
    fx = rs.workflow_task_completed(completed(rs, fail), T0)
    assert types(fx)[-1] == "WORKFLOW_FINISHED_IN_ERROR"
    assert (flat(fx.events[-1]).error_type, flat(fx.events[-1]).error) == ("ValueError", "ValueError: no")
    assert rs.finished


def test_finishing_drops_outstanding_activity_tasks() -> None:
    rs, _ = running_with(schedule(1), schedule(2))
    rs.activity_result(result(1, ok=False), T0 + 2)  # attempt 2 of activity 1 is now pending
    rs.signal(pb.SignalWorkflow(run_id=RUN, name="stop"), T0 + 2)  # wakes the workflow: a task
    finish = pb.Command(complete_workflow=pb.CompleteWorkflow(output=b"null"))
    fx = rs.workflow_task_completed(completed(rs, finish), T0 + 3)
    assert set(fx.done_tasks) >= {f"{RUN}/1#2", f"{RUN}/2#1"}
    assert fx.new_tasks == []


def test_finished_run_ignores_everything() -> None:
    rs, _ = started_run()
    rs.workflow_task_completed(completed(rs, pb.Command(complete_workflow=pb.CompleteWorkflow(output=b"1"))), T0)
    fx = rs.workflow_task_completed(completed(rs, schedule(1), task_id="late"), T0 + 1)
    assert fx.events == [] and fx.new_tasks == []
    fx = rs.workflow_task_failed(pb.WorkflowTaskFailed(task_id="late", run_id=RUN, error="x"), T0 + 1)
    assert fx.events == []


# ---- activity results ----


def test_activity_success_records_event_and_wakes_workflow() -> None:
    rs, _ = running_with(schedule(1))
    fx = rs.activity_result(result(1), T0 + 2)
    assert types(fx) == ["ACTIVITY_FINISHED_IN_SUCCESS"]
    assert (flat(fx.events[0]).output, flat(fx.events[0]).activity_name) == (b'"out"', "act")
    assert fx.done_tasks == [f"{RUN}/1#1"]
    (t,) = fx.new_tasks
    assert t.kind == WORKFLOW and t.task_id == rs.wf_task_id


def test_activity_started_is_recorded_once_per_attempt() -> None:
    rs, _ = running_with(schedule(1))
    started = pb.ActivityStarted(task_id=f"{RUN}/1#1", run_id=RUN, step_id=f"{RUN}/1", attempt=1)
    assert types(rs.activity_started(started, T0 + 2)) == ["ACTIVITY_STARTED"]
    assert rs.activity_started(started, T0 + 2).events == []
    stale = pb.ActivityStarted(task_id="x", run_id=RUN, step_id=f"{RUN}/1", attempt=2)
    assert rs.activity_started(stale, T0 + 2).events == []


def test_error_with_retry_policy_schedules_delayed_next_attempt() -> None:
    rs, _ = running_with(schedule(1, retry=policy(max_attempts=3, initial=2.0, coefficient=3.0)))
    fx = rs.activity_result(result(1, attempt=1, ok=False), T0 + 10)
    e = flat(fx.events[0])
    assert len(fx.events) == 1
    assert (e.type, e.attempt, e.error_type, e.retry_at) == ("ACTIVITY_FINISHED_IN_ERROR", 1, "RuntimeError", T0 + 12)
    (t,) = fx.new_tasks
    assert (t.kind, t.task_id, t.visible_at) == (ACTIVITY, f"{RUN}/1#2", T0 + 12)
    assert pb.ActivityTask.FromString(t.data).attempt == 2
    assert fx.done_tasks == [f"{RUN}/1#1"]
    assert rs.wf_task_id is None  # a retried error does not wake the workflow

    fx = rs.activity_result(result(1, attempt=2, ok=False), T0 + 20)
    assert flat(fx.events[0]).retry_at == T0 + 20 + 6.0  # 2 * 3**1
    assert fx.new_tasks[0].task_id == f"{RUN}/1#3"


def test_exhausted_attempts_record_final_error_and_wake() -> None:
    rs, _ = running_with(schedule(1, retry=policy(max_attempts=2)))
    rs.activity_result(result(1, attempt=1, ok=False), T0 + 2)
    fx = rs.activity_result(result(1, attempt=2, ok=False), T0 + 5)
    e = flat(fx.events[0])
    assert len(fx.events) == 1
    assert (e.type, e.attempt, e.retry_at) == ("ACTIVITY_FINISHED_IN_ERROR", 2, 0.0)
    assert [t.kind for t in fx.new_tasks] == [WORKFLOW]


def test_non_retryable_error_is_final_at_once() -> None:
    rs, _ = running_with(schedule(1, retry=policy(max_attempts=10, non_retryable=("KeyError",))))
    fx = rs.activity_result(result(1, ok=False, error_type="KeyError"), T0 + 2)
    assert flat(fx.events[0]).retry_at == 0.0
    assert [t.kind for t in fx.new_tasks] == [WORKFLOW]


def test_an_application_error_marked_non_retryable_is_final_at_once_with_its_trace_and_details() -> None:
    rs, _ = running_with(schedule(1, retry=policy(max_attempts=10)))
    r = result(1, ok=False, error_type="Declined")
    r.non_retryable, r.stack_trace, r.error_details = True, "Traceback ...\nDeclined: boom\n", b'["card-7"]'
    fx = rs.activity_result(r, T0 + 2)
    (e,) = fx.events
    a = e.activity_finished_in_error
    f = a.failure
    assert (a.retry_at, f.non_retryable, f.stack_trace, f.details) == (0.0, True, r.stack_trace, r.error_details)
    assert [t.kind for t in fx.new_tasks] == [WORKFLOW]


def test_a_retried_error_keeps_its_trace_too() -> None:
    rs, _ = running_with(schedule(1))
    r = result(1, ok=False)
    r.stack_trace = "Traceback ...\nRuntimeError: boom\n"
    (e,) = rs.activity_result(r, T0 + 2).events
    a = e.activity_finished_in_error
    assert a.retry_at and a.failure.stack_trace == r.stack_trace and not a.failure.non_retryable


@pytest.mark.parametrize("stale", [result(1, attempt=2), result(1, attempt=0), result(9)])
def test_stale_results_record_nothing(stale: pb.ActivityResult) -> None:
    rs, _ = running_with(schedule(1))
    fx = rs.activity_result(stale, T0 + 2)
    assert fx.events == [] and fx.new_tasks == [] and fx.done_tasks == []


def test_duplicate_result_records_nothing() -> None:
    rs, _ = running_with(schedule(1))
    rs.activity_result(result(1), T0 + 2)
    n = len(rs.events)
    fx = rs.activity_result(result(1), T0 + 3)
    assert fx.events == [] and fx.new_tasks == []
    assert len(rs.events) == n


def test_result_of_a_superseded_attempt_is_ignored() -> None:
    rs, _ = running_with(schedule(1))
    rs.activity_result(result(1, attempt=1, ok=False), T0 + 2)
    fx = rs.activity_result(result(1, attempt=1, ok=True), T0 + 3)  # attempt 1 finished late
    assert fx.events == []


def test_timed_out_result_is_a_retryable_timeout_error() -> None:
    rs, fx = running_with(schedule(1, timeout=5.0))
    task = pb.ActivityTask.FromString(fx.new_tasks[0].data)
    r = timed_out_result(task, 5.0)
    assert (r.ok, r.error_type, r.attempt) == (False, "TimeoutError", 1)
    assert "5s" in r.error
    out = rs.activity_result(r, T0 + 7)
    assert flat(out.events[0]).error_type == "TimeoutError" and flat(out.events[0]).retry_at > 0
    assert out.new_tasks[0].task_id == f"{RUN}/1#2"


# ---- waking the workflow: seen_seq ----


def test_result_during_workflow_task_wakes_after_completion() -> None:
    rs, _ = running_with(schedule(1), schedule(2))
    rs.activity_result(result(1), T0 + 2)  # creates a workflow task
    seen_by_worker = len(rs.events)
    rs.activity_result(result(2), T0 + 3)  # arrives while that task runs: no second task
    assert rs.last_wake_seq > seen_by_worker
    task_id = rs.wf_task_id
    fx = rs.workflow_task_completed(completed(rs, seen=seen_by_worker, task_id=task_id or ""), T0 + 4)
    assert task_id in fx.done_tasks
    (t,) = fx.new_tasks
    assert t.kind == WORKFLOW and t.task_id != task_id


def test_completion_that_saw_everything_does_not_wake() -> None:
    rs, _ = running_with(schedule(1))
    rs.activity_result(result(1), T0 + 2)
    fx = rs.workflow_task_completed(completed(rs, schedule(2)), T0 + 3)
    assert [t.kind for t in fx.new_tasks] == [ACTIVITY]
    assert rs.wf_task_id is None


def test_workflow_task_failed_records_and_retries_with_backoff() -> None:
    rs, _ = started_run()
    task_id = rs.wf_task_id or ""
    fx = rs.workflow_task_failed(pb.WorkflowTaskFailed(task_id=task_id, run_id=RUN, error_type="E", error="E: x"), T0)
    assert types(fx) == ["WORKFLOW_TASK_FAILED"]
    assert fx.done_tasks == [task_id]
    (t,) = fx.new_tasks
    assert t.kind == WORKFLOW and t.visible_at == T0 + 1.0
    fx = rs.workflow_task_failed(pb.WorkflowTaskFailed(task_id=t.task_id, run_id=RUN, error="x"), T0 + 1)
    assert fx.new_tasks[0].visible_at == T0 + 1 + 2.0
    # A failure report for a task that is not outstanding changes nothing.
    assert rs.workflow_task_failed(pb.WorkflowTaskFailed(task_id="other", run_id=RUN), T0 + 5).events == []


def test_workflow_task_failures_record_their_trace_and_back_off_up_to_a_minute() -> None:
    rs, _ = started_run()
    now, waits = T0, []
    for _ in range(9):
        failed = pb.WorkflowTaskFailed(task_id=rs.wf_task_id or "", run_id=RUN, error="NameError: x")
        failed.stack_trace = "Traceback ...\nNameError: x\n"
        fx = rs.workflow_task_failed(failed, now)
        assert fx.events[0].workflow_task_failed.failure.stack_trace == failed.stack_trace
        (t,) = fx.new_tasks
        waits.append(t.visible_at - now)
        now = t.visible_at
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    assert not rs.finished  # the run waits for fixed code, however long


def test_fail_workflow_records_its_trace_and_details() -> None:
    rs, _ = started_run()
    fail = pb.FailWorkflow(error_type="OutOfStock", error="OutOfStock: no", stack_trace="Trace", error_details=b"[1]")
    fx = rs.workflow_task_completed(completed(rs, pb.Command(fail_workflow=fail)), T0)
    f = fx.events[-1].workflow_finished_in_error.failure
    assert (f.stack_trace, f.details, f.non_retryable) == ("Trace", b"[1]", False)


# ---- the fold ----


def snapshot(rs: RunState) -> dict[str, object]:
    return {
        "workflow_name": rs.workflow_name,
        "events": [e.SerializeToString() for e in rs.events],
        "activities": {k: (a.name, a.attempt, a.started, a.finished) for k, a in rs.activities.items()},
        "finished": rs.finished,
        "started": rs.started,
        "wf_task_id": rs.wf_task_id,
        "last_wake_seq": rs.last_wake_seq,
        "failed_wf_tasks": rs.failed_wf_tasks,
    }


def test_from_history_rebuilds_the_same_state() -> None:
    rs, _ = running_with(schedule(1), schedule(2, retry=policy(max_attempts=5)))
    started = pb.ActivityStarted(task_id=f"{RUN}/2#1", run_id=RUN, step_id=f"{RUN}/2", attempt=1)
    rs.activity_started(started, T0 + 2)
    rs.activity_result(result(2, ok=False), T0 + 2)
    rs.activity_result(result(1), T0 + 3)
    assert rs.wf_task_id is not None
    rebuilt = RunState.from_history(RUN, list(rs.events), rs.wf_task_id, ids=Ids())
    assert snapshot(rebuilt) == snapshot(rs)
    # ...and both decide the same on the next report.
    a = rs.activity_result(result(2, attempt=2), T0 + 9)
    b = rebuilt.activity_result(result(2, attempt=2), T0 + 9)
    assert [e.SerializeToString() for e in a.events] == [e.SerializeToString() for e in b.events]


def test_from_history_of_a_finished_run() -> None:
    rs, _ = started_run()
    rs.workflow_task_completed(completed(rs, pb.Command(complete_workflow=pb.CompleteWorkflow(output=b"1"))), T0)
    rebuilt = RunState.from_history(RUN, list(rs.events), ids=Ids())
    assert rebuilt.finished and rebuilt.started and snapshot(rebuilt) == snapshot(rs)


def test_from_history_after_a_recovered_workflow_task_failure() -> None:
    rs, _ = started_run()
    rs.workflow_task_failed(pb.WorkflowTaskFailed(task_id=rs.wf_task_id or "", run_id=RUN, error="x"), T0)
    rs.workflow_task_completed(completed(rs, schedule(1)), T0 + 2)
    rebuilt = RunState.from_history(RUN, list(rs.events), rs.wf_task_id, ids=Ids())
    assert snapshot(rebuilt) == snapshot(rs)


def test_from_history_after_a_failure_later_in_the_run() -> None:
    rs, _ = running_with(schedule(1))
    rs.activity_result(result(1), T0 + 2)
    rs.workflow_task_failed(pb.WorkflowTaskFailed(task_id=rs.wf_task_id or "", run_id=RUN, error="x"), T0 + 3)
    rs.workflow_task_completed(completed(rs, schedule(2), task_id=rs.wf_task_id or ""), T0 + 5)
    rebuilt = RunState.from_history(RUN, list(rs.events), rs.wf_task_id, ids=Ids())
    assert snapshot(rebuilt) == snapshot(rs)


def test_a_redelivered_signal_is_recorded_once() -> None:
    rs = RunState("r", ids=Ids())
    rs.start("wf", b"[]", 1.0)
    signal = pb.SignalWorkflow(run_id="r", name="go", input=b'["x"]', signal_id="s-1")
    assert len(rs.signal(signal, 2.0).events) == 1
    assert rs.signal(signal, 3.0).events == []  # the same signal again (a Kafka redelivery)
    folded = RunState.from_history("r", list(rs.events), ids=Ids())
    assert folded.signal(signal, 4.0).events == []  # also after a restart, from the history
    other = pb.SignalWorkflow(run_id="r", name="go", input=b'["y"]', signal_id="s-2")
    assert len(rs.signal(other, 5.0).events) == 1


def heartbeat_of(position: int, attempt: int = 1) -> pb.ActivityHeartbeat:
    return pb.ActivityHeartbeat(
        task_id=f"{RUN}/{position}#{attempt}", run_id=RUN, step_id=f"{RUN}/{position}", attempt=attempt
    )


def test_a_cancel_request_stops_earlier_activities_not_the_compensation() -> None:
    rs, _ = running_with(schedule(1))
    assert rs.heartbeat(heartbeat_of(1))
    rs.cancel(pb.CancelWorkflow(run_id=RUN, reason="no"), T0 + 2)
    assert not rs.heartbeat(heartbeat_of(1))  # its await was cancelled: told to stop
    rs.workflow_task_completed(completed(rs, schedule(2)), T0 + 3)  # the workflow compensates
    assert rs.heartbeat(heartbeat_of(2))  # wanted: the workflow awaits it
    folded = RunState.from_history(RUN, list(rs.events), ids=Ids())  # the same after a restart
    assert not folded.heartbeat(heartbeat_of(1)) and folded.heartbeat(heartbeat_of(2))
    rs.signal(pb.SignalWorkflow(run_id=RUN, name="give up"), T0 + 4)  # a workflow task to end it
    rs.workflow_task_completed(
        completed(rs, pb.Command(fail_workflow=pb.FailWorkflow(error_type="WorkflowCancelled"))), T0 + 4
    )
    assert not rs.heartbeat(heartbeat_of(2))  # the run ended


def test_an_activity_stopped_by_a_cancel_request_is_not_retried() -> None:
    rs, _ = running_with(schedule(1, retry=policy(max_attempts=5)))
    rs.cancel(pb.CancelWorkflow(run_id=RUN), T0 + 2)
    rs.workflow_task_completed(completed(rs, schedule(2, retry=policy(max_attempts=5))), T0 + 3)
    fx = rs.activity_result(result(1, ok=False, error_type="CancelledError"), T0 + 4)
    e = flat(fx.events[0])
    assert len(fx.events) == 1
    assert (e.type, e.retry_at) == ("ACTIVITY_FINISHED_IN_ERROR", 0.0)  # final: no attempt 2
    assert [t.kind for t in fx.new_tasks] == [WORKFLOW]
    fx = rs.activity_result(result(2, ok=False), T0 + 5)  # the compensation is retried as usual
    assert flat(fx.events[0]).retry_at > 0 and fx.new_tasks[0].task_id == f"{RUN}/2#2"


# ---- what a run owes others, rebuilt from its history (the Kafka transport resends it) ----


def test_owed_tasks_restore_a_pending_retry_timer() -> None:
    rs, _ = running_with(schedule(1, retry=policy(max_attempts=3, initial=5.0)))
    rs.activity_result(result(1, attempt=1, ok=False), T0 + 10)
    reloaded = RunState.from_history(RUN, rs.events, ids=Ids())
    owed = [t for t in reloaded.owed_tasks(T0 + 11) if t.kind == ACTIVITY]
    assert [(t.task_id, t.visible_at) for t in owed] == [(f"{RUN}/1#2", T0 + 15)], "the retry waits for its time"


def test_a_continued_run_owes_the_start_of_the_next_with_what_is_left_of_its_timeout() -> None:
    rs = RunState(RUN, ids=Ids())
    rs.start("wf", b'["in"]', T0, execution_timeout=100.0)
    continue_as_new = pb.Command(continue_as_new=pb.ContinueAsNew(input=b'["next"]'))
    fx = rs.workflow_task_completed(completed(rs, continue_as_new), T0 + 30)
    (sent,) = [t for t in fx.new_tasks if t.kind == "message"]
    start = pb.Report.FromString(sent.data).start_workflow
    assert (start.run_id, start.input, start.execution_timeout) == (f"{RUN}~2", b'["next"]', 70.0)
    reloaded = RunState.from_history(RUN, rs.events, ids=Ids())
    (again,) = reloaded.owed_tasks(T0 + 500)
    assert pb.Report.FromString(again.data) == pb.Report.FromString(sent.data), "rebuilt the same start"


def test_a_finished_child_owes_its_parent_the_news_and_a_terminated_parent_its_childrens_cancel() -> None:
    child = RunState("child-1", ids=Ids())
    child.start("wf", b"[]", T0, parent_run_id=RUN, parent_step=f"{RUN}/1")
    done = pb.Command(complete_workflow=pb.CompleteWorkflow(output=b"7"))
    child.workflow_task_completed(completed(child, done), T0 + 1)
    (news,) = RunState.from_history("child-1", child.events, ids=Ids()).owed_tasks(T0 + 9)
    told = pb.Report.FromString(news.data).child_finished
    assert (told.run_id, told.step_id, told.ok, told.output) == (RUN, f"{RUN}/1", True, b"7")

    parent, _ = running_with(
        pb.Command(start_child_workflow=pb.StartChildWorkflow(step_id=f"{RUN}/1", workflow_name="wf", child_run_id="c"))
    )
    parent.cancel(pb.CancelWorkflow(run_id=RUN, terminate=True, reason="stop"), T0 + 2)
    owed = [
        pb.Report.FromString(t.data) for t in RunState.from_history(RUN, parent.events, ids=Ids()).owed_tasks(T0 + 9)
    ]
    assert [r.cancel_workflow.run_id for r in owed] == ["c"]
    assert child.owes_farewells() and parent.owes_farewells()
    unfinished, _ = started_run()
    assert unfinished.farewells() == [] and not unfinished.owes_farewells()
    unfinished.workflow_task_completed(completed(unfinished, done), T0 + 1)
    assert unfinished.finished and not unfinished.owes_farewells(), "a top-level run owes no one"


def test_an_unknown_event_kind_raises_rather_than_being_skipped() -> None:
    with pytest.raises(ValueError, match="unknown type 99"):
        RunState("r", ids=Ids()).apply(pb.HistoryEvent(run_id="r", seq=1, type=99))  # type: ignore[arg-type]


def test_a_command_of_an_unknown_kind_fails_the_workflow_task_and_records_nothing_else() -> None:
    rs, fx = running_with(schedule(1, "a"), pb.Command())
    assert types(fx) == ["WORKFLOW_TASK_FAILED"]
    assert "command kind None" in flat(fx.events[0]).error
    assert rs.wf_task_id is not None  # the task is retried after its back-off
