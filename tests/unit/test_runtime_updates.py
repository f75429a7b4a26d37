"""The replay core's updates: validation, the handler's outcome, replay. No I/O."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

import goblins
from goblins import converter
from goblins._runtime import Completion, WorkflowInstance
from goblins.api import v1 as pb
from goblins.server.state import RunState
from tests.unit.memory_ports import Ids
from tests.unit.test_runtime import RUN, History, instance, kinds, step_a
from tests.unit.test_state import T0, completed, running_with, types


@goblins.workflow
async def counter(start: int) -> int:
    state = {"n": start}

    def positive(by: int) -> None:
        if by <= 0:
            raise ValueError(f"by must be positive, got {by}")

    async def bump(by: int) -> int:
        if by == 13:
            raise goblins.ApplicationError("unlucky", type="Unlucky")
        if by == 7:  # a handler that waits on an activity
            by = await goblins.workflow.execute_activity(step_a, by)
        state["n"] += by
        return state["n"]

    goblins.workflow.set_update_handler("bump", bump, validator=positive)
    goblins.workflow.set_query_handler("n", lambda: state["n"])
    await goblins.workflow.wait_for_signal("stop")
    return state["n"]


def accepted(h: History, update_id: str, *args: Any, name: str = "bump") -> History:
    h.add("UPDATE_ACCEPTED", update_id=update_id, update_name=name, input=converter.encode_args(args, "test"))
    return h


def completions(c: Completion) -> list[pb.CompleteUpdate]:
    return [cmd.complete_update for cmd in c.commands if cmd.WhichOneof("kind") == "complete_update"]


def started() -> tuple[WorkflowInstance, History]:
    h = History("counter", 10).started()
    wf = instance(counter)
    assert wf.activate(h.events).commands == []
    return wf, h


def test_the_validator_runs_read_only_and_raises_to_reject() -> None:
    wf, _ = started()
    wf.validate_update("bump", converter.encode_args([2], "test"))  # accepted: no error
    with pytest.raises(ValueError, match="by must be positive"):
        wf.validate_update("bump", converter.encode_args([-1], "test"))
    with pytest.raises(LookupError, match="no update handler 'nope' \\(it has: bump\\)"):
        wf.validate_update("nope", b"[]")
    assert wf.query("n", b"[]") == 10  # validating changed nothing


def test_an_accepted_update_runs_its_handler_and_sends_its_result() -> None:
    wf, h = started()
    accepted(h, "u1", 5)
    c = wf.activate(h.events[-1:])
    (done,) = completions(c)
    assert done.update_id == "u1" and orjson.loads(done.output) == 15 and not done.HasField("failure")
    assert wf.query("n", b"[]") == 15


def test_a_handler_that_raises_fails_the_update_not_the_run() -> None:
    wf, h = started()
    accepted(h, "u1", 13)
    (done,) = completions(wf.activate(h.events[-1:]))
    assert done.failure.error_type == "Unlucky" and "unlucky" in done.failure.error
    assert wf.query("n", b"[]") == 10


def test_a_handler_may_call_activities() -> None:
    wf, h = started()
    accepted(h, "u1", 7)
    c = wf.activate(h.events[-1:])
    assert kinds(c) == ["schedule_activity"]
    h.scheduled(1, "step_a", 7).succeeded(1, "step_a", 8)
    (done,) = completions(wf.activate(h.events[-1:]))
    assert orjson.loads(done.output) == 18


def test_replay_applies_each_recorded_update_once_and_resends_no_completion() -> None:
    _, h = started()
    accepted(h, "u1", 5)
    h.add("UPDATE_COMPLETED", update_id="u1", update_name="bump", output=converter.encode(15))
    accepted(h, "u2", 7)
    h.scheduled(1, "step_a", 7).succeeded(1, "step_a", 8)
    h.add("UPDATE_COMPLETED", update_id="u2", update_name="bump", output=converter.encode(23))
    accepted(h, "u3", 1)  # accepted, its completion not recorded yet: sent on replay
    h.add("WORKFLOW_SIGNALED", signal_name="stop", input=converter.encode_args([], "test"))
    c = instance(counter).activate(h.events)
    assert c.failure is None
    assert [d.update_id for d in completions(c)] == ["u3"]
    assert kinds(c) == ["complete_update", "complete_workflow"]
    assert orjson.loads(c.commands[-1].complete_workflow.output) == 24


def test_an_update_without_a_handler_fails_deterministically() -> None:
    wf, h = started()
    accepted(h, "u1", name="gone")
    (done,) = completions(wf.activate(h.events[-1:]))
    assert done.failure.error_type == "LookupError"


def test_set_update_handler_checks_its_arguments() -> None:
    with pytest.raises(goblins.GoblinsError, match="only be called from inside a workflow"):
        goblins.workflow.set_update_handler("x", lambda: None)
    with pytest.raises(ValueError, match="non-empty str"):
        goblins.workflow.set_update_handler("", lambda: None)
    with pytest.raises(TypeError, match="validator must be callable"):
        goblins.workflow.set_update_handler("x", lambda: None, validator=3)  # type: ignore[arg-type]


# ---- the server's side: recorded once per update id ----


def _update(update_id: str) -> pb.UpdateWorkflowRequest:
    return pb.UpdateWorkflowRequest(run_id=RUN, update_id=update_id, name="bump", input=b"[1]")


def _done(update_id: str, output: bytes = b"2") -> pb.Command:
    return pb.Command(complete_update=pb.CompleteUpdate(update_id=update_id, output=output))


def test_the_server_records_an_update_once_and_its_completion_once() -> None:
    rs, _ = running_with()
    fx = rs.update(_update("u1"), T0 + 2)
    assert types(fx) == ["UPDATE_ACCEPTED"] and fx.new_tasks  # a workflow task runs the handler
    assert not rs.update(_update("u1"), T0 + 3).events  # a resend
    fx = rs.workflow_task_completed(completed(rs, _done("u1"), _done("u1"), _done("forged")), T0 + 4)
    assert types(fx) == ["UPDATE_COMPLETED"]
    done = fx.events[0].update_completed
    assert (done.update_id, done.update_name, done.output) == ("u1", "bump", b"2")
    assert rs.updates["u1"] is fx.events[0]
    again = RunState.from_history(RUN, rs.events, ids=Ids())  # a restart folds the same
    assert again.updates == rs.updates


def test_a_failed_handler_is_recorded_as_the_updates_failure() -> None:
    rs, _ = running_with()
    rs.update(_update("u1"), T0 + 2)
    failure = pb.FailWorkflow(error="Unlucky: no", error_type="Unlucky", stack_trace="tb")
    command = pb.Command(complete_update=pb.CompleteUpdate(update_id="u1", failure=failure))
    fx = rs.workflow_task_completed(completed(rs, command), T0 + 3)
    f = fx.events[0].update_completed.failure
    assert (f.type, f.message, f.stack_trace) == ("Unlucky", "Unlucky: no", "tb")


def test_an_ended_run_records_no_update() -> None:
    rs, _ = running_with(pb.Command(complete_workflow=pb.CompleteWorkflow(output=b"1")))
    assert rs.finished and not rs.update(_update("u1"), T0 + 2).events


def test_an_update_finished_in_the_task_that_ends_the_run_is_completed_before_the_end() -> None:
    wf, h = started()
    accepted(h, "u1", 7)
    assert kinds(wf.activate(h.events[-1:])) == ["schedule_activity"]
    h.scheduled(1, "step_a", 7)
    h.add("WORKFLOW_SIGNALED", signal_name="stop", input=b"[]")  # the run ends here...
    h.succeeded(1, "step_a", 8)  # ...and the update's handler finishes after, in the same task
    c = wf.activate(h.events[-3:])
    assert kinds(c) == ["complete_update", "complete_workflow"]
