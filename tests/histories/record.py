"""Record the histories in this directory: one JSON file per primitive, made by today's code.

    PYTHONPATH=$PWD python -m tests.histories.record            # every scenario
    PYTHONPATH=$PWD python -m tests.histories.record timer signal

When to re-record: only when the durable format or replay is changed ON PURPOSE (a new event
field, a new step-id scheme, ...), and then in a commit of its own that says why, so that the
review sees the old and new JSON side by side. A failing ``test_replay_compat.py`` after an
unrelated change means that change broke the format or replay: fix the change, do not
re-record. A new primitive gets a new workflow in ``workflows.py`` and a new scenario here.

Each run is recorded as the server serves it over gRPC (``GetHistory``): every field of every
event, payloads as base64 of their bytes, so nothing is lost to decoding. A scenario that
makes several runs (a child, a continue-as-new chain) records all of them.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import pathlib
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc

import goblins
import goblins.testing
from goblins._history_json import event_to_json  # every field, defaults included: a removed one shows
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.history import CHILD_STARTED, WORKFLOW_SUCCEEDED
from tests.histories import workflows as w

HERE = pathlib.Path(__file__).resolve().parent
Scenario = Callable[[goblins.testing.WorkflowEnvironment], Awaitable[goblins.WorkflowHandle]]


async def _until(handle: goblins.WorkflowHandle, event: goblins.events.EventType) -> None:
    for _ in range(1000):
        if any(e.type == event for e in await handle.history()):
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"run {handle.run_id} never recorded {event}")


def _started(workflow: Any, *args: Any, **options: Any) -> Scenario:
    async def run(env: goblins.testing.WorkflowEnvironment) -> goblins.WorkflowHandle:
        return await env.client.start_workflow(workflow, *args, **options)

    return run


async def _signal(env: goblins.testing.WorkflowEnvironment) -> goblins.WorkflowHandle:
    handle = await env.client.start_workflow(w.signal, "order-1")
    await handle.signal("approve", "alice")
    await _until(handle, goblins.events.EventType.WORKFLOW_SIGNALED)
    await handle.signal("approve", "bob")
    return handle


async def _queried(env: goblins.testing.WorkflowEnvironment) -> goblins.WorkflowHandle:
    handle = await env.client.start_workflow(w.queried, "order-2")
    await _until(handle, goblins.events.EventType.WORKFLOW_STARTED)
    assert await handle.query("items") == []
    await handle.signal("add", "apple")
    return handle


async def _updated(env: goblins.testing.WorkflowEnvironment) -> goblins.WorkflowHandle:
    handle = await env.client.start_workflow(w.updated, "order-6")
    assert await handle.execute_update("add", "apple", timeout=10) == 1
    for item, error in (("", goblins.UpdateRejected), ("boom", goblins.UpdateFailed)):
        try:
            await handle.execute_update("add", item, timeout=10)
        except error:
            pass
    await handle.signal("done")
    return handle


def _interrupted(workflow: Any, arg: str, after: goblins.events.EventType, how: str, reason: str) -> Scenario:
    """Start a run, and once it has recorded ``after``, ``cancel`` or ``terminate`` it."""

    async def run(env: goblins.testing.WorkflowEnvironment) -> goblins.WorkflowHandle:
        handle = await env.client.start_workflow(workflow, arg)
        await _until(handle, after)
        await getattr(handle, how)(reason)
        return handle

    return run


async def _workflow_task_failure(env: goblins.testing.WorkflowEnvironment) -> goblins.WorkflowHandle:
    """A bug fails a workflow task; the "fixed deployment" (the flag) lets its retry finish the run."""
    w.task_failure_fixed = False
    handle = await env.client.start_workflow(w.workflow_task_failure, "hello")
    await _until(handle, goblins.events.EventType.WORKFLOW_TASK_FAILED)
    w.task_failure_fixed = True  # the server's retry (1 s later) runs the fixed code
    return handle


SCENARIOS: dict[str, Scenario] = {
    "activity_success": _started(w.activity_success, "hello"),
    "activity_retry": _started(w.activity_retry, "hello"),
    "activity_failure": _started(w.activity_failure, "hello"),
    "parallel_activities": _started(w.parallel_activities, "x"),
    "timer": _started(w.timer, 90.0),
    "signal": _signal,
    "signal_timeout": _started(w.signal_timeout, "order-0"),
    "queried": _queried,
    "updated": _updated,
    "cancelled": _interrupted(
        w.cancelled, "order-3", goblins.events.EventType.ACTIVITY_STARTED, "cancel", "changed my mind"
    ),
    "cancelled_uncaught": _interrupted(
        w.long_sleep, "order-4", goblins.events.EventType.TIMER_STARTED, "cancel", "no longer wanted"
    ),
    "child_success": _started(w.child_success, 20),
    "child_failure": _started(w.child_failure, 7),
    "continue_as_new": _started(w.countdown, 2, [], run_id="countdown"),
    "heartbeat_checkpoint": _started(w.heartbeat_checkpoint, 5),
    "deterministic": _started(w.deterministic),
    "workflow_failure": _started(w.workflow_failure, "hello"),
    "execution_timeout": _started(w.long_sleep, "late", execution_timeout=600),
    "terminated": _interrupted(
        w.terminated, "order-5", goblins.events.EventType.WORKFLOW_STARTED, "terminate", "operator"
    ),
    "workflow_task_failure": _workflow_task_failure,
    "patched": _started(w.patched, "hello"),
    "local_activity": _started(w.local_activity, "hello"),
    "search_attributes": _started(w.searchable, "hello", search_attributes={"customer": "c-17"}, memo={"note": "rush"}),
}


def _function_name(workflow_name: str) -> str:
    return workflow_name.removeprefix("histories.")


async def _outcome(handle: goblins.WorkflowHandle) -> dict[str, Any]:
    try:
        return {"result": await handle.result(timeout=30)}
    except goblins.GoblinsError as exc:
        return {"error": {"type": type(exc).__name__, "message": str(exc)}}


def replay_outcome(events: Sequence[pb.HistoryEvent | goblins.Event], workflow: Any) -> str:
    """ "ok", or the NondeterminismError that replaying ``events`` through ``workflow`` raises."""
    try:
        goblins.testing.replay(events, workflow)
    except goblins.NondeterminismError as exc:
        return f"NondeterminismError: {exc}"
    return "ok"


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()


async def record(name: str, scenario: Scenario) -> dict[str, Any]:
    async with goblins.testing.WorkflowEnvironment(workflows=w.WORKFLOWS, activities=w.ACTIVITIES) as env:
        handle = await scenario(env)
        await _outcome(handle)  # the whole scenario is over before any history is read
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{env.server.port}")
        stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        runs: list[dict[str, Any]] = []
        todo = [handle.run_id]
        try:
            while todo:
                run_id = todo.pop(0)
                response = await stub.GetHistory(pb.GetHistoryRequest(run_id=run_id))
                events = list(response.events)
                workflow = _function_name(events[0].workflow_name)
                # Children and continuations are runs of their own: record them too.
                todo += [e.child_workflow_started.child_run_id for e in events if e.type == CHILD_STARTED]
                todo += [e.workflow_finished_in_success.continued_as for e in events if e.type == WORKFLOW_SUCCEEDED]
                todo = [run_id for run_id in todo if run_id]
                runs.append(
                    {
                        "run_id": run_id,
                        "workflow": workflow,
                        **await _outcome(env.client.get_workflow_handle(run_id)),
                        "replay": replay_outcome(events, getattr(w, workflow)),
                        "events": [event_to_json(e) for e in events],
                    }
                )
        finally:
            await channel.close()
    return {
        "scenario": name,
        "recorded_with": {"commit": _commit(), "date": datetime.date.today().isoformat()},
        "runs": runs,
    }


async def main(names: list[str]) -> None:
    for name in names or list(SCENARIOS):
        history = await record(name, SCENARIOS[name])
        path = HERE / f"{name}.json"
        path.write_text(json.dumps(history, indent=1, sort_keys=False) + "\n")
        runs = ", ".join(f"{run['workflow']} ({len(run['events'])} events)" for run in history["runs"])
        print(f"{path.name}: {runs}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
