"""Versioning in the replay core: goblins.workflow.patched / deprecate_patch against hand-built
histories (old runs keep the old branch, new runs take the new one, markers outlive the code)."""

from __future__ import annotations

from typing import Any

import pytest

import goblins
import goblins.testing
from goblins import converter
from goblins._runtime import Completion
from goblins.api import v1 as pb
from goblins.server.checks import MAX_NAME, bad_command
from goblins.server.state import RunState
from tests.unit.test_runtime import RUN, History, instance, kinds, output_of
from tests.unit.test_state import completed, running_with, schedule, types


@goblins.activity(name="charge")
async def charge(order: str) -> str:
    return f"charged {order}"


@goblins.activity(name="email")
async def email(order: str) -> str:
    return f"emailed {order}"


@goblins.activity(name="sms")
async def sms(order: str) -> str:
    return f"texted {order}"


@goblins.workflow(name="order")
async def order_v1(order: str) -> str:
    """The code before the change: charge, then email."""
    await goblins.workflow.execute_activity(charge, order)
    return await goblins.workflow.execute_activity(email, order)


@goblins.workflow(name="order")
async def order_v2(order: str) -> str:
    """Deploy 1: new runs text instead of emailing; runs past this point keep emailing."""
    await goblins.workflow.execute_activity(charge, order)
    if goblins.workflow.patched("sms-instead-of-email"):
        return await goblins.workflow.execute_activity(sms, order)
    return await goblins.workflow.execute_activity(email, order)


@goblins.workflow(name="order")
async def order_v3(order: str) -> str:
    """Deploy 2: no run of v1 is left; the old branch goes."""
    await goblins.workflow.execute_activity(charge, order)
    goblins.workflow.deprecate_patch("sms-instead-of-email")
    return await goblins.workflow.execute_activity(sms, order)


@goblins.workflow(name="order")
async def order_v4(order: str) -> str:
    """Deploy 3: the patch is gone from the code."""
    await goblins.workflow.execute_activity(charge, order)
    return await goblins.workflow.execute_activity(sms, order)


@goblins.workflow(name="order")
async def asks_twice(order: str) -> list[bool]:
    first = goblins.workflow.patched("p")
    await goblins.workflow.execute_activity(charge, order)
    return [first, goblins.workflow.patched("p"), goblins.workflow.patched("q")]


def markers(c: Completion) -> list[pb.RecordMarker]:
    return [cmd.record_marker for cmd in c.commands if cmd.WhichOneof("kind") == "record_marker"]


def charged() -> History:
    return History("order", "o-1").started().scheduled(1, "charge", "o-1").succeeded(1, "charge", "charged o-1")


def marker(h: History, deprecated: bool = False) -> History:
    h.add("MARKER_RECORDED", patch_id="sms-instead-of-email", deprecated=deprecated)
    return h


def finished(h: History, name: str, value: Any) -> History:
    h.scheduled(2, name, "o-1").succeeded(2, name, value)
    h.add("WORKFLOW_FINISHED_IN_SUCCESS", output=converter.encode(value))
    return h


def test_a_new_run_records_the_marker_and_takes_the_new_branch() -> None:
    wf = instance(order_v2)
    assert kinds(wf.activate(charged().events[:1])) == ["schedule_activity"]
    c = wf.activate(charged().events[1:])
    assert kinds(c) == ["record_marker", "schedule_activity"]  # the marker comes before the step
    assert markers(c) == [pb.RecordMarker(patch_id="sms-instead-of-email", deprecated=False)]
    assert c.commands[1].schedule_activity.activity_name == "sms"
    assert c.commands[1].schedule_activity.step_id == f"{RUN}/2"  # a marker is not a step


def test_the_whole_new_history_from_scratch_records_the_marker_too() -> None:
    c = instance(order_v2).activate(charged().events)
    assert kinds(c) == ["record_marker", "schedule_activity"]


