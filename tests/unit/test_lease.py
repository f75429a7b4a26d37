"""Workers complete only what they hold (issue 11), in the pure parts: the session's admission
of a report, the dispatcher's claims on reconnect, the core's task/step binding, and the
classification of every field a public RPC accepts."""

from __future__ import annotations

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2
from goblins.server.distributed.kafka import FROM_TOPIC
from goblins.server.effects import TIMER, TaskRecord
from goblins.server.runs import ENGINE_FIELDS
from goblins.server.session import WORKER_REPORTS, Session
from tests.unit.test_dispatcher import Harness, activity, workflow
from tests.unit.test_state import T0, result, running_with, schedule

ENGINE_REPORTS = {
    "start_workflow",
    "timer_fired",
    "signal_workflow",
    "cancel_workflow",
    "child_finished",
    "update_workflow",  # recorded only once the worker holding the run has validated it
    "complete_activity",  # a client's, checked against the attempt's token hash (server/asyncs.py)
}


def test_every_report_kind_is_either_a_workers_or_the_engines() -> None:
    kinds = set(pb.Report.DESCRIPTOR.fields_by_name)
    assert WORKER_REPORTS | ENGINE_REPORTS == kinds, "a new report kind: classify it (session.WORKER_REPORTS)"
    assert not WORKER_REPORTS & ENGINE_REPORTS
    assert "timer_fired" not in FROM_TOPIC  # a due timer never travels through Kafka


@pytest.mark.parametrize("kind", sorted(ENGINE_REPORTS))
def test_a_session_may_not_make_an_engine_report(kind: str) -> None:
    session = Session("w", ["wf"], ["act"])
    session.inflight["r/1"] = "r"  # holding a task with that id changes nothing
    assert "only the server makes it" in session.refusal(kind, "r/1", "r")
    assert session.refusal(None, "", "")


def test_a_session_may_report_only_on_a_task_it_holds_of_the_run_it_was_handed() -> None:
    session = Session("w", ["wf"], ["act"])
    session.inflight["r/1#1"] = "r"
    assert session.refusal("activity_result", "r/1#1", "r") == ""
    assert session.refusal("activity_heartbeat", "r/1#1", "r") == ""
    assert "does not hold" in session.refusal("activity_result", "r/1#1", "other-run")
    assert "does not hold" in session.refusal("activity_result", "r/2#1", "r")
    assert "does not hold" in session.refusal("workflow_task_completed", "r#wf-1", "r")


def test_a_task_leased_to_one_session_is_held_by_it_alone_and_no_longer_once_done() -> None:
    h = Harness()
    a, b = h.worker(name="a"), h.worker(name="b")
    h.dispatcher.add([activity("r/1#1")])
    holder, other = (a, b) if "r/1#1" in a.inflight else (b, a)
    assert holder.refusal("activity_result", "r/1#1", "r") == ""
    assert other.refusal("activity_result", "r/1#1", "r")
    h.dispatcher.done(["r/1#1"])
    assert holder.refusal("activity_result", "r/1#1", "r")


def test_a_workflow_task_re_handed_after_its_lease_expired_is_no_longer_the_old_sessions() -> None:
    h = Harness()
    old = h.worker(workflows=1, name="old")
    h.dispatcher.add([workflow("r#wf-1")])
    assert "r#wf-1" in old.inflight
    new = h.worker(name="new")
    h.tick(11.0)  # WORKFLOW_TASK_TIMEOUT passed: the task goes to the session with credit
    assert "r#wf-1" in new.inflight
    assert old.refusal("workflow_task_completed", "r#wf-1", "r")
    assert new.refusal("workflow_task_completed", "r#wf-1", "r") == ""


def test_a_reconnecting_worker_claims_only_tasks_of_names_it_hosts_that_no_one_holds() -> None:
    h = Harness()
    timer = TaskRecord("r/3", "r", TIMER, "", T0 + 600, b"")
    other = TaskRecord("r/4#1", "r", "activity", "not-hosted", T0, b"")
    h.dispatcher.add([timer, other, activity("r/1#1"), activity("r/2#1")])
    holder = h.worker(name="holder", activities=1)
    held = next(iter(holder.inflight))
    claimer = Session("claimer", ["wf"], ["act"])
    h.dispatcher.connect(claimer, ["r/3", "r/4#1", held, "r/1#1", "r/2#1"])
    assert set(claimer.inflight) == {"r/1#1", "r/2#1"} - {held}
    h.tick(601.0)
    assert h.timers == ["r/3"]  # the timer was not leased: it fired when due


