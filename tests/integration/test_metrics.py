"""Prometheus metrics of the server and the worker, scraped over HTTP after a known workload,
and the worker's logs: failures with their stack traces, a lost server reported with back-off
(issue 12, metrics and logs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import urllib.request
from collections.abc import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

import goblins
from goblins.server import Server
from goblins.worker import _reconnect
from tests.conftest import StartWorker
from tests.integration import ops
from tests.integration.test_cli import free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> Samples:
    """Every sample at http://127.0.0.1:port/metrics, by (name, labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        assert resp.status == 200
        text = resp.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(autouse=True)
def _reset() -> None:
    ops.FAILED_ONCE.clear()


@pytest.fixture
async def metered(db_url: str) -> AsyncIterator[Server]:
    srv = Server(db_url, "127.0.0.1", 0, metrics_port=0)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop(grace=0)


async def until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_server_and_worker_metrics_after_a_known_workload(
    metered: Server, caplog: pytest.LogCaptureFixture
) -> None:
    assert metered.metrics is not None and metered.metrics.port
    port = metered.metrics.port
    worker = goblins.Worker(
        f"127.0.0.1:{metered.port}",
        workflows=[ops.greet, ops.crashes_once, ops.refuses, ops.sleeps],
        activities=[ops.flaky],
        metrics_port=0,
    )
    running = asyncio.create_task(worker.run())
    try:
        await worker.wait_connected(timeout=10)
        assert worker.metrics is not None
        samples = await asyncio.to_thread(scrape, port)
        assert value(samples, "goblins_workers_connected") == 1
        async with await goblins.Client.connect(f"127.0.0.1:{metered.port}") as client:
            with caplog.at_level(logging.WARNING, logger="goblins.worker"):
                keys = ["fail-0", "a", "b", "c", "d"]
                handles = [await client.start_workflow(ops.greet, k) for k in keys]
                assert [await h.result(timeout=20) for h in handles] == [k.upper() for k in keys]
                assert await client.execute_workflow(ops.crashes_once, "x", timeout=20) == "x"
                with pytest.raises(goblins.WorkflowFailed):
                    await client.execute_workflow(ops.refuses, "y", timeout=20)
                sleeping = await client.start_workflow(ops.sleeps, 60)
                await sleeping.cancel()
                with pytest.raises(goblins.WorkflowFailed):
                    await sleeping.result(timeout=20)
        samples = await asyncio.to_thread(scrape, port)
        assert value(samples, "goblins_workflows_started_total") == 8
        assert value(samples, "goblins_workflows_finished_total", status="COMPLETED") == 6
        assert value(samples, "goblins_workflows_finished_total", status="FAILED") == 1
        assert value(samples, "goblins_workflows_finished_total", status="CANCELLED") == 1
        assert value(samples, "goblins_activity_attempts_total", activity="flaky", outcome="success") == 5
        assert value(samples, "goblins_activity_attempts_total", activity="flaky", outcome="failure") == 1
        assert value(samples, "goblins_workflow_task_failures_total", workflow="crashes_once") == 1
        assert value(samples, "goblins_commit_seconds_count") >= 1
        assert value(samples, "goblins_batch_events_sum") >= 8 * 4  # at least scheduled, started, ... per run
        # 8 runs' first tasks, 1 retried task, 5 runs woken by their activity, 1 by its cancel.
        assert value(samples, "goblins_schedule_to_start_seconds_count", kind="workflow") >= 15
        assert value(samples, "goblins_schedule_to_start_seconds_count", kind="activity") == 6
        assert value(samples, "goblins_runs_open") == 0
        assert value(samples, "goblins_workers_connected") == 1

        w = await asyncio.to_thread(scrape, worker.metrics.port)
        assert value(w, "goblins_activity_seconds_count", activity="flaky") == 6
        assert value(w, "goblins_worker_slots_used", kind="activity") == 0
        assert value(w, "goblins_worker_slots_max", kind="workflow") == 100
        assert value(w, "goblins_worker_connected") == 1

        # The worker's log: the failed attempt at WARNING with its stack, the failed task at ERROR.
        attempts = [r for r in caplog.records if "activity 'flaky' attempt 1" in r.getMessage()]
        assert len(attempts) == 1 and attempts[0].levelno == logging.WARNING
        assert "first attempt of fail-0 fails" in attempts[0].getMessage()
        assert "Traceback" in attempts[0].getMessage() or 'File "' in attempts[0].getMessage()
        assert getattr(attempts[0], "run_id", "") == handles[0].run_id
        tasks = [r for r in caplog.records if r.name == "goblins.worker" and "workflow task of" in r.getMessage()]
        assert len(tasks) == 1 and tasks[0].levelno == logging.ERROR
        assert "a bug in the workflow code" in tasks[0].getMessage() and 'File "' in tasks[0].getMessage()
    finally:
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 10)
    assert worker.metrics is None  # its endpoint closed with the worker


