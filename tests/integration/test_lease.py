"""Workers complete only what they hold (issue 11), over real gRPC on loopback: a raw Connect
stream posing as a worker forges reports for tasks it was never handed, for an engine-only
kind, or for a task it held before the server handed it to another worker; none is applied."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import pytest

import goblins
from goblins import converter
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.server import Server
from goblins.server.embedded import dispatcher
from tests.conftest import StartWorker
from tests.integration import primitives as p
from tests.integration import workflows as w


class RawWorker:
    """A Connect stream built with the generated stubs: it sends what the test tells it to."""

    def __init__(self, address: str, hello: pb.Hello, credit: pb.Credit | None = None) -> None:
        self._first = pb.WorkerMessage(hello=hello, credit=credit or pb.Credit())
        self._outbox: asyncio.Queue[pb.WorkerMessage | None] = asyncio.Queue()
        self.tasks: list[pb.Task] = []
        self.acked: list[str] = []
        self.cancelled: list[str] = []
        self.connected = asyncio.Event()
        self.got_task = asyncio.Event()
        self._channel = grpc.aio.insecure_channel(address)
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RawWorker:
        stub = pb_grpc.GoblinsStub(self._channel)  # type: ignore[no-untyped-call]
        call = stub.Connect(self._requests())
        self._reader = asyncio.create_task(self._read(call))
        await asyncio.wait_for(self.connected.wait(), 5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._outbox.put_nowait(None)
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._channel.close()

    async def _requests(self) -> AsyncIterator[pb.WorkerMessage]:
        yield self._first
        while (msg := await self._outbox.get()) is not None:
            yield msg

    async def _read(self, call: Any) -> None:
        async for msg in call:
            self.connected.set()
            self.tasks.extend(msg.tasks)
            self.acked.extend(msg.acked)
            self.cancelled.extend(msg.cancelled)
            if msg.tasks:
                self.got_task.set()

    def send(self, *reports: pb.Report) -> None:
        self._outbox.put_nowait(pb.WorkerMessage(reports=list(reports)))


async def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def first_event(handle: goblins.WorkflowHandle, type_name: str) -> goblins.events.Event:
    found: list[goblins.events.Event] = []

    async def poll() -> None:
        while not found:
            found.extend(e for e in await handle.history() if e.type.name == type_name)
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), 10)
    return found[0]


def refused(server: Server) -> int:
    return sum(server.service.refused.values())


def complete(task_id: str, run_id: str, output: str) -> pb.Report:
    done = pb.Command(complete_workflow=pb.CompleteWorkflow(output=converter.encode(output)))
    return pb.Report(workflow_task_completed=pb.WorkflowTaskCompleted(task_id=task_id, run_id=run_id, commands=[done]))


def activity_result(task_id: str, run_id: str, step_id: str, output: str) -> pb.Report:
    result = pb.ActivityResult(
        task_id=task_id, run_id=run_id, step_id=step_id, attempt=1, ok=True, output=converter.encode(output)
    )
    return pb.Report(activity_result=result)


async def test_reports_for_tasks_a_stream_was_never_handed_are_refused_and_the_run_completes(
    server: Server, address: str, client: goblins.Client, start_worker: StartWorker
) -> None:
    w.reset()
    gate = w.gate("victim")
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    handle = await client.start_workflow(w.greeting, "victim")
    await asyncio.wait_for(gate.entered.wait(), 10)  # the real worker runs the activity
    scheduled = await first_event(handle, "ACTIVITY_SCHEDULED")
    step_id = scheduled.step_id
    hello = pb.Hello(worker_id="forger", workflows=["greet"], activities=["greetActivity"])
    async with RawWorker(address, hello) as forger:  # no credit: it is handed nothing
        forger.send(
            complete(f"{handle.run_id}#wf-guessed", handle.run_id, "forged by a workflow task"),
            activity_result(f"{step_id}#1", handle.run_id, step_id, "forged by an activity"),
            pb.Report(
                activity_heartbeat=pb.ActivityHeartbeat(
                    task_id=f"{step_id}#1", run_id=handle.run_id, step_id=step_id, attempt=1
                )
            ),
            pb.Report(workflow_task_failed=pb.WorkflowTaskFailed(task_id="x", run_id=handle.run_id, error="forged")),
        )
        await eventually(lambda: refused(server) >= 4)
        assert server.service.refused["activity_result"] == 1
        assert f"{step_id}#1" in forger.cancelled  # told to stop a heartbeat it does not hold
        await asyncio.sleep(0.2)
        types = [e.type.name for e in await handle.history()]
        assert "WORKFLOW_FINISHED_IN_SUCCESS" not in types and "ACTIVITY_FINISHED_IN_SUCCESS" not in types
        assert "WORKFLOW_TASK_FAILED" not in types
        gate.release.set()
        assert await handle.result(timeout=10) == "Hello victim"
    assert w.EXECUTIONS["victim"] == 1


@pytest.mark.parametrize(
    "kind",
    ["timer_fired", "signal_workflow", "cancel_workflow", "child_finished", "start_workflow"],
)
async def test_reports_only_the_engine_makes_are_refused_from_a_worker_stream(
    server: Server, address: str, client: goblins.Client, start_worker: StartWorker, kind: str
) -> None:
    await start_worker(workflows=[p.nap])
    handle = await client.start_workflow(p.nap, 600.0)  # a ten-minute timer
    started = await first_event(handle, "TIMER_STARTED")
    run_id = handle.run_id
    forged = {
        "timer_fired": pb.Report(timer_fired=pb.TimerFired(timer_id=started.step_id, run_id=run_id)),
        "signal_workflow": pb.Report(signal_workflow=pb.SignalWorkflow(run_id=run_id, name="approve")),
        "cancel_workflow": pb.Report(cancel_workflow=pb.CancelWorkflow(run_id=run_id, terminate=True)),
        "child_finished": pb.Report(child_finished=pb.ChildFinished(run_id=run_id, step_id=started.step_id, ok=True)),
        "start_workflow": pb.Report(
            start_workflow=pb.StartWorkflowRequest(workflow_name="nap", run_id="forged-child", parent_run_id=run_id)
        ),
    }[kind]
    hello = pb.Hello(worker_id="forger", workflows=["nap"])
    async with RawWorker(address, hello, pb.Credit(workflows=5)) as forger:
        forger.send(forged)
        await eventually(lambda: server.service.refused[kind] == 1)
        await asyncio.sleep(0.2)
    types = [e.type.name for e in await handle.history()]
    assert types[-1] == "TIMER_STARTED", types  # the timer did not fire, nothing else happened
    assert server.loop.run("forged-child") is None


async def test_a_report_from_the_old_session_after_its_task_was_handed_on_is_refused(
    server: Server,
    address: str,
    client: goblins.Client,
    start_worker: StartWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workflow task's lease ends (the worker hangs); the task goes to another worker; the
    first one's completion, sent after that, is refused, and the run ends with the real output."""
    monkeypatch.setattr(dispatcher, "WORKFLOW_TASK_TIMEOUT", 0.5)
    w.reset()
    gate = w.gate("handed on")
    hello = pb.Hello(worker_id="old", workflows=["greet"])
    async with RawWorker(address, hello, pb.Credit(workflows=1)) as old:  # connected first: offered first
        await start_worker(workflows=[w.greeting], activities=[w.greet])
        handle = await client.start_workflow(w.greeting, "handed on")
        await asyncio.wait_for(old.got_task.wait(), 10)
        (task,) = [t.workflow for t in old.tasks]
        await asyncio.wait_for(gate.entered.wait(), 10)  # the real worker was handed the task on
        old.send(complete(task.task_id, task.run_id, "forged by the old session"))
        await eventually(lambda: server.service.refused["workflow_task_completed"] == 1)
        await eventually(lambda: task.task_id in old.acked)  # refused: the worker may forget it
        gate.release.set()
        assert await handle.result(timeout=10) == "Hello handed on"


