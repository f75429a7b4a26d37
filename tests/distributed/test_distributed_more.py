"""execution_timeout across kill -9 of the worker and of the server, and the web UI, in the
distributed mode (workflows: tests/e2e/wf_more.py). Continue-as-new and the deterministic
helpers across kills run in both modes from tests/e2e/test_e2e_primitives_kills.py."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from distributed_support import DistributedCluster
from e2e_support import async_wait_until, http_call, start_ui, texts

import goblins
import goblins.testing

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]

FINISHED = ("WORKFLOW_FINISHED_IN_SUCCESS", "WORKFLOW_FINISHED_IN_ERROR")


async def test_execution_timeout_that_passes_while_the_server_is_down(
    dcluster: DistributedCluster, tmp_path: Path
) -> None:
    log = tmp_path / "marks.log"
    limit = 4.0
    dcluster.start_server()
    worker = dcluster.start_worker("wf_more")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("patient", str(log), "p", execution_timeout=limit)
        await async_wait_until(lambda: texts(log) == ["p waiting"], 60, "the run to wait")
        started = (await handle.history())[0].timestamp
        worker.kill9()
        dcluster.kill_server()
        await async_wait_until(lambda: time.time() > started + limit + 0.5, 20, "the deadline to pass")
        dcluster.start_server()  # the deadline is a timer row in Cassandra: the new owner fires it
        dcluster.start_worker("wf_more")
        with pytest.raises(goblins.WorkflowTimedOut):
            await handle.result(timeout=120)
        events = await handle.history()
    types = [e.type.value for e in events]
    assert sum(t in FINISHED for t in types) == 1 and events[-1].error_type == "WorkflowTimedOut"
    assert events[-1].timestamp >= started + limit, "timed out early"
    assert texts(log) == ["p waiting"], "a step ran twice, or after the timeout"
    print(f"distributed execution_timeout: fired {events[-1].timestamp - started - limit:.2f}s after the deadline")


async def test_web_ui_over_the_distributed_mode(dcluster: DistributedCluster, tmp_path: Path) -> None:
    """`goblins ui` is a client like any other: the same page and API over Kafka and Cassandra."""
    dcluster.start_server()
    dcluster.start_worker("wf_primitives")
    base = start_ui(dcluster)
    async with await dcluster.client() as client:
        handle = await client.start_workflow("cart")
        for _ in range(300):  # the run's owner records it a moment after the start returns
            status, body = await asyncio.to_thread(http_call, f"{base}/api/runs?status=RUNNING&name=cart")
            if handle.run_id in [r["run_id"] for r in body.get("runs", [])]:
                break
            await asyncio.sleep(0.1)
        assert status == 200 and handle.run_id in [r["run_id"] for r in body["runs"]]
        signal = f"{base}/api/runs/{handle.run_id}/signal"
        assert await asyncio.to_thread(http_call, signal, {"name": "add", "args": ["fig"]}) == (200, {"ok": True})
        for _ in range(300):
            _, answer = await asyncio.to_thread(http_call, f"{base}/api/runs/{handle.run_id}/query", {"name": "items"})
            if answer == {"result": ["fig"]}:
                break
            await asyncio.sleep(0.1)
        assert answer == {"result": ["fig"]}
        await asyncio.to_thread(http_call, signal, {"name": "add", "args": ["checkout"]})
        assert await handle.result(timeout=60) == ["fig"]
    status, body = await asyncio.to_thread(http_call, f"{base}/api/runs/{handle.run_id}")
    assert status == 200 and body["events"][-1]["type"] == "WORKFLOW_FINISHED_IN_SUCCESS"
