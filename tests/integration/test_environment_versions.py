"""goblins.testing.WorkflowEnvironment (time skipping) with patched() branches and updates."""

from __future__ import annotations

import datetime
import time

import pytest

import goblins
import goblins.testing
from goblins.events import EventType


@goblins.activity
async def greet(who: str) -> str:
    return f"hello {who}"


@goblins.workflow
async def patched_week(who: str) -> str:
    """The new code path (patched) sleeps a week before its step; the old one did not."""
    if goblins.workflow.patched("week-delay"):
        await goblins.workflow.sleep(datetime.timedelta(days=7))
        return "patched " + await goblins.workflow.execute_activity(greet, who)
    return "old " + await goblins.workflow.execute_activity(greet, who)


@goblins.workflow
async def wallet() -> int:
    """An update ``deposit`` (positive amounts only) that takes a day to clear; ``close`` ends it."""
    balance = 0

    def positive(amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"a deposit must be positive, got {amount}")

    async def deposit(amount: int) -> int:
        nonlocal balance
        await goblins.workflow.sleep(datetime.timedelta(days=1))  # skipped by the environment
        balance += amount
        return balance

    goblins.workflow.set_update_handler("deposit", deposit, validator=positive)
    await goblins.workflow.wait_for_signal("close")
    return balance


async def test_a_patched_branch_with_a_week_long_sleep_runs_in_milliseconds() -> None:
    async with goblins.testing.WorkflowEnvironment(workflows=[patched_week], activities=[greet]) as env:
        t0 = time.monotonic()
        handle = await env.client.start_workflow(patched_week, "ada")
        assert await handle.result(timeout=10) == "patched hello ada"
        assert time.monotonic() - t0 < 5
        history = await handle.history()
    markers = [e for e in history if e.type == EventType.MARKER_RECORDED]
    assert [m.attributes["patch_id"] for m in markers] == ["week-delay"]
    goblins.testing.replay(history, patched_week)  # the replayer takes the patched branch too (raises if not)


async def test_updates_run_their_handlers_and_validators_with_time_skipped() -> None:
    async with goblins.testing.WorkflowEnvironment(workflows=[wallet]) as env:
        handle = await env.client.start_workflow(wallet)
        t0 = env.now()
        assert await handle.execute_update("deposit", 5, timeout=10) == 5
        assert await handle.execute_update("deposit", 7, timeout=10) == 12
        assert env.now() - t0 >= 2 * 24 * 3600  # two days of clearing, skipped
        before = len(await handle.history())
        with pytest.raises(goblins.UpdateRejected, match="a deposit must be positive"):
            await handle.execute_update("deposit", -1, timeout=10)
        assert len(await handle.history()) == before  # a rejected update records nothing
        await handle.signal("close")
        assert await handle.result(timeout=10) == 12
