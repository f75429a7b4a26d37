"""The web UI over the distributed mode. Continue-as-new, execution_timeout and the
deterministic helpers across kills run in both modes from tests/e2e/test_e2e_primitives_kills.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from distributed_support import DistributedCluster
from e2e_support import http_call, start_ui

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


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
