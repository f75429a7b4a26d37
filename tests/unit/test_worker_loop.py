"""The worker's loop against an in-memory task source: no server, no network.

The fake stands where the gRPC stream or the Kafka topics stand in production, so these
tests pin what the worker owes any source: one report per task, cancels that reach the
running code, completions for workflow tasks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable

import pytest

import goblins
from goblins import converter, wire
from goblins.api import v1 as pb
from goblins.worker import Worker
from goblins.worker._source import Batch, Cancel, TaskSource

# ---- the in-memory source ----


class FakeSource:
    """Batches pushed by the test go to the worker; what the worker reports is recorded."""

    def __init__(self) -> None:
        self._batches: asyncio.Queue[Batch | None] = asyncio.Queue()
        self.completed: list[tuple[str, pb.Report]] = []
        self.sent: list[pb.Report] = []
        self.closed = False
        self._changed = asyncio.Event()

    def push(self, *items: pb.Task | Cancel) -> None:
        self._batches.put_nowait(list(items))

    async def tasks(self) -> AsyncGenerator[Batch, None]:
        yield []  # the session is up
        while True:
            batch = await self._batches.get()
            if batch is None:
                return
            yield batch

    def complete(self, task_id: str, report: pb.Report) -> None:
        self.completed.append((task_id, report))
        self._changed.set()

    def send(self, report: pb.Report) -> None:
        self.sent.append(report)
        self._changed.set()

    def close(self) -> None:
        self.closed = True
        self._batches.put_nowait(None)

    async def until(self, check: Callable[[], object], timeout: float = 5.0) -> None:
        """Until ``check()`` is true (re-checked whenever the worker reports something)."""
        async with asyncio.timeout(timeout):
            while not check():
                self._changed.clear()
                await self._changed.wait()


def _typed(source: FakeSource) -> TaskSource:
    return source  # mypy checks here that the fake keeps to the port


# ---- code under test ----

started = threading.Event()


@goblins.activity
async def fails(x: int) -> int:
    raise ValueError(f"no {x}")


@goblins.activity
def exits() -> None:
    raise SystemExit(3)


@goblins.activity
async def waits_long() -> str:
    await asyncio.sleep(60)
    return "never"


@goblins.activity
def beats_until_cancelled() -> str:
    started.set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        goblins.activity.heartbeat()  # raises CancelledError once the worker has the cancel
        time.sleep(0.01)
    return "not cancelled"


@goblins.workflow
async def one_step(x: int) -> int:
    return int(await goblins.workflow.execute_activity(fails, x))


@goblins.workflow
async def returns(x: int) -> int:
    return x * 2


def activity_task(task_id: str, name: str, *args: object) -> pb.Task:
    t = pb.ActivityTask(
        task_id=task_id,
        run_id="run-1",
        step_id="a1",
        activity_name=name,
        input=converter.encode_args(args, "test"),
        attempt=1,
    )
    return pb.Task(activity=t)


def workflow_task(task_id: str, name: str, *args: object) -> pb.Task:
    scheduled = wire.history_event(
        "WORKFLOW_SCHEDULED",
        run_id="run-1",
        seq=1,
        workflow_name=name,
        time=1.0,
        input=converter.encode_args(args, "test"),
    )
    return pb.Task(workflow=pb.WorkflowTask(task_id=task_id, run_id="run-1", workflow_name=name, events=[scheduled]))


@pytest.fixture
async def serving() -> AsyncIterator[tuple[Worker, FakeSource]]:
    worker = Worker(
        "localhost:1",
        workflows=[one_step, returns],
        activities=[fails, exits, waits_long, beats_until_cancelled],
    )
    source = FakeSource()
    loop = asyncio.create_task(worker._serve(_typed(source)))
    await worker.wait_connected(5)
    yield worker, source
    await worker.shutdown()
    await asyncio.wait_for(loop, 5)
    assert source.closed


def results(source: FakeSource) -> list[pb.ActivityResult]:
    return [r.activity_result for _, r in source.completed if r.HasField("activity_result")]


# ---- activities ----


async def test_a_failing_activity_gets_exactly_one_report(serving: tuple[Worker, FakeSource]) -> None:
    worker, source = serving
    source.push(activity_task("t1", "fails", 7))
    source.push(activity_task("t1", "fails", 7))  # redelivered while it runs: no second attempt
    await source.until(lambda: results(source))
    await asyncio.sleep(0.05)
    [(task_id, report)] = source.completed
    assert task_id == "t1"
    result = report.activity_result
    assert not result.ok
    assert result.error_type == "ValueError"
    assert "no 7" in result.error
    assert [r.WhichOneof("kind") for r in source.sent] == ["activity_started"]
    assert not worker._running


@pytest.mark.parametrize(
    ("name", "error_type"),
    [("exits", "SystemExit"), ("nobody", "LookupError")],
    ids=["system-exit-is-the-activitys-failure", "unknown-activity"],
)
async def test_other_failures_are_reported_too(serving: tuple[Worker, FakeSource], name: str, error_type: str) -> None:
    worker, source = serving
    source.push(activity_task("t2", name))
    await source.until(lambda: results(source))
    [result] = results(source)
    assert result.error_type == error_type
    assert not worker._running


async def test_a_cancel_reaches_a_running_async_activity(serving: tuple[Worker, FakeSource]) -> None:
    worker, source = serving
    source.push(activity_task("t4", "waits_long"))
    await source.until(lambda: source.sent)  # activity_started: it runs
    assert "t4" in worker._running
    source.push(Cancel("t4"))
    await source.until(lambda: results(source))
    [result] = results(source)
    assert result.error_type == "CancelledError"
    assert not worker._running


async def test_a_cancel_reaches_a_heartbeating_thread_activity(serving: tuple[Worker, FakeSource]) -> None:
    _, source = serving
    started.clear()
    source.push(activity_task("t5", "beats_until_cancelled"))
    await asyncio.to_thread(started.wait, 5)
    source.push(Cancel("t5"), Cancel("not-running"))  # a cancel of an unknown task is ignored
    await source.until(lambda: results(source))
    [result] = results(source)
    assert result.error_type == "CancelledError"


async def test_shutdown_sends_no_report_for_an_interrupted_activity() -> None:
    worker = Worker("localhost:1", activities=[waits_long])
    source = FakeSource()
    loop = asyncio.create_task(worker._serve(source))
    source.push(activity_task("t6", "waits_long"))
    await source.until(lambda: source.sent)
    await worker.shutdown()
    await asyncio.wait_for(loop, 5)
    task = worker._running["t6"]
    task.cancel()  # what run() does on its way out
    await asyncio.gather(task, return_exceptions=True)
    assert source.completed == []  # the server redelivers it elsewhere
    assert not worker._running


# ---- workflows ----


async def test_a_workflow_task_produces_a_completion(serving: tuple[Worker, FakeSource]) -> None:
    worker, source = serving
    source.push(workflow_task("w1", "one_step", 5))
    await source.until(lambda: source.completed)
    [(task_id, report)] = source.completed
    assert task_id == "w1"
    done = report.workflow_task_completed
    assert done.run_id == "run-1"
    assert done.seen_seq == 1
    [command] = done.commands
    assert command.schedule_activity.activity_name == "fails"
    assert converter.decode_args(command.schedule_activity.input, None) == [5]
    assert "run-1" in worker._cache  # waits on its activity: kept for the next task


async def test_a_finished_workflow_leaves_the_cache(serving: tuple[Worker, FakeSource]) -> None:
    worker, source = serving
    source.push(workflow_task("w2", "returns", 21))
    await source.until(lambda: source.completed)
    [(_, report)] = source.completed
    [command] = report.workflow_task_completed.commands
    assert converter.decode(command.complete_workflow.output) == 42
    assert "run-1" not in worker._cache


async def test_an_unknown_workflow_fails_its_task(serving: tuple[Worker, FakeSource]) -> None:
    _, source = serving
    source.push(workflow_task("w3", "nobody"))
    await source.until(lambda: source.completed)
    [(_, report)] = source.completed
    assert report.workflow_task_failed.error_type == "LookupError"
