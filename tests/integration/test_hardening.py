"""No input, fault or bug in user code stops a worker or wedges a run (issue 10)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest

import goblins
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.server import Server
from tests.conftest import StartWorker
from tests.integration import hardening as h


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    h.CRASH.clear()
    yield
    h.CRASH.clear()


async def first_event(handle: goblins.WorkflowHandle, event_type: str, timeout: float = 10) -> goblins.events.Event:
    async def poll() -> goblins.events.Event:
        while True:
            for e in await handle.history():
                if e.type.name == event_type:
                    return e
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(poll(), timeout)


@pytest.mark.parametrize("crash", [KeyboardInterrupt, SystemExit, h.Fatal])
async def test_a_base_exception_in_workflow_code_fails_its_task_and_the_worker_lives(
    client: goblins.Client, start_worker: StartWorker, crash: type[BaseException]
) -> None:
    h.CRASH.append(crash)
    await start_worker(workflows=[h.crashing])
    handle = await client.start_workflow(h.crashing, 1)
    failed = await first_event(handle, "WORKFLOW_TASK_FAILED")
    assert crash.__name__ in failed.failure.message
    h.CRASH.clear()  # the fix is deployed: the task's retry finishes the run on the same worker
    assert await handle.result(timeout=15) == 2


def test_describing_an_error_never_fails() -> None:
    class Bad(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert goblins.errors.describe(h.Unprintable("x"))[0] == "Unprintable"
    assert "could not be read" in goblins.errors.describe(h.Unprintable("x"))[1]
    name, text = goblins.errors.describe(Bad())
    assert name == "Bad" and text.startswith("Bad: (its message could not be read)")


async def test_an_activity_error_that_cannot_be_described_is_still_reported_once(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[h.calls_unprintable], activities=[h.unprintable_activity])
    handle = await client.start_workflow(h.calls_unprintable)
    assert await handle.result(timeout=10) == "Unprintable"
    errors = [e for e in await handle.history() if e.type.name == "ACTIVITY_FINISHED_IN_ERROR"]
    assert len(errors) == 1 and "could not be read" in errors[0].failure.message


async def test_a_workflow_error_that_cannot_be_described_fails_the_run_readably(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[h.raises_unprintable])
    handle = await client.start_workflow(h.raises_unprintable)
    with pytest.raises(goblins.WorkflowFailed) as failed:
        await handle.result(timeout=10)
    assert failed.value.error_type == "Unprintable" and "could not be read" in failed.value.error


@pytest.mark.parametrize("body", [b"\xff\xff\xff", b"\x0a\x02\xff\xfe"], ids=["corrupt", "bad-utf8"])
async def test_a_request_that_does_not_decode_is_invalid_argument(address: str, body: bytes) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.unary_unary(
            "/goblins.api.v1.Goblins/StartWorkflow", request_serializer=lambda b: b, response_deserializer=lambda b: b
        )
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await call(body, timeout=5)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "does not decode" in (info.value.details() or "")


async def test_numbers_and_sizes_are_refused_over_grpc_naming_the_argument(address: str) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        calls = [
            (
                stub.StartWorkflow(pb.StartWorkflowRequest(workflow_name="w", execution_timeout=math.nan)),
                "execution_timeout",
            ),
            (stub.GetResult(pb.GetResultRequest(run_id="r", wait=math.nan)), "wait"),
            (stub.ListWorkflows(pb.ListWorkflowsRequest(limit=-1)), "limit"),
            (stub.Signal(pb.SignalWorkflow(run_id="r", name="n" * 1001)), "name"),
        ]
        for call, argument in calls:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, argument
            assert argument in (info.value.details() or ""), argument


def test_a_huge_error_message_is_cut_when_described() -> None:
    name, text = goblins.errors.describe(ValueError("x" * 1_000_000))
    assert name == "ValueError" and len(text) < 70_000 and text.endswith("characters cut)")


async def test_a_result_sent_just_before_disconnecting_finishes_its_task(
    server: Server, address: str, client: goblins.Client, start_worker: StartWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10 item 5: the leaving worker's result is applied before its tasks are redelivered."""
    from goblins import converter
    from tests.integration import workflows as w

    w.reset()
    got_task: asyncio.Future[pb.ActivityTask] = asyncio.get_running_loop().create_future()
    connected = asyncio.Event()
    commit = server.loop._commit

    async def slow_commit(batch: Any) -> None:
        if got_task.done():  # the disconnect is seen while the result's turn is committing
            await asyncio.sleep(0.3)
        await commit(batch)

    monkeypatch.setattr(server.loop, "_commit", slow_commit)

    async def requests() -> AsyncIterator[pb.WorkerMessage]:
        yield pb.WorkerMessage(
            hello=pb.Hello(worker_id="leaving", activities=["greetActivity"]), credit=pb.Credit(activities=1)
        )
        task = await got_task
        result = pb.ActivityResult(
            task_id=task.task_id,
            run_id=task.run_id,
            step_id=task.step_id,
            attempt=task.attempt,
            ok=True,
            output=converter.encode("from the leaving worker"),
        )
        yield pb.WorkerMessage(reports=[pb.Report(activity_result=result)])
        # Returning closes the stream at once: the server sees the result, then the disconnect.

    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        call = stub.Connect(requests())

        async def read() -> None:
            async for msg in call:
                connected.set()
                for t in msg.tasks:
                    if t.HasField("activity") and not got_task.done():
                        got_task.set_result(t.activity)

        reader = asyncio.create_task(read())
        await asyncio.wait_for(connected.wait(), 5)
        # Connected after the leaving worker: it is offered the activity task second.
        await start_worker(workflows=[w.greeting], activities=[w.greet])
        handle = await client.start_workflow(w.greeting, "raw")
        assert await handle.result(timeout=10) == "from the leaving worker"
        await asyncio.wait_for(reader, 5)
    await asyncio.sleep(0.5)  # a redelivered task would have reached the other worker by now
    assert w.EXECUTIONS["raw"] == 0