async def test_slots_in_use_and_open_runs_are_read_when_scraped(metered: Server) -> None:
    assert metered.metrics is not None
    release = asyncio.Event()

    @goblins.activity(name="hold")
    async def hold() -> None:
        await release.wait()

    @goblins.workflow(name="holder")
    async def holder() -> None:
        await goblins.workflow.execute_activity(hold, start_to_close_timeout=30)

    worker = goblins.Worker(f"127.0.0.1:{metered.port}", workflows=[holder], activities=[hold], metrics_port=0)
    running = asyncio.create_task(worker.run())
    try:
        await worker.wait_connected(timeout=10)
        assert worker.metrics is not None
        async with await goblins.Client.connect(f"127.0.0.1:{metered.port}") as client:
            handles = [await client.start_workflow(holder) for _ in range(3)]
            await until(lambda: worker.free_slots()["activities"] == 97, 10, "three attempts to run")
            w = await asyncio.to_thread(scrape, worker.metrics.port)
            assert value(w, "goblins_worker_slots_used", kind="activity") == 3
            s = await asyncio.to_thread(scrape, metered.metrics.port)
            assert value(s, "goblins_runs_open") == 3
            release.set()
            for h in handles:
                await h.result(timeout=10)
    finally:
        release.set()
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 10)


async def test_without_a_metrics_port_the_hot_path_has_no_hooks(server: Server) -> None:
    assert server.metrics is None and server.loop is not None and server.loop.metrics is None
    dispatcher = getattr(server.loop.queue, "dispatcher", None)
    assert dispatcher is not None and dispatcher.on_dispatch is None


async def test_a_worker_reports_a_lost_server_with_growing_intervals(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_reconnect, "RECONNECT_LOG_FIRST", 0.4)
    worker = goblins.Worker(f"127.0.0.1:{free_port()}", activities=[ops.flaky])  # nothing listens there
    with caplog.at_level(logging.DEBUG, logger="goblins.worker"):
        running = asyncio.create_task(worker.run())
        await asyncio.sleep(3.2)
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 10)
    lost = [r for r in caplog.records if "unavailable" in r.getMessage()]
    warnings = [r for r in lost if r.levelno == logging.WARNING]
    # Attempts go on about every second (after 0.05, 0.1, ... 1 s); warnings at 0, 0.4, 1.2, 2.8 s.
    assert len(lost) >= 6, [r.getMessage() for r in lost]
    assert 2 <= len(warnings) <= 4, [r.getMessage() for r in warnings]
    assert "still unavailable after" in warnings[-1].getMessage()
    assert len(warnings) < len(lost)


async def test_an_attempt_failing_in_an_activity_process_is_logged_with_its_stack(
    client: goblins.Client, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    await start_worker(workflows=[ops.calls_breaks], activities=[ops.breaks], activity_executor="process")
    with caplog.at_level(logging.WARNING, logger="goblins.worker"):
        with pytest.raises(goblins.WorkflowFailed) as failed:
            await client.execute_workflow(ops.calls_breaks, "gear", timeout=30)
    logged = [r.getMessage() for r in caplog.records if "activity 'breaks' attempt 1" in r.getMessage()]
    assert len(logged) == 1 and "ValueError: gear is broken" in logged[0]
    assert 'ops.py", line' in logged[0]  # the child process's traceback, not the worker's
    assert "gear is broken" in str(failed.value)
