"""Run statuses and ``describe`` against a real server: how each run ended, what a running run
waits on and why it is not moving, through the client and the CLI."""

from __future__ import annotations

import asyncio
import json
import pathlib
import sqlite3
from collections.abc import Awaitable, Callable

import pytest

import goblins
from goblins.server.app import Server
from tests.conftest import StartWorker
from tests.integration import primitives as p
from tests.integration import workflows as w
from tests.integration.test_cli import goblins_cli
from tests.integration.test_workflows import history_with


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    async def poll() -> None:
        while not await check():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def _ended_runs(client: goblins.Client) -> dict[str, str]:
    """A run of each way to end, by its run id: the status each should be listed with."""
    handle = await client.start_workflow(p.cancellable, "c", run_id="st-cancelled")
    await history_with(handle, "ACTIVITY_STARTED")
    await handle.cancel("no")
    with pytest.raises(goblins.WorkflowCancelled):
        await handle.result(timeout=10)
    handle = await client.start_workflow(p.compensating, "k", run_id="st-caught")
    await history_with(handle, "ACTIVITY_STARTED")
    await handle.cancel("no")
    assert await handle.result(timeout=10) == "refund k"
    handle = await client.start_workflow(p.approval, "t", run_id="st-terminated")
    await handle.terminate("operator")
    with pytest.raises(goblins.WorkflowTerminated):
        await handle.result(timeout=10)
    handle = await client.start_workflow(p.approval, "x", run_id="st-timed-out", execution_timeout=0.3)
    with pytest.raises(goblins.WorkflowTimedOut):
        await handle.result(timeout=10)
    assert await client.execute_workflow(p.countdown, 1, [], run_id="st-chain", timeout=10) == [1, 0]
    with pytest.raises(goblins.WorkflowFailed):
        await client.execute_workflow(w.raises, "f", run_id="st-failed", timeout=10)
    return {
        "st-cancelled": "CANCELLED",
        "st-caught": "COMPLETED",
        "st-terminated": "TERMINATED",
        "st-timed-out": "TIMED_OUT",
        "st-chain": "CONTINUED_AS_NEW",
        "st-chain~2": "COMPLETED",
        "st-failed": "FAILED",
    }


async def _start_all(start_worker: StartWorker) -> None:
    await start_worker(
        workflows=[p.cancellable, p.compensating, p.approval, p.countdown, w.raises],
        activities=[p.slow_note, p.note, w.greet],
    )


async def test_each_way_to_end_has_its_status(address: str, start_worker: StartWorker, client: goblins.Client) -> None:
    await _start_all(start_worker)
    expected = await _ended_runs(client)
    listed = {r.run_id: r.status for r in await client.list_workflows(limit=100)}
    assert {run_id: listed[run_id] for run_id in expected} == expected
    for run_id, status in expected.items():
        d = await client.get_workflow_handle(run_id, run_id=run_id).describe()
        assert (d.status, d.reasons) == (status, ())
        assert d.close_time is not None and d.duration == pytest.approx(d.close_time - d.start_time)
    assert (await client.get_workflow_handle("st-chain", run_id="st-chain").describe()).continued_as == "st-chain~2"
    for status in ("CANCELLED", "terminated", "Timed_Out", "CONTINUED_AS_NEW"):
        runs = await client.list_workflows(status=status)
        assert [r.run_id for r in runs] == [k for k, v in expected.items() if v == status.upper()]

    code, out, err = await goblins_cli("workflow", "list", "--status", "cancelled", "--server", address)
    assert code == 0, err
    assert [line.split()[:3] for line in out.splitlines()[1:]] == [["st-cancelled", "cancellable", "CANCELLED"]]
    code, _, err = await goblins_cli("workflow", "list", "--status", "gone", "--server", address)
    assert code == 2 and "invalid choice" in err


async def test_describe_names_the_missing_worker(
    address: str, start_worker: StartWorker, client: goblins.Client
) -> None:
    worker = await start_worker(workflows=[p.shopping_cart], activities=[p.note])
    await worker.shutdown()  # the name stays registered; no connected worker hosts it now
    handle = await client.start_workflow("shopping_cart", run_id="cart-1")
    d = await handle.describe()
    assert d.status == "RUNNING" and d.close_time is None
    assert d.reasons == ("no connected worker hosts workflow 'shopping_cart'",)
    code, out, err = await goblins_cli("workflow", "describe", "cart-1", "--server", address)
    assert code == 0, err
    assert "status:    RUNNING" in out and "  - no connected worker hosts workflow 'shopping_cart'" in out
    code, out, err = await goblins_cli("workflow", "describe", "no-such-run", "--server", address)
    assert (code, out) == (2, "") and err.strip() == "goblins: no workflow run with id 'no-such-run'"

    await start_worker(workflows=[p.shopping_cart], activities=[p.note])
    await handle.signal("add", "apple")
    await _until(lambda: _has(handle, "apple"))
    d = await handle.describe()
    assert (d.reasons, d.signals_received, d.signals_waited_for) == ((), ("add",), ("add",))
    code, out, err = await goblins_cli("workflow", "query", "cart-1", "has", "--input", '"apple"', "--server", address)
    assert (code, out) == (0, "true\n"), err
    code, out, err = await goblins_cli("workflow", "query", "cart-1", "items", "--server", address)
    assert (code, out) == (0, '["apple"]\n'), err


