"""Payloads are checked where they enter: a bad one is refused at the call, never recorded (issue 10)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

import goblins
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.server import Server
from tests.conftest import StartWorker
from tests.integration import payloads as p


@pytest.fixture
async def server(db_url: str) -> AsyncIterator[Server]:
    srv = Server(db_url, "127.0.0.1", 0, max_payload_bytes=p.BIG)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop(grace=0)


BAD = [
    (b"not json", "not JSON"),
    (b'{"a": 1}', "JSON array"),
    (b"3", "JSON array"),
    (b"\x00\x02{}", '"codec" name'),  # an encoded payload (goblins.codec) whose envelope is wrong
]


def calls(stub: Any, payload: bytes) -> list[tuple[str, Any]]:
    return [
        ("start", stub.StartWorkflow(pb.StartWorkflowRequest(workflow_name="w", input=payload))),
        ("signal", stub.Signal(pb.SignalWorkflow(run_id="r", name="s", input=payload))),
        ("query", stub.Query(pb.QueryRequest(run_id="r", name="q", input=payload))),
    ]


@pytest.mark.parametrize(("payload", "why"), BAD, ids=["not-json", "object", "number", "bad-envelope"])
async def test_a_payload_that_is_not_an_argument_list_is_refused_naming_the_field(
    address: str, payload: bytes, why: str
) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        for verb, call in calls(stub, payload):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, verb
            details = info.value.details() or ""
            assert "input" in details and why in details, (verb, details)


async def failed_task(handle: goblins.WorkflowHandle) -> goblins.events.Event:
    async def poll() -> goblins.events.Event:
        while True:
            for e in await handle.history():
                if e.type.name == "WORKFLOW_TASK_FAILED":
                    return e
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(poll(), 10)


async def test_a_client_payload_over_the_limit_is_refused_naming_the_argument_and_the_limit(address: str) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        for verb, call in calls(stub, b'["' + b"x" * p.BIG + b'"]'):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, verb
            details = info.value.details() or ""
            assert "input is too big" in details and f"at most {p.BIG}" in details, (verb, details)


async def test_an_activity_result_over_the_limit_fails_that_attempt(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[p.calls_big_result], activities=[p.big_result])
    handle = await client.start_workflow(p.calls_big_result, 2 * p.BIG)
    outcome = await handle.result(timeout=15)
    assert outcome.startswith("PayloadTooLarge") and f"at most {p.BIG}" in outcome
    assert await (await client.start_workflow(p.calls_big_result, 10)).result(timeout=15) == "x" * 10


async def test_a_workflow_command_over_the_limit_fails_its_workflow_task(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[p.returns])
    handle = await client.start_workflow(p.returns, 2 * p.BIG)
    event = await failed_task(handle)
    assert "output is too big" in event.failure.message and f"at most {p.BIG}" in event.failure.message


async def test_a_history_over_the_limit_takes_no_new_step_but_may_end_the_run(
    server: Server, client: goblins.Client, start_worker: StartWorker
) -> None:
    assert server.loop is not None
    server.loop.warn_history_events, server.loop.max_history_events = 4, 8
    await start_worker(workflows=[p.many_steps], activities=[p.one])
    assert await (await client.start_workflow(p.many_steps, 1)).result(timeout=10) == 1  # a short run is untouched
    handle = await client.start_workflow(p.many_steps, 10)
    event = await failed_task(handle)
    assert "at most 8" in event.failure.message and "continue as new" in event.failure.message


async def test_the_client_refuses_a_payload_no_message_can_carry_before_sending(client: goblins.Client) -> None:
    huge = "x" * (64 * 1024 * 1024)
    with pytest.raises(goblins.GoblinsError, match="input is too big"):
        await client.start_workflow(p.returns, huge)
    with pytest.raises(goblins.GoblinsError, match="input is too big"):
        await client.get_workflow_handle("r").signal("s", huge)


async def test_heartbeat_details_over_the_limit_are_dropped(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[p.checkpoints], activities=[p.big_checkpoint])
    assert await (await client.start_workflow(p.checkpoints)).result(timeout=15) is True
