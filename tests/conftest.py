"""Shared fixtures: an in-process server on loopback over a real SQLite file, workers, a client."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import pytest

import goblins
from goblins.server import Server

StartWorker = Callable[..., Awaitable[goblins.Worker]]


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