async def _has(handle: goblins.WorkflowHandle, item: str) -> bool:
    return bool(await handle.query("has", item))


async def test_describe_shows_the_whole_nondeterminism_error(
    address: str, client: goblins.Client, start_worker: StartWorker
) -> None:
    gate = w.gate("dnd-b")
    v1 = await start_worker(workflows=[w.versioned_v1], activities=[w.step])
    handle = await client.start_workflow("versioned", "dnd")
    await asyncio.wait_for(gate.entered.wait(), 10)
    await v1.shutdown()
    await start_worker(workflows=[w.versioned_v2], activities=[w.step, w.other_step])
    gate.release.set()
    events = await history_with(handle, "WORKFLOW_TASK_FAILED")
    (failed,) = [e for e in events if e.type == "WORKFLOW_TASK_FAILED"]
    assert failed.failure is not None and len(failed.failure.message) > 60  # `show` used to cut it
    d = await handle.describe()
    assert d.status == "RUNNING" and d.workflow_task_failure is not None
    assert d.reasons[0].startswith("workflow task failing since ")
    assert d.reasons[0].endswith(f": {failed.failure.message}")
    assert "NondeterminismError" in d.reasons[0]
    code, out, err = await goblins_cli("workflow", "describe", handle.run_id, "--server", address)
    assert code == 0, err
    assert failed.failure.message in out
    code, out, err = await goblins_cli("workflow", "describe", handle.run_id, "--json", "--server", address)
    assert code == 0, err
    assert json.loads(out)["reasons"] == list(d.reasons)
    code, out, err = await goblins_cli("workflow", "show", handle.run_id, "--wide", "--server", address)
    assert code == 0, err
    assert out.splitlines()[0].startswith("versioned  ") and " RUNNING " in out.splitlines()[0]
    assert failed.failure.message in out


async def test_describe_a_pending_activity_with_its_heartbeat(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[p.checkpointed], activities=[p.resumable])
    handle = await client.start_workflow(p.checkpointed, 10)

    async def beating() -> bool:
        d = await handle.describe()
        return bool(d.pending_activities) and d.pending_activities[0].heartbeat_details is not None

    await _until(beating)
    (a,) = (await handle.describe()).pending_activities
    assert a.name == "resumable" and a.attempt >= 1 and isinstance(a.heartbeat_details, int)
    assert a.last_heartbeat_time is not None
    assert await handle.result(timeout=20) == "done from 3 on attempt 2"


async def test_show_json_and_child_rows(address: str, start_worker: StartWorker, client: goblins.Client) -> None:
    await start_worker(workflows=[p.parent, p.child_double], activities=[p.double_it])
    handle = await client.start_workflow(p.parent, [1, 2], run_id="show-parent")
    await handle.result(timeout=10)
    events = await handle.history()
    code, out, err = await goblins_cli("workflow", "show", "show-parent", "--json", "--server", address)
    assert code == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert [(d["seq"], d["type"]) for d in docs] == [(e.seq, e.type.value) for e in events]
    code, out, err = await goblins_cli("workflow", "show", "show-parent", "--server", address)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("parent  show-parent  COMPLETED  ")
    assert lines[1].startswith("SEQ")
    completed = [line for line in lines if "CHILD_WORKFLOW_COMPLETED" in line]
    children = [e for e in events if e.type == "CHILD_WORKFLOW_COMPLETED"]
    assert len(completed) == len(children) == 3
    for line, e in zip(completed, children, strict=True):
        assert f"run {e.attributes['child_run_id']} → {json.dumps(e.output)}" in line


async def test_a_file_of_the_previous_release_gets_the_new_statuses(tmp_path: pathlib.Path) -> None:
    """Release 0.x stored cancelled, terminated and timed-out runs as FAILED and continued ones
    as COMPLETED: opening its file migrates them once, from each run's end event."""
    path = tmp_path / "old.db"
    server = Server(f"sqlite:///{path}", "127.0.0.1", 0)
    await server.start()
    address = f"127.0.0.1:{server.port}"
    worker = goblins.Worker(
        address,
        workflows=[p.cancellable, p.compensating, p.approval, p.countdown, w.raises],
        activities=[p.slow_note, p.note, w.greet],
    )
    task = asyncio.create_task(worker.run())
    client = await goblins.Client.connect(address, timeout=5)
    try:
        await worker.wait_connected(10)
        expected = await _ended_runs(client)
    finally:
        await client.close()
        await worker.shutdown()
        await asyncio.wait_for(task, 10)
        await server.stop(grace=0)
    with sqlite3.connect(path) as conn:  # as release 0.x left it
        conn.execute("UPDATE runs SET status = 'FAILED' WHERE status IN ('CANCELLED', 'TERMINATED', 'TIMED_OUT')")
        conn.execute("UPDATE runs SET status = 'COMPLETED' WHERE status = 'CONTINUED_AS_NEW'")
        conn.execute("PRAGMA user_version = 0")
    server = Server(f"sqlite:///{path}", "127.0.0.1", 0)
    await server.start()
    try:
        client = await goblins.Client.connect(f"127.0.0.1:{server.port}", timeout=5)
        listed = {r.run_id: r.status for r in await client.list_workflows(limit=100)}
        await client.close()
    finally:
        await server.stop(grace=0)
    assert {run_id: listed[run_id] for run_id in expected} == expected
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