async def test_a_result_resent_by_a_reconnecting_worker_is_applied_once(
    server: Server, address: str, client: goblins.Client, start_worker: StartWorker
) -> None:
    """Redelivery still works: a worker's session drops with a result unacked; its new session
    claims the task (running_task_ids) and resends the result, which is applied once."""
    w.reset()
    await start_worker(workflows=[w.greeting])
    hello = pb.Hello(worker_id="flaky", activities=["greetActivity"])
    async with RawWorker(address, hello, pb.Credit(activities=1)) as first:
        handle = await client.start_workflow(w.greeting, "again")
        await asyncio.wait_for(first.got_task.wait(), 10)
        (task,) = [t.activity for t in first.tasks]
    report = activity_result(task.task_id, task.run_id, task.step_id, "from the flaky worker")
    hello.running_task_ids.append(task.task_id)
    async with RawWorker(address, hello) as second:
        second.send(report)
        assert await handle.result(timeout=10) == "from the flaky worker"
        await eventually(lambda: task.task_id in second.acked)
        second.send(report)  # once more: the task is done, the session no longer holds it
        await eventually(lambda: server.service.refused["activity_result"] == 1)
    types = [e.type.name for e in await handle.history()]
    assert types.count("ACTIVITY_FINISHED_IN_SUCCESS") == 1


@pytest.mark.parametrize("field", ["parent_run_id", "parent_step"])
async def test_engine_only_fields_of_a_start_are_refused_naming_them(
    address: str, client: goblins.Client, start_worker: StartWorker, field: str
) -> None:
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    request = pb.StartWorkflowRequest(workflow_name="greet", input=converter.encode_args(("x",), "input"))
    setattr(request, field, "some-run")
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        with pytest.raises(grpc.aio.AioRpcError) as refused_call:
            await stub.StartWorkflow(request)
        assert refused_call.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in (refused_call.value.details() or "")

        async def one() -> AsyncIterator[pb.ClientRequests]:
            yield pb.ClientRequests(requests=[pb.ClientRequest(id=7, start=request)])

        replies = [r async for batch in stub.ClientSession(one()) for r in batch.replies]
        assert [(r.id, r.code) for r in replies] == [(7, grpc.StatusCode.INVALID_ARGUMENT.value[0])]
        assert field in replies[0].details
