"""Task queues and flow control (docs/task-queues.md), in both modes, with the example the
docs show (examples/task_queues.py): the renders themselves record how many of them run at
once (over every worker), so the limits are checked where they matter, not on the server's word.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import REPO, Cluster, async_wait_until

from examples.task_queues import observed

pytestmark = [pytest.mark.e2e, pytest.mark.both_modes]


def set_queue(cluster: Cluster, *flags: str) -> None:
    done = cluster.cli("task-queue", "set", "gpu", *flags)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("gpu\t"), done.stdout


def gpu_worker(cluster: Cluster) -> int:
    return cluster.start_worker("examples.task_queues", "--task-queue", "gpu", cwd=REPO).pid


async def test_max_concurrent_and_max_per_key_hold_over_all_workers_of_the_queue(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    ledger = str(tmp_path / "ledger.db")
    cluster.start_server()
    set_queue(cluster, "--max-concurrent", "3", "--max-per-key", "2")
    gpu = {gpu_worker(cluster), gpu_worker(cluster)}
    cluster.start_worker("examples.task_queues", cwd=REPO)  # the default queue: never handed a render
    async with await cluster.client() as client:
        handle = await client.start_workflow("render_batch", ledger, 12, 0.6, 2, task_queue="gpu")
        await async_wait_until(lambda: len(observed(ledger)["starts"]) >= 3, cluster.patience, "three renders")
        reasons = (await handle.describe()).reasons
        assert any("waiting: queue gpu at max_concurrent 3" in r for r in reasons), reasons
        pids = await handle.result(timeout=cluster.recovery)
        [queue] = await client.list_task_queues("gpu")
    seen = observed(ledger)
    assert len(seen["starts"]) == 12
    assert seen["max_running"] == 3, seen  # reached, never passed
    assert seen["max_running_per_key"] <= 2, seen
    assert set(pids) <= gpu, (pids, gpu)
    assert (queue.max_concurrent, queue.max_per_key, queue.in_flight) == (3, 2, 0)
    shown = cluster.cli("task-queue", "describe", "gpu")
    assert "max_concurrent=3 max_per_key=2" in shown.stdout, shown
    measure(f"{cluster.mode}: 12 renders on 2 gpu workers, at most {seen['max_running']} at once (limit 3)")


async def test_the_rate_holds_within_ten_percent(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    ledger = str(tmp_path / "ledger.db")
    cluster.start_server()
    set_queue(cluster, "--rate", "10")
    gpu_worker(cluster)
    gpu_worker(cluster)
    async with await cluster.client() as client:
        await client.execute_workflow("render_batch", ledger, 31, 0.0, task_queue="gpu", timeout=cluster.recovery)
    times = sorted(at for _, _, at, _ in observed(ledger)["starts"])
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 9.0 <= rate <= 11.0, rate
    measure(f"{cluster.mode}: --rate 10 gave {rate:.2f} starts/s over {len(times)} renders")


async def test_higher_priorities_start_first(cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]) -> None:
    ledger = str(tmp_path / "ledger.db")
    cluster.start_server()
    set_queue(cluster, "--max-concurrent", "1")
    gpu_worker(cluster)
    priorities = [1 + i % 5 for i in range(15)]
    random.Random(7).shuffle(priorities)
    async with await cluster.client() as client:
        await client.execute_workflow(
            "render_batch", ledger, 15, 0.05, 0, priorities, task_queue="gpu", timeout=cluster.recovery
        )
    started = [p for _, p, _, _ in observed(ledger)["starts"]]
    assert started == sorted(priorities, reverse=True), started
    measure(f"{cluster.mode}: 15 renders at max_concurrent 1 started by priority: {started}")


async def test_a_killed_workers_tasks_free_their_permits(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    ledger = str(tmp_path / "ledger.db")
    cluster.start_server()
    set_queue(cluster, "--max-concurrent", "2")
    doomed = cluster.start_worker("examples.task_queues", "--task-queue", "gpu", cwd=REPO)
    async with await cluster.client() as client:
        handle = await client.start_workflow("render_batch", ledger, 6, 2.0, task_queue="gpu")
        await async_wait_until(lambda: len(observed(ledger)["starts"]) >= 2, cluster.patience, "two renders")
        await asyncio.sleep(0.3)
        assert len(observed(ledger)["starts"]) == 2  # the limit: the worker has slots for 100
        doomed.kill9()
        survivor = gpu_worker(cluster)
        pids = await handle.result(timeout=cluster.recovery)
    seen = observed(ledger)
    assert seen["max_running"] <= 2, seen  # the dead worker's renders run no more: not counted
    assert set(pids) == {survivor}
    again = [task for task, _, _, pid in seen["starts"] if pid == survivor]
    assert len(again) == 6  # the two killed ones ran again, and the four that waited
    measure(f"{cluster.mode}: kill -9 of a worker holding both permits of the queue; the next worker ran all 6")
