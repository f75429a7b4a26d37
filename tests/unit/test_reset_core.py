"""The pure core of reset (goblins/server/reset.py): points, the new history, its install."""

from __future__ import annotations

import itertools

import pytest

from goblins.api import v1 as pb
from goblins.server.reset import BadResetPoint, check_point, install, last_workflow_task_point, plan_reset, reset_points
from goblins.server.state import RunState

OLD, NEW = "old-run", "new-run"


def _history(*kinds: tuple[str, dict[str, object]]) -> list[pb.HistoryEvent]:
    events = []
    for seq, (field, attributes) in enumerate(kinds, 1):
        kind = pb.EventType.Value(field.upper())
        e = pb.HistoryEvent(run_id=OLD, seq=seq, time=100.0 + seq, type=kind, workflow_name="wf")
        getattr(e, field).SetInParent()
        for name, value in attributes.items():
            target = getattr(e, field)
            if name == "failure":
                target.failure.message, target.failure.type = str(value), "X"
            else:
                setattr(target, name, value)
        events.append(e)
    return events


def _step(n: int) -> str:
    return f"{OLD}/{n}"


# started -> a scheduled -> a done -> signal -> b scheduled -> b failed -> the code fails the run
STORY = _history(
    ("workflow_scheduled", {"input": b"[1]", "workflow_id": "order-1"}),
    ("workflow_started", {}),
    ("activity_scheduled", {"step_id": _step(1), "activity_name": "a"}),
    ("activity_started", {"step_id": _step(1), "activity_name": "a", "attempt": 1}),
    ("activity_finished_in_success", {"step_id": _step(1), "activity_name": "a", "attempt": 1}),
    ("activity_scheduled", {"step_id": _step(2), "activity_name": "b"}),
    ("workflow_signaled", {"signal_name": "go", "signal_id": "s1"}),
    ("activity_finished_in_error", {"step_id": _step(2), "activity_name": "b", "attempt": 1, "retry_at": 200.0}),
    ("activity_finished_in_error", {"step_id": _step(2), "activity_name": "b", "attempt": 2}),
    ("workflow_finished_in_error", {"failure": "b failed"}),
)


def test_points_are_the_events_that_wake_the_workflow() -> None:
    # 1 the start, 5 a's result, 7 the signal, 9 b's final failure; not 8 (a retry's failure)
    assert reset_points(STORY) == [1, 5, 7, 9]


def test_the_last_workflow_task_is_the_one_that_decided_last() -> None:
    assert last_workflow_task_point(STORY) == 9  # the task that failed the run runs again
    terminated = [*STORY[:7]]
    end = _history(*[("workflow_finished_in_error", {"failure": "terminated"})] * 8)[7]
    end.workflow_finished_in_error.failure.type = "WorkflowTerminated"
    assert last_workflow_task_point([*terminated, end]) == 5  # a termination is no decision


def test_a_bad_point_names_the_valid_ones() -> None:
    with pytest.raises(BadResetPoint, match=r"step 6 \(ACTIVITY_SCHEDULED\) is not a workflow-task boundary") as bad:
        check_point(STORY, 6)
    assert "Valid points: 1 (WORKFLOW_SCHEDULED), 5 (ACTIVITY_FINISHED_IN_SUCCESS), 7 (WORKFLOW_SIGNALED)" in str(
        bad.value
    )
    with pytest.raises(BadResetPoint, match=r"step 11 is not an event of the run \(its events are 1\.\.10\)"):
        check_point(STORY, 11)


def test_a_child_or_an_update_running_at_a_point_makes_it_invalid() -> None:
    events = _history(
        ("workflow_scheduled", {}),
        ("workflow_started", {}),
        ("child_workflow_started", {"step_id": _step(1), "child_run_id": _step(1)}),
        ("workflow_signaled", {"signal_name": "s", "signal_id": "1"}),
        ("child_workflow_completed", {"step_id": _step(1), "child_run_id": _step(1)}),
        ("update_accepted", {"update_id": "u"}),
        ("workflow_signaled", {"signal_name": "s", "signal_id": "2"}),
        ("update_completed", {"update_id": "u"}),
        ("workflow_signaled", {"signal_name": "s", "signal_id": "3"}),
    )
    assert reset_points(events) == [1, 5, 9]


def test_the_new_history_copies_through_the_point_then_the_later_signals() -> None:
    plan = plan_reset(STORY, 5, NEW, 500.0, workflow_id="order-1", reason="fix")
    assert [e.seq for e in plan.events] == [1, 2, 3, 4, 5, 6]
    assert [e.type for e in plan.events[:5]] == [e.type for e in STORY[:5]]
    assert all(e.run_id == NEW for e in plan.events)
    assert plan.events[2].activity_scheduled.step_id == f"{NEW}/1"  # step ids name the run they are in
    first = plan.events[0].workflow_scheduled
    assert (first.reset_from_run_id, first.reset_to_seq, first.reset_reason) == (OLD, 5, "fix")
    assert first.workflow_id == "order-1" and first.input == b"[1]"
    signal = plan.events[5]
    assert signal.type == pb.WORKFLOW_SIGNALED and signal.workflow_signaled.signal_id == "s1" and signal.time == 500.0
    assert plan.signals_reapplied == 1
    assert STORY[2].activity_scheduled.step_id == _step(1), "the old history is not touched"
    dropped = plan_reset(STORY, 5, NEW, 500.0, workflow_id="order-1", reapply_signals=False)
    assert len(dropped.events) == 5 and dropped.signals_reapplied == 0


def test_the_new_run_gets_a_workflow_task_and_the_tasks_pending_at_the_point() -> None:
    ids = (f"{i:032x}" for i in itertools.count())
    plan = plan_reset(STORY, 7, NEW, 500.0, workflow_id="order-1")  # b is scheduled, not finished
    rs = RunState(NEW, ids=lambda: next(ids))
    fx = install(rs, plan.events, 500.0)
    assert [e.seq for e in fx.events] == list(range(1, 8))
    kinds = sorted(t.kind for t in fx.tasks)
    assert kinds == ["activity", "workflow"], fx.tasks  # b runs again; then the fresh workflow task
    assert {t.run_id for t in fx.tasks} == {NEW}
    assert rs.wf_task_id is not None and not rs.finished
