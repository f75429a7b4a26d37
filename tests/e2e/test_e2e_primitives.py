"""Timers, signals and children across kill -9 of the worker and of the server (in both modes;
each history is also read straight from the store), the CLI controls, and a heartbeat
checkpoint across a worker kill (embedded; the distributed mode has its own lease and
redelivery stories in tests/distributed/test_distributed_waits.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import (
    SCHEDULED,
    SUCCESS,
    Cluster,
    async_wait_until,
    check_clean,
    counts,
    pids_of,
    texts,
    wait_history,
)

pytestmark = pytest.mark.e2e


@pytest.mark.both_modes
async def test_timer_survives_worker_kill_and_server_restart(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    worker = cluster.start_worker("wf_primitives")
    async with await cluster.client() as client:
        handle = await client.start_workflow("sleepy", str(log), 4.0)
        await wait_history(handle, lambda types: "TIMER_STARTED" in types, "the timer to start", cluster.patience)
        killed_at = time.time()
        worker.kill9()  # the run sleeps with no worker at all
        cluster.kill_server()
        cluster.start_server()  # the timer is in the store: the restarted server fires it
        t0 = time.monotonic()
        second = cluster.start_worker("wf_primitives")
        assert await handle.result(timeout=cluster.recovery) == ["before", "after"]
        events = await handle.history()
    stored = cluster.stored_events(handle.run_id)
    check_clean(stored)
    found = counts(stored)
    assert found.get("TIMER_STARTED") == 1 and found.get("TIMER_FIRED") == 1, f"timer events: {found}"
    assert texts(log) == ["before", "after"], "a finished step ran again"
    assert pids_of(log) == {"before": [worker.pid], "after": [second.pid]}
    started = next(e for e in events if e.type.value == "TIMER_STARTED")
    fired = next(e for e in events if e.type.value == "TIMER_FIRED")
    fire_at = started.attributes["fire_at"]
    assert killed_at < fire_at, "the timer was due before the kill: the test proved nothing"
    assert fired.time >= fire_at - 0.01, "the timer fired early"
    measure(
        f"{cluster.mode} timer across worker kill + server restart: fired {fired.time - fire_at:.2f}s "
        f"after due; run done {time.monotonic() - t0:.2f}s after the new worker started"
    )


@pytest.mark.both_modes
async def test_signal_wait_survives_kills_and_cli_controls(cluster: Cluster, tmp_path: Path) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    worker = cluster.start_worker("wf_primitives")
    async with await cluster.client() as client:
        handle = await client.start_workflow("approve", str(log))
        # Stored, so that a worker killed after it rightly runs nothing again.
        await wait_history(handle, lambda types: SUCCESS in types, "the first step to be stored", cluster.patience)
        worker.kill9()
        cluster.kill_server()
        cluster.start_server()
        # Through the CLI (a separate process), while no worker is alive.
        sent = cluster.cli("workflow", "signal", handle.run_id, "approve", "--input", '"ada"')
        assert sent.returncode == 0, sent.stderr
        second = cluster.start_worker("wf_primitives")
        assert await handle.result(timeout=cluster.recovery) == "approved by ada"
        assert texts(log) == ["waiting", "approved by ada"], "a step ran again"
        assert pids_of(log)["approved by ada"] == [second.pid]

        other = await client.start_workflow("approve", str(tmp_path / "other.log"))
        cancelled = cluster.cli("workflow", "cancel", other.run_id, "--reason", "no longer needed")
        assert cancelled.returncode == 0, cancelled.stderr
        result = cluster.cli("workflow", "result", other.run_id, "--timeout", str(cluster.patience))
        assert result.returncode == 3 and "cancelled" in result.stderr, result.stderr
        late = cluster.cli("workflow", "signal", other.run_id, "approve")
        assert late.returncode == 2 and "already finished" in late.stderr and "Traceback" not in late.stderr
        show = cluster.cli("workflow", "show", handle.run_id)
        assert "WORKFLOW_SIGNALED" in show.stdout and "approve" in show.stdout
    stored = cluster.stored_events(handle.run_id)
    check_clean(stored)
    found = counts(stored)
    assert found.get("WORKFLOW_SIGNALED") == 1, f"signal events: {found}"
    assert found.get(SCHEDULED) == 2 and found.get(SUCCESS) == 2


@pytest.mark.both_modes
async def test_children_survive_kills(cluster: Cluster, tmp_path: Path) -> None:
    log = tmp_path / "marks.log"
    cluster.start_server()
    worker = cluster.start_worker("wf_primitives")
    async with await cluster.client() as client:
        parent = await client.start_workflow("family", str(log))
        await wait_history(
            parent, lambda types: types.count("CHILD_WORKFLOW_STARTED") == 2, "both children to start", cluster.patience
        )
        children = [
            e.attributes["child_run_id"] for e in await parent.history() if e.type.value == "CHILD_WORKFLOW_STARTED"
        ]
        for child in children:
            await wait_history(
                client.get_workflow_handle(child), lambda types: SUCCESS in types, f"{child} to wait", cluster.patience
            )
        worker.kill9()
        cluster.kill_server()
        cluster.start_server()
        for i, child in enumerate(children):
            sent = cluster.cli("workflow", "signal", child, "approve", "--input", f'"n{i}"')
            assert sent.returncode == 0, sent.stderr
        cluster.start_worker("wf_primitives")
        assert await parent.result(timeout=cluster.recovery) == ["child a approved by n0", "child b approved by n1"]
    stored = cluster.stored_events(parent.run_id)
    check_clean(stored)
    found = counts(stored)
    assert found.get("CHILD_WORKFLOW_STARTED") == 2 and found.get("CHILD_WORKFLOW_COMPLETED") == 2, found
    assert sorted(a for _, k, a in stored if k == "CHILD_WORKFLOW_STARTED") == sorted(
        a for _, k, a in stored if k == "CHILD_WORKFLOW_COMPLETED"
    )
    for child in children:  # each child was started once, signalled once, finished once
        child_stored = cluster.stored_events(child)
        check_clean(child_stored)
        child_found = counts(child_stored)
        assert child_found.get("WORKFLOW_SIGNALED") == 1, child_found
        assert child_found.get("WORKFLOW_FINISHED_IN_SUCCESS") == 1, child_found
        assert child_found.get(SCHEDULED) == 2, child_found
    assert sorted(texts(log)) == sorted(
        ["child a waiting", "child b waiting", "child a approved by n0", "child b approved by n1"]
    ), "a finished step ran again"


def counted(path: Path) -> list[int]:
    """The steps `count_to` logged: one "step N" line each, with no pid."""
    return [int(line.split()[1]) for line in path.read_text().splitlines()] if path.exists() else []


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
        await async_wait_until(lambda: len(counted(log)) >= 30, 20, "thirty steps")
        first.kill9()
        if server_too:  # the details live in the store now, not only in the server's memory
            cluster.kill_server()
            cluster.start_server()
        cluster.start_worker("wf_primitives")
        result = await handle.result(timeout=30)
    resumed_from = int(result.rsplit(" ", 1)[1])
    assert resumed_from >= 15, f"the new worker did not resume from the checkpoint: {result}"
    steps = counted(log)
    assert sorted(set(steps)) == list(range(50))
    assert len(steps) - 50 <= 20, "more than the steps since the last heartbeat ran twice"
