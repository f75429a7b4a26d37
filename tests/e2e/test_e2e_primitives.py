"""Timers and signals across kill -9 of the worker and of the server, and the CLI controls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import Cluster, async_wait_until

import goblins

pytestmark = pytest.mark.e2e


def marks(path: Path) -> list[str]:
    return [line.split(":")[0] for line in path.read_text().splitlines()] if path.exists() else []


async def first_step_stored(handle: goblins.WorkflowHandle) -> None:
    """Until the run's first activity result is stored: a worker killed before that would
    rightly run the step again (at least once), and the tests check that nothing stored reruns."""
    for _ in range(400):
        if any(e.type.value == "ACTIVITY_FINISHED_IN_SUCCESS" for e in await handle.history()):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the first step of {handle.run_id} was not stored within 8 s")


async def test_timer_survives_worker_kill_and_server_restart(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    worker = cluster.start_worker("wf_primitives")
    async with await cluster.client() as client:
        handle = await client.start_workflow("sleepy", str(log), 3.0)
        await async_wait_until(lambda: marks(log) == ["before"], 20, "the first step")

        async def timer_started() -> bool:
            return any(e.type.value == "TIMER_STARTED" for e in await handle.history())

        for _ in range(200):
            if await timer_started():
                break
            await asyncio.sleep(0.02)
        worker.kill9()  # the run sleeps with no worker at all
        cluster.kill_server()
        cluster.start_server()  # the timer is in the store: the restarted server fires it
        t0 = time.monotonic()
        cluster.start_worker("wf_primitives")
        assert await handle.result(timeout=30) == ["before", "after"]
        events = await handle.history()
    types = [e.type.value for e in events]
    assert types.count("TIMER_STARTED") == 1 and types.count("TIMER_FIRED") == 1
    assert marks(log) == ["before", "after"], "a finished step ran again"
    started = next(e for e in events if e.type.value == "TIMER_STARTED")
    fired = next(e for e in events if e.type.value == "TIMER_FIRED")
    assert fired.timestamp >= started.fire_at - 0.01, "the timer fired early"
    measure(
        f"timer across worker kill + server restart: fired {fired.timestamp - started.fire_at:.2f}s after due; "
        f"run done {time.monotonic() - t0:.2f}s after the new worker started"
    )


async def test_signal_wait_survives_kills_and_cli_controls(cluster: Cluster, tmp_path: Path) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    worker = cluster.start_worker("wf_primitives")
    async with await cluster.client() as client:
        handle = await client.start_workflow("approve", str(log))
        await async_wait_until(lambda: marks(log) == ["waiting"], 20, "the first step")
        await first_step_stored(handle)
        worker.kill9()
        cluster.kill_server()
        cluster.start_server()
        sent = cluster.cli("workflow", "signal", handle.run_id, "approve", "--input", '"ada"')
        assert sent.returncode == 0, sent.stderr
        cluster.start_worker("wf_primitives")
        assert await handle.result(timeout=30) == "approved by ada"
        assert marks(log) == ["waiting", "approved by ada"]

        other = await client.start_workflow("approve", str(tmp_path / "other.log"))
        cancelled = cluster.cli("workflow", "cancel", other.run_id, "--reason", "no longer needed")
        assert cancelled.returncode == 0, cancelled.stderr
        result = cluster.cli("workflow", "result", other.run_id, "--timeout", "20")
        assert result.returncode == 3 and "cancelled" in result.stderr, result.stderr
        late = cluster.cli("workflow", "signal", other.run_id, "approve")
        assert late.returncode == 2 and "already finished" in late.stderr and "Traceback" not in late.stderr
        show = cluster.cli("workflow", "show", handle.run_id)
        assert "WORKFLOW_SIGNALED" in show.stdout and "approve" in show.stdout


async def test_children_survive_kills(cluster: Cluster, tmp_path: Path) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    worker = cluster.start_worker("wf_primitives")
    async with await cluster.client() as client:
        parent = await client.start_workflow("family", str(log))
        await async_wait_until(lambda: len(marks(log)) == 2, 20, "both children to wait")
        children = [e.child_run_id for e in await parent.history() if e.type.value == "CHILD_WORKFLOW_STARTED"]
        assert len(children) == 2
        for child in children:
            await first_step_stored(client.get_workflow_handle(child))
        worker.kill9()
        cluster.kill_server()
        cluster.start_server()
        for i, child in enumerate(children):
            sent = cluster.cli("workflow", "signal", child, "approve", "--input", f'"n{i}"')
            assert sent.returncode == 0, sent.stderr
        cluster.start_worker("wf_primitives")
        assert await parent.result(timeout=30) == ["child a approved by n0", "child b approved by n1"]
        types = [e.type.value for e in await parent.history()]
    assert types.count("CHILD_WORKFLOW_STARTED") == 2 and types.count("CHILD_WORKFLOW_COMPLETED") == 2
    assert sorted(marks(log)) == sorted(
        ["child a waiting", "child b waiting", "child a approved by n0", "child b approved by n1"]
    ), "a finished step ran again"


@pytest.mark.parametrize("server_too", [False, True], ids=["worker-kill", "worker-and-server-kill"])
async def test_heartbeat_checkpoint_survives_worker_kill(cluster: Cluster, tmp_path: Path, server_too: bool) -> None:
    """The attempt in flight dies with its worker (and, in the second case, the server too): the
    redelivered attempt starts from the newest details the server had stored, not from 0."""
    log = tmp_path / "marks.log"
    cluster.start_server()
    first = cluster.start_worker("wf_primitives")
    async with await cluster.client() as client:
        handle = await client.start_workflow("counting", str(log), 50)
        # Heartbeats reach the server every heartbeat_timeout / 3 (1.7 s): wait past two of them.
        await async_wait_until(lambda: len(marks(log)) >= 30, 20, "thirty steps")
        first.kill9()
        if server_too:  # the details live in the store now, not only in the server's memory
            cluster.kill_server()
            cluster.start_server()
        cluster.start_worker("wf_primitives")
        result = await handle.result(timeout=30)
    resumed_from = int(result.rsplit(" ", 1)[1])
    assert resumed_from >= 15, f"the new worker did not resume from the checkpoint: {result}"
    steps = [int(m.split()[1]) for m in marks(log)]
    assert sorted(set(steps)) == list(range(50))
    assert len(steps) - 50 <= 20, "more than the steps since the last heartbeat ran twice"
