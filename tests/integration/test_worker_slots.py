"""A worker's slots per kind, its sync activity executors and its watchdog (issue 10 item 11
and the blocking-workflow item)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import goblins
from goblins.worker import _worker
from tests.conftest import StartWorker
from tests.integration import slots as s


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    s.RELEASE.clear()
    s.THREADS.clear()
    yield
    s.RELEASE.set()  # no thread stays blocked after the test


async def until(predicate: object, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_a_worker_whose_sync_pool_is_full_takes_no_more_sync_tasks(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="first")
    first = await start_worker(
        workflows=[s.fan_out_blocked, s.one_quick], activities=[s.blocked, s.quick], activity_executor=pool
    )
    handle = await client.start_workflow(s.fan_out_blocked, 3)
    await until(lambda: len(s.THREADS) == 2, 10, "two attempts to start")
    assert first.free_slots()["sync_activities"] == 0
    # Its async activities and workflow tasks still run.
    assert await client.execute_workflow(s.one_quick, 4) == 40
    # The third attempt waits for a worker that can start it, rather than in the first one's queue.
    await start_worker(
        activities=[s.blocked], activity_executor=concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="second")
    )
    await until(lambda: len(s.THREADS) == 3, 10, "the third attempt to start on the second worker")
    assert sorted(name.split("_")[0] for name in s.THREADS) == ["first", "first", "second"]
    s.RELEASE.set()
    assert await handle.result(timeout=10) == [0, 1, 2]
    await until(lambda: first.free_slots()["sync_activities"] == 2, 5, "the slots to come back")
    pool.shutdown(wait=False)


async def test_a_sync_attempt_past_its_timeout_is_reported_stuck(
    client: goblins.Client, start_worker: StartWorker, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_worker, "STUCK_GRACE", 0.3)
    worker = await start_worker(workflows=[s.stuck_once], activities=[s.blocked], max_concurrent_sync_activities=1)
    with caplog.at_level(logging.WARNING, logger="goblins.worker"):
        handle = await client.start_workflow(s.stuck_once, 0.5)
        await until(lambda: worker.stuck_activities == 1, 10, "the attempt to be reported stuck")
        with pytest.raises(goblins.WorkflowFailed, match="TimeoutError"):
            await handle.result(timeout=10)  # the server timed the attempt out
    stuck = [r.getMessage() for r in caplog.records if "activity attempt stuck" in r.getMessage()]
    assert len(stuck) == 1
    assert handle.run_id in stuck[0] and "'blocked'" in stuck[0] and "step" in stuck[0]
    # Its thread is still taken: the worker asks for no sync task it could not start.
    assert worker.free_slots()["sync_activities"] == 0
    s.RELEASE.set()
    await until(lambda: worker.free_slots()["sync_activities"] == 1, 5, "the thread to come back")
    assert worker.stuck_activities == 1


async def test_the_process_executor_kills_an_attempt_past_its_timeout_and_it_is_retried(
    client: goblins.Client, start_worker: StartWorker, tmp_path: Path
) -> None:
    worker = await start_worker(
        workflows=[s.retried_after_a_kill], activities=[s.hangs_the_first_time], activity_executor="process"
    )
    marker = tmp_path / "first-attempt"
    handle = await client.start_workflow(s.retried_after_a_kill, str(marker))
    pid = await handle.result(timeout=30)
    assert pid != int(marker.read_text())  # the retry ran in a fresh process: the stuck one was killed
    failed = [e for e in await handle.history() if e.type.name == "ACTIVITY_FINISHED_IN_ERROR"]
    assert [(e.attributes["attempt"], e.failure and e.failure.type) for e in failed] == [(1, "TimeoutError")]
    processes = worker._processes
    assert processes is not None
    # The server timed the attempt out; the worker kills its process at the same deadline.
    await until(lambda: processes.killed == 1, 5, "the stuck attempt's process to be killed")
    await until(
        lambda: worker.free_slots()["sync_activities"] == worker.max_concurrent_sync_activities, 5, "its slot back"
    )


async def test_workflow_code_that_blocks_the_worker_is_warned_with_its_stack(
    client: goblins.Client, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    await start_worker(workflows=[s.blocks_the_loop], blocked_workflow_warning=0.2)
    with caplog.at_level(logging.WARNING, logger="goblins.worker"):
        handle = await client.start_workflow(s.blocks_the_loop, 1.0)
        assert await handle.result(timeout=10) == "done"
    warnings = [r.getMessage() for r in caplog.records if "has blocked the worker" in r.getMessage()]
    assert len(warnings) == 1
    assert handle.run_id in warnings[0] and "'blocks_the_loop'" in warnings[0]
    assert "time.sleep(seconds)" in warnings[0]  # the stack shows where it is stuck


def test_worker_options_are_checked() -> None:
    with pytest.raises(ValueError, match="activity_executor"):
        goblins.Worker(activities=[s.blocked], activity_executor="fork")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_concurrent_sync_activities"):
        goblins.Worker(activities=[s.blocked], max_concurrent_sync_activities=0)
    with pytest.raises(ValueError, match="blocked_workflow_warning"):
        goblins.Worker(activities=[s.blocked], blocked_workflow_warning=float("nan"))
    assert goblins.Worker(activities=[s.blocked], max_concurrent_activities=3).max_concurrent_sync_activities <= 3
