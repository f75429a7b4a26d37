"""The distributed mode end to end: servers on real Kafka and Cassandra, workers consuming
the task topics as one consumer group, kill -9 of servers, broker and database restarts
mid-run. The stories both modes share (the examples, a worker or server kill -9 mid-run) are
in tests/e2e, marked both_modes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from distributed_support import DistributedCluster
from e2e_support import (
    async_wait_until,
    check_steps_history,
    expected_totals,
    read_lines,
)

import goblins

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]

STEPS = 30


def report(line: str) -> None:
    print(line)


async def test_two_workers_share_the_load(dcluster: DistributedCluster, tmp_path: Path) -> None:
    log = tmp_path / "hold.log"
    dcluster.start_server()
    first = dcluster.start_worker("wf_steps")
    second = dcluster.start_worker("wf_steps")
    # Both in the consumer group before any task exists (fast runs could otherwise all finish
    # on the first worker while the group still rebalances).
    await async_wait_until(lambda: "task partitions assigned" in second.text(), 60, "the second worker's partitions")
    async with await dcluster.client() as client:
        handles = [await client.start_workflow("fan_out", str(log), f"r{i}", 2, 0.2) for i in range(24)]
        results = await asyncio.gather(*(h.result(timeout=90) for h in handles))
    assert all(len(r) == 2 for r in results)
    pids = {int(fields[2]) for fields in read_lines(log)}
    assert pids == {first.pid, second.pid}, f"activities ran in {pids}"


async def test_two_servers_clients_on_either_one_killed(dcluster: DistributedCluster, tmp_path: Path) -> None:
    log = tmp_path / "hold.log"
    dcluster.start_server()
    other, other_address = dcluster.start_other_server()
    dcluster.start_worker("wf_steps")
    async with await dcluster.client() as a, await goblins.Client.connect(other_address) as b:
        await async_wait_until(
            lambda: all(dcluster.owns_partitions(p) for p in dcluster.servers.values()),
            60,
            "both servers to own partitions",
        )
        handles = [await (a if i % 2 else b).start_workflow("fan_out", str(log), f"r{i}", 3, 0.3) for i in range(20)]
        # Results are read through the other server than the one that started the run.
        first = await asyncio.gather(*(b.get_workflow_handle(h.run_id).result(timeout=90) for h in handles[:10]))
        assert all(len(r) == 3 for r in first)
        more = [await b.start_workflow("fan_out", str(log), f"s{i}", 3, 0.5) for i in range(10)]
        other.kill9()  # the survivor takes over its partitions and resumes its runs
        rest = await asyncio.gather(
            *(a.get_workflow_handle(h.run_id).result(timeout=120) for h in [*handles[10:], *more])
        )
    assert all(len(r) == 3 for r in rest)


@pytest.mark.parametrize("service", ["kafka", "cassandra"])
async def test_service_restart_mid_run(
    dcluster: DistributedCluster, tmp_path: Path, service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "steps.log"
    dcluster.start_server()
    dcluster.start_worker("wf_steps")
    count, runs = 8, 6
    async with await dcluster.client() as client:
        handles = [await client.start_workflow("steps", str(log), f"r{i}", count) for i in range(runs)]
        await async_wait_until(lambda: len(read_lines(log)) >= 10, 60, "some steps to run")
        t0 = time.monotonic()
        dcluster.services("restart", service)
        restart = time.monotonic() - t0
        results = await asyncio.gather(*(h.result(timeout=180) for h in handles))
        histories = [await h.history() for h in handles]
    assert all(r == expected_totals(count) for r in results)
    for h, events in zip(handles, histories, strict=True):
        check_steps_history(events, h.run_id, count)  # no duplicate events, one success per step
    report(f"{service} restart took {restart:.1f}s; {runs} runs completed with clean histories")


def test_setup_is_idempotent_and_the_server_says_what_is_missing(dcluster: DistributedCluster) -> None:
    again = dcluster.cli("setup", "kafka", "--kafka", dcluster.kafka, "--namespace", dcluster.namespace)
    assert again.returncode == 0 and "exists" in again.stdout
    again = dcluster.cli("setup", "cassandra", "--cassandra", dcluster.cassandra, "--keyspace", dcluster.namespace)
    assert again.returncode == 0, again.stderr
    missing = dcluster.cli(
        "server",
        "--port",
        "0",
        "--store",
        dcluster.store_url,
        "--broker",
        f"kafka://{dcluster.kafka}/nosuchns",
        timeout=60,
    )
    assert missing.returncode == 2
    assert "lacks topics nosuchns.events" in missing.stderr and "goblins setup kafka" in missing.stderr
    assert "Traceback" not in missing.stderr
    missing = dcluster.cli(
        "server",
        "--port",
        "0",
        "--store",
        f"cassandra://{dcluster.cassandra}/nosuchks",
        "--broker",
        dcluster.broker_url,
        timeout=60,
    )
    assert missing.returncode == 2
    assert "goblins setup cassandra" in missing.stderr and "Traceback" not in missing.stderr


async def test_timer_signal_and_cancel_in_the_distributed_mode(dcluster: DistributedCluster, tmp_path: Path) -> None:
    log = tmp_path / "marks.log"
    dcluster.start_server()
    _, other_address = dcluster.start_other_server()
    worker = dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client, await goblins.Client.connect(other_address) as other:
        sleepy = await client.start_workflow("sleepy", str(log), 2.0)
        approve = await client.start_workflow("approve", str(tmp_path / "approve.log"))
        await async_wait_until(lambda: "before" in log.read_text() if log.exists() else False, 60, "the first step")
        worker.kill9()
        dcluster.kill_server()  # the timer is a row in Cassandra; the surviving server takes it over
        dcluster.start_worker("wf_primitives", "--server", f"{dcluster.address},{other_address}", wait=False)
        await other.get_workflow_handle(approve.run_id).signal("approve", "grace")  # through the other server
        assert await other.get_workflow_handle(sleepy.run_id).result(timeout=120) == ["before", "after"]
        assert await other.get_workflow_handle(approve.run_id).result(timeout=120) == "approved by grace"
        events = await other.get_workflow_handle(sleepy.run_id).history()
        assert [e.type.value for e in events].count("TIMER_FIRED") == 1
        third = await other.start_workflow("approve", str(tmp_path / "third.log"))
        await other.get_workflow_handle(third.run_id).cancel()
        with pytest.raises(goblins.WorkflowCancelled):
            await third.result(timeout=120)


async def test_child_workflows_across_partitions(dcluster: DistributedCluster, tmp_path: Path) -> None:
    dcluster.start_server()
    _, other_address = dcluster.start_other_server()
    dcluster.start_worker("wf_primitives", "--server", f"{dcluster.address},{other_address}")
    async with await dcluster.client() as client, await goblins.Client.connect(other_address) as other:
        parents = [await client.start_workflow("family", str(tmp_path / f"{i}.log")) for i in range(3)]

        async def children_of(handle: goblins.WorkflowHandle) -> list[str]:
            try:  # a just-started run is recorded by its owner a moment after the start returns
                history = await other.get_workflow_handle(handle.run_id).history()
            except goblins.WorkflowNotFound:
                return []
            return [e.attributes["child_run_id"] for e in history if e.type.value == "CHILD_WORKFLOW_STARTED"]

        children: list[str] = []
        for handle in parents:
            for _ in range(300):
                found = await children_of(handle)
                if len(found) == 2:
                    children += found
                    break
                await asyncio.sleep(0.1)
        assert len(children) == 6
        dcluster.kill_server()  # children and parents live in partitions of both servers
        for child in children:
            await other.get_workflow_handle(child).signal("approve", "x")
        results = [await other.get_workflow_handle(h.run_id).result(timeout=120) for h in parents]
    assert results == [["child a approved by x", "child b approved by x"]] * 3


async def test_queries_heartbeats_and_continue_as_new_distributed(dcluster: DistributedCluster, tmp_path: Path) -> None:
    dcluster.start_server()
    _, other_address = dcluster.start_other_server()
    dcluster.start_worker("wf_primitives", "--server", f"{dcluster.address},{other_address}")
    async with await dcluster.client() as client, await goblins.Client.connect(other_address) as other:
        started = await client.start_workflow("cart")
        handle = other.get_workflow_handle(started.run_id)
        await handle.signal("add", "apple")
        for _ in range(200):  # the query is answered through the other server
            if await handle.query("items") == ["apple"]:
                break
            await asyncio.sleep(0.05)
        assert await handle.query("items") == ["apple"]
        await handle.signal("add", "checkout")
        assert await started.result(timeout=60) == ["apple"]

        resumed = await client.execute_workflow("resume", str(tmp_path), timeout=60)
        assert resumed == "attempt 2 resumed at 7"
        assert await other.execute_workflow("rounds", 3, timeout=60) == 42
        # The run's owner times out an attempt that stops heartbeating, and retries it.
        assert await client.execute_workflow("stalling", timeout=60) == "attempt 2 after halfway"


@pytest.mark.parametrize(
    ("workflow", "arg", "expected"), [("rounds", 1, 42), ("doubling_parent", 20, 41)], ids=["continuation", "child"]
)
async def test_reports_to_other_runs_survive_a_crash_between_commit_and_delivery(
    dcluster: DistributedCluster, workflow: str, arg: int, expected: int
) -> None:
    """The server dies right after it stores a run's end and before the report that end owes
    another run is produced (the start of its continuation; the news to its parent). The run
    stays listed as active until that report is delivered, so the restarted server resends it."""
    crashing = dcluster.start_server(env={"GOBLINS_TEST_CRASH_AFTER_COMMIT": "WORKFLOW_FINISHED_IN_SUCCESS"})
    dcluster.start_worker("wf_primitives")
    async with await dcluster.client() as client:
        handle = await client.start_workflow(workflow, arg)
        await async_wait_until(lambda: not crashing.alive, 60, "the server to die after storing a run's end")
        assert "dying before delivery" in crashing.text()
        t0 = time.monotonic()
        dcluster.start_server()
        assert await handle.result(timeout=120) == expected
    report(f"distributed {workflow}: the owed report was resent {time.monotonic() - t0:.1f}s after the restart")
