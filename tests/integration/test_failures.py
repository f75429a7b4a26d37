"""Temporal's failure rule end to end (in-process server, real SQLite, real workers): a bug in
workflow code fails the workflow task, which is retried until fixed code completes the run;
an ApplicationError ends the run, or (raised by an activity, non-retryable) its retries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import goblins
from goblins.history import EventType
from tests.conftest import StartWorker
from tests.integration.test_cli import goblins_cli

# A "deployment" of the workflow code: False is the buggy one (a NameError), True the fix.
FIXED = {"deployed": False}


@pytest.fixture(autouse=True)
def _buggy_deployment() -> Iterator[None]:
    FIXED["deployed"] = False
    yield
    FIXED["deployed"] = False


@goblins.activity(name="failures.echo")
async def echo(text: str) -> str:
    return text


@goblins.activity(name="failures.declines")
async def declines(card: int) -> str:
    raise goblins.ApplicationError("card declined", {"card": card}, type="CardDeclined", non_retryable=True)


@goblins.activity(name="failures.fatal")
async def fatal(card: int) -> str:
    raise goblins.ApplicationError(f"card {card} is fatal", type="Fatal")


@goblins.workflow(name="failures.buggy")
async def buggy(text: str) -> str:
    first = await goblins.workflow.execute_activity(echo, text)
    if not FIXED["deployed"]:
        return undefined_name  # type: ignore[name-defined]  # noqa: F821
    return f"{first} fixed"


@goblins.workflow(name="failures.pays")
async def pays(activity: str, card: int) -> dict[str, object]:
    policy = goblins.RetryPolicy(maximum_attempts=5, initial_interval=0.01, non_retryable_error_types=["Fatal"])
    try:
        await goblins.workflow.execute_activity(activity, card, retry_policy=policy)
    except goblins.ActivityFailed as exc:
        return {"type": exc.error_type, "error": exc.error, "details": list(exc.details)}
    return {}


@goblins.workflow(name="failures.gives_up")
async def gives_up(order: str) -> str:
    raise goblins.ApplicationError(f"order {order} refused", order, type="OrderRefused")


async def _events_until(handle: goblins.WorkflowHandle, kind: EventType) -> list[goblins.events.Event]:
    for _ in range(500):
        events = await handle.history()
        if any(e.type == kind for e in events):
            return events
        await asyncio.sleep(0.02)
    raise TimeoutError(f"run {handle.run_id} never recorded {kind}")


async def test_a_bug_fails_the_task_and_fixed_code_on_a_new_worker_finishes_the_run(
    address: str, client: goblins.Client, start_worker: StartWorker
) -> None:
    worker = await start_worker(workflows=[buggy], activities=[echo])
    handle = await client.start_workflow(buggy, "order-1")
    events = await _events_until(handle, EventType.WORKFLOW_TASK_FAILED)
    failed = next(e for e in events if e.type == EventType.WORKFLOW_TASK_FAILED)
    f = failed.failure
    assert f is not None
    assert (f.type, f.message) == ("NameError", "NameError: name 'undefined_name' is not defined")
    assert "in buggy" in f.stack_trace and f.stack_trace.endswith("is not defined\n")
    assert [r.status for r in await client.list_workflows(workflow_name="failures.buggy")] == ["RUNNING"]
    code, out, err = await goblins_cli("workflow", "show", handle.run_id, "--server", address)
    assert code == 0, err
    assert "WORKFLOW_TASK_FAILED" in out and "return undefined_name" in out  # the trace, in full

    await worker.shutdown()  # the fixed deployment replaces the buggy one
    FIXED["deployed"] = True
    await start_worker(workflows=[buggy], activities=[echo])
    assert await handle.result(timeout=15) == "order-1 fixed"
    types = [e.type for e in await handle.history()]
    assert types.count(EventType.ACTIVITY_SCHEDULED) == 1  # nothing done before the bug was done again
    assert types[-1] == EventType.WORKFLOW_FINISHED_IN_SUCCESS and EventType.WORKFLOW_FINISHED_IN_ERROR not in types


async def test_an_activity_application_error_marked_non_retryable_is_not_retried(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[pays], activities=[declines])
    handle = await client.start_workflow(pays, "failures.declines", 7)
    caught = await handle.result(timeout=10)
    assert caught == {"type": "CardDeclined", "error": "CardDeclined: card declined", "details": [{"card": 7}]}
    (error,) = [e for e in await handle.history() if e.type == EventType.ACTIVITY_FINISHED_IN_ERROR]
    f = error.failure
    assert f is not None
    assert (error.attributes["attempt"], error.attributes["retry_at"], f.non_retryable) == (1, 0.0, True)
    assert f.details == [{"card": 7}] and "in declines" in f.stack_trace


async def test_the_policy_matches_an_application_errors_type(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[pays], activities=[fatal])
    caught = await client.execute_workflow(pays, "failures.fatal", 3, timeout=10)
    assert caught == {"type": "Fatal", "error": "Fatal: card 3 is fatal", "details": []}


async def test_an_application_error_in_workflow_code_fails_the_run_with_its_trace(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=[gives_up])
    handle = await client.start_workflow(gives_up, "o-9")
    with pytest.raises(goblins.WorkflowFailed, match="OrderRefused: order o-9 refused") as info:
        await handle.result(timeout=10)
    assert info.value.error_type == "OrderRefused"
    end = (await handle.history())[-1]
    assert end.type == EventType.WORKFLOW_FINISHED_IN_ERROR
    assert end.failure is not None
    assert end.failure.details == ["o-9"] and "in gives_up" in end.failure.stack_trace
