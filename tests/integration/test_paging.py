"""A long history of big results travels in pages: the run completes, no message carries it whole (issue 10 item 2)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest

import goblins
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.server import Server
from tests.conftest import StartWorker
from tests.integration import payloads as p

N = 80  # results of 900 KiB: a 70 MiB history, past the gRPC message limit (64 MiB) and the default history limit


@pytest.fixture
async def server(db_url: str) -> AsyncIterator[Server]:
    srv = Server(db_url, "127.0.0.1", 0, max_history_bytes=256 * 1024 * 1024)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop(grace=0)


async def successes(handle: goblins.WorkflowHandle, wanted: int, timeout: float) -> None:
    """Until the run has ``wanted`` finished activities (its history read once, page by page)."""
    seen, count, give_up = 0, 0, time.monotonic() + timeout
    while count < wanted:
        assert time.monotonic() < give_up, f"{count} of {wanted} activities finished"
        events, token = await handle.history_page(after_seq=seen)
        while True:
            count += sum(1 for e in events if e.type == goblins.events.EventType.ACTIVITY_FINISHED_IN_SUCCESS)
            seen = events[-1].seq if events else seen
            if not token:
                break
            events, token = await handle.history_page(token)
        await asyncio.sleep(0.2)


async def test_a_70_mib_history_of_big_results_completes_its_worker_reading_it_in_pages(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    first = await start_worker(workflows=[p.big_history], activities=[p.blob], max_concurrent_activities=8)
    handle = await client.start_workflow(p.big_history, N)
    await successes(handle, N // 2, timeout=120)
    # A worker with no cache takes over: its first workflow task must replay 35 MiB of history.
    await first.shutdown()
    second = await start_worker(workflows=[p.big_history], activities=[p.blob], max_concurrent_activities=8)
    await handle.signal("go")
    assert await handle.result(timeout=180) == N * p.RESULT
    assert second._pages_fetched > 0, "the history came in pages"
    size, pages, token = 0, 0, b""
    while True:  # the client reads it in pages too, none over the page budget (4 MiB) by more than an event
        events, token = await handle.history_page(token)
        pages += 1
        size += sum(len(e.output) for e in events if isinstance(e.output, str))
        if not token:
            break
    assert size > 70 * 1024 * 1024 and pages >= 18


async def test_get_history_answers_a_bad_page_token_or_size_with_invalid_argument(
    address: str, client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[p.many_steps], activities=[p.one])
    handle = await client.start_workflow(p.many_steps, 3)
    await handle.result(timeout=10)
    channel = grpc.aio.insecure_channel(address)
    try:
        stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        first = await stub.GetHistory(pb.GetHistoryRequest(run_id=handle.run_id, page_size=2))
        assert [e.seq for e in first.events] == [1, 2] and first.next_page_token
        for request in (
            pb.GetHistoryRequest(run_id=handle.run_id, page_token=b"not a token"),
            pb.GetHistoryRequest(run_id="another-run", page_token=first.next_page_token),
            pb.GetHistoryRequest(run_id=handle.run_id, page_size=-5),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetHistory(request)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, request
    finally:
        await channel.close()
    with pytest.raises(goblins.GoblinsError, match="page_token"):
        await handle.history_page(b"not a token")
    with pytest.raises(ValueError, match="page_size"):
        await handle.history_page(page_size=-1)
    paged = [e.seq async for e in handle.history_events(page_size=2)]
    assert paged == [e.seq for e in await handle.history()] and len(paged) > 2