def test_an_old_run_past_the_patch_replays_on_the_old_branch_without_a_marker() -> None:
    old = charged().scheduled(2, "email", "o-1")  # v1 scheduled the email, then the deploy came
    c = instance(order_v2).activate(old.events)
    assert c.failure is None and c.commands == []
    # ... and finishes on the old branch when the email's result arrives
    wf = instance(order_v2)
    wf.activate(old.events)
    done = old.succeeded(2, "email", "emailed o-1")
    c = wf.activate(done.events[-1:])
    assert kinds(c) == ["complete_workflow"] and output_of(c) == "emailed o-1"


def test_an_old_finished_history_replays_against_the_patched_code() -> None:
    goblins.testing.replay(finished(charged(), "email", "emailed o-1").events, order_v2)


def test_a_history_with_the_marker_replays_the_new_branch() -> None:
    new = finished(marker(charged()), "sms", "texted o-1")
    goblins.testing.replay(new.events, order_v2)
    c = instance(order_v2).activate(new.events[:-2])  # the sms running: nothing to ask again
    assert c.failure is None and c.commands == []


def test_the_unpatched_code_cannot_replay_a_history_of_the_new_branch() -> None:
    new = finished(marker(charged()), "sms", "texted o-1")
    with pytest.raises(goblins.NondeterminismError, match=r"step 2 asks for activity 'email'.*'sms'"):
        goblins.testing.replay(new.events, order_v1)


def test_deprecate_patch_accepts_histories_with_and_without_the_marker() -> None:
    goblins.testing.replay(finished(marker(charged()), "sms", "texted o-1").events, order_v3)
    goblins.testing.replay(finished(marker(charged(), deprecated=True), "sms", "texted o-1").events, order_v3)
    # a run of v3 in flight after the deploy: no marker was recorded before the sms
    in_flight = charged().scheduled(2, "sms", "o-1")
    c = instance(order_v3).activate(in_flight.events)
    assert c.failure is None and c.commands == []


def test_deprecate_patch_records_a_deprecated_marker_in_new_runs() -> None:
    c = instance(order_v3).activate(charged().events)
    assert markers(c) == [pb.RecordMarker(patch_id="sms-instead-of-email", deprecated=True)]
    assert c.commands[1].schedule_activity.activity_name == "sms"


def test_deprecate_patch_still_breaks_on_an_old_run_on_the_removed_branch() -> None:
    """Why deploy 2 waits for the old runs to end (the deploy gate catches it)."""
    with pytest.raises(goblins.NondeterminismError, match="step 2"):
        goblins.testing.replay(finished(charged(), "email", "emailed o-1").events, order_v3)


def test_a_removed_patch_still_replays_histories_with_its_marker() -> None:
    for deprecated in (False, True):
        goblins.testing.replay(finished(marker(charged(), deprecated), "sms", "texted o-1").events, order_v4)
    c = instance(order_v4).activate(marker(charged()).events)  # in flight: the marker is skipped
    assert kinds(c) == ["schedule_activity"]


def test_the_answer_is_asked_once_per_run_and_one_marker_is_recorded() -> None:
    h = History("order", "o-1")
    c = instance(asks_twice).activate(h.events)
    assert markers(c) == [pb.RecordMarker(patch_id="p")]
    h.started()
    h.add("MARKER_RECORDED", patch_id="p")
    h.scheduled(1, "charge", "o-1").succeeded(1, "charge", "charged o-1")
    c = instance(asks_twice).activate(h.events)
    # "q" is first asked at the end, where nothing of the history lies ahead: the new branch
    assert markers(c) == [pb.RecordMarker(patch_id="q")]
    assert output_of(c) == [True, True, True]


def test_an_old_run_that_asked_nothing_answers_false_where_the_history_went_on() -> None:
    h = History("order", "o-1").started().scheduled(1, "charge", "o-1").succeeded(1, "charge", "charged o-1")
    h.add("WORKFLOW_FINISHED_IN_SUCCESS", output=converter.encode([False, False, False]))
    goblins.testing.replay(h.events, asks_twice)


def test_patch_ids_must_be_non_empty_strings() -> None:
    @goblins.workflow(name="bad_patch")
    async def bad_patch() -> bool:
        return goblins.workflow.patched("")

    c = instance(bad_patch).activate(History("bad_patch").events)
    assert c.failure is not None and "patch id must be a non-empty str" in c.failure[1]


