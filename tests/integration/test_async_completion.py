"""Async activity completion (issue 14): an activity raises CompleteAsync, a client finishes it
by its task token; timeouts and retries still apply; stale, forged and garbled tokens are refused."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest

import goblins
from goblins import _task_token
from goblins.errors import ActivityNotFound
from tests.conftest import StartWorker
from tests.integration import async_flows as f

WORKER = dict(workflows=[f.waits_for, f.waits_for_sync], activities=[f.hand_off, f.hand_off_sync])


async def _tokens(key: str, n: int = 1, timeout: float = 10.0) -> bytes:
    deadline = time.monotonic() + timeout
    while len(f.TOKENS[key]) < n:
        assert time.monotonic() < deadline, f"{key}: {len(f.TOKENS[key])} tokens, waited for {n}"
        await asyncio.sleep(0.02)
    return f.TOKENS[key][n - 1]


def _key() -> str:
    return uuid.uuid4().hex[:8]


async def _types(handle: goblins.WorkflowHandle) -> list[str]:
    return [e.type.value for e in await handle.history()]


async def test_a_client_completes_an_activity_and_the_slot_was_free_meanwhile(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**WORKER, max_concurrent_activities=1)
    keys = [_key(), _key(), _key()]
    handles = [await client.start_workflow(f.waits_for, k, 60) for k in keys[:2]]
    handles.append(await client.start_workflow(f.waits_for_sync, keys[2]))
    tokens = [await _tokens(k) for k in keys]  # three open attempts on a worker of one slot
    for i, token in enumerate(tokens):
        await client.complete_activity(token, f"done {i}")
    assert [await h.result(timeout=10) for h in handles] == ["done 0", "done 1", "done 2"]
    types = await _types(handles[0])
    assert types.count("ACTIVITY_STARTED") == 2 and types.count("ACTIVITY_FINISHED_IN_SUCCESS") == 1
    assert len(f.TOKENS[keys[0]]) == 1  # ran once: the worker never got it again


async def test_a_failure_is_retried_by_the_policy_and_the_old_token_is_stale(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**WORKER)
    key = _key()
    handle = await client.start_workflow(f.waits_for, key, 60)
    first = await _tokens(key)
    await client.heartbeat_activity(first, {"stage": "authorized"})
    await client.fail_activity(first, "card declined")
    second = await _tokens(key, 2)  # attempt 2 ran and handed out a new token
    assert first != second
    assert f.DETAILS[key] == [None, {"stage": "authorized"}]  # the heartbeat's details reach it
    with pytest.raises(ActivityNotFound, match=r"attempt 1 .* is no longer current: it failed .*card declined"):
        await client.complete_activity(first, "late")
    await client.complete_activity(second, "paid")
    assert await handle.result(timeout=10) == "paid"


async def test_a_non_retryable_failure_ends_the_activity(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**WORKER)
    key = _key()
    handle = await client.start_workflow(f.waits_for, key, 60)
    await client.fail_activity(await _tokens(key), ValueError("no such order"), non_retryable=True)
    assert (
        await handle.result(timeout=10)
        == "failed: activity 'hand_off' failed after 1 attempt(s): ValueError: no such order"
    )
    assert len(f.TOKENS[key]) == 1


async def test_heartbeats_keep_it_alive_past_its_heartbeat_timeout(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**WORKER)
    key = _key()
    handle = await client.start_workflow(f.waits_for, key, 60, 0.6, 1)
    token = await _tokens(key)
    began = time.monotonic()
    while time.monotonic() - began < 2.0:  # three heartbeat timeouts and more
        await client.heartbeat_activity(token, {"progress": time.monotonic() - began})
        await asyncio.sleep(0.2)
    await client.complete_activity(token, "alive")
    assert await handle.result(timeout=10) == "alive"


async def test_no_heartbeat_times_it_out(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**WORKER)
    key = _key()
    handle = await client.start_workflow(f.waits_for, key, 60, 0.5, 1)
    token = await _tokens(key)
    result = await handle.result(timeout=10)
    assert result.startswith("failed: ") and "sent no heartbeat for 0.5s" in result
    with pytest.raises(ActivityNotFound, match="no longer current: it failed: TimeoutError"):
        await client.heartbeat_activity(token)


async def test_start_to_close_fires_and_a_late_completion_is_refused(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**WORKER)
    key = _key()
    handle = await client.start_workflow(f.waits_for, key, 0.5, 0, 2)
    await _tokens(key, 2)  # attempt 1 timed out; attempt 2 is handed out
    result = await handle.result(timeout=10)
    assert result.startswith("failed: ") and "did not finish within 0.5s" in result
    before = await _types(handle)
    for token in f.TOKENS[key]:
        with pytest.raises(ActivityNotFound, match=r"no longer current|has ended"):
            await client.complete_activity(token, "too late")
    assert await _types(handle) == before  # nothing recorded


async def test_forged_and_garbled_tokens_are_refused(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**WORKER)
    key, other = _key(), _key()
    handle = await client.start_workflow(f.waits_for, key, 60)
    victim = await client.start_workflow(f.waits_for, other, 60)
    token = _task_token.decode(await _tokens(key))
    await _tokens(other)
    victim_step = next(e for e in await victim.history() if e.type.value == "ACTIVITY_SCHEDULED").step_id
    forged = [
        # another run's step, with this attempt's secret (the history shows run and step ids)
        _task_token.encode(victim.run_id, victim_step, 1, token.secret),
        # the right attempt, a made-up secret
        _task_token.encode(token.run_id, token.step_id, 1, b"\0" * 16),
        _task_token.encode(token.run_id, token.step_id, 2, token.secret),  # an attempt not run
    ]
    for bad in forged:
        with pytest.raises(ActivityNotFound, match="no open activity attempt"):
            await client.complete_activity(bad, "forged")
    for garbled in (b"\xff\x00garbage", b"x", "not base64!"):
        with pytest.raises(ActivityNotFound, match=r"garbled|not URL-safe base64|incomplete"):
            await client.complete_activity(garbled, "garbled")
    with pytest.raises(TypeError, match="task token is bytes"):
        await client.complete_activity(42, "x")  # type: ignore[arg-type]
    assert "ACTIVITY_FINISHED_IN_SUCCESS" not in await _types(victim)
    await client.complete_activity(f.TOKENS[key][0], "genuine")
    assert await handle.result(timeout=10) == "genuine"
    await victim.terminate("done")


async def test_completing_twice(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**WORKER)
    key = _key()
    handle = await client.start_workflow(f.waits_for, key, 60)
    token = await _tokens(key)
    while (await _types(handle)).count("ACTIVITY_STARTED") < 2:  # the worker's word is on its way
        await asyncio.sleep(0.02)
    pending = (await handle.describe()).pending_activities
    assert [(a.state, a.attempt) for a in pending] == [("ASYNC", 1)] and pending[0].last_started_time
    text = _task_token.to_text(token)  # the text form the CLI prints is the same token
    await client.complete_activity(text, "once")
    await client.complete_activity(token, "once")  # the same outcome again: a retry, accepted
    with pytest.raises(ActivityNotFound, match="no longer current: it completed"):
        await client.complete_activity(token, "twice")
    with pytest.raises(ActivityNotFound, match="no longer current: it completed"):
        await client.fail_activity(token, "after all")
    assert await handle.result(timeout=10) == "once"
    assert (await _types(handle)).count("ACTIVITY_FINISHED_IN_SUCCESS") == 1


async def test_in_process(tmp_path: Path) -> None:
    """The in-process mode (LocalServer): the same calls, through InProcessStub."""
    async with goblins.LocalServer(tmp_path / "app.db", workflows=[f.waits_for], activities=[f.hand_off]) as app:
        key = _key()
        handle = await app.client.start_workflow(f.waits_for, key, 60)
        with pytest.raises(ActivityNotFound, match="garbled"):
            await app.client.complete_activity(b"\xff\xff", "x")
        await app.client.complete_activity(await _tokens(key), "local")
        assert await handle.result(timeout=10) == "local"
