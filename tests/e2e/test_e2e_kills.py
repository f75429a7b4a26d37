"""kill -9 of a worker and of the server in the middle of a 30-step workflow (in both modes);
redelivery of the tasks a dead worker held."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import (
    SUCCESS,
    Cluster,
    async_wait_until,
    check_reruns,
    check_steps_history,
    expected_totals,
    read_lines,
    step_of,
)

pytestmark = pytest.mark.e2e

STEPS = 30
KILL_AFTER = 10  # lines in the activity log before the kill


@pytest.mark.both_modes
async def test_worker_killed_mid_workflow_another_worker_finishes(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "steps.log"
    run_id = "kill-worker"
    cluster.start_server()
    first = cluster.start_worker("wf_steps")
    async with await cluster.client() as client:
        handle = await client.start_workflow("steps", str(log), run_id, STEPS, run_id=run_id)
        t0 = time.monotonic()
        await async_wait_until(lambda: len(read_lines(log)) >= KILL_AFTER, cluster.patience, "some steps to run")
        t_kill = time.monotonic()
        first.kill9()
        if cluster.mode == "embedded":
            await async_wait_until(lambda: cluster.server_saw_disconnect(first), 10, "the server to drop the worker")
            await asyncio.sleep(0.3)  # results the worker sent before dying are recorded by now
        finished = {step_of(aid) for _, kind, aid in cluster.stored_events(run_id) if kind == SUCCESS}
        lines_at_kill = read_lines(log)
        assert 0 < len(finished) < STEPS, f"the kill did not land mid-run: {len(finished)} steps finished"
        assert finished == set(range(len(finished))), "steps finish in order"

        # Nothing runs while no worker is there.
        await asyncio.sleep(0.3)
        assert read_lines(log) == lines_at_kill
        assert not (await handle.history())[-1].type.value.startswith("WORKFLOW_FINISHED")

        second = cluster.start_worker("wf_steps")
        t_second = time.monotonic()
        result = await handle.result(timeout=cluster.recovery)
        t_done = time.monotonic()
        events = await handle.history()

    assert result == expected_totals(STEPS)
    check_steps_history(events, run_id, STEPS)
    lines = read_lines(log)
    repeated = check_reruns(lines, run_id, STEPS, finished)
    by_first = {int(f[1]) for f in lines if int(f[2]) == first.pid}
    by_second = {int(f[1]) for f in lines if int(f[2]) == second.pid}
    assert {int(f[2]) for f in lines} == {first.pid, second.pid}
    if cluster.mode == "embedded":
        # The finished steps are exactly known here (the server saw the worker go): the second
        # worker ran exactly the steps that had not finished, and nothing else.
        assert by_second == set(range(STEPS)) - finished
        assert by_first <= finished | {len(finished)}
        assert set(repeated) <= by_first & by_second
    in_flight = sorted(by_first - finished)
    measure(
        f"{cluster.mode} worker kill -9: killed after {t_kill - t0:.2f}s with steps 0..{len(finished) - 1} "
        f"finished; in flight at the kill: {in_flight or 'none'}; re-ran: {sorted(repeated) or 'none'}; "
        f"second worker finished the other {STEPS - len(finished)} steps in {t_done - t_second:.2f}s"
    )


@pytest.mark.both_modes
async def test_server_killed_mid_workflow_restarted_on_same_store(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "steps.log"
    run_id = "kill-server"
    cluster.start_server()
    worker = cluster.start_worker("wf_steps")
    async with await cluster.client() as client:
        handle = await client.start_workflow("steps", str(log), run_id, STEPS, run_id=run_id)
        waiter = None
        if cluster.mode == "embedded":  # a result waiter that lives through the crash
            waiter = asyncio.create_task(handle.result(timeout=cluster.recovery))
        await async_wait_until(lambda: len(read_lines(log)) >= KILL_AFTER, cluster.patience, "some steps to run")
        t_kill = time.monotonic()
        cluster.kill_server()
        stored = cluster.stored_events(run_id)  # the durable history at the instant of the crash
        finished = {step_of(aid) for _, kind, aid in stored if kind == SUCCESS}
        assert 0 < len(finished) < STEPS, f"the kill did not land mid-run: {len(finished)} steps finished"
        await asyncio.sleep(0.5)  # the worker notices, finishes what it was running, keeps it
        assert worker.alive

        cluster.start_server()
        t_restart = time.monotonic()
        if cluster.mode == "embedded":
            await async_wait_until(
                lambda: cluster.worker_log_pattern(worker, "connected").search(cluster.server.text()),  # type: ignore[union-attr]
                15,
                "the worker to reconnect by itself",
            )
        t_reconnect = time.monotonic()
        result = await (waiter or handle.result(timeout=cluster.recovery))
        t_done = time.monotonic()
        # Tasks restored from the database are held back for the server's restart grace (2 s)
        # while workers reconnect and claim them: give any wrong redelivery the time to show.
        await asyncio.sleep(max(0.0, t_restart + 3.0 - time.monotonic()))
        events = await handle.history()

    assert result == expected_totals(STEPS)
    check_steps_history(events, run_id, STEPS)
    lines = read_lines(log)
    assert {int(f[2]) for f in lines} == {worker.pid}, "one worker process did everything"
    repeated = check_reruns(lines, run_id, STEPS, finished)
    # The durable prefix survived as it was: the history after the restart starts with it.
    assert [(e.seq, str(e.type), e.step_id) for e in events[: len(stored)]] == stored
    measure(
        f"{cluster.mode} server kill -9: {len(finished)} steps finished at the crash; worker reconnected "
        f"{t_reconnect - t_restart:.2f}s after the restart; run done {t_done - t_restart:.2f}s after the restart "
        f"({t_done - t_kill:.2f}s after the kill); re-ran: {sorted(repeated) or 'none'}"
    )


async def test_dead_worker_tasks_redelivered_at_once(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "hold.log"
    run_id = "redeliver"
    count, seconds = 8, 1.5
    cluster.start_server()
    victim = cluster.start_worker("wf_steps")
    survivor = cluster.start_worker("wf_steps")
    async with await cluster.client() as client:
        handle = await client.start_workflow("fan_out", str(log), run_id, count, seconds, run_id=run_id)
        await async_wait_until(lambda: len(read_lines(log)) >= count, 20, "all activities to start")
        held = {int(f[1]) for f in read_lines(log) if int(f[2]) == victim.pid}
        assert held, "the dispatcher gave the victim no task"
        assert len(held) < count, "the dispatcher gave the survivor no task"
        t_kill = time.time()
        victim.kill9()
        result = await handle.result(timeout=30)
        t_done = time.time()

    lines = read_lines(log)
    redelivered = {int(f[1]): float(f[3]) for f in lines if int(f[2]) == survivor.pid and int(f[1]) in held}
    assert set(redelivered) == held, "every task the dead worker held ran again on the survivor"
    delay = max(redelivered.values()) - t_kill
    assert delay < 2.0, f"redelivery took {delay:.2f}s"
    # Well before start_to_close_timeout (60 s): the held tasks' second run plus a little.
    assert t_done - t_kill < seconds + 3.0
    # The survivor's own tasks ran once; all results come from the survivor.
    assert sorted(int(f[1]) for f in lines if int(f[2]) == survivor.pid) == list(range(count))
    assert result == [f"{run_id}-{i}-{survivor.pid}" for i in range(count)]
    measure(
        f"worker disconnect: {len(held)}/{count} held tasks redelivered to the other worker "
        f"{delay * 1000:.0f} ms after the kill (last one); run done {t_done - t_kill:.2f}s after the kill "
        f"(activities hold {seconds}s; start_to_close_timeout 60s)"
    )


@pytest.mark.parametrize("victim", ["worker", "server"])
async def test_kill_with_100_runs_in_flight(
    cluster: Cluster, tmp_path: Path, victim: str, measure: Callable[[str], None]
) -> None:
    """The same guarantees under load: 100 runs of 6 steps, a kill -9 half-way through."""
    runs, count = 100, 6
    log = tmp_path / "steps.log"
    cluster.start_server()
    worker = cluster.start_worker("wf_steps")
    async with await cluster.client() as client:
        handles = await asyncio.gather(
            *(client.start_workflow("steps", str(log), f"r{i}", count, run_id=f"r{i}") for i in range(runs))
        )
        half = runs * count // 2
        await async_wait_until(lambda: len(read_lines(log)) >= half, 30, f"{half} steps to run")
        finished: dict[str, set[int]] = {}
        t_kill = time.monotonic()
        if victim == "server":
            cluster.kill_server()
            for h in handles:
                finished[h.run_id] = {step_of(a) for _, kind, a in cluster.stored_events(h.run_id) if kind == SUCCESS}
            cluster.start_server()
        else:
            worker.kill9()
            await async_wait_until(lambda: cluster.server_saw_disconnect(worker), 10, "the server to drop the worker")
            await asyncio.sleep(0.3)
            for h in handles:
                finished[h.run_id] = {step_of(e.step_id) for e in await h.history() if str(e.type) == SUCCESS}
            cluster.start_worker("wf_steps")
        results = await asyncio.gather(*(h.result(timeout=60) for h in handles))
        t_done = time.monotonic()
        await asyncio.sleep(max(0.0, t_kill + 3.0 - time.monotonic()))  # past the restart grace
        histories = {h.run_id: await h.history() for h in handles}

    assert 0 < sum(map(len, finished.values())) < runs * count
    assert results == [expected_totals(count)] * runs
    lines = read_lines(log)
    reran = 0
    for h in handles:
        check_steps_history(histories[h.run_id], h.run_id, count)
        reran += len(check_reruns([f for f in lines if f[0] == h.run_id], h.run_id, count, finished[h.run_id]))
    measure(
        f"{victim} kill -9 with {runs} runs x {count} steps in flight: {sum(map(len, finished.values()))} steps "
        f"finished at the kill; {reran} in-flight steps re-ran; all done {t_done - t_kill:.2f}s after the kill"
    )


async def test_worker_started_before_the_server_connects_when_it_comes_up(cluster: Cluster) -> None:
    worker = cluster.start_worker("wf_steps", wait=False)
    await asyncio.sleep(1.0)  # the worker retries while nothing listens
    assert worker.alive
    cluster.start_server()
    t_up = time.monotonic()
    cluster.wait_worker_connected(worker, timeout=10)
    assert time.monotonic() - t_up < 3.0
    async with await cluster.client() as client:
        assert await client.execute_workflow("two_steps", 20, timeout=10) == 41
