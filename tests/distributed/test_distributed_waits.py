"""Runs that wait (on a timer, a signal, children, a cancellation, a query's state, a
heartbeat checkpoint) in the distributed mode, across a kill -9 of the worker and of the
server, then a restart on the same keyspace and Kafka namespace: the waits resume, and
nothing (a step, a timer, a signal, a child, a compensation) happens twice.

The distributed-only stories; the ones both modes share (timer, signal and children across
a kill of both; a cancel sent while no worker lives) are in tests/e2e/test_e2e_primitives.py
and test_e2e_primitives_kills.py. Each history is also read straight
from Cassandra (``stored_events``), not only through a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from distributed_support import DistributedCluster
from e2e_support import SCHEDULED, SUCCESS, Proc, async_wait_until, check_clean, counts

import goblins

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]

RECOVERY = 60.0  # a restarted server and a new worker wait out the dead ones' Kafka sessions (6 s each)


def marks(path: Path) -> list[str]:
    """The texts `mark` wrote, in order."""
    return [line.rsplit(":", 1)[0] for line in path.read_text().splitlines()] if path.exists() else []


def mark_pids(path: Path) -> dict[str, list[int]]:
    """text -> the pids of the workers that wrote it."""
    found: dict[str, list[int]] = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        text, _, pid = line.rpartition(":")
        found.setdefault(text, []).append(int(pid))
    return found


def report(line: str) -> None:
    print(line)


async def stored(dcluster: DistributedCluster, run_id: str) -> list[tuple[int, str, str]]:
    """The run's events in Cassandra, read off the event loop (the read blocks)."""
    return await asyncio.to_thread(dcluster.stored_events, run_id)


async def wait_stored(
    dcluster: DistributedCluster,
    run_id: str,
    ok: Callable[[list[str]], bool],
    what: str,
    timeout: float = 60.0,
) -> list[tuple[int, str, str]]:
    """Poll Cassandra until the run's event types satisfy ``ok``."""
    deadline = time.monotonic() + timeout
    while True:
        events = await stored(dcluster, run_id)
        if ok([kind for _, kind, _ in events]):
            return events
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; stored: {events}")
        await asyncio.sleep(0.2)


def kill_both(dcluster: DistributedCluster, worker: Proc) -> None:
    """kill -9 the worker, then the server: the run waits with neither alive."""
    worker.kill9()
    dcluster.kill_server()


@pytest.mark.parametrize("victim", ["worker", "server"])
async def test_timer_survives_kills(dcluster: DistributedCluster, tmp_path: Path, victim: str) -> None:
    """worker: the live server fires the timer with no worker alive, its workflow task waits in
    Kafka for the next worker; server: the worker lives on (its tasks come from Kafka) and the
    restarted server fires the timer. (Both killed: tests/e2e/test_e2e_primitives.py.)"""
    log = tmp_path / "marks.log"
    seconds = 5.0
    dcluster.start_server()
    worker = dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("sleepy", str(log), seconds)
        await wait_stored(dcluster, handle.run_id, lambda t: "TIMER_STARTED" in t, "the timer to start")
        killed_at = time.time()
        t0 = time.monotonic()
        second = worker
        if victim == "worker":
            worker.kill9()
        if victim == "server":
            dcluster.kill_server()
            dcluster.start_server()  # same keyspace and namespace: the timer row is in Cassandra
        if victim == "worker":
            await wait_stored(dcluster, handle.run_id, lambda t: "TIMER_FIRED" in t, "the timer to fire")
            await asyncio.sleep(0.5)
            assert marks(log) == ["before"], "a step ran with no worker alive"
        if victim != "server":  # else the same worker goes on: its tasks come from Kafka, not the server
            second = dcluster.start_worker("wf_primitives")
        assert await handle.result(timeout=RECOVERY) == ["before", "after"]
        done = time.monotonic() - t0
        history = await handle.history()
    events = await stored(dcluster, handle.run_id)
    check_clean(events)
    found = counts(events)
    assert found.get("TIMER_STARTED") == 1 and found.get("TIMER_FIRED") == 1, f"timer events: {found}"
    started = next(e for e in history if e.type.value == "TIMER_STARTED")
    fired = next(e for e in history if e.type.value == "TIMER_FIRED")
    assert killed_at < started.attributes["fire_at"], "the timer was due before the kill: the test proved nothing"
    assert fired.time >= started.attributes["fire_at"] - 0.01, "the timer fired early"
    assert marks(log) == ["before", "after"], f"a step ran again: {marks(log)}"
    assert mark_pids(log)["before"] == [worker.pid] and mark_pids(log)["after"] == [second.pid]
    report(
        f"distributed timer, {victim} killed: fired {fired.time - started.attributes['fire_at']:.2f}s after due; "
        f"run done {done:.1f}s after the kill"
    )


