"""Client calls have deadlines: a server that never answers is an error, not a hang (issue 10 item 7)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

import goblins
from goblins.api.v1 import service_pb2_grpc as pb_grpc


class Hung(pb_grpc.GoblinsServicer):
    """Takes every call and never answers (as a server wedged on its store would)."""

    async def StartWorkflow(self, request: Any, context: Any) -> Any:
        await asyncio.sleep(3600)

    async def Signal(self, request: Any, context: Any) -> Any:
        await asyncio.sleep(3600)

    async def ListWorkflows(self, request: Any, context: Any) -> Any:
        await asyncio.sleep(3600)

    async def ClientSession(self, request_iterator: Any, context: Any) -> AsyncIterator[Any]:
        async for _ in request_iterator:
            pass
        await asyncio.sleep(3600)
        yield


@pytest.fixture
async def hung() -> AsyncIterator[str]:
    server = grpc.aio.server()
    pb_grpc.add_GoblinsServicer_to_server(Hung(), server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def test_a_hung_server_fails_each_call_at_its_deadline(hung: str) -> None:
    async with await goblins.Client.connect(hung, call_timeout=0.5) as client:
        for call, limit in [
            (client.start_workflow("w"), 0.5),
            (client.get_workflow_handle("r").signal("s"), 0.5),
            (client.list_workflows(timeout=0.3), 0.3),
            (client.start_workflow("w", timeout=0.2), 0.2),
        ]:
            t0 = time.monotonic()
            with pytest.raises(goblins.GoblinsError, match=r"no answer to \w+ within"):
                await asyncio.wait_for(call, 10)
            assert limit <= time.monotonic() - t0 < limit + 2


async def test_call_timeout_is_checked() -> None:
    with pytest.raises(ValueError, match="call_timeout"):
        await goblins.Client.connect("127.0.0.1:1", call_timeout=0)
