"""The EventStore (and RunIndex) contract: ``goblins.server.ports`` requirements (workflow ids: RunIndex 3)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Protocol

import pytest

from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, WORKFLOW, TaskRecord
from goblins.server.ports import Batch, EventStore, RunIndex
from goblins.testing_contract._common import event, new_id, started, task, wire
from goblins.wire import history_event, type_name


class Store(EventStore, RunIndex, Protocol):
    """What the suite checks: an event store that is also the run index (both adapters are)."""


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

    async def test_history_pages(self, store: Store) -> None:
        run = new_id()
        big = [
            event(run, seq, "ACTIVITY_FINISHED_IN_SUCCESS", step_id=f"{run}/{seq}", output=b"x" * 1000)
            for seq in range(3, 13)
        ]
        await store.commit(Batch(events=started(run) + big))
        assert await store.history_page(new_id("missing"), 0, 10, 1 << 20) is None
        events, more = await store.history_page(run, 0, 5, 1 << 20) or ([], False)
        assert [e.seq for e in events] == [1, 2, 3, 4, 5] and more
        events, more = await store.history_page(run, 0, 11, 1 << 20) or ([], False)
        assert [e.seq for e in events] == list(range(1, 12)) and more
        events, more = await store.history_page(run, 5, 100, 1 << 20) or ([], True)
        assert wire(events) == wire(big[3:]) and not more
        # Cut by bytes, past the first event: two big events fit 2,500 bytes, not three.
        events, more = await store.history_page(run, 2, 100, 2500) or ([], False)
        assert [e.seq for e in events] == [3, 4] and more
        events, more = await store.history_page(run, 2, 100, 10) or ([], False)
        assert [e.seq for e in events] == [3] and more  # one event, however big
        assert await store.history_page(run, 12, 100, 1 << 20) == ([], False)

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

    async def test_list_runs_pages_and_time_bounds(self, store: Store) -> None:
        """Pages follow each other without a gap or a repeat (ties on the time by run id), and the
        creation-time bounds cut the list (the first inclusive)."""
        name = new_id("wf")
        now = float(int(time.time()))
        runs = [new_id(f"p{i}") for i in range(5)]
        times = [now - 40, now - 30, now - 30, now - 20, now - 10]
        await store.commit(Batch(events=[e for r, t in zip(runs, times, strict=True) for e in started(r, name, t)]))
        seen: list[str] = []
        after: tuple[float, str] | None = None
        for _ in range(4):
            page = await store.list_runs("", name, 2, after=after)
            seen += [r.run_id for r in page]
            if len(page) < 2:
                break
            after = (page[-1].created_at, page[-1].run_id)
        tied = sorted(runs[1:3])
        assert seen == [runs[4], runs[3], *tied, runs[0]]
        bounded = await store.list_runs("", name, 100, created_after=now - 30, created_before=now - 10)
        assert [r.run_id for r in bounded] == [runs[3], *tied]

    async def test_a_run_is_listed_with_how_it_ended(self, store: Store) -> None:
        """RunIndex requirement 1: the status tells the ends apart (cancelled, terminated, timed
        out, continued as new), not only failed from completed."""
        name = new_id("wf")
        now = float(int(time.time()))
        ends = {
            "CANCELLED": {"failure": {"message": "WorkflowCancelled: x", "type": "WorkflowCancelled"}},
            "TERMINATED": {"failure": {"message": "WorkflowTerminated: x", "type": "WorkflowTerminated"}},
            "TIMED_OUT": {"failure": {"message": "WorkflowTimedOut: x", "type": "WorkflowTimedOut"}},
            "FAILED": {"failure": {"message": "ValueError: x", "type": "ValueError"}},
        }
        runs = {status: new_id(status.lower()) for status in [*ends, "CONTINUED_AS_NEW"]}
        events = [e for run in runs.values() for e in started(run, name, now - 10)]
        events += [
            history_event("WORKFLOW_FINISHED_IN_ERROR", run_id=runs[s], seq=3, workflow_name=name, time=now, **a)
            for s, a in ends.items()
        ]
        chain = runs["CONTINUED_AS_NEW"]
        events.append(
            history_event(
                "WORKFLOW_FINISHED_IN_SUCCESS",
                run_id=chain,
                seq=3,
                workflow_name=name,
                time=now,
                continued_as=f"{chain}~2",
            )
        )
        await store.commit(Batch(events=events))
        listed = {r.run_id: r.status for r in await store.list_runs("", name, 100)}
        assert listed == {run: status for status, run in runs.items()}
        for status, run in runs.items():
            assert [r.run_id for r in await store.list_runs(status, name, 100)] == [run]

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

    # ---- workflow ids (RunIndex requirement 3) ----

    async def test_a_workflow_id_is_claimed_once_then_moved_only_from_the_run_it_names(self, store: Store) -> None:
        wid, first, second, third = new_id("wid"), new_id(), new_id(), new_id()
        assert await store.workflow_id_row(wid) is None
        assert await store.claim_workflow_id(wid, first, None, 1000.0)
        assert not await store.claim_workflow_id(wid, second, None, 1001.0)  # the id has a row now
        assert await store.workflow_id_row(wid) == (first, 1000.0)
        assert not await store.claim_workflow_id(wid, third, second, 1002.0)  # names a run it is not at
        assert await store.claim_workflow_id(wid, second, first, 1003.0)
        assert await store.workflow_id_row(wid) == (second, 1003.0)
        assert await store.workflow_ids_of([first, second, third, new_id()]) == {first: wid, second: wid}

    async def test_concurrent_claims_of_one_id_have_one_winner(self, store: Store) -> None:
        wid, base = new_id("wid"), new_id()
        assert await store.claim_workflow_id(wid, base, None, 1000.0)
        for expected in (None, base):  # racing to create the row, and racing to move it on
            runs = [new_id() for _ in range(8)]
            won = await asyncio.gather(*(store.claim_workflow_id(wid, r, expected, 1001.0) for r in runs))
            assert sum(won) == (0 if expected is None else 1)
            if expected is base:
                row = await store.workflow_id_row(wid)
                assert row is not None and row[0] == runs[won.index(True)]
        fresh = new_id("wid")
        runs = [new_id() for _ in range(8)]
        won = await asyncio.gather(*(store.claim_workflow_id(fresh, r, None, 1000.0) for r in runs))
        assert sum(won) == 1
