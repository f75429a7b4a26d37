"""Schedules against a real server: create, list, describe, pause, trigger, backfill, update and
delete through the client; each overlap policy with real runs (``every=1``, a short scheduler
poll, waits on conditions); the CLI's commands."""

from __future__ import annotations

import asyncio
import datetime
import json
import pathlib
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

import goblins
from goblins import ScheduleOverlap as Overlap
from goblins.server import Server
from tests.conftest import StartWorker
from tests.integration import schedule_flows as f

FLOWS = dict(workflows=[f.held, f.quick])
NEVER = "0 0 1 1 *"  # once a year: nothing fires during a test unless triggered


@pytest.fixture
async def server(db_url: str) -> AsyncIterator[Server]:
    srv = Server(db_url, "127.0.0.1", 0)
    srv.schedule_poll = 0.1
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop(grace=0)


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def described(handle: goblins.ScheduleHandle) -> goblins.ScheduleDescription:
    return await handle.describe()


async def test_create_describe_list_pause_trigger_delete(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.create_schedule("yearly", f.quick, "hi", cron=NEVER, timezone="Europe/Paris")
    d = await handle.describe()
    assert (d.id, d.workflow_name, d.cron, d.timezone, d.overlap) == (
        "yearly",
        "quick",
        NEVER,
        "Europe/Paris",
        Overlap.SKIP,
    )
    # 1 January, 00:00 in Paris is 23:00 UTC on 31 December.
    assert d.next_action_times[0].strftime("%m-%d %H:%M") == "12-31 23:00"
    assert not d.paused and d.actions == 0 and not d.recent_actions
    with pytest.raises(goblins.GoblinsError, match="already exists"):
        await client.create_schedule("yearly", f.quick, cron=NEVER)

    await handle.trigger()

    async def triggered() -> bool:
        d = await handle.describe()
        return bool(d.recent_actions) and d.recent_actions[0].status == "COMPLETED"

    await until(triggered, "the triggered action to complete")
    action = (await handle.describe()).recent_actions[0]
    assert action.workflow_id == f"yearly-{action.scheduled_time.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    assert await client.get_workflow_handle(action.workflow_id).result(timeout=5) == "hi"

    await handle.pause("maintenance")
    d = await handle.describe()
    assert d.paused and d.note == "maintenance" and d.next_action_times == ()
    assert [(s.id, s.paused) for s in await client.list_schedules()] == [("yearly", True)]
    await handle.unpause()
    assert not (await handle.describe()).paused

    await handle.delete()
    assert await client.list_schedules() == []
    with pytest.raises(goblins.GoblinsError, match="no schedule"):
        await handle.describe()
    with pytest.raises(goblins.GoblinsError, match="no schedule"):
        await client.get_schedule_handle("nope").pause()


async def test_bad_specs_are_refused_with_the_reason(client: goblins.Client) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        await client.create_schedule("s", "quick")
    for kwargs, why in [
        (dict(cron="61 * * * *"), "not valid"),
        (dict(cron="0 * * * *", timezone="Mars/Olympus"), "unknown time zone"),
        (dict(every=0.5), "at least 1"),
    ]:
        with pytest.raises(goblins.GoblinsError, match=why):
            await client.create_schedule("s", "quick", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="overlap must be one of"):
        await client.create_schedule("s", "quick", every=60, overlap="SOMETIMES")


async def _first_running(handle: goblins.ScheduleHandle) -> str:
    async def one() -> bool:
        return bool((await handle.describe()).running)

    await until(one, "a first action")
    return (await handle.describe()).running[0]


async def _open(client: goblins.Client, workflow_id: str) -> None:
    await client.get_workflow_handle(workflow_id).signal("open")


async def test_skip_starts_nothing_while_the_action_runs(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.create_schedule("skip", f.held, "s", every=1, overlap=Overlap.SKIP)
    first = await _first_running(handle)

    async def skipped_two() -> bool:
        return (await handle.describe()).skipped >= 2

    await until(skipped_two, "two skipped times")
    d = await handle.describe()
    assert d.running == (first,) and d.actions == 1 and d.buffered == ()
    await _open(client, first)

    async def next_one() -> bool:
        d = await handle.describe()
        return d.actions == 2 and bool(d.running) and d.running[0] != first

    await until(next_one, "the next time to start once the first closed")
    await handle.pause()


async def test_buffer_one_starts_one_waiting_time_when_the_action_closes(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**FLOWS)
    handle = await client.create_schedule("b1", f.held, "b", every=1, overlap="buffer_one")
    first = await _first_running(handle)

    async def buffered_and_skipped() -> bool:
        d = await handle.describe()
        return len(d.buffered) == 1 and d.skipped >= 1

    await until(buffered_and_skipped, "one buffered time and one skipped")
    waiting = (await handle.describe()).buffered[0]
    await handle.pause()  # no new times from here: the buffered one still starts
    await _open(client, first)

    async def started() -> bool:
        d = await handle.describe()
        return d.actions == 2 and not d.buffered

    await until(started, "the buffered time to start")
    assert (await handle.describe()).recent_actions[0].scheduled_time == waiting


async def test_buffer_all_starts_each_waiting_time_in_turn(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.create_schedule("ball", f.held, "a", every=1, overlap=Overlap.BUFFER_ALL)
    first = await _first_running(handle)

    async def two_waiting() -> bool:
        return len((await handle.describe()).buffered) >= 2

    await until(two_waiting, "two buffered times")
    await handle.pause()
    waiting = (await handle.describe()).buffered
    current = first
    for expected in waiting:
        await _open(client, current)

        async def next_started(previous: str = current) -> bool:
            d = await handle.describe()
            return bool(d.running) and d.running[0] != previous

        await until(next_started, "the next buffered time")
        d = await handle.describe()
        assert d.recent_actions[0].scheduled_time == expected and len(d.running) == 1
        current = d.running[0]
    assert (await handle.describe()).skipped == 0


async def test_cancel_other_cancels_the_running_action_then_starts(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**FLOWS)
    handle = await client.create_schedule("cancel", f.held, "c", every=1, overlap=Overlap.CANCEL_OTHER)
    first = await _first_running(handle)
    with pytest.raises(goblins.WorkflowCancelled):
        await client.get_workflow_handle(first).result(timeout=10)

    async def replaced() -> bool:
        d = await handle.describe()
        return bool(d.running) and first not in d.running

    await until(replaced, "a new action after the cancelled one")
    await handle.pause()


async def test_terminate_other_terminates_the_running_action(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.create_schedule("term", f.held, "t", every=1, overlap=Overlap.TERMINATE_OTHER)
    first = await _first_running(handle)
    with pytest.raises(goblins.WorkflowTerminated):
        await client.get_workflow_handle(first).result(timeout=10)

    async def replaced() -> bool:
        d = await handle.describe()
        return d.actions >= 2 and len(d.running) == 1 and d.running[0] != first

    await until(replaced, "the terminating action recorded")
    await handle.pause()


async def test_allow_all_runs_actions_side_by_side(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.create_schedule("all", f.held, "x", every=1, overlap=Overlap.ALLOW_ALL)

    async def three() -> bool:
        return len((await handle.describe()).running) >= 3

    await until(three, "three actions running at once")
    await handle.pause()
    d = await handle.describe()
    assert d.skipped == 0
    statuses = {a.status for a in d.recent_actions}
    assert statuses == {"RUNNING"}


async def test_backfill_starts_each_past_time_once(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.create_schedule("hourly", f.quick, "h", cron="0 * * * *")
    now = datetime.datetime.now(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    start, end = now - datetime.timedelta(hours=3), now - datetime.timedelta(hours=1)
    await handle.backfill(start, end, overlap=Overlap.ALLOW_ALL)
    wanted = {f"hourly-{(start + datetime.timedelta(hours=h)).strftime('%Y-%m-%dT%H:%M:%SZ')}" for h in range(3)}

    async def three_done() -> bool:
        d = await handle.describe()
        return {a.workflow_id for a in d.recent_actions if a.status == "COMPLETED"} == wanted

    await until(three_done, "the three backfilled times")
    await handle.backfill(start, end, overlap=Overlap.ALLOW_ALL)  # again: no second run of any time

    async def drained() -> bool:
        d = await handle.describe()
        return not d.buffered and d.actions == 6

    await until(drained, "the second backfill to be dealt with")
    runs = await client.list_workflows(workflow_name="quick")
    assert sorted(r.workflow_id for r in runs) == sorted(wanted)


async def test_update_replaces_the_spec_and_keeps_the_state(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.create_schedule("upd", f.quick, "u", cron=NEVER)
    await handle.trigger()
    await handle.update(f.quick, "v", every=3600, overlap="ALLOW_ALL")
    d = await handle.describe()
    assert d.cron == "" and d.every == datetime.timedelta(hours=1) and d.overlap == Overlap.ALLOW_ALL
    assert d.actions + len(d.buffered) == 1  # the trigger is kept
    nxt = d.next_action_times[0].timestamp()
    assert nxt % 3600 == 0 and 0 < nxt - time.time() <= 3600


async def run_cli(*args: str, address: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "goblins",
        "schedule",
        *args,
        "--server",
        address,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_the_cli(address: str, client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    code, out, err = await run_cli(
        "create", "nightly", "quick", "--input", '"n"', "--cron", "30 2 * * *", "--timezone", "Europe/Paris",
        "--overlap", "buffer_all", "--catchup-window", "600", address=address,
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == "created schedule nightly"
    code, out, _ = await run_cli("list", address=address)
    assert code == 0 and "nightly" in out and "cron '30 2 * * *' Europe/Paris" in out and "BUFFER_ALL" in out
    assert (await run_cli("pause", "nightly", "--note", "db move", address=address))[0] == 0
    code, out, _ = await run_cli("describe", "nightly", address=address)
    assert code == 0 and "paused (db move)" in out and "next: -" in out
    assert (await run_cli("unpause", "nightly", address=address))[0] == 0
    assert (await run_cli("trigger", "nightly", address=address))[0] == 0
    code, out, _ = await run_cli("backfill", "nightly", "2026-01-01T00:00:00", "2026-01-02T23:59:59", address=address)
    assert code == 0 and "backfilled schedule nightly" in out
    handle = client.get_schedule_handle("nightly")

    async def three() -> bool:
        d = await handle.describe()
        return d.actions == 3 and all(a.status == "COMPLETED" for a in d.recent_actions)

    await until(three, "the trigger and two backfilled nights")
    times = {a.workflow_id for a in (await handle.describe()).recent_actions}
    # 02:30 in Paris in January is 01:30 UTC.
    assert {"nightly-2026-01-01T01:30:00Z", "nightly-2026-01-02T01:30:00Z"} <= times
    code, out, _ = await run_cli("describe", "nightly", "--json", address=address)
    assert code == 0 and json.loads(out)["actions"] == 3
    assert (await run_cli("delete", "nightly", address=address))[0] == 0
    code, _, err = await run_cli("describe", "nightly", address=address)
    assert code == 2 and "no schedule 'nightly'" in err
    code, _, err = await run_cli("create", "x", "quick", "--cron", "nope", address=address)
    assert code == 2 and err == "goblins: cron must have 5 fields (minute hour day month weekday), got 'nope'\n"


async def test_schedules_in_process(tmp_path: pathlib.Path) -> None:
    async with goblins.LocalServer(str(tmp_path / "local.db"), workflows=[f.quick]) as local:
        handle = await local.client.create_schedule("local", f.quick, "l", every=1)

        async def two() -> bool:
            d = await handle.describe()
            return d.actions >= 2 and all(a.status == "COMPLETED" for a in d.recent_actions)

        await until(two, "two actions in process")
        assert [s.id for s in await local.client.list_schedules()] == ["local"]


async def test_concurrent_backfills_lose_no_time(client: goblins.Client, start_worker: StartWorker) -> None:
    """Commands and the scheduler's plans write the same row at once: each write names the
    version it read, so none overwrites another's times."""
    await start_worker(**FLOWS)
    handle = await client.create_schedule("busy", f.quick, "b", cron="0 * * * *", overlap=Overlap.ALLOW_ALL)
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    hours = [base + datetime.timedelta(hours=h) for h in range(12)]
    await asyncio.gather(*(handle.backfill(h, h) for h in hours))
    wanted = {f"busy-{h.strftime('%Y-%m-%dT%H:%M:%SZ')}" for h in hours}

    async def all_started() -> bool:
        return len(await client.list_workflows(workflow_name="quick")) >= len(hours)

    await until(all_started, "every backfilled hour to start")
    runs = await client.list_workflows(workflow_name="quick")
    assert sorted(r.workflow_id for r in runs) == sorted(wanted)
    assert (await handle.describe()).actions == len(hours)
