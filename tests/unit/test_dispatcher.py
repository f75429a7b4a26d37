"""The embedded dispatcher alone: tasks in, worker sessions out, leases and timers on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, MESSAGE, TIMER, WORKFLOW, TaskRecord
from goblins.server.embedded.dispatcher import WORKFLOW_TASK_TIMEOUT, Dispatcher
from goblins.server.session import Session

T0 = 1000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A dispatcher whose callbacks record what it asked for."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.timed_out: list[tuple[str, bool]] = []
        self.timers: list[str] = []
        self.messages: list[str] = []
        self.dispatcher = Dispatcher(self._build, self._timed_out, self._timer, self._message, self.clock)

    def _build(self, t: TaskRecord, seen: int, into: pb.WorkflowTask | None = None) -> tuple[pb.WorkflowTask, int]:
        task = pb.WorkflowTask() if into is None else into
        task.task_id, task.run_id, task.workflow_name = t.task_id, t.run_id, t.name
        return task, 0

    def _timed_out(self, t: TaskRecord, heartbeat: bool = False) -> None:
        self.timed_out.append((t.task_id, heartbeat))

    def _timer(self, t: TaskRecord) -> None:
        self.timers.append(t.task_id)

    def _message(self, t: TaskRecord) -> None:
        self.messages.append(t.task_id)

    def worker(self, activities: int = 10, workflows: int = 10, name: str = "w") -> Session:
        session = Session(name, ["wf"], ["act"])
        self.dispatcher.connect(session, [])
        self.dispatcher.credit(session, activities, workflows)
        return session

    def tick(self, seconds: float = 0.0) -> None:
        self.clock.now += seconds
        self.dispatcher.tick()


def activity(task_id: str, visible_at: float = 0.0, timeout: float = 0.0, heartbeat: float = 0.0) -> TaskRecord:
    data = pb.ActivityTask(task_id=task_id, run_id="r", step_id=task_id.split("#")[0]).SerializeToString()
    return TaskRecord(task_id, "r", ACTIVITY, "act", visible_at, data, timeout, heartbeat)


def workflow(task_id: str, visible_at: float = 0.0) -> TaskRecord:
    return TaskRecord(task_id, "r", WORKFLOW, "wf", visible_at, b"")


async def sent(session: Session) -> list[str]:
    """The task ids the session would send now (activity and workflow tasks, acks excluded)."""
    try:
        msg = await asyncio.wait_for(session.next_message(), 0.01)
    except TimeoutError:
        return []
    if msg is None:
        return []
    return [t.activity.task_id if t.HasField("activity") else t.workflow.task_id for t in msg.tasks]


@pytest.fixture
def h() -> Harness:
    return Harness()


async def test_a_ready_task_goes_to_a_worker_with_credit(h: Harness) -> None:
    session = h.worker(activities=1)
    h.dispatcher.add([activity("a#1"), activity("b#1")])
    assert await sent(session) == ["a#1"]  # one credit: one task
    h.dispatcher.credit(session, 1, 0)
    assert await sent(session) == ["b#1"]


async def test_a_worker_gets_only_the_names_it_hosts(h: Harness) -> None:
    session = h.worker()
    h.dispatcher.add([TaskRecord("x#1", "r", ACTIVITY, "other", 0.0, b"", 0.0)])
    assert await sent(session) == []


async def test_a_delayed_task_waits_for_its_time(h: Harness) -> None:
    session = h.worker()
    h.dispatcher.add([activity("later#1", visible_at=T0 + 5)])
    assert h.dispatcher.next_due() == T0 + 5
    h.tick(4.9)
    assert await sent(session) == []
    h.tick(0.2)
    assert await sent(session) == ["later#1"]
    assert h.dispatcher.next_due() is None


async def test_next_due_skips_tasks_done_meanwhile(h: Harness) -> None:
    h.dispatcher.add([activity("a#1", visible_at=T0 + 1), activity("b#1", visible_at=T0 + 2)])
    h.dispatcher.done(["a#1"])
    assert h.dispatcher.next_due() == T0 + 2


async def test_timers_and_messages_fire_without_a_worker(h: Harness) -> None:
    h.dispatcher.add(
        [
            TaskRecord("t1", "r", TIMER, "", T0 + 3, b""),
            TaskRecord("m1", "r", MESSAGE, "", T0, b""),
        ]
    )
    assert h.messages == ["m1"] and h.timers == []
    h.tick(3)
    assert h.timers == ["t1"]
    assert h.dispatcher.holds("t1"), "a fired timer is known until its TIMER_FIRED is stored"
    h.dispatcher.done(["t1"])
    assert not h.dispatcher.holds("t1")


async def test_after_a_restart_tasks_wait_for_their_workers_but_timers_do_not(h: Harness) -> None:
    session = h.worker()
    h.dispatcher.add([activity("a#1"), TaskRecord("t1", "r", TIMER, "", T0 + 1, b"")], not_before=T0 + 2)
    assert await sent(session) == []
    h.tick(1)
    assert h.timers == ["t1"]
    assert await sent(session) == []
    h.tick(1)
    assert await sent(session) == ["a#1"]


async def test_an_attempt_that_overruns_its_timeout_times_out(h: Harness) -> None:
    session = h.worker()
    h.dispatcher.add([activity("a#1", timeout=10)])
    assert await sent(session) == ["a#1"]
    assert h.dispatcher.busy()
    h.tick(9)
    assert h.timed_out == []
    h.tick(2)
    assert h.timed_out == [("a#1", False)]


async def test_heartbeats_extend_the_lease_up_to_the_hard_deadline(h: Harness) -> None:
    session = h.worker()
    h.dispatcher.add([activity("a#1", timeout=10, heartbeat=3)])
    assert await sent(session) == ["a#1"]
    for _ in range(3):
        h.tick(2)
        h.dispatcher.heartbeat("a#1", b"progress")
    assert h.timed_out == []
    h.tick(3.5)  # silent for longer than heartbeat_timeout
    assert h.timed_out == [("a#1", True)]


async def test_a_lost_workflow_task_is_handed_out_again(h: Harness) -> None:
    session = h.worker()
    h.dispatcher.add([workflow("r#wf-1")])
    assert await sent(session) == ["r#wf-1"]
    h.dispatcher.credit(session, 0, 1)
    h.tick(WORKFLOW_TASK_TIMEOUT + 1)
    assert await sent(session) == ["r#wf-1"]


async def test_a_disconnected_workers_tasks_go_to_another(h: Harness) -> None:
    first = h.worker(name="first")
    h.dispatcher.add([activity("a#1")])
    assert await sent(first) == ["a#1"]
    second = h.worker(name="second")
    h.dispatcher.disconnect(first)
    assert await sent(second) == ["a#1"]


async def test_a_reconnecting_worker_keeps_its_running_tasks(h: Harness) -> None:
    first = h.worker(name="first")
    h.dispatcher.add([activity("a#1", timeout=10)])
    assert await sent(first) == ["a#1"]
    h.dispatcher.disconnect(first)
    again = Session("first", ["wf"], ["act"])
    h.dispatcher.connect(again, ["a#1"])  # it still runs a#1: leased to it, not sent again
    h.dispatcher.credit(again, 10, 10)
    assert await sent(again) == []
    assert h.dispatcher.busy()


async def test_queries_go_to_a_host_of_the_workflow(h: Harness) -> None:
    assert not h.dispatcher.send_query(pb.QueryTask(run_id="r", workflow_name="wf"))
    session = h.worker()
    assert h.dispatcher.send_query(pb.QueryTask(query_id="q", run_id="r", workflow_name="wf"))
    msg = await asyncio.wait_for(session.next_message(), 1)
    assert msg is not None and msg.tasks[0].query.query_id == "q"


def sync_activity(task_id: str) -> TaskRecord:
    data = pb.ActivityTask(task_id=task_id, run_id="r", step_id=task_id, activity_name="sync").SerializeToString()
    return TaskRecord(task_id, "r", ACTIVITY, "sync", 0.0, data)


@pytest.mark.parametrize("sessions", [1, 2])
async def test_a_sync_activity_takes_a_sync_credit_too_and_async_ones_go_on(h: Harness, sessions: int) -> None:
    session = Session("w", ["wf"], ["act", "sync"], ["sync"])
    h.dispatcher.connect(session, [])
    for i in range(sessions - 1):  # the other path of the pump: several sessions, none hosting these
        h.dispatcher.connect(Session(f"other{i}", ["other"], []), [])
    h.dispatcher.credit(session, 10, 0, 1)
    h.dispatcher.add([sync_activity("s1"), sync_activity("s2"), activity("a#1")])
    assert sorted(await sent(session)) == ["a#1", "s1"]  # one sync credit: s2 waits, a#1 does not
    h.dispatcher.credit(session, 1, 0, 1)
    assert await sent(session) == ["s2"]
    assert session.credit["activity"] == 8 and session.credit["sync_activity"] == 0


async def test_an_older_worker_that_names_no_sync_activity_is_limited_by_its_activity_credit(h: Harness) -> None:
    session = Session("w", [], ["sync"])
    h.dispatcher.connect(session, [])
    h.dispatcher.credit(session, 2, 0)
    h.dispatcher.add([sync_activity("s1"), sync_activity("s2"), sync_activity("s3")])
    assert await sent(session) == ["s1", "s2"]
