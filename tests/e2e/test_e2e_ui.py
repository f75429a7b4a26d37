"""`goblins ui` as its own process: the page, the runs, a signal through it, and a server
kill -9 and restart behind it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from e2e_support import Cluster, free_port, http_call, start_ui

pytestmark = pytest.mark.e2e


async def test_ui_process_serves_runs_and_signals_across_a_server_restart(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_server()
    cluster.start_worker("wf_primitives")
    base = start_ui(cluster)
    status, page = http_call(base + "/")
    assert status == 200 and "<title>goblins</title>" in page

    async with await cluster.client() as client:
        handle = await client.start_workflow("approve", str(tmp_path / "marks.log"))
        status, body = http_call(f"{base}/api/runs?status=RUNNING")
        assert status == 200 and handle.run_id in [r["run_id"] for r in body["runs"]]

        cluster.kill_server()
        cluster.start_server()
        # The ui's client reconnects by itself: the signal waits for the restarted server.
        status, body = await asyncio.to_thread(
            http_call, f"{base}/api/runs/{handle.run_id}/signal", {"name": "approve", "args": ["ui"]}
        )
        assert (status, body) == (200, {"ok": True})
        assert await handle.result(timeout=30) == "approved by ui"
    status, body = http_call(f"{base}/api/runs/{handle.run_id}")
    types = [e["type"] for e in body["events"]]
    assert types.count("WORKFLOW_SIGNALED") == 1 and types[-1] == "WORKFLOW_FINISHED_IN_SUCCESS"


def test_ui_without_a_server_says_so_in_one_line(cluster: Cluster) -> None:
    done = cluster.cli("ui", "--server", f"127.0.0.1:{free_port()}", "--port", str(free_port()), timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith("goblins: no goblins server answered") and "Traceback" not in done.stderr