def test_an_activity_report_must_name_its_own_step_and_attempt() -> None:
    rs, _ = running_with(schedule(1), schedule(2))
    forged = result(2)
    forged.task_id = result(1).task_id  # holds the task of step 1, reports step 2
    assert rs.activity_result(forged, T0 + 2).events == []
    started = pb.ActivityStarted(task_id=forged.task_id, run_id=forged.run_id, step_id=forged.step_id, attempt=1)
    assert rs.activity_started(started, T0 + 2).events == []
    beat = pb.ActivityHeartbeat(task_id=forged.task_id, run_id=forged.run_id, step_id=forged.step_id, attempt=1)
    assert not rs.heartbeat(beat)
    assert [e.type for e in rs.activity_result(result(2), T0 + 3).events] == [pb.ACTIVITY_FINISHED_IN_SUCCESS]


# ---- every field a public RPC accepts is classified ----

# What a caller of a public RPC may set. ENGINE: only the server sets it (refused when a client
# does). A new field of any request message fails the test below until it is classified here.
PUBLIC = "public"
ENGINE = "engine"
FIELDS: dict[str, str] = {
    "StartWorkflowRequest.workflow_name": PUBLIC,
    "StartWorkflowRequest.input": PUBLIC,
    "StartWorkflowRequest.run_id": PUBLIC,  # a client's own id makes a start idempotent
    "StartWorkflowRequest.parent_run_id": ENGINE,
    "StartWorkflowRequest.parent_step": ENGINE,
    "StartWorkflowRequest.execution_timeout": PUBLIC,
    "StartWorkflowRequest.workflow_id": PUBLIC,  # the caller's business key
    "StartWorkflowRequest.id_reuse_policy": PUBLIC,
    "StartWorkflowRequest.id_conflict_policy": PUBLIC,
    "StartWorkflowRequest.trace_context": PUBLIC,  # opaque to the server: the caller's span
    "TraceContextEntry.key": PUBLIC,  # the map entries of trace_context
    "TraceContextEntry.value": PUBLIC,
    # Signal-with-start: a signal, checked like Signal's (and the caller needs "signal" too).
    "StartWorkflowRequest.start_signal": PUBLIC,
    "StartWorkflowRequest.start_signal_input": PUBLIC,
    "StartWorkflowRequest.start_signal_id": PUBLIC,
    # An update: validated by the worker holding the run before anything is recorded.
    "UpdateWorkflowRequest.run_id": PUBLIC,
    "UpdateWorkflowRequest.update_id": PUBLIC,  # the sender's dedup key
    "UpdateWorkflowRequest.name": PUBLIC,
    "UpdateWorkflowRequest.input": PUBLIC,
    "UpdateWorkflowRequest.wait": PUBLIC,
    "UpdateWorkflowRequest.workflow_id": PUBLIC,
    "GetResultRequest.run_id": PUBLIC,
    "GetResultRequest.wait": PUBLIC,
    "GetResultRequest.started": PUBLIC,  # only changes how long "not found" waits
    "GetResultRequest.workflow_id": PUBLIC,  # with no run_id: the id's current run
    "GetHistoryRequest.run_id": PUBLIC,
    "GetHistoryRequest.after_seq": PUBLIC,
    "GetHistoryRequest.page_size": PUBLIC,
    "GetHistoryRequest.page_token": PUBLIC,
    "GetHistoryRequest.workflow_id": PUBLIC,
    "DescribeWorkflowRequest.run_id": PUBLIC,
    "StartWorkflowRequest.task_queue": PUBLIC,  # docs/task-queues.md
    "StartWorkflowRequest.priority": PUBLIC,
    "Hello.task_queue": PUBLIC,
    "TaskQueueConfig.name": PUBLIC,  # SetTaskQueue: admin only (auth.RPCS)
    "TaskQueueConfig.max_concurrent": PUBLIC,
    "TaskQueueConfig.rate_per_second": PUBLIC,
    "TaskQueueConfig.max_per_key": PUBLIC,
    "TaskQueueConfig.updated_at": PUBLIC,
    "TaskQueueConfig.reset": PUBLIC,
    "ListTaskQueuesRequest.name": PUBLIC,
    "DescribeWorkflowRequest.activities": PUBLIC,  # names to check for a connected host
    "DescribeWorkflowRequest.workflow_id": PUBLIC,
    "ListWorkflowsRequest.status": PUBLIC,
    "ListWorkflowsRequest.workflow_name": PUBLIC,
    "ListWorkflowsRequest.limit": PUBLIC,
    "ListWorkflowsRequest.page_token": PUBLIC,
    "ListWorkflowsRequest.created_after": PUBLIC,
    "ListWorkflowsRequest.created_before": PUBLIC,
    "ListWorkflowsRequest.query": PUBLIC,  # a visibility query (parsed and checked by the server)
    "CountWorkflowsRequest.query": PUBLIC,
    # Search attributes: typed values, each checked against its declared type.
    "StartWorkflowRequest.search_attributes": PUBLIC,
    "StartWorkflowRequest.memo": PUBLIC,  # a payload the server stores and never reads
    "SearchAttributesEntry.key": PUBLIC,
    "SearchAttributesEntry.value": PUBLIC,
    "SearchValue.keyword": PUBLIC,
    "SearchValue.text": PUBLIC,
    "SearchValue.int": PUBLIC,
    "SearchValue.float": PUBLIC,
    "SearchValue.bool": PUBLIC,
    "SearchValue.datetime": PUBLIC,
    "SearchAttributesRequest.name": PUBLIC,  # a declaration (needs the "start" permission)
    "SearchAttributesRequest.type": PUBLIC,
    "SignalWorkflow.run_id": PUBLIC,
    "SignalWorkflow.name": PUBLIC,
    "SignalWorkflow.input": PUBLIC,
    "SignalWorkflow.signal_id": PUBLIC,  # the sender's dedup key
    "SignalWorkflow.workflow_id": PUBLIC,
    "CancelWorkflow.run_id": PUBLIC,
    "CancelWorkflow.terminate": PUBLIC,
    "CancelWorkflow.reason": PUBLIC,
    "CancelWorkflow.workflow_id": PUBLIC,
    "CancelWorkflow.reset_to_run_id": ENGINE,  # a reset's link to its new run
    "StartWorkflowRequest.reset": ENGINE,  # a reset's new run: made by the ResetWorkflow RPC only
    # A reset: checked like a terminate (its role), the point checked against the history.
    "ResetWorkflowRequest.workflow_id": PUBLIC,
    "ResetWorkflowRequest.run_id": PUBLIC,
    "ResetWorkflowRequest.to_seq": PUBLIC,
    "ResetWorkflowRequest.to_last_workflow_task": PUBLIC,
    "ResetWorkflowRequest.reason": PUBLIC,
    "ResetWorkflowRequest.drop_signals": PUBLIC,
    "ResetWorkflowRequest.new_workflow_id": ENGINE,  # refused from a client (reset_runs._check)
    "QueryRequest.run_id": PUBLIC,
    "QueryRequest.name": PUBLIC,
    "QueryRequest.input": PUBLIC,
    "QueryRequest.workflow_id": PUBLIC,
    # A query's answer: applied only to a query this server asked (a random id), recorded nowhere.
    "QueryAnswer.query_id": PUBLIC,
    "QueryAnswer.ok": PUBLIC,
    "QueryAnswer.output": PUBLIC,
    "QueryAnswer.error": PUBLIC,
    "QueryAnswer.error_type": PUBLIC,
    "Hello.worker_id": PUBLIC,
    "Hello.workflows": PUBLIC,
    "Hello.activities": PUBLIC,
    "Hello.running_task_ids": PUBLIC,  # claims only unheld tasks of names it hosts (dispatcher.connect)
    "Hello.sync_activities": PUBLIC,
    "Credit.activities": PUBLIC,
    "Credit.workflows": PUBLIC,
    "Credit.sync_activities": PUBLIC,
    "WorkerMessage.hello": PUBLIC,
    "WorkerMessage.reports": PUBLIC,  # each kind checked: session.refusal (engine kinds refused)
    "WorkerMessage.credit": PUBLIC,
    "CheckTasksRequest.tasks": PUBLIC,  # a question: answers whether tasks are pending, changes nothing
    "ClientRequests.requests": PUBLIC,
    "ClientRequest.id": PUBLIC,
    "ClientRequest.start": PUBLIC,  # a StartWorkflowRequest: checked like StartWorkflow
    "ClientRequest.result": PUBLIC,
    # Async completion: the token's secret must hash to the one the attempt recorded.
    "CompleteActivityRequest.task_token": PUBLIC,
    "CompleteActivityRequest.ok": PUBLIC,
    "CompleteActivityRequest.output": PUBLIC,
    "CompleteActivityRequest.failure": PUBLIC,
    "CompleteActivityRequest.heartbeat": PUBLIC,
    "CompleteActivityRequest.details": PUBLIC,
    "Failure.message": PUBLIC,
    "Failure.type": PUBLIC,
    "Failure.stack_trace": PUBLIC,
    "Failure.non_retryable": PUBLIC,
    "Failure.details": PUBLIC,
    "Failure.cause": PUBLIC,  # dropped by the server (server/completions.py)
    # Schedules: a caller's own calendar; the server checks the spec (server/scheduler.py).
    "ScheduleCommandRequest.schedule_id": PUBLIC,
    "ScheduleCommandRequest.command": PUBLIC,
    "ScheduleCommandRequest.spec": PUBLIC,
    "ScheduleCommandRequest.paused": PUBLIC,
    "ScheduleCommandRequest.note": PUBLIC,
    "ScheduleCommandRequest.overlap": PUBLIC,
    "ScheduleCommandRequest.backfill_start": PUBLIC,
    "ScheduleCommandRequest.backfill_end": PUBLIC,
    "ScheduleSpec.cron": PUBLIC,
    "ScheduleSpec.every": PUBLIC,
    "ScheduleSpec.timezone": PUBLIC,
    "ScheduleSpec.start_at": PUBLIC,
    "ScheduleSpec.end_at": PUBLIC,
    "ScheduleSpec.jitter": PUBLIC,
    "ScheduleSpec.overlap": PUBLIC,
    "ScheduleSpec.catchup_window": PUBLIC,
    "ScheduleSpec.workflow_name": PUBLIC,
    "ScheduleSpec.input": PUBLIC,  # checked like a start's input (size)
    "ScheduleSpec.execution_timeout": PUBLIC,
    "DescribeScheduleRequest.schedule_id": PUBLIC,
}
# Messages whose fields are checked elsewhere (a report per kind, a task read only).
OPAQUE = {"Report", "ActivityTask"}


