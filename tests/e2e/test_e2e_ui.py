"""`goblins ui` as its own process: the page, the runs, a signal and a query through it, and a
server kill -9 and restart behind it (in both modes)."""

from __future__ import annotations

import asyncio

import pytest
from e2e_support import Cluster, free_port, http_call, start_ui, wait_until

pytestmark = pytest.mark.e2e


@pytest.mark.both_modes
async def test_ui_process_serves_runs_signals_and_queries_across_a_server_restart(cluster: Cluster) -> None:
    """`goblins ui` is a client like any other: the same page and API in both modes."""
    cluster.start_server()
    cluster.start_worker("wf_primitives")
    base = start_ui(cluster)
    status, page = http_call(base + "/")
    assert status == 200 and "<title>goblins</title>" in page

    async with await cluster.client() as client:
        handle = await client.start_workflow("cart")

        def listed() -> bool:  # in the distributed mode its owner records it a moment after the start
            status, body = http_call(f"{base}/api/runs?status=RUNNING&name=cart")
            return status == 200 and handle.run_id in [r["run_id"] for r in body["runs"]]

        await asyncio.to_thread(wait_until, listed, cluster.patience, "the run to be listed", 0.1)
        signal = f"{base}/api/runs/{handle.run_id}/signal"
        assert await asyncio.to_thread(http_call, signal, {"name": "add", "args": ["fig"]}) == (200, {"ok": True})

        def answered() -> bool:
            return http_call(f"{base}/api/runs/{handle.run_id}/query", {"name": "items"}) == (200, {"result": ["fig"]})

        await asyncio.to_thread(wait_until, answered, cluster.patience, "the query to answer", 0.1)

        cluster.kill_server()
        cluster.start_server()
        # The ui's client reconnects by itself: the signal waits for the restarted server.
        status, body = await asyncio.to_thread(http_call, signal, {"name": "add", "args": ["checkout"]})
        assert (status, body) == (200, {"ok": True})
        assert await handle.result(timeout=cluster.recovery) == ["fig"]
    status, body = http_call(f"{base}/api/runs/{handle.run_id}")
    types = [e["type"] for e in body["events"]]
    assert types.count("WORKFLOW_SIGNALED") == 2 and types[-1] == "WORKFLOW_FINISHED_IN_SUCCESS"
    status, body = http_call(f"{base}/api/runs/{handle.run_id}/history.json")  # the download
    assert status == 200 and [e["type"] for e in body["events"]] == types

    def hosts_cart() -> bool:  # the server's sessions, or the workers' Kafka consumer group
        status, body = http_call(f"{base}/api/workers")
        return status == 200 and any("cart" in worker["workflows"] for worker in body["workers"])

    await asyncio.to_thread(wait_until, hosts_cart, cluster.patience, "the workers page to list the worker", 0.2)


def test_ui_without_a_server_says_so_in_one_line(cluster: Cluster) -> None:
    done = cluster.cli("ui", "--server", f"127.0.0.1:{free_port()}", "--port", str(free_port()), timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith("goblins: no goblins server answered") and "Traceback" not in done.stderr
