"""Queries, cancellation, termination, continue-as-new, execution timeouts and the
deterministic helpers across kill -9 of the worker and of the server (workflows: wf_more.py).

Every test kills real processes while a run waits, restarts what it killed on the same store,
and checks that the wait resumes and that nothing (an activity, a finish, a cancel request)
happens twice. The continue-as-new and deterministic-helper stories run in both modes.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import wf_more
from e2e_support import Cluster, async_wait_until, check_clean, counts, lines, pids_of, texts, wait_history

import goblins
import goblins.testing

pytestmark = pytest.mark.e2e

SUCCESS = "ACTIVITY_FINISHED_IN_SUCCESS"
FINISHED = ("WORKFLOW_FINISHED_IN_SUCCESS", "WORKFLOW_FINISHED_IN_ERROR")


async def types_of(handle: goblins.WorkflowHandle) -> list[str]:
    return [e.type.value for e in await handle.history()]


def pending_tasks(cluster: Cluster, run_id: str) -> list[tuple[str, str]]:
    """(task_id, kind) of the run's tasks still in the SQLite tasks table."""
    conn = sqlite3.connect(cluster.db, timeout=10)
    try:
        rows = conn.execute("SELECT task_id, kind FROM tasks WHERE run_id = ?", (run_id,)).fetchall()
    finally:
        conn.close()
    return [(str(r[0]), str(r[1])) for r in rows]


def has_event(cluster: Cluster, run_id: str, event_type: str) -> bool:
    """Whether the run's stored history holds an event of this type (read from the SQLite file)."""
    return any(t == event_type for _, t, _ in cluster.stored_events(run_id))


# ---- queries ----


