"""The application layer over in-memory ports: each client verb's rules, without gRPC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from goblins import wire
from goblins.api import v1 as pb
from goblins.server.effects import WORKFLOW
from goblins.server.loop import EventLoop
from goblins.server.ports import Batch
from goblins.server.runs import FailedPrecondition, InvalidArgument, NotFound, Runs
from tests.unit.memory_ports import T0, Clock, MemoryQueue, MemoryRouter, MemoryStore, mode


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


async def open_runs(store: MemoryStore, router: MemoryRouter | None = None) -> tuple[Runs, EventLoop]:
    m = mode(store, MemoryQueue(), router or MemoryRouter())
    loop = EventLoop(m, Clock())
    await loop.start()
    return Runs(m, loop), loop


@pytest.fixture
async def runs(store: MemoryStore) -> AsyncIterator[Runs]:
    runs, loop = await open_runs(store)
    await runs.register(["wf"], ["act"])
    yield runs
    await loop.stop()


def finished(run_id: str, output: bytes = b'"ok"', continued_as: str = "") -> list[pb.HistoryEvent]:
    return [
        wire.history_event("WORKFLOW_SCHEDULED", run_id=run_id, seq=1, workflow_name="wf", time=T0),
        wire.history_event(
            "WORKFLOW_FINISHED_IN_SUCCESS",
            run_id=run_id,
            seq=2,
            workflow_name="wf",
            time=T0 + 1,
            output=output,
            continued_as=continued_as,
        ),
    ]


async def test_start_checks_its_request(runs: Runs) -> None:
    with pytest.raises(InvalidArgument):
        await runs.start(pb.StartWorkflowRequest())
    with pytest.raises(NotFound, match="no worker has registered"):
        await runs.start(pb.StartWorkflowRequest(workflow_name="unknown"))
    with pytest.raises(InvalidArgument, match="execution_timeout"):
        await runs.start(pb.StartWorkflowRequest(workflow_name="wf", execution_timeout=-1))


async def test_start_makes_an_id_and_a_second_start_finds_the_run(runs: Runs) -> None:
    made = await runs.start(pb.StartWorkflowRequest(workflow_name="wf"))
    assert len(made.run_id) == 36 and not made.existed
    first = await runs.start(pb.StartWorkflowRequest(workflow_name="wf", run_id="mine"))
    again = await runs.start(pb.StartWorkflowRequest(workflow_name="wf", run_id="mine"))
    assert (first.existed, again.existed) == (False, True)


async def test_result_of_an_unknown_run_is_not_found_at_once(runs: Runs) -> None:
    response = await asyncio.wait_for(runs.result(pb.GetResultRequest(run_id="nope", wait=5)), 1)
    assert not response.found


async def test_result_follows_a_continue_as_new_chain_to_its_end(runs: Runs, store: MemoryStore) -> None:
    await store.commit(Batch(events=finished("a", continued_as="a~2") + finished("a~2", continued_as="a~3")))
    await store.commit(Batch(events=finished("a~3", output=b'"last"')))
    response = await runs.result(pb.GetResultRequest(run_id="a", wait=1))
    assert response.finished and response.ok and response.output == b'"last"'
    assert list(response.continued_as) == ["a~2", "a~3"]


async def test_result_waits_for_the_end_of_a_running_run(runs: Runs) -> None:
    await runs.start(pb.StartWorkflowRequest(workflow_name="wf", run_id="r"))
    waiting = asyncio.ensure_future(runs.result(pb.GetResultRequest(run_id="r", wait=5)))
    await asyncio.sleep(0.02)
    assert not waiting.done()
    await runs.terminate("r", "enough")
    response = await asyncio.wait_for(waiting, 1)
    assert response.finished and not response.ok and response.error_type == "WorkflowTerminated"


async def test_a_short_wait_answers_not_finished(runs: Runs) -> None:
    await runs.start(pb.StartWorkflowRequest(workflow_name="wf", run_id="r"))
    response = await runs.result(pb.GetResultRequest(run_id="r", wait=0.01))
    assert response.found and not response.finished and response.workflow_name == "wf"


async def test_signal_and_cancel_need_a_running_run(runs: Runs, store: MemoryStore) -> None:
    with pytest.raises(InvalidArgument):
        await runs.signal(pb.SignalWorkflow(run_id="r"))
    with pytest.raises(NotFound):
        await runs.signal(pb.SignalWorkflow(run_id="nope", name="go"))
    await store.commit(Batch(events=finished("done")))
    with pytest.raises(FailedPrecondition, match="already finished"):
        await runs.cancel(pb.CancelWorkflow(run_id="done"))
    await runs.start(pb.StartWorkflowRequest(workflow_name="wf", run_id="r"))
    await runs.signal(pb.SignalWorkflow(run_id="r", name="go"))
    assert [wire.type_name(e) for e in store.events["r"]][-1] == "WORKFLOW_SIGNALED"
    assert isinstance(runs.router, MemoryRouter)
    (sent,) = runs.router.submitted
    assert sent.signal_workflow.signal_id, "a signal without an id gets one (recorded once, whatever redelivers it)"


async def test_not_found_waits_out_the_routers_grace(store: MemoryStore) -> None:
    runs, loop = await open_runs(store, MemoryRouter(not_found_grace=0.2))
    try:
        late = asyncio.get_running_loop().call_later(0.05, lambda: store.events.update(r=finished("r")))
        page = await runs.history_page(pb.GetHistoryRequest(run_id="r"))
        assert page.found and [e.seq for e in page.events] == [1, 2], "a run on its way is found"
        late.cancel()
        started = asyncio.get_running_loop().time()
        with pytest.raises(NotFound):
            await runs.cancel(pb.CancelWorkflow(run_id="never"))
        assert asyncio.get_running_loop().time() - started >= 0.2
    finally:
        await loop.stop()


async def test_list_checks_the_status(runs: Runs) -> None:
    with pytest.raises(InvalidArgument, match="status must be one of"):
        await runs.list_runs(pb.ListWorkflowsRequest(status="SLEEPING", limit=10))
    await runs.start(pb.StartWorkflowRequest(workflow_name="wf", run_id="r"))
    listed = await runs.list_runs(pb.ListWorkflowsRequest(status="RUNNING", limit=10))
    assert [r.run_id for r in listed.runs] == ["r"] and listed.next_page_token == b""
    with pytest.raises(InvalidArgument, match="page_token"):
        await runs.list_runs(pb.ListWorkflowsRequest(page_token=b"not a token"))


async def test_register_is_known_to_the_loop(runs: Runs) -> None:
    assert await runs.loop.is_registered(WORKFLOW, "wf")
    assert not await runs.loop.is_registered(WORKFLOW, "act")


async def test_a_query_without_a_worker_fails_its_precondition(runs: Runs) -> None:
    await runs.start(pb.StartWorkflowRequest(workflow_name="wf", run_id="r"))
    with pytest.raises(FailedPrecondition, match="no worker hosting 'wf'"):
        await runs.query(pb.QueryRequest(run_id="r", name="status"))
    with pytest.raises(NotFound):
        await runs.query(pb.QueryRequest(run_id="nope", name="status"))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0])
async def test_start_refuses_an_execution_timeout_that_is_not_finite(runs: Runs, value: float) -> None:
    with pytest.raises(InvalidArgument, match="execution_timeout must be a finite number"):
        await runs.start(pb.StartWorkflowRequest(workflow_name="wf", execution_timeout=value))


async def test_result_refuses_a_nan_wait_and_list_a_negative_limit(runs: Runs) -> None:
    with pytest.raises(InvalidArgument, match="wait"):
        await asyncio.wait_for(runs.result(pb.GetResultRequest(run_id="r1", wait=float("nan"))), 1)
    with pytest.raises(InvalidArgument, match="limit"):
        await runs.list_runs(pb.ListWorkflowsRequest(limit=-1))


async def test_ids_names_and_reasons_have_a_size_limit(runs: Runs) -> None:
    long = "x" * 1001
    with pytest.raises(InvalidArgument, match="workflow_name is too long"):
        await runs.start(pb.StartWorkflowRequest(workflow_name=long))
    with pytest.raises(InvalidArgument, match="run_id is too long"):
        await runs.start(pb.StartWorkflowRequest(workflow_name="wf", run_id=long))
    with pytest.raises(InvalidArgument, match="name is too long"):
        await runs.signal(pb.SignalWorkflow(run_id="r1", name=long))
    with pytest.raises(InvalidArgument, match="reason is too long"):
        await runs.terminate("r1", "x" * (64 * 1024 + 1))
    with pytest.raises(InvalidArgument, match="name is too long"):
        await runs.query(pb.QueryRequest(run_id="r1", name=long))
    with pytest.raises(InvalidArgument, match="activity name is too long"):
        await runs.register([], [long])
    with pytest.raises(InvalidArgument, match="workflow_name is too long"):
        await runs.list_runs(pb.ListWorkflowsRequest(workflow_name=long, limit=10))
