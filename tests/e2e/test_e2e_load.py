"""300 concurrent workflows through one worker process."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from e2e_support import REPO, Cluster

import goblins

pytestmark = pytest.mark.e2e

RUNS = 300


def order(i: int) -> dict[str, Any]:
    return {
        "order_id": f"O-{i}",
        "customer": f"c{i}",
        "lines": [{"sku": "apple", "quantity": i % 5 + 1}, {"sku": "pear", "quantity": 2}],
        "unit_price_cents": 100 + i,
    }


def receipt(i: int) -> dict[str, Any]:
    q = i % 5 + 1
    return {
        "order_id": f"O-{i}",
        "reservations": [f"rsv-apple-{q}", "rsv-pear-2"],
        "charged_cents": (q + 2) * (100 + i),
        "tracking": f"trk-O-{i}-2",
    }


async def test_300_concurrent_order_workflows_one_worker(cluster: Cluster, measure: Callable[[str], None]) -> None:
    cluster.start_server()
    worker = cluster.start_worker("examples.order", cwd=REPO)
    async with await cluster.client() as client:
        t0 = time.monotonic()
        handles = await asyncio.gather(
            *(client.start_workflow("order", order(i), run_id=f"order-{i}") for i in range(RUNS))
        )
        t_started = time.monotonic()
        results = await asyncio.gather(*(h.result(timeout=90) for h in handles))
        wall = time.monotonic() - t0
        completed = await client.list_workflows(status="COMPLETED", workflow_name="order", limit=1000)
        running = await client.list_workflows(status="RUNNING", limit=1000)
        # Spot-check histories: 4 activities (2 reserves in parallel, charge, ship), each once.
        for h in handles[:: RUNS // 10]:
            events = await h.history()
            types = [str(e.type) for e in events]
            assert types.count("ACTIVITY_SCHEDULED") == 4 and types.count("ACTIVITY_FINISHED_IN_SUCCESS") == 4
            assert types[-1] == "WORKFLOW_FINISHED_IN_SUCCESS"

    assert [h.run_id for h in handles] == [f"order-{i}" for i in range(RUNS)]
    assert results == [receipt(i) for i in range(RUNS)]
    assert len(completed) == RUNS and not running
    assert worker.alive
    measure(
        f"{RUNS} concurrent order workflows (4 activities each), one worker: {wall:.2f}s wall "
        f"({t_started - t0:.2f}s to start them all), {RUNS / wall:.0f} workflows/s"
    )
    # A regression guard, far above what this 2-core machine needs (~a few seconds).
    assert wall < 60


async def test_300_concurrent_two_step_workflows_one_worker(cluster: Cluster, measure: Callable[[str], None]) -> None:
    cluster.start_server()
    cluster.start_worker("wf_steps")
    async with await cluster.client() as client:
        t0 = time.monotonic()
        results = await asyncio.gather(*(client.execute_workflow("two_steps", i, timeout=90) for i in range(RUNS)))
        wall = time.monotonic() - t0
        with pytest.raises(goblins.GoblinsError, match="no_such_workflow"):
            await client.start_workflow("no_such_workflow")
    assert results == [2 * i + 1 for i in range(RUNS)]
    measure(f"{RUNS} concurrent two-step workflows, one worker: {wall:.2f}s wall, {RUNS / wall:.0f} workflows/s")


def test_thousand_workflows_benchmark_script(measure: Callable[[str], None]) -> None:
    """benchmarks/thousand.py (its own server and worker processes) runs and gets every result right."""
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "thousand.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.fullmatch(r"1000 one-activity workflows, one worker: [\d.]+s wall .*\n", done.stdout), done.stdout
    measure(done.stdout.strip())