async def test_cancel_parent_while_worker_dead_cancels_waiting_children(
    dcluster: DistributedCluster, tmp_path: Path
) -> None:
    """A cancel of the parent, sent across a server restart with no worker alive, reaches
    both children (messages between partitions) once; nothing past their waits runs."""
    log = tmp_path / "marks.log"
    dcluster.start_server()
    worker = dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        parent = await client.start_workflow("family", str(log))
        await wait_stored(
            dcluster, parent.run_id, lambda t: t.count("CHILD_WORKFLOW_STARTED") == 2, "both children to start"
        )
        children = [
            e.attributes["child_run_id"] for e in await parent.history() if e.type.value == "CHILD_WORKFLOW_STARTED"
        ]
        for child in children:
            await wait_stored(dcluster, child, lambda t: SUCCESS in t, f"child {child} to wait")
        kill_both(dcluster, worker)
        dcluster.start_server()
        await parent.cancel("called off")
        dcluster.start_worker("wf_primitives")
        with pytest.raises(goblins.WorkflowCancelled):
            await parent.result(timeout=RECOVERY)
        for child in children:
            with pytest.raises(goblins.WorkflowCancelled):
                await client.get_workflow_handle(child).result(timeout=RECOVERY)
    events = await stored(dcluster, parent.run_id)
    check_clean(events)
    found = counts(events)
    assert found.get("WORKFLOW_CANCEL_REQUESTED") == 1 and found.get("CHILD_WORKFLOW_STARTED") == 2, found
    assert events[-1][1] == "WORKFLOW_FINISHED_IN_ERROR"
    for child in children:
        child_events = await stored(dcluster, child)
        check_clean(child_events)
        child_found = counts(child_events)
        assert child_found.get("WORKFLOW_CANCEL_REQUESTED") == 1, child_found
        assert (
            child_found.get("WORKFLOW_FINISHED_IN_ERROR") == 1 and child_events[-1][1] == "WORKFLOW_FINISHED_IN_ERROR"
        )
        assert child_found.get(SCHEDULED) == 1, f"a child ran past its wait: {child_found}"
    assert sorted(marks(log)) == ["child a waiting", "child b waiting"], marks(log)


async def test_cancelled_sleep_timer_never_fires(dcluster: DistributedCluster, tmp_path: Path) -> None:
    """A run cancelled (across kills) while it sleeps ends; its timer, whose row outlives the
    kills, is not recorded as fired when it comes due, and the step after the sleep never runs."""
    log = tmp_path / "marks.log"
    seconds = 15.0
    dcluster.start_server()
    worker = dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("sleepy", str(log), seconds)
        await wait_stored(dcluster, handle.run_id, lambda t: "TIMER_STARTED" in t, "the timer to start")
        kill_both(dcluster, worker)
        dcluster.start_server()
        await handle.cancel("woken up")
        dcluster.start_worker("wf_primitives")
        with pytest.raises(goblins.WorkflowCancelled):
            await handle.result(timeout=RECOVERY)
        started = next(e for e in await handle.history() if e.type.value == "TIMER_STARTED")
        assert time.time() < started.attributes["fire_at"], (
            "the run ended after its timer was due: the test proved nothing"
        )
        await asyncio.sleep(started.attributes["fire_at"] - time.time() + 2.0)  # past the due time (+ a timer scan)
    events = await stored(dcluster, handle.run_id)
    check_clean(events)
    found = counts(events)
    assert found.get("TIMER_STARTED") == 1 and "TIMER_FIRED" not in found, found
    assert events[-1][1] == "WORKFLOW_FINISHED_IN_ERROR", events
    assert marks(log) == ["before"]


async def test_query_answered_by_new_worker_after_kill(dcluster: DistributedCluster) -> None:
    dcluster.start_server()
    worker = dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("cart")
        await handle.signal("add", "apple")
        await handle.signal("add", "pear")

        async def query_until(expected: list[str], timeout: float) -> float:
            """Seconds until the query answers ``expected`` (a query no worker takes times out)."""
            t0 = time.monotonic()
            answer: object = None
            while time.monotonic() - t0 < timeout:
                try:
                    answer = await handle.query("items")
                except goblins.GoblinsError as exc:  # no worker took it in time, or the server restarts
                    answer = exc
                if answer == expected:
                    return time.monotonic() - t0
                await asyncio.sleep(0.2)
            raise AssertionError(f"the query answered {answer!r}, not {expected!r}, for {timeout}s")

        await query_until(["apple", "pear"], 30)
        await wait_stored(dcluster, handle.run_id, lambda t: t.count("WORKFLOW_SIGNALED") == 2, "both signals")
        kill_both(dcluster, worker)
        dcluster.start_server()
        second = dcluster.start_worker("wf_primitives")
        took = await query_until(["apple", "pear"], RECOVERY)  # replayed by a worker that never ran the run
        await handle.signal("add", "checkout")
        assert await handle.result(timeout=RECOVERY) == ["apple", "pear"]
    assert second.alive
    events = await stored(dcluster, handle.run_id)
    check_clean(events)
    assert counts(events).get("WORKFLOW_SIGNALED") == 3
    report(f"distributed query after kills: answered by the new worker {took:.1f}s after it started")