def test_patched_outside_a_workflow_is_refused() -> None:
    with pytest.raises(goblins.GoblinsError, match="inside a workflow"):
        goblins.workflow.patched("p")


# ---- the server records the marker; it changes nothing else in the run's state ----


def test_the_server_records_a_marker_once_and_the_fold_of_its_history_agrees() -> None:
    mark = pb.Command(record_marker=pb.RecordMarker(patch_id="p", deprecated=True))
    rs, fx = running_with(mark, schedule(1))
    assert types(fx) == ["WORKFLOW_STARTED", "MARKER_RECORDED", "ACTIVITY_SCHEDULED"]
    assert (fx.events[1].marker_recorded.patch_id, fx.events[1].marker_recorded.deprecated) == ("p", True)
    assert [t.name for t in fx.new_tasks] == ["act"]  # no task for a marker
    again = rs.workflow_task_completed(completed(rs, mark, task_id="resent"), 2000.0)
    assert again.events == []  # a resent completion records no second marker
    folded = RunState.from_history(rs.run_id, list(rs.events), ids=rs.ids)
    assert folded.patches == {"p"} and set(folded.activities) == set(rs.activities)


def test_the_server_refuses_an_overlong_patch_id() -> None:
    command = pb.Command(record_marker=pb.RecordMarker(patch_id="p" * (MAX_NAME + 1)))
    assert "patch_id" in bad_command(command, 0)


@goblins.workflow(name="after_signal")
async def after_signal() -> bool:
    await goblins.workflow.wait_for_signal("go")
    return goblins.workflow.patched("p")


def test_a_patch_point_first_reached_on_a_signal_that_raced_a_task_keeps_the_old_branch() -> None:
    """The signal (seq 2) came while the first task ran; that task's WORKFLOW_STARTED (seq 3)
    follows it, so the history cannot tell whether a task reacted to the signal: the answer is
    the old branch, the same for the worker's kept instance, a fresh replay and a redelivered
    task on another worker (two workers given one history must agree)."""
    h = History("after_signal")
    kept = instance(after_signal)
    assert kept.activate(h.events).commands == []
    h.add("WORKFLOW_SIGNALED", signal_name="go", input=converter.encode_args([], "test"))
    h.started()
    c = kept.activate(h.events[1:])
    assert markers(c) == [] and output_of(c) is False
    assert output_of(instance(after_signal).activate(h.events)) is False
    # Without the race (the signal after the task), the run reaches the point now: new branch.
    h = History("after_signal").started()
    h.add("WORKFLOW_SIGNALED", signal_name="go", input=converter.encode_args([], "test"))
    c = instance(after_signal).activate(h.events)
    assert markers(c) == [pb.RecordMarker(patch_id="p")] and output_of(c) is True


def test_a_stale_completion_records_no_marker() -> None:
    """A redelivered first task (it saw event 1 only) completes after the real one recorded the
    old branch: its marker would contradict the history, so the server drops it; its steps are
    resent commands, recorded once."""
    rs, _ = running_with(schedule(1, "print_label"))
    mark = pb.Command(record_marker=pb.RecordMarker(patch_id="p"))
    rs.signal(pb.SignalWorkflow(run_id=RUN, name="wake"), 2000.0)  # a workflow task outstanding
    stale = rs.workflow_task_completed(completed(rs, mark, schedule(1, "buy_label"), seen=1), 2000.0)
    assert stale.events == [] and rs.patches == set()
    if rs.wf_task_id is None:  # the stale completion closed that task: another one
        rs.signal(pb.SignalWorkflow(run_id=RUN, name="wake again"), 2000.5)
    fresh = rs.workflow_task_completed(completed(rs, mark), 2001.0)
    assert types(fresh) == ["MARKER_RECORDED"]
    folded = RunState.from_history(rs.run_id, list(rs.events), ids=rs.ids)
    assert folded.marker_seq == rs.marker_seq == rs.events[-1].seq