def _fields(message: Descriptor, seen: set[str]) -> list[str]:
    if message.name in seen or message.name in OPAQUE:
        return []
    seen.add(message.name)
    found = []
    for f in message.fields:
        found.append(f"{message.name}.{f.name}")
        if f.type == FieldDescriptor.TYPE_MESSAGE:
            found.extend(_fields(f.message_type, seen))
    return found


def test_every_field_of_every_public_request_is_classified() -> None:
    service = service_pb2.DESCRIPTOR.services_by_name["Goblins"]
    seen: set[str] = set()
    fields: list[str] = []
    for method in service.methods:
        fields.extend(_fields(method.input_type, seen))
    unclassified = sorted(set(fields) - set(FIELDS))
    assert not unclassified, f"classify these request fields in FIELDS (public or engine-only): {unclassified}"
    engine = {name for name, kind in FIELDS.items() if kind == ENGINE}
    refused = {f"{message}.{field}" for message, names in ENGINE_FIELDS.items() for field in names}
    assert engine == refused, "an engine-only field must be refused by runs.ENGINE_FIELDS (and vice versa)"


def test_only_the_outstanding_workflow_task_decides_the_runs_next_step() -> None:
    rs, _ = running_with(schedule(1))
    assert rs.wf_task_id is None  # the first task completed: none outstanding
    finish = pb.Command(complete_workflow=pb.CompleteWorkflow(output=b'"forged"'))
    forged = pb.WorkflowTaskCompleted(task_id=f"{rs.run_id}#wf-guessed", run_id=rs.run_id, commands=[finish])
    assert rs.workflow_task_completed(forged, T0 + 2).events == []
    rs.activity_result(result(1), T0 + 3)  # wakes the workflow: a new task
    current = rs.wf_task_id
    assert current is not None
    assert rs.workflow_task_completed(forged, T0 + 4).events == []  # a guess is not the current id
    forged.task_id = current
    done = rs.workflow_task_completed(forged, T0 + 5)  # the holder of the current task decides
    assert [e.type for e in done.events] == [pb.WORKFLOW_FINISHED_IN_SUCCESS] and done.done_tasks == [current]
    assert rs.workflow_task_completed(forged, T0 + 6).events == []  # a resend: applied once
