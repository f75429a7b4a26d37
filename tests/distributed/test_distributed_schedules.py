"""Schedules across servers: two servers plan every schedule at once, and each scheduled time
starts exactly one run (the workflow id's lightweight transaction decides the start, the
schedule row's decides the state); commands through both servers lose no time."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from distributed_support import DistributedCluster

import goblins
from goblins import ScheduleOverlap

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


async def runs_per_time(client: goblins.Client, schedule_id: str) -> Counter[str]:
    runs = await client.list_workflows(workflow_name="stamp", limit=10_000)
    return Counter(r.workflow_id for r in runs if r.workflow_id.startswith(schedule_id + "-"))


async def test_two_servers_start_each_time_exactly_once(dcluster: DistributedCluster) -> None:
    dcluster.start_server()
    other, other_address = dcluster.start_other_server()
    dcluster.start_worker("wf_schedules")
    one = await dcluster.client()
    two = await goblins.Client.connect(other_address, timeout=10)
    try:
        await one.create_schedule("twice", "stamp", "t", every=1, overlap=ScheduleOverlap.ALLOW_ALL)
        handle = two.get_schedule_handle("twice")

        async def eight() -> bool:
            return (await handle.describe()).actions >= 8

        await until(eight, dcluster.patience, "eight actions")
        await handle.pause()
        await asyncio.sleep(1.0)  # plans in flight on either server finish
        d = await handle.describe()

        async def all_listed() -> bool:
            return sum((await runs_per_time(one, "twice")).values()) >= d.actions

        await until(all_listed, dcluster.patience, "every action's run to be listed")
        runs = await runs_per_time(one, "twice")
        assert set(runs.values()) == {1}, f"a time started more than once: {runs}"
        stamps = sorted(
            datetime.datetime.strptime(w.removeprefix("twice-"), "%Y-%m-%dT%H:%M:%SZ").timestamp() for w in runs
        )
        assert stamps[-1] - stamps[0] + 1 == len(stamps) == d.actions, f"a time was lost: {stamps}"
        assert d.missed == 0 and d.skipped == 0 and other.alive

        # Backfills through both servers at once: every hour starts, once.
        await one.create_schedule("hours", "stamp", "h", cron="0 * * * *", overlap=ScheduleOverlap.ALLOW_ALL)
        base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        hours = [base + datetime.timedelta(hours=h) for h in range(10)]
        clients = (one, two)
        await asyncio.gather(*(clients[i % 2].get_schedule_handle("hours").backfill(h, h) for i, h in enumerate(hours)))

        async def ten() -> bool:
            return sum((await runs_per_time(one, "hours")).values()) >= len(hours)

        await until(ten, dcluster.patience, "every backfilled hour")
        assert set((await runs_per_time(one, "hours")).values()) == {1}
        assert (await one.get_schedule_handle("hours").describe()).actions == len(hours)
    finally:
        await one.close()
        await two.close()