async def test_query_answers_by_replay_across_worker_kill_and_server_restart(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    first = cluster.start_worker("wf_more")
    async with await cluster.client() as client:
        handle = await client.start_workflow("tally", str(log))
        for item in ("apple", "pear"):
            await handle.signal("add", item)
        await wait_history(handle, lambda types: types.count(SUCCESS) == 2, "both labels")
        expected = {"received": ["apple", "pear"], "labels": ["APPLE", "PEAR"]}
        recorded = cluster.stored_events(handle.run_id)
        assert await handle.query("state") == expected
        assert await handle.query("pid") == first.pid  # the worker that holds the run answered

        first.kill9()  # the run waits for its next signal, with no worker at all
        await async_wait_until(lambda: cluster.server_saw_disconnect(first), 10, "the server to drop the worker")
        # No worker hosts the workflow: the query fails at once with a clear error; it neither
        # waits for a worker nor replays the history on the server.
        t0 = time.monotonic()
        with pytest.raises(goblins.GoblinsError, match="no worker hosting 'tally' is connected") as no_worker:
            await handle.query("state")
        refused_in = time.monotonic() - t0

        second = cluster.start_worker("wf_more")
        t0 = time.monotonic()
        assert await handle.query("state") == expected  # the new worker rebuilt it by replay
        replayed_in = time.monotonic() - t0
        assert await handle.query("pid") == second.pid
        assert await handle.query("has", "PEAR") is True

        # The new worker carries the run on: its cached instance is the live one now.
        await handle.signal("add", "fig")
        await wait_history(handle, lambda types: types.count(SUCCESS) == 3, "the third label")
        expected = {"received": ["apple", "pear", "fig"], "labels": ["APPLE", "PEAR", "FIG"]}
        assert await handle.query("state") == expected
        recorded_after_fig = cluster.stored_events(handle.run_id)

        cluster.kill_server()
        with pytest.raises(goblins.GoblinsError, match="unavailable"):
            await handle.query("state")  # no server: fails at once too
        cluster.start_server()
        cluster.wait_worker_connected(second)  # the worker reconnects by itself
        assert await handle.query("state") == expected
        assert await handle.query("pid") == second.pid
        # Queries recorded nothing: the history is what the signals and activities made.
        assert cluster.stored_events(handle.run_id) == recorded_after_fig
        assert recorded_after_fig[: len(recorded)] == recorded

        await handle.signal("add", "done")
        assert await handle.result(timeout=30) == ["APPLE", "PEAR", "FIG"]
        assert await handle.query("state") == expected  # a finished run: replayed for the query
        types = await types_of(handle)
    assert texts(log) == ["label apple", "label pear", "label fig"], "a label ran twice"
    assert "WORKFLOW_TASK_FAILED" not in types
    assert sum(t in FINISHED for t in types) == 1
    measure(
        f"query with no worker refused in {refused_in * 1000:.0f} ms ({no_worker.value}); "
        f"answered by replay on the new worker in {replayed_in * 1000:.0f} ms"
    )


# ---- cancellation and termination ----


@pytest.mark.both_modes
async def test_cancel_sent_to_a_restarted_server_compensates_once(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    worker = cluster.start_worker("wf_more")
    async with await cluster.client() as client:
        handle = await client.start_workflow("refundable", str(log), "o-1", 30.0)
        await wait_history(handle, lambda types: "TIMER_STARTED" in types, "the run to sleep", cluster.patience)
        worker.kill9()
        cluster.kill_server()
        cluster.start_server()
        # Cancelled through the CLI while no worker runs, then once more through the client:
        # the second request is a no-op (one WORKFLOW_CANCEL_REQUESTED).
        cancelled = cluster.cli("workflow", "cancel", handle.run_id, "--reason", "changed my mind")
        assert cancelled.returncode == 0, cancelled.stderr
        await handle.cancel("again")
        await wait_history(handle, lambda types: "WORKFLOW_CANCEL_REQUESTED" in types, "the cancel", cluster.patience)
        assert texts(log) == ["charged o-1"], "something ran with no worker alive"
        t0 = time.monotonic()
        second = cluster.start_worker("wf_more")
        with pytest.raises(goblins.WorkflowCancelled):
            await handle.result(timeout=cluster.recovery)
        took = time.monotonic() - t0
        await asyncio.sleep(1.0)  # a duplicate compensation would have time to show
        events = await handle.history()
    types = [e.type.value for e in events]
    assert types.count("WORKFLOW_CANCEL_REQUESTED") == 1
    assert (
        next(e for e in events if e.type.value == "WORKFLOW_CANCEL_REQUESTED").attributes["reason"] == "changed my mind"
    )
    assert texts(log) == ["charged o-1", "refund o-1 started", "refunded o-1"], "a step ran twice, or not at all"
    assert pids_of(log)["refunded o-1"] == [second.pid]
    assert types.count("TIMER_FIRED") == 0 and "ACTIVITY_FINISHED_IN_ERROR" not in types
    assert sum(t in FINISHED for t in types) == 1 and types[-1] == "WORKFLOW_FINISHED_IN_ERROR"
    assert events[-1].failure.type == "WorkflowCancelled"
    stored = cluster.stored_events(handle.run_id)
    check_clean(stored)
    assert counts(stored).get(SUCCESS) == 2, f"the compensation is not one activity: {counts(stored)}"
    measure(
        f"{cluster.mode} cancel via a restarted server: compensated and cancelled {took:.2f}s "
        "after the new worker started"
    )


@pytest.mark.both_modes
async def test_cancel_stops_a_heartbeating_activity_then_the_cleanup_survives_a_worker_kill(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "marks.log"
    steps = 30  # the cleanup: 30 steps of 0.1 s, a checkpoint every 0.5 s
    cluster.start_server()
    first = cluster.start_worker("wf_more")
    async with await cluster.client() as client:
        handle = await client.start_workflow("long_job", str(log), steps)
        await async_wait_until(lambda: "beating attempt 1" in texts(log), cluster.patience, "the activity to run")
        if cluster.mode == "embedded":
            await wait_history(handle, lambda types: "ACTIVITY_STARTED" in types, "the activity to start")
            # The server dies and comes back while the activity runs: its heartbeats (every 0.5 s)
            # reach the restarted server, which must not take them for those of an ended run.
            cluster.kill_server()
            cluster.start_server()
            cluster.wait_worker_connected(first)
            await asyncio.sleep(1.5)
            assert texts(log) == ["beating attempt 1"], "the restart stopped the activity"
        t0 = time.monotonic()
        await handle.cancel("stop it")
        # The running activity hears of the cancel through its heartbeat (at most every 0.5 s); the
        # run goes on (its cleanup), so only the cancel can stop the attempt, not the run's end.
        await async_wait_until(lambda: ("told to stop", first.pid) in lines(log), cluster.patience, "the stop")
        told_in = time.monotonic() - t0
        # Its cleanup (an activity scheduled after the cancel) heartbeats without being stopped;
        # the worker dies in the middle of it.
        await async_wait_until(
            lambda: sum(t.startswith("wound ") for t in texts(log)) >= 8, cluster.patience, "the cleanup"
        )
        first.kill9()
        second = cluster.start_worker("wf_more")
        with pytest.raises(goblins.WorkflowCancelled):
            await handle.result(timeout=cluster.recovery)
        events = await handle.history()
    types = [e.type.value for e in events]
    marks = lines(log)
    # The interrupted activity ran once, was told once and was not tried again after the cancel.
    assert [t for t, _ in marks if t.startswith("beating")] == ["beating attempt 1"]
    assert [m for m in marks if m[0] == "told to stop"] == [("told to stop", first.pid)]
    beating = [e for e in events if e.name == "beating"]
    assert [e.type.value for e in beating][-1] == "ACTIVITY_FINISHED_IN_ERROR" and not beating[-1].attributes[
        "retry_at"
    ]
    assert beating[-1].failure.type == "CancelledError"
    # The cleanup resumed on the second worker from its last checkpoint and finished once.
    starts = [(t, pid) for t, pid in marks if t.startswith("winding down from ")]
    assert starts[0] == ("winding down from 0", first.pid) and len(starts) == 2
    resumed_at = int(starts[1][0].rsplit(" ", 1)[1])
    assert starts[1][1] == second.pid and resumed_at > 0, "the cleanup did not resume from its checkpoint"
    wound = [int(t.split()[1]) for t, _ in marks if t.startswith("wound ") and t != "wound down"]
    assert sorted(set(wound)) == list(range(steps))
    assert [m for m in marks if m[0] == "wound down"] == [("wound down", second.pid)]
    assert types.count("WORKFLOW_CANCEL_REQUESTED") == 1 and sum(t in FINISHED for t in types) == 1
    assert events[-1].failure.type == "WorkflowCancelled"
    measure(
        f"{cluster.mode}: cancel reached the heartbeating activity in {told_in:.2f}s; the cleanup resumed at "
        f"step {resumed_at} after the worker kill ({len(wound) - steps} steps redone)"
    )


async def test_terminate_sent_to_a_restarted_server_runs_nothing_more(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    worker = cluster.start_worker("wf_more")
    async with await cluster.client() as client:
        handle = await client.start_workflow("doomed", str(log), 2.0)
        await wait_history(handle, lambda types: "TIMER_STARTED" in types, "the run to sleep")
        worker.kill9()
        cluster.kill_server()
        cluster.start_server()
        # The restarted server fires the timer with no worker: the run now owes a workflow task
        # (which would schedule the second step).
        await async_wait_until(lambda: has_event(cluster, handle.run_id, "TIMER_FIRED"), 20, "the timer to fire")
        assert pending_tasks(cluster, handle.run_id), "the fired timer left no workflow task"
        ended = cluster.cli("workflow", "terminate", handle.run_id, "--reason", "stuck")
        assert ended.returncode == 0, ended.stderr
        assert pending_tasks(cluster, handle.run_id) == [], "terminate left tasks behind"
        second = cluster.start_worker("wf_more")
        with pytest.raises(goblins.WorkflowTerminated, match="stuck"):
            await handle.result(timeout=30)
        # The new worker has nothing to do for the run: give it time to do something wrong.
        await asyncio.sleep(1.5)
        assert second.alive
        events = await handle.history()
        with pytest.raises(goblins.GoblinsError, match="already finished"):
            await handle.signal("anything")
    assert texts(log) == ["first"], "a step ran after the run was terminated"
    types = [e.type.value for e in events]
    assert types[-1] == "WORKFLOW_FINISHED_IN_ERROR" and sum(t in FINISHED for t in types) == 1
    assert events[-1].failure.type == "WorkflowTerminated" and events[-1].failure.message == "WorkflowTerminated: stuck"
    assert types.count("ACTIVITY_SCHEDULED") == 1
    assert cluster.stored_events(handle.run_id)[-1][1] == "WORKFLOW_FINISHED_IN_ERROR"
    measure("terminate via a restarted server: no task left behind; the new worker ran nothing in 1.5 s")


# ---- continue-as-new ----


@pytest.mark.both_modes
async def test_continue_as_new_chain_survives_kills(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "marks.log"
    last = 5
    cluster.start_server()
    worker = cluster.start_worker("wf_more")
    async with await cluster.client() as client:
        handle = await client.start_workflow("generations", str(log), 1, last, [], run_id="chain")
        waiting = None
        if cluster.mode == "embedded":  # result() of the first run follows the chain, across the restart
            waiting = asyncio.create_task(handle.result(timeout=cluster.recovery))

        await async_wait_until(
            lambda: has_event(cluster, "chain~2", "TIMER_STARTED"), cluster.patience, "the second generation to sleep"
        )
        worker.kill9()
        cluster.kill_server()
        at_kill = texts(log)
        cluster.start_server()
        t0 = time.monotonic()
        cluster.start_worker("wf_more")
        expected = [f"gen {gen}" for gen in range(1, last + 1)]
        assert await (waiting or handle.result(timeout=cluster.recovery)) == expected
        took = time.monotonic() - t0
        # Any run of the chain answers with the chain's end; the ids are RUN~2, RUN~3, ...
        assert await client.get_workflow_handle("chain~3").result(timeout=cluster.patience) == expected
        assert await client.get_workflow_handle(f"chain~{last}").result(timeout=cluster.patience) == expected
        with pytest.raises(goblins.WorkflowNotFound):
            await client.get_workflow_handle(f"chain~{last + 1}").history()
        # Each run alone (by its run id: the workflow id "chain" addresses the newest run).
        histories = [
            await client.get_workflow_handle("chain", run_id=run_id).history() for run_id in chain_ids("chain", last)
        ]
    assert at_kill[:2] == ["gen 1", "gen 2"] and len(at_kill) < last, f"the kill did not land mid-chain: {at_kill}"
    assert texts(log) == expected, "a generation's activity ran twice, or not at all"
    for gen, events in enumerate(histories, 1):
        types = [e.type.value for e in events]
        assert events[0].input == [str(log), gen, last, expected[: gen - 1]], f"generation {gen} got the wrong input"
        assert types.count("ACTIVITY_SCHEDULED") == 1 and types.count("TIMER_FIRED") == 1
        assert sum(t in FINISHED for t in types) == 1 and types[-1] == "WORKFLOW_FINISHED_IN_SUCCESS"
    assert histories[-1][-1].output == expected
    measure(
        f"{cluster.mode} continue-as-new chain: finished {took:.2f}s after the restart, "
        "with the worker killed in generation 2"
    )


def chain_ids(run_id: str, count: int) -> list[str]:
    return [run_id, *(f"{run_id}~{n}" for n in range(2, count + 1))]


# ---- execution timeout ----


@pytest.mark.both_modes
async def test_execution_timeout_fires_once_across_kills(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "marks.log"
    # "late" times out after the restart; "early" while the server is down. A distributed server
    # and worker take seconds to start and join their groups: its deadlines are further out.
    limits = (8.0, 3.0) if cluster.mode == "embedded" else (40.0, 12.0)
    cluster.start_server()
    worker = cluster.start_worker("wf_more")
    async with await cluster.client() as client:
        late = await client.start_workflow("patient", str(log), "late", execution_timeout=limits[0])
        early = await client.start_workflow("patient", str(log), "early", execution_timeout=limits[1])
        waits = {}
        if cluster.mode == "embedded":  # result() waiters that live through the crash
            waits = {h.run_id: asyncio.create_task(timed_out_at(h, cluster.recovery)) for h in (late, early)}
        await async_wait_until(
            lambda: sorted(texts(log)) == ["early waiting", "late waiting"], cluster.patience, "both to wait"
        )
        deadline = {}
        for h, limit in zip((late, early), limits, strict=True):
            deadline[h.run_id] = (await h.history())[0].time + limit
        worker.kill9()
        cluster.kill_server()
        await async_wait_until(
            lambda: time.time() > deadline[early.run_id] + 0.3, cluster.patience, "the early deadline to pass"
        )
        restarting = time.time()
        cluster.start_server()
        assert time.time() < deadline[late.run_id] - 1, "the machine is too slow: restarted after the late deadline"
        cluster.start_worker("wf_more")
        if waits:
            raised = {run_id: await asyncio.wait_for(task, cluster.recovery) for run_id, task in waits.items()}
        else:
            raised = {h.run_id: await timed_out_at(h, cluster.recovery) for h in (late, early)}
        histories = {h.run_id: await h.history() for h in (late, early)}
        with pytest.raises(goblins.GoblinsError, match="already finished"):
            await late.signal("never")
    for run_id, events in histories.items():
        types = [e.type.value for e in events]
        assert sum(t in FINISHED for t in types) == 1 and types[-1] == "WORKFLOW_FINISHED_IN_ERROR"
        end = events[-1]
        assert end.failure.type == "WorkflowTimedOut" and "execution_timeout" in end.failure.message
        assert end.time >= deadline[run_id], f"{run_id} timed out {deadline[run_id] - end.time:.2f}s early"
        assert raised[run_id] >= end.time - 0.05
    assert histories[early.run_id][-1].time >= restarting  # recorded by the restarted server
    assert sorted(texts(log)) == ["early waiting", "late waiting"], "a step ran twice, or after the timeout"
    late_by = histories[late.run_id][-1].time - deadline[late.run_id]
    early_by = histories[early.run_id][-1].time - deadline[early.run_id]
    measure(
        f"{cluster.mode} execution_timeout across kills: fired {late_by:.2f}s after the deadline (server up), "
        f"{early_by:.2f}s after it (deadline passed while the server was down)"
    )


async def timed_out_at(handle: goblins.WorkflowHandle, timeout: float) -> float:
    """The wall-clock time at which result() raised WorkflowTimedOut."""
    with pytest.raises(goblins.WorkflowTimedOut):
        await handle.result(timeout=timeout)
    return time.time()


# ---- deterministic helpers ----


@pytest.mark.both_modes
async def test_now_random_uuid4_replay_the_same_after_kills(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "values.log"
    cluster.start_server()
    first = cluster.start_worker("wf_more")
    async with await cluster.client() as client:
        handle = await client.start_workflow("stamps", str(log))
        await wait_history(handle, lambda types: SUCCESS in types, "the values to be recorded", cluster.patience)
        first.kill9()  # the run waits for its signal; the new worker must replay its start
        cluster.kill_server()
        cluster.start_server()
        second = cluster.start_worker("wf_more")
        await handle.signal("go", "now")
        result = await handle.result(timeout=cluster.recovery)
        events = await handle.history()
    (recorded,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert recorded.pop("pid") == first.pid
    # The new worker replayed the start of the run: the same now(), random() and uuid4() as
    # the first worker drew (and the activity recorded), so the run was not nondeterministic.
    assert result["before"] == recorded
    assert result["signal"] == "now"
    after = result["after"]
    assert after["random"] != recorded["random"] and after["uuid"] != recorded["uuid"]
    assert uuid.UUID(after["uuid"]).version == 4 and uuid.UUID(recorded["uuid"]).version == 4
    assert 0 <= after["random"] < 1
    types = [e.type.value for e in events]
    assert "WORKFLOW_TASK_FAILED" not in types and types[-1] == "WORKFLOW_FINISHED_IN_SUCCESS"
    assert types.count("ACTIVITY_SCHEDULED") == 1
    # now() is the time of the newest event the run has seen: its start, then the signal.
    signaled = next(e for e in events if e.type.value == "WORKFLOW_SIGNALED")
    assert datetime.datetime.fromisoformat(recorded["now"]).timestamp() == pytest.approx(events[0].time)
    assert datetime.datetime.fromisoformat(after["now"]).timestamp() == pytest.approx(signaled.time)
    # A replay of the whole history in this process reaches the same end (the same values).
    goblins.testing.replay(events, wf_more.stamps)
    measure(f"{cluster.mode} deterministic helpers: worker {first.pid} drew, worker {second.pid} replayed the same")