def count_steps(path: Path) -> list[int]:
    return [int(m.split()[1]) for m in marks(path)]


def check_resumed(path: Path, at_kill: int, total: int, result: str, least: int) -> int:
    """The killed worker counted 0..at_kill-1, the next attempt resumed_from..total-1: only the
    steps since the checkpoint ran twice. Returns resumed_from."""
    resumed_from = int(result.rsplit(" ", 1)[1])
    assert resumed_from >= least, f"the new attempt did not resume from the crashed attempt's checkpoint: {result}"
    assert resumed_from <= at_kill, f"resumed past the steps that ran: {result}, {at_kill} steps at the kill"
    assert count_steps(path) == [*range(at_kill), *range(resumed_from, total)]
    return resumed_from


async def test_heartbeat_checkpoint_survives_worker_kill_by_lease(dcluster: DistributedCluster, tmp_path: Path) -> None:
    """With a heartbeat_timeout (2 s, shorter than the dead worker's 6 s Kafka session), the
    run's owner times the silent attempt out and retries it with the details it last heard."""
    log = tmp_path / "marks.log"
    total = 50
    dcluster.start_server()
    first = dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("counting", str(log), total, 2.0)
        # Heartbeats leave the worker every heartbeat_timeout / 3 (0.67 s).
        await async_wait_until(lambda: len(marks(log)) >= 30, 60, "thirty steps")
        first.kill9()
        at_kill = len(marks(log))
        t0 = time.monotonic()
        dcluster.start_worker("wf_primitives")
        result = await handle.result(timeout=RECOVERY)
        done = time.monotonic() - t0
        history = await handle.history()
    report(
        f"distributed heartbeat checkpoint (lease): {result!r} after {at_kill} steps at the kill, "
        f"done {done:.1f}s after it"
    )
    errors = [e for e in history if e.type.value == "ACTIVITY_FINISHED_IN_ERROR"]
    assert len(errors) == 1 and "heartbeat" in errors[0].failure.message, f"not the lease's timeout: {errors}"
    success = [e for e in history if e.type.value == SUCCESS]
    assert len(success) == 1 and success[0].attributes["attempt"] == 2
    # The last heartbeat left at most 0.67 s (a few steps) before the kill.
    check_resumed(log, at_kill, total, result, least=20)


async def test_heartbeat_checkpoint_survives_worker_kill_by_redelivery(
    dcluster: DistributedCluster, tmp_path: Path
) -> None:
    """With no heartbeat_timeout there is no lease: the crashed attempt's task, whose offset
    was never stored, is redelivered by Kafka to the new worker, which should resume from the
    crashed attempt's last heartbeat details (the server has them), not from the task's."""
    log = tmp_path / "marks.log"
    total = 100
    dcluster.start_server()
    first = dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("counting", str(log), total, 0)
        # With no heartbeat_timeout, heartbeats leave the worker every 5 s (the first at once).
        await async_wait_until(lambda: len(marks(log)) >= 65, 60, "sixty-five steps")
        first.kill9()
        at_kill = len(marks(log))
        t0 = time.monotonic()
        dcluster.start_worker("wf_primitives")
        result = await handle.result(timeout=RECOVERY)
        done = time.monotonic() - t0
        history = await handle.history()
    report(
        f"distributed heartbeat checkpoint (redelivery): {result!r} after {at_kill} steps at the kill, "
        f"done {done:.1f}s after it"
    )
    types = [e.type.value for e in history]
    assert "ACTIVITY_FINISHED_IN_ERROR" not in types, "an attempt failed: not the redelivery path"
    # The heartbeat sent 5 s into the attempt carries the steps done by then (~50; 20 even if slow).
    check_resumed(log, at_kill, total, result, least=20)


async def test_a_query_with_no_worker_connected_fails_at_once(dcluster: DistributedCluster) -> None:
    dcluster.start_server()
    worker = dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("cart")
        await handle.signal("add", "apple")
        for _ in range(300):  # answered while a worker holds the run
            with contextlib.suppress(goblins.GoblinsError):
                if await handle.query("items") == ["apple"]:
                    break
            await asyncio.sleep(0.1)
        worker.popen.send_signal(signal.SIGINT)  # it leaves the consumer group as it stops
        await asyncio.to_thread(worker.popen.wait, 30)
        t0 = time.monotonic()
        with pytest.raises(goblins.GoblinsError, match="no worker hosting 'cart' is connected"):
            await handle.query("items")
        took = time.monotonic() - t0
    assert took < 3.0, f"the query took {took:.1f}s to fail"
    report(f"distributed query with no worker: failed after {took:.2f}s (was a 10 s timeout)")
