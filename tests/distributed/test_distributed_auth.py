"""Distributed mode with ``goblins server --auth``: workers reach their tasks through Kafka, but
GetClusterInfo, Register, CheckTasks, GetHistory and AnswerQuery go to the server with the
worker's token; a worker limited to names is refused at Register."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from distributed_support import DistributedCluster

import goblins
from tests.integration import primitives as p
from tests.integration import workflows as w
from tests.integration.test_auth import add_token


async def test_roles_hold_in_the_distributed_mode(dcluster: DistributedCluster, tmp_path: Path) -> None:
    path = tmp_path / "auth.toml"
    client_token = add_token(path, "client", "--name", "shop")
    worker_token = add_token(path, "worker", "--name", "workers")
    limited = add_token(path, "worker", "--name", "limited", "--workflows", "greeting", "--activities", "greet")
    dcluster.start_server(env={"GOBLINS_AUTH": str(path)})
    worker = goblins.Worker(
        dcluster.address,
        workflows=[w.greeting, p.shopping_cart],
        activities=[w.greet, p.note],
        token=worker_token,
    )
    running = asyncio.create_task(worker.run())
    try:
        await worker.wait_connected(timeout=60)
        async with await goblins.Client.connect(dcluster.address, token=client_token) as client:
            assert await client.execute_workflow(w.greeting, "kafka", timeout=60) == "Hello kafka"
            cart = await client.start_workflow(p.shopping_cart)
            await cart.signal("add", "apple")
            await cart.signal("add", "checkout")
            assert await cart.result(timeout=60) == ["apple"]
            assert await cart.query("items") == ["apple"]  # answered with the worker's token
        async with await goblins.Client.connect(dcluster.address, token="") as anonymous:
            with pytest.raises(goblins.Unauthenticated):
                await anonymous.list_workflows()
    finally:
        await worker.shutdown()
        await asyncio.wait_for(running, 30)
    other = goblins.Worker(dcluster.address, workflows=[w.greeting, w.checkout], activities=[w.greet], token=limited)
    with pytest.raises(goblins.PermissionDenied, match="may not register workflow 'checkout'"):
        await asyncio.wait_for(other.run(), 30)
