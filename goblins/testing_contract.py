"""Contract suites for the server's ports, shipped so that every adapter (ours or yours) proves
it conforms. Subclass a suite in a pytest module and provide its fixture:

    class TestMyStore(EventStoreContract):
        keeps_tasks = True

        @pytest.fixture
        async def store(self, tmp_path):
            s = MyStore(tmp_path / "x")
            yield s
            await s.close()

The requirements checked are numbered in ``goblins.server.ports``. Every test uses its own run
ids and names, so a shared (non-empty) backend works too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import pytest

from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, TIMER, WORKFLOW, TaskRecord
from goblins.server.ports import Batch, EventStore, RunIndex, Timers
from goblins.wire import history_event, type_name

__all__ = ["EventStoreContract", "FakeClock", "Store", "TimersContract", "TimersHarness"]


class Store(EventStore, RunIndex, Protocol):
    """What the suite checks: an event store that is also the run index (both adapters are)."""


def new_id(prefix: str = "run") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def event(run_id: str, seq: int, type: str, ts: float = 1000.0, **fields: Any) -> pb.HistoryEvent:
    return history_event(type, run_id=run_id, seq=seq, workflow_name="wf", time=ts + seq, **fields)


def started(run_id: str, workflow_name: str = "wf", ts: float = 1000.0) -> list[pb.HistoryEvent]:
    return [
        history_event("WORKFLOW_SCHEDULED", run_id=run_id, seq=1, workflow_name=workflow_name, time=ts, input=b'["x"]'),
        history_event("WORKFLOW_STARTED", run_id=run_id, seq=2, workflow_name=workflow_name, time=ts + 0.1),
    ]


_TASK_DEFAULTS = {ACTIVITY: ("act", 5.0), WORKFLOW: ("wf", 0.0)}  # (name, timeout) by kind


def task(run_id: str, suffix: str, kind: str = ACTIVITY, visible_at: float = 0.0) -> TaskRecord:
    name, timeout = _TASK_DEFAULTS[kind]
    return TaskRecord(f"{run_id}{suffix}", run_id, kind, name, visible_at, b"data-" + suffix.encode(), timeout)


def wire(events: list[pb.HistoryEvent] | None) -> list[bytes] | None:
    return None if events is None else [e.SerializeToString() for e in events]


class EventStoreContract:
    """EventStore (and RunIndex) requirements 1-6; the subclass provides a ``store`` fixture."""

    keeps_tasks = True  # False: immediate tasks live in the task queue (requirement 3)
    atomic_batches = True  # False: atomic per run only (requirement 1)
    bucket = 0  # the active_runs bucket of every run, for a store opened with one partition

    async def test_commit_then_history_in_seq_order(self, store: Store) -> None:
        run = new_id()
        first = started(run)
        await store.commit(Batch(events=first))
        more = [
            event(run, 3, "ACTIVITY_SCHEDULED", step_id=f"{run}/1", activity_name="a", input=b"[1]"),
            event(run, 4, "ACTIVITY_FINISHED_IN_SUCCESS", step_id=f"{run}/1", output=b"2"),
        ]
        await store.commit(Batch(events=more))
        assert wire(await store.history(run)) == wire(first + more)
        assert wire(await store.history(run, after_seq=2)) == wire(more)
        assert await store.history(run, after_seq=4) == []

    async def test_unknown_run(self, store: Store) -> None:
        run = new_id("missing")
        assert await store.history(run) is None
        assert await store.last_event(run) is None
        assert await store.load_run(run) is None

    async def test_last_event(self, store: Store) -> None:
        run = new_id()
        events = started(run)
        await store.commit(Batch(events=events))
        last = await store.last_event(run)
        assert last is not None and last.SerializeToString() == events[-1].SerializeToString()
        finish = event(run, 3, "WORKFLOW_FINISHED_IN_SUCCESS", output=b'"ok"')
        await store.commit(Batch(events=[finish]))
        last = await store.last_event(run)
        assert last is not None and last.seq == 3
        assert (type_name(last), last.workflow_finished_in_success.output) == ("WORKFLOW_FINISHED_IN_SUCCESS", b'"ok"')

    async def test_events_of_many_runs_in_one_batch(self, store: Store) -> None:
        runs = [new_id() for _ in range(5)]
        await store.commit(Batch(events=[e for run in runs for e in started(run)]))
        for run in runs:
            assert [e.seq for e in await store.history(run) or []] == [1, 2]

    async def test_run_seq_is_written_once(self, store: Store) -> None:
        run = new_id()
        await store.commit(Batch(events=started(run)))
        original = await store.history(run)
        clash = event(run, 2, "ACTIVITY_SCHEDULED", step_id=f"{run}/1", activity_name="other")
        with pytest.raises(Exception):  # noqa: B017 - each adapter raises its own driver's error
            await store.commit(Batch(events=[clash]))
        assert wire(await store.history(run)) == wire(original)

    async def test_failed_batch_stores_nothing(self, store: Store) -> None:
        good, bad = new_id(), new_id()
        await store.commit(Batch(events=started(bad)))
        registry_name = new_id("reg")
        batch = Batch(
            events=[*started(good), event(bad, 1, "WORKFLOW_STARTED")],  # the second collides
            new_tasks=[task(good, "#wf", WORKFLOW)],
            registry=[(WORKFLOW, registry_name)],
        )
        with pytest.raises(Exception):  # noqa: B017
            await store.commit(batch)
        if self.atomic_batches:
            assert await store.history(good) is None
        else:  # each run's events land whole or not at all
            assert [e.seq for e in await store.history(good) or []] in ([], [1, 2])
        assert [type_name(e) for e in await store.history(bad) or []] == ["WORKFLOW_SCHEDULED", "WORKFLOW_STARTED"]
        assert (WORKFLOW, registry_name) not in await store.registry()
        if self.keeps_tasks:
            assert all(t.run_id != good for t in await store.pending_tasks())

    async def test_load_run_gives_events_and_outstanding_workflow_task(self, store: Store) -> None:
        run = new_id()
        wf_task = task(run, "#wf-1", WORKFLOW)
        await store.commit(Batch(events=started(run), new_tasks=[wf_task, task(run, "/1#1")]))
        stored = await store.load_run(run)
        assert stored is not None
        assert [e.seq for e in stored.events] == [1, 2]
        assert stored.wf_task_id == wf_task.task_id
        await store.commit(
            Batch(events=[event(run, 3, "ACTIVITY_SCHEDULED", step_id=f"{run}/1")], done_tasks=[wf_task.task_id])
        )
        stored = await store.load_run(run)
        assert stored is not None and [e.seq for e in stored.events] == [1, 2, 3]
        assert stored.wf_task_id is None

    async def test_heartbeat_details_are_kept_beside_the_history_until_the_run_ends(self, store: Store) -> None:
        run = new_id()
        first, second = f"{run}/1", f"{run}/2"
        await store.commit(Batch(events=started(run), heartbeats={(run, first): b"1"}))
        await store.commit(Batch(heartbeats={(run, first): b"2", (run, second): b"a"}))  # heartbeats alone
        stored = await store.load_run(run)
        assert stored is not None and stored.heartbeats == {first: b"2", second: b"a"}
        assert [e.seq for e in stored.events] == [1, 2], "heartbeats are not events"
        finish = event(run, 3, "WORKFLOW_FINISHED_IN_SUCCESS")
        await store.commit(Batch(events=[finish], forget_heartbeats=[run]))
        stored = await store.load_run(run)
        assert stored is not None and stored.heartbeats == {}

    async def test_pending_activity_task_carries_the_newest_stored_heartbeat(self, store: Store) -> None:
        if not self.keeps_tasks:
            pytest.skip(f"{type(self).__name__} keeps immediate tasks in the transport (store.py requirement 3)")
        run = new_id()
        act = pb.ActivityTask(
            task_id=f"{run}/1#1", run_id=run, step_id=f"{run}/1", heartbeat_timeout=3.0, heartbeat_details=b"1"
        )
        t = TaskRecord(act.task_id, run, ACTIVITY, "act", 0.0, act.SerializeToString(), 5.0)
        await store.commit(Batch(events=started(run), new_tasks=[t]))
        await store.commit(Batch(heartbeats={(run, f"{run}/1"): b"7"}))
        mine = [t for t in await store.pending_tasks() if t.run_id == run]
        assert len(mine) == 1 and mine[0].heartbeat == 3.0
        assert pb.ActivityTask.FromString(mine[0].data).heartbeat_details == b"7"

    async def test_list_runs_by_status_and_name_newest_first(self, store: Store) -> None:
        name = new_id("wf")
        a, b, c = new_id("a"), new_id("b"), new_id("c")
        now = float(int(time.time()))  # a listing may cover recent runs only (Cassandra: 30 days)
        await store.commit(Batch(events=started(a, name, now - 20) + started(b, name, now - 10) + started(c, "x", now)))
        finish = history_event(
            "WORKFLOW_FINISHED_IN_ERROR", run_id=b, seq=3, workflow_name=name, time=now - 5, failure={"message": "E: x"}
        )
        await store.commit(Batch(events=[finish]))
        runs = await store.list_runs("", name, 100)
        assert [(r.run_id, r.workflow_name) for r in runs] == [(b, name), (a, name)]
        assert [(r.status, r.created_at, r.finished_at) for r in runs] == [
            ("FAILED", now - 10, now - 5),
            ("RUNNING", now - 20, 0.0),
        ]
        assert [r.run_id for r in await store.list_runs("RUNNING", name, 100)] == [a]
        assert [r.run_id for r in await store.list_runs("COMPLETED", name, 100)] == []
        assert len(await store.list_runs("", name, 1)) == 1

    async def test_registry_accumulates_and_ignores_duplicates(self, store: Store) -> None:
        wf, act = new_id("wf"), new_id("act")
        await store.commit(Batch(registry=[(WORKFLOW, wf), (ACTIVITY, act)]))
        await store.commit(Batch(registry=[(WORKFLOW, wf)]))
        names = await store.registry()
        assert {(WORKFLOW, wf), (ACTIVITY, act)} <= names
        assert (ACTIVITY, wf) not in names  # separate namespaces

    async def test_pending_tasks_are_stored_replaced_and_deleted(self, store: Store) -> None:
        if not self.keeps_tasks:
            pytest.skip(f"{type(self).__name__} keeps immediate tasks in the transport (store.py requirement 3)")
        run = new_id()
        t1, t2, later = task(run, "/1#1"), task(run, "/2#1"), task(run, "/3#1", visible_at=5000.0)
        await store.commit(Batch(events=started(run), new_tasks=[t1, t2, later]))
        mine = {t.task_id: t for t in await store.pending_tasks() if t.run_id == run}
        assert mine == {t.task_id: t for t in (t1, t2, later)}
        moved = dataclasses.replace(t2, visible_at=7000.0)
        await store.commit(Batch(done_tasks=[t1.task_id], new_tasks=[moved]))
        mine = {t.task_id: t for t in await store.pending_tasks() if t.run_id == run}
        assert mine == {t2.task_id: moved, later.task_id: later}
        await store.commit(Batch(done_tasks=[t2.task_id, later.task_id, "never-existed"]))
        assert [t for t in await store.pending_tasks() if t.run_id == run] == []

    async def test_a_runs_events_in_a_batch_land_whole_or_not_at_all(self, store: Store) -> None:
        run = new_id()
        await store.commit(Batch(events=started(run)))
        fresh = event(run, 3, "ACTIVITY_SCHEDULED", step_id=f"{run}/1")
        clash = event(run, 2, "WORKFLOW_STARTED")
        with pytest.raises(Exception):  # noqa: B017
            await store.commit(Batch(events=[clash, fresh]))
        assert [e.seq for e in await store.history(run) or []] == [1, 2]
        last = await store.last_event(run)
        assert last is not None and last.seq == 2

    async def test_active_runs_lists_unfinished_runs(self, store: Store) -> None:
        run, done = new_id(), new_id()
        await store.commit(Batch(events=started(run) + started(done)))
        active = set(await store.active_runs(self.bucket))
        assert {run, done} <= active
        await store.commit(Batch(events=[event(done, 3, "WORKFLOW_FINISHED_IN_SUCCESS")]))
        active = set(await store.active_runs(self.bucket))
        assert run in active and done not in active


class FakeClock:
    """A clock the suites move by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclasses.dataclass
