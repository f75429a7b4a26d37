"""Continue-as-new, execution_timeout and the deterministic helpers in the distributed mode,
across kill -9 of the worker and of the server (workflows: tests/e2e/wf_more.py; the embedded
versions are in tests/e2e/test_e2e_primitives_kills.py)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import wf_more
from distributed_support import DistributedCluster
from e2e_support import async_wait_until, http_call, start_ui, texts

import goblins
import goblins.testing

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]

FINISHED = ("WORKFLOW_FINISHED_IN_SUCCESS", "WORKFLOW_FINISHED_IN_ERROR")


async def test_continue_as_new_chain_survives_worker_and_server_kill(
    dcluster: DistributedCluster, tmp_path: Path
) -> None:
    log = tmp_path / "marks.log"
    last = 4
    dcluster.start_server()
    worker = dcluster.start_worker("wf_more")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("generations", str(log), 1, last, [], run_id="chain")
        await async_wait_until(lambda: texts(log)[:2] == ["gen 1", "gen 2"], 60, "the second generation")
        worker.kill9()
        dcluster.kill_server()
        at_kill = texts(log)
        dcluster.start_server()
        dcluster.start_worker("wf_more")
        expected = [f"gen {gen}" for gen in range(1, last + 1)]
        assert await handle.result(timeout=120) == expected
        ids = ["chain", *(f"chain~{n}" for n in range(2, last + 1))]
        histories = [await client.get_workflow_handle(run_id).history() for run_id in ids]
    assert len(at_kill) < last, f"the kill did not land mid-chain: {at_kill}"
    assert texts(log) == expected, "a generation's activity ran twice, or not at all"
    for gen, events in enumerate(histories, 1):
        types = [e.type.value for e in events]
        assert events[0].input == [str(log), gen, last, expected[: gen - 1]]
        assert types.count("ACTIVITY_SCHEDULED") == 1 and types.count("TIMER_FIRED") == 1
        assert sum(t in FINISHED for t in types) == 1


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


async def test_now_random_uuid4_replay_the_same_after_kills(dcluster: DistributedCluster, tmp_path: Path) -> None:
    log = tmp_path / "values.log"
    dcluster.start_server()
    first = dcluster.start_worker("wf_more")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("stamps", str(log))
        await async_wait_until(lambda: log.exists() and log.read_text().strip(), 60, "the values to be recorded")
        for _ in range(300):  # stored, so that the new worker replays rather than redoes the step
            if any(e.type.value == "ACTIVITY_FINISHED_IN_SUCCESS" for e in await handle.history()):
                break
            await asyncio.sleep(0.02)
        first.kill9()
        dcluster.kill_server()
        dcluster.start_server()
        dcluster.start_worker("wf_more")
        await handle.signal("go", "now")
        result = await handle.result(timeout=120)
        events = await handle.history()
    (recorded,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert recorded.pop("pid") == first.pid
    assert result["before"] == recorded, "the new worker's replay drew other values"
    assert result["after"]["uuid"] != recorded["uuid"]
    types = [e.type.value for e in events]
    assert "WORKFLOW_TASK_FAILED" not in types and types[-1] == "WORKFLOW_FINISHED_IN_SUCCESS"
    goblins.testing.replay(events, wf_more.stamps)


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
