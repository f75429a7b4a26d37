"""Schedules across a server kill -9 of known length: the missed times within the catch-up
window fire, the older ones are counted, none twice (both modes). Two servers planning one
schedule: tests/distributed/test_distributed_schedules.py."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from e2e_support import Cluster

import goblins
from goblins import ScheduleOverlap

pytestmark = pytest.mark.e2e

DOWN = 8.0  # seconds the server stays dead
WINDOW = 4.0  # the schedule's catch-up window


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


def tick_of(workflow_id: str, schedule_id: str) -> int:
    stamp = workflow_id.removeprefix(schedule_id + "-")
    return int(datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC).timestamp())


async def ticks(client: goblins.Client, schedule_id: str) -> Counter[int]:
    """How many runs each scheduled time has (by its workflow id)."""
    runs = await client.list_workflows(workflow_name="stamp", limit=10_000)
    return Counter(tick_of(r.workflow_id, schedule_id) for r in runs if r.workflow_id.startswith(schedule_id + "-"))


async def described(client: goblins.Client, schedule_id: str) -> goblins.ScheduleDescription:
    return await client.get_schedule_handle(schedule_id).describe()


@pytest.mark.both_modes
@pytest.mark.parametrize("overlap", [ScheduleOverlap.ALLOW_ALL, ScheduleOverlap.SKIP])
async def test_missed_times_within_the_catchup_window_fire_after_a_server_kill9(
    cluster: Cluster, measure: Callable[[str], None], overlap: ScheduleOverlap
) -> None:
    cluster.start_server()
    cluster.start_worker("wf_schedules")
    async with await cluster.client() as client:
        await client.create_schedule("beat", "stamp", "b", every=1, overlap=overlap, catchup_window=WINDOW)

        async def two_actions() -> bool:
            return (await described(client, "beat")).actions >= 2

        await until(two_actions, cluster.patience, "two actions before the kill")
    cluster.kill_server()
    killed = time.time()
    await asyncio.sleep(DOWN)
    restarting = time.time()
    cluster.start_server(timeout=cluster.recovery)
    listening = time.time()
    async with await cluster.client() as client:

        async def caught_up() -> bool:
            d = await described(client, "beat")
            return (
                d.missed > 0 and bool(d.recent_actions) and d.recent_actions[0].scheduled_time.timestamp() > listening
            )

        await until(caught_up, cluster.recovery, "the scheduler to run again")
        await client.get_schedule_handle("beat").pause()
        await asyncio.sleep(0.5)  # a plan in flight when the pause landed writes nothing after it
        d = await described(client, "beat")

        refused = [a for a in d.recent_actions if a.error]
        assert not refused, f"actions that could not start: {refused}"

        async def all_listed() -> bool:
            return sum((await ticks(client, "beat")).values()) >= d.actions

        await until(all_listed, cluster.patience, f"every action's run to be listed ({d})")
        runs = await ticks(client, "beat")
    assert set(runs.values()) == {1}, f"a time started twice: {runs}"
    down = [t for t in range(int(killed) + 1, int(listening) + 1) if t in runs]
    assert all(t >= restarting - WINDOW - 1 for t in down), f"a time older than the window fired: {down}"
    assert d.missed >= DOWN - WINDOW - 2
    # The restarted server's first plan dealt with the missed times at once: the first run after
    # the kill is a time of that plan's window (the later ones in it: by the policy).
    after = sorted(t for t in runs if t > killed)
    caught = after[0]
    assert restarting - WINDOW - 1 <= caught, f"a time older than the window fired: {after}"
    first_plan = [caught]
    if overlap == ScheduleOverlap.ALLOW_ALL:
        first, last = min(runs), max(runs)
        # Every time from the first to the last either started its one run or was counted missed.
        assert (last - first + 1) == d.actions + d.missed and d.skipped == 0
        assert after == list(range(caught, last + 1)), f"a time after the restart did not fire: {after}"
        first_plan = [t for t in after if t <= listening]
    else:  # SKIP: of the window's times, the first starts and the next ones are skipped (it runs)
        assert caught + 1 not in runs, f"SKIP started two times of the window: {after}"
        assert d.skipped >= 1
    measure(
        f"schedules ({cluster.mode}, {overlap.value}): server down {listening - killed:.1f}s, every 1s, "
        f"window {WINDOW:g}s: {len(first_plan)} missed times fired after the restart, {d.missed} counted "
        f"missed, {d.skipped} skipped"
    )