class TimersHarness:
    """What a Timers adapter needs around it, for ``TimersContract``.

    ``commit`` stores a timer's record as the batch that created it would (its row, where the
    adapter keeps rows); ``fired`` collects the timers the adapter fired, in order.
    """

    timers: Timers
    clock: FakeClock
    commit: Callable[[TaskRecord], Awaitable[None]]
    fired: list[TaskRecord] = dataclasses.field(default_factory=list)

    async def schedule(self, t: TaskRecord) -> None:
        await self.commit(t)
        await self.timers.schedule([t])

    async def wait_fired(self, task_id: str, wait: float = 5.0) -> bool:
        """Whether the timer fired, waiting up to ``wait`` seconds for it."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if any(t.task_id == task_id for t in self.fired):
                return True
            await asyncio.sleep(0.01)
        return False


def timer(run_id: str, due: float) -> TaskRecord:
    return TaskRecord(f"{run_id}/t1", run_id, TIMER, "", due, b"")


class TimersContract:
    """Timers requirements 1-3; the subclass provides a ``harness`` fixture (a TimersHarness).

    Other timers (a shared backend) may fire too: each test looks for its own only.
    """

    async def test_a_timer_fires_when_due_not_before(self, harness: TimersHarness) -> None:
        t = timer(new_id(), harness.clock.now + 60)
        await harness.schedule(t)
        next_due = harness.timers.next_due()
        assert next_due is not None and next_due <= t.visible_at
        harness.timers.fire_due()
        assert not await harness.wait_fired(t.task_id, wait=0.1), "fired before it was due"
        harness.clock.now = t.visible_at + 0.001
        harness.timers.fire_due()
        assert await harness.wait_fired(t.task_id)

    async def test_a_timer_already_due_fires_at_once(self, harness: TimersHarness) -> None:
        t = timer(new_id(), harness.clock.now)
        await harness.schedule(t)
        harness.timers.fire_due()
        assert await harness.wait_fired(t.task_id)

    async def test_next_due_is_the_earliest(self, harness: TimersHarness) -> None:
        now = harness.clock.now
        later, sooner = timer(new_id(), now + 30), timer(new_id(), now + 10)
        await harness.schedule(later)
        await harness.schedule(sooner)
        assert harness.timers.next_due() == now + 10
        harness.clock.now = now + 31
        harness.timers.fire_due()
        assert await harness.wait_fired(sooner.task_id) and await harness.wait_fired(later.task_id)
