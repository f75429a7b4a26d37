"""The pure describe function over the recorded histories: each ended run gets its status, and
a history cut short (the run as it was at that event) says what the run waited on and why."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from google.protobuf import json_format

from goblins import wire
from goblins.api import v1 as pb
from goblins.describe import BACKING_OFF, LiveFacts, RunDescription, describe_run, pending_activity_names
from goblins.history import Event

HERE = pathlib.Path(__file__).resolve().parent


def _runs(scenario: str) -> list[list[Event]]:
    runs = json.loads((HERE / f"{scenario}.json").read_text())["runs"]
    return [[wire.event_from_proto(json_format.ParseDict(e, pb.HistoryEvent())) for e in run["events"]] for run in runs]


def _describe(events: list[Event], **live: Any) -> RunDescription:
    return describe_run(events, LiveFacts(now=events[-1].time + 10.0, **live))


@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        ("activity_success", "COMPLETED"),
        ("workflow_failure", "FAILED"),
        ("cancelled", "COMPLETED"),  # it caught its cancellation and returned
        ("cancelled_uncaught", "CANCELLED"),
        ("terminated", "TERMINATED"),
        ("execution_timeout", "TIMED_OUT"),
    ],
)
def test_an_ended_run_has_its_status_and_times(scenario: str, status: str) -> None:
    events = _runs(scenario)[0]
    d = _describe(events, workflow_hosted=False)
    assert d.status == status
    assert (d.start_time, d.close_time) == (events[0].time, events[-1].time)
    assert d.duration == pytest.approx(events[-1].time - events[0].time)
    assert d.reasons == () and d.pending_activities == () and d.pending_timers == ()


def test_continue_as_new_ends_each_run_but_the_last_as_continued() -> None:
    first, second, last = (_describe(run) for run in _runs("continue_as_new"))
    assert (first.status, first.continued_as) == ("CONTINUED_AS_NEW", "countdown~2")
    assert (second.status, second.continued_as) == ("CONTINUED_AS_NEW", "countdown~3")
    assert (last.status, last.result) == ("COMPLETED", [2, 1, 0])


def test_a_failing_workflow_task_is_the_reason_with_its_whole_message() -> None:
    events = _runs("workflow_task_failure")[0]
    failed_at = next(i for i, e in enumerate(events) if e.type == "WORKFLOW_TASK_FAILED")
    d = _describe(events[: failed_at + 1], workflow_hosted=True)
    assert d.status == "RUNNING" and d.close_time is None
    assert d.duration == pytest.approx(events[failed_at].time + 10.0 - events[0].time)
    failure = events[failed_at].failure
    assert failure is not None and d.workflow_task_failure == failure
    assert d.workflow_task_failures == 1 and d.workflow_task_failing_since == events[failed_at].time
    assert len(d.reasons) == 1
    assert d.reasons[0].startswith("workflow task failing since ")
    assert d.reasons[0].endswith(": NameError: name 'undefined_name' is not defined")
    assert "Traceback" in failure.stack_trace
    # Once a workflow task completes (here: the run's end), the streak is over.
    assert _describe(events).workflow_task_failure is None


def test_an_activity_backing_off_shows_its_attempt_failure_and_next_retry() -> None:
    events = _runs("activity_retry")[0]
    failed_at = next(i for i, e in enumerate(events) if e.type == "ACTIVITY_FINISHED_IN_ERROR")
    cut = events[: failed_at + 1]
    assert pending_activity_names(cut) == ["histories.flaky"]
    d = _describe(cut, workflow_hosted=True, activities_hosted={"histories.flaky": True})
    (a,) = d.pending_activities
    assert (a.name, a.state, a.attempt, a.max_attempts) == ("histories.flaky", BACKING_OFF, 1, 3)
    assert a.last_failure is not None and a.last_failure.type == "ConnectionError"
    assert a.next_retry_time == events[failed_at].attributes["retry_at"]
    (reason,) = d.reasons
    assert reason.startswith("activity 'histories.flaky' retrying: attempt 2 of 3, next at ")
    assert reason.endswith(f"(attempt 1 failed: {a.last_failure.message})")


def test_missing_workers_are_reasons() -> None:
    events = _runs("activity_retry")[0]
    started = next(i for i, e in enumerate(events) if e.type == "ACTIVITY_STARTED")
    d = _describe(events[: started + 1], workflow_hosted=False, activities_hosted={"histories.flaky": False})
    assert d.reasons == (
        "no connected worker hosts workflow 'histories.activity_retry'",
        f"no connected worker hosts activity 'histories.flaky' (step {events[started].step_id})",
    )
    assert d.pending_activities[0].state == "STARTED" and d.pending_activities[0].attempt == 1


def test_a_pending_timer_and_a_cancel_request() -> None:
    events = _runs("cancelled_uncaught")[0]
    cut = [e for e in events if e.type != "WORKFLOW_FINISHED_IN_ERROR"]
    d = _describe(cut)
    (timer,) = d.pending_timers
    assert timer.fire_time == next(e for e in events if e.type == "TIMER_STARTED").attributes["fire_at"]
    assert d.cancel_requested and d.status == "RUNNING"


def test_children_with_their_run_ids_and_outcomes() -> None:
    parent = _runs("child_success")[0]
    d = _describe(parent)
    assert [(c.run_id, c.status) for c in d.children] == [
        (e.attributes["child_run_id"], "COMPLETED") for e in parent if e.type == "CHILD_WORKFLOW_STARTED"
    ]
    assert [c.result for c in d.children] == [40, 42]
    failed = _describe(_runs("child_failure")[0])
    assert [c.status for c in failed.children] == ["FAILED"]
    assert failed.children[0].failure is not None


def test_signals_received_are_listed() -> None:
    d = _describe(_runs("signal")[0])
    assert d.signals_received and all(isinstance(s, str) and s for s in d.signals_received)


def test_live_facts_from_the_servers_answer() -> None:
    request = pb.DescribeWorkflowRequest(run_id="r", activities=["a", "b"])
    reply = pb.DescribeWorkflowResponse(
        found=True,
        workflow_hosted=pb.HOSTING_NO,
        activities_hosted=[pb.HOSTING_YES, pb.HOSTING_UNKNOWN],
        server_time=5.0,
    )
    reply.heartbeats.add(step_id="r/1", details=b"[3]", time=4.0)
    facts = wire.live_facts(request, reply, now=1.0)
    assert facts.now == 5.0 and facts.workflow_hosted is False
    assert facts.activities_hosted == {"a": True, "b": None}
    assert facts.heartbeats == {"r/1": ([3], 4.0)}
