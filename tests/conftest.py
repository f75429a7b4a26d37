"""Shared fixtures: an in-process server on loopback over a real SQLite file, workers, a client.

Also the choice of deployment modes for the tests that run against real services. The
embedded mode always runs. The distributed mode runs when GOBLINS_TEST_KAFKA and
GOBLINS_TEST_CASSANDRA (HOST:PORT; `scripts/test` sets both) are set; without them its tests
are skipped with that reason in the summary, and with them an unreachable service fails the
tests. GOBLINS_MODES (embedded[,distributed]), when set, decides instead: a distributed mode
it asks for without the variables is an error, not a skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

import pytest

import goblins
from goblins.server import Server
from tests.tiers import Tiers, in_tier_order

StartWorker = Callable[..., Awaitable[goblins.Worker]]

KAFKA = os.environ.get("GOBLINS_TEST_KAFKA", "")
CASSANDRA = os.environ.get("GOBLINS_TEST_CASSANDRA", "")
MODES = {m.strip() for m in os.environ.get("GOBLINS_MODES", "").split(",") if m.strip()}
# GOBLINS_MODES, when set, decides; else the services' addresses do.
DISTRIBUTED = "distributed" in MODES if MODES else bool(KAFKA and CASSANDRA)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Tiers(config), "goblins-tiers")
    if MODES - {"embedded", "distributed"}:
        raise pytest.UsageError(f"GOBLINS_MODES names unknown modes: {sorted(MODES - {'embedded', 'distributed'})}")
    if DISTRIBUTED and not (KAFKA and CASSANDRA):
        raise pytest.UsageError("GOBLINS_MODES asks for distributed: set GOBLINS_TEST_KAFKA and GOBLINS_TEST_CASSANDRA")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    in_tier_order(items)
    if DISTRIBUTED:
        return
    why = "GOBLINS_MODES leaves it out" if MODES else "set GOBLINS_TEST_KAFKA and GOBLINS_TEST_CASSANDRA"
    skip = pytest.mark.skip(reason=f"distributed mode not requested: {why}")
    for item in items:
        if item.get_closest_marker("distributed"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Keep each phase's report on the test item, for fixtures that dump logs on failure."""
    report: pytest.TestReport = yield
    setattr(item, f"goblins_report_{report.when}", report)
    return report


def run_failed(request: pytest.FixtureRequest) -> bool:
    """In a fixture's teardown: did the test's setup or call fail (or never report)?"""
    call = getattr(request.node, "goblins_report_call", None)
    setup = getattr(request.node, "goblins_report_setup", None)
    return call is None or call.failed or (setup is not None and setup.failed)


@pytest.fixture
def db_url(tmp_path: pathlib.Path) -> str:
    return f"sqlite:///{tmp_path / 'goblins.db'}"


@pytest.fixture
async def server(db_url: str) -> AsyncIterator[Server]:
    srv = Server(db_url, "127.0.0.1", 0)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop(grace=0)


@pytest.fixture
def address(server: Server) -> str:
    return f"127.0.0.1:{server.port}"


@pytest.fixture
async def client(address: str) -> AsyncIterator[goblins.Client]:
    c = await goblins.Client.connect(address, timeout=5)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
async def start_worker(address: str) -> AsyncIterator[StartWorker]:
    """``await start_worker(workflows=[...], activities=[...])``: a connected worker, stopped at teardown."""
    running: list[tuple[goblins.Worker, asyncio.Task[None]]] = []

    async def start(
        workflows: Iterable[Callable[..., Any]] = (), activities: Iterable[Callable[..., Any]] = (), **options: Any
    ) -> goblins.Worker:
        worker = goblins.Worker(address, workflows=workflows, activities=activities, **options)
        task = asyncio.create_task(worker.run())
        running.append((worker, task))
        await worker.wait_connected(timeout=10)
        return worker

    try:
        yield start
    finally:
        for worker, _ in running:
            await worker.shutdown()
        for _, task in running:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)


@pytest.fixture
def spans() -> Iterator[Any]:
    """Spans recorded with the OpenTelemetry SDK's in-memory exporter (tests/tracing_support.py)."""
    from tests import tracing_support

    with tracing_support.recording() as exporter:
        yield exporter
