"""goblins.LocalServer: server, worker and client in this process, with no gRPC in between."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import goblins
from goblins.events import EventType

CALLS: dict[str, int] = {}


@goblins.activity
async def shout(text: str) -> str:
    return text.upper()


@goblins.activity
async def fails_twice(key: str) -> str:
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] <= 2:
        raise RuntimeError(f"attempt {CALLS[key]} fails")
    return f"{key} after {CALLS[key]}"


@goblins.workflow
async def hello(name: str) -> str:
    return await goblins.workflow.execute_activity(shout, f"hello {name}")


@goblins.workflow
async def retried(key: str) -> str:
    policy = goblins.RetryPolicy(maximum_attempts=3, initial_interval=0.01)
    return await goblins.workflow.execute_activity(fails_twice, key, retry_policy=policy)


@goblins.workflow
async def parent(name: str) -> list[str]:
    child = await goblins.workflow.execute_child(hello, name)
    return [child, await goblins.workflow.execute_activity(shout, "parent")]


@goblins.workflow
async def waits(n: int) -> int:
    total = n
    goblins.workflow.set_query_handler("total", lambda: total)
    while total < 10:
        add = await goblins.workflow.wait_for_signal("add")
        total += add
    return total


@goblins.workflow
async def forever(n: int) -> int:
    await goblins.workflow.sleep(3600)
    return n


WORKFLOWS = [hello, retried, parent, waits, forever]
ACTIVITIES = [shout, fails_twice]


def local(tmp_path: Path) -> goblins.LocalServer:
    return goblins.LocalServer(tmp_path / "app.db", workflows=WORKFLOWS, activities=ACTIVITIES)


async def test_start_and_result(tmp_path: Path) -> None:
    async with local(tmp_path) as app:
        assert isinstance(app.client, goblins.Client)
        assert app.port is None  # no gRPC listener
        assert await app.client.execute_workflow(hello, "ada", timeout=10) == "HELLO ADA"
        handle = await app.client.start_workflow("hello", "bob", run_id="fixed")
        again = await app.client.start_workflow(hello, "bob", run_id="fixed")  # idempotent
        assert again.run_id == handle.run_id == "fixed"
        assert await handle.result(timeout=10) == "HELLO BOB"


async def test_signal_query_and_cancel(tmp_path: Path) -> None:
    async with local(tmp_path) as app:
        handle = await app.client.start_workflow(waits, 1)
        await handle.signal("add", 4)
        for _ in range(100):  # the signal is durable; the run sees it on its next task
            if await handle.query("total") == 5:
                break
            await asyncio.sleep(0.02)
        assert await handle.query("total") == 5
        await handle.signal("add", 5)
        assert await handle.result(timeout=10) == 10

        sleeping = await app.client.start_workflow(forever, 3)
        await sleeping.cancel("enough")
        with pytest.raises(goblins.WorkflowCancelled):
            await sleeping.result(timeout=10)
        with pytest.raises(goblins.GoblinsError, match="already finished"):
            await sleeping.cancel()  # the same error as over gRPC


async def test_terminate_and_not_found(tmp_path: Path) -> None:
    async with local(tmp_path) as app:
        sleeping = await app.client.start_workflow(forever, 3)
        await sleeping.terminate("stop")
        with pytest.raises(goblins.WorkflowTerminated):
            await sleeping.result(timeout=10)
        assert (await sleeping.describe()).status == "TERMINATED"  # DescribeWorkflow in process too
        assert [r.run_id for r in await app.client.list_workflows(status="terminated")] == [sleeping.run_id]
        with pytest.raises(goblins.WorkflowNotFound):
            await app.client.get_workflow_handle("no-such-run").result(timeout=1)
        with pytest.raises(goblins.WorkflowNotFound):
            await app.client.get_workflow_handle("no-such-run").describe()
        with pytest.raises(goblins.WorkflowNotFound):
            await app.client.start_workflow("never_registered")


async def test_child_and_activity_retry(tmp_path: Path) -> None:
    async with local(tmp_path) as app:
        assert await app.client.execute_workflow(parent, "kid", timeout=10) == ["HELLO KID", "PARENT"]
        assert await app.client.execute_workflow(retried, "r1", timeout=10) == "r1 after 3"
    assert CALLS["r1"] == 3


async def test_list_and_history(tmp_path: Path) -> None:
    async with local(tmp_path) as app:
        handle = await app.client.start_workflow(hello, "eve")
        await handle.result(timeout=10)
        runs = await app.client.list_workflows(workflow_name="hello")
        assert [(r.run_id, r.status) for r in runs] == [(handle.run_id, "COMPLETED")]
        assert isinstance(runs[0], goblins.RunInfo)
        events = await handle.history()
        assert len(events) >= 4 and events[-1].type == EventType.WORKFLOW_FINISHED_IN_SUCCESS


async def test_runs_survive_a_restart_on_the_same_file(tmp_path: Path) -> None:
    async with local(tmp_path) as app:
        handle = await app.client.start_workflow(waits, 2)
        await handle.signal("add", 3)
    async with local(tmp_path) as app:  # a new process would do the same: the run is in the file
        again = app.client.get_workflow_handle(handle.run_id, int)
        await again.signal("add", 5)
        assert await again.result(timeout=10) == 10


async def test_also_serves_grpc(tmp_path: Path) -> None:
    async with goblins.LocalServer(tmp_path / "app.db", workflows=[hello], activities=[shout], port=0) as app:
        assert app.port
        async with await goblins.Client.connect(f"127.0.0.1:{app.port}") as remote:
            assert await remote.execute_workflow(hello, "net", timeout=10) == "HELLO NET"


async def test_a_server_without_a_worker_is_a_plain_local_server(tmp_path: Path) -> None:
    async with goblins.LocalServer(tmp_path / "app.db", port=0) as app:
        assert app.worker is None
        worker = goblins.Worker(f"127.0.0.1:{app.port}", workflows=[hello], activities=[shout])
        running = asyncio.create_task(worker.run())
        try:
            await worker.wait_connected(10)
            assert await app.client.execute_workflow(hello, "w", timeout=10) == "HELLO W"
        finally:
            await worker.shutdown()
            await running


def test_refuses_a_non_sqlite_store() -> None:
    with pytest.raises(ValueError, match="SQLite"):
        goblins.LocalServer("cassandra://127.0.0.1:9042/ks")
