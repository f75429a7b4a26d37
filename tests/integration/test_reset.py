"""Reset (docs/reset.md): a new run of the workflow id from a point of a run's history."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import goblins
import goblins.testing
from goblins.events import EventType
from tests.conftest import StartWorker
from tests.integration import reset_flows as f

FLOWS = dict(workflows=[f.order, f.collect, f.sleeper], activities=[f.step])


@pytest.fixture(autouse=True)
def _fresh_flows() -> Iterator[None]:
    f.FIXED = False
    f.RAN.clear()
    yield
    f.FIXED = False


def _seq_of(history: list[goblins.Event], kind: str, step: str = "") -> int:
    """The seq of the first event of ``kind`` (about the activity named ``step``: its input's name)."""
    for e in history:
        if e.type.value == kind and (not step or step in repr(e)):
            return e.seq
    raise AssertionError(f"no {kind} {step} in the history")


async def test_a_bug_fixed_by_a_deploy_and_a_reset(client: goblins.Client, start_worker: StartWorker) -> None:
    """THE story: the buggy release computes an activity's input wrong, the activity fails the
    run; the fixed release is deployed, the run is reset to the point before the bad step, and
    it completes; the steps before the point do not run again."""
    buggy = await start_worker(**FLOWS)
    handle = await client.start_workflow(f.order, 3, id="order-7")
    with pytest.raises(goblins.WorkflowFailed, match="amount -3 is negative"):
        await handle.result(timeout=20)
    assert f.RAN == {"reserve": 1, "charge": 1, "ship": 1}
    history = await handle.history()
    charged = [e for e in history if e.type == EventType.ACTIVITY_FINISHED_IN_SUCCESS][-1].seq

    await buggy.shutdown()  # the deploy: the old workers go, the fixed ones come
    f.FIXED = True
    await start_worker(**FLOWS)
    new = await handle.reset(to_step=charged, reason="ship amount sign fixed")
    assert new.id == "order-7" and new.run_id != handle.run_id
    assert await new.result(timeout=20) == ["reserve 3", "charge 30", "ship 3"]
    assert f.RAN == {"reserve": 1, "charge": 1, "ship": 2}, "the steps before the point ran again"

    by_id = client.get_workflow_handle("order-7")
    assert await by_id.result(timeout=5) == ["reserve 3", "charge 30", "ship 3"]
    copied = await new.history()
    first = copied[0]
    assert first.type == EventType.WORKFLOW_SCHEDULED
    old = [(e.seq, e.type) for e in history[:charged]]
    assert [(e.seq, e.type) for e in copied[:charged]] == old
    goblins.testing.replay(copied, f.order)  # the reset run's history replays on the fixed code (the gate)


async def test_a_running_run_is_terminated_with_a_link_and_its_later_signals_reapplied(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**FLOWS)
    handle = await client.start_workflow(f.collect, 3, id="basket-1")
    await handle.signal("add", "a")
    await _wait_for(handle, lambda h: sum(e.type == EventType.ACTIVITY_FINISHED_IN_SUCCESS for e in h) == 1)
    point = _seq_of(await handle.history(), "ACTIVITY_FINISHED_IN_SUCCESS")
    await handle.signal("add", "b")
    await _wait_for(handle, lambda h: sum(e.type == EventType.ACTIVITY_FINISHED_IN_SUCCESS for e in h) == 2)
    new = await handle.reset(to_step=point, reason="replay b")
    with pytest.raises(goblins.WorkflowTerminated):
        await handle.result(timeout=5)
    old = client.get_workflow_handle("basket-1", run_id=handle.run_id)  # the id now names the new run
    end = (await old.history())[-1]
    assert end.attributes["reset_to_run_id"] == new.run_id
    assert "reset: run " + str(new.run_id) in (end.failure.message if end.failure else "")
    copied = await new.history()
    assert copied[0].attributes["reset_from_run_id"] == handle.run_id
    assert copied[0].attributes["reset_to_seq"] == point
    assert copied[0].attributes["workflow_id"] == "basket-1"
    signals = [e for e in copied if e.type == EventType.WORKFLOW_SIGNALED]
    assert len(signals) == 2 and signals[1].seq > point  # "b": re-applied after the copy
    await client.get_workflow_handle("basket-1").signal("add", "c")
    assert await new.result(timeout=10) == ["add-a 1", "add-b 1", "add-c 1"]
    assert f.RAN == {"add-a": 1, "add-b": 2, "add-c": 1}
    runs = {r.run_id: r for r in await client.list_workflows(workflow_name="reset.collect")}
    assert runs[handle.run_id].status == "TERMINATED" and runs[new.run_id].workflow_id == "basket-1"


async def test_dropped_signals_are_not_reapplied(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.start_workflow(f.collect, 2, id="basket-2")
    await handle.signal("add", "a")
    await _wait_for(handle, lambda h: h[-1].type == EventType.ACTIVITY_FINISHED_IN_SUCCESS)
    await handle.signal("add", "b")
    await _wait_for(handle, lambda h: h[-1].type == EventType.WORKFLOW_FINISHED_IN_SUCCESS)
    point = _seq_of(await handle.history(), "ACTIVITY_FINISHED_IN_SUCCESS")
    new = await handle.reset(to_step=point, reapply_signals=False)
    copied = await new.history()
    assert sum(e.type == EventType.WORKFLOW_SIGNALED for e in copied) == 1
    await new.signal("add", "z")
    assert await new.result(timeout=10) == ["add-a 1", "add-z 1"]
    assert f.RAN["add-a"] == 1, "a step before the point ran again"


async def test_reset_to_the_start_and_to_the_last_workflow_task(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**FLOWS)
    handle = await client.start_workflow(f.order, 2)
    with pytest.raises(goblins.WorkflowFailed):
        await handle.result(timeout=20)
    history = await handle.history()
    f.FIXED = True
    again = await handle.reset(to_last_workflow_task=True)  # before the decision to fail: ship failed again
    with pytest.raises(goblins.WorkflowFailed, match="amount -2 is negative"):
        await again.result(timeout=20)
    last = (await again.history())[0].attributes["reset_to_seq"]
    assert last == _seq_of(history, "ACTIVITY_FINISHED_IN_ERROR")
    assert f.RAN == {"reserve": 1, "charge": 1, "ship": 1}, "replayed, not run"
    fresh = await again.reset(to_step=1)  # from the start: every step runs again
    assert await fresh.result(timeout=20) == ["reserve 2", "charge 20", "ship 2"]
    assert f.RAN == {"reserve": 2, "charge": 2, "ship": 2}
    assert fresh.id == handle.run_id  # a run started without an id: its own run id is its workflow id


async def test_a_timer_pending_at_the_point_is_started_again(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.start_workflow(f.sleeper, 0.3)
    assert await handle.result(timeout=10) == "before-sleep 1 / after-sleep 1"
    history = await handle.history()
    point = _seq_of(history, "ACTIVITY_FINISHED_IN_SUCCESS")  # after it, the timer started
    new = await handle.reset(to_step=point)
    assert await new.result(timeout=10) == "before-sleep 1 / after-sleep 1"
    assert f.RAN == {"before-sleep": 1, "after-sleep": 2}


async def test_bad_points_are_refused_naming_the_valid_ones(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.start_workflow(f.order, 1)
    with pytest.raises(goblins.WorkflowFailed):
        await handle.result(timeout=20)
    scheduled = _seq_of(await handle.history(), "ACTIVITY_SCHEDULED")
    with pytest.raises(
        goblins.GoblinsError,
        match=r"step \d+ \(ACTIVITY_SCHEDULED\) is not a workflow-task boundary.*"
        r"Valid points: 1 \(WORKFLOW_SCHEDULED\), \d+ \(ACTIVITY_FINISHED_IN_SUCCESS\)",
    ):
        await handle.reset(to_step=scheduled)
    with pytest.raises(goblins.GoblinsError, match=r"step 999 is not an event of the run \(its events are 1\.\.\d+\)"):
        await handle.reset(to_step=999)
    with pytest.raises(ValueError, match="exactly one point"):
        await handle.reset()
    with pytest.raises(goblins.WorkflowNotFound):
        await client.get_workflow_handle("no-such-run").reset(to_step=1)
    assert len(await client.list_workflows(workflow_name="reset.order")) == 1, "a refused reset made a run"


async def test_concurrent_resets_of_one_run_make_one_new_run(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.start_workflow(f.collect, 1, id="basket-3")
    outcomes = await asyncio.gather(*(handle.reset(to_step=1) for _ in range(4)), return_exceptions=True)
    won = [o for o in outcomes if isinstance(o, goblins.WorkflowHandle)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1, outcomes
    assert all("nothing was reset" in str(o) for o in lost), lost
    runs = await client.list_workflows(workflow_name="reset.collect")
    assert sorted(r.status for r in runs) == ["RUNNING", "TERMINATED"]
    await client.get_workflow_handle("basket-3").signal("add", "x")
    assert await won[0].result(timeout=10) == ["add-x 1"]


async def _wait_for(handle: goblins.WorkflowHandle, done: object, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not done(await handle.history()):  # type: ignore[operator]
        assert loop.time() < give_up, "timed out"
        await asyncio.sleep(0.05)


async def test_the_ui_shows_workflow_ids_and_the_reset_links(
    address: str, client: goblins.Client, start_worker: StartWorker
) -> None:
    from tests.integration.webui_support import Page, running_ui

    await start_worker(**FLOWS)
    handle = await client.start_workflow(f.collect, 1, id="basket-ui")
    new = await handle.reset(to_step=1, reason="ui")
    async with running_ui(address) as web:
        page = Page(f"http://127.0.0.1:{web.port}")
        status, body = await page.fetch("/api/runs")
        assert status == 200
        assert {r["run_id"]: r["workflow_id"] for r in body["runs"]} == {
            handle.run_id: "basket-ui",
            new.run_id: "basket-ui",
        }
        status, body = await page.fetch(f"/api/runs/{new.run_id}?run_id={new.run_id}")
        start = body["events"][0]["attributes"]
        assert (start["workflow_id"], start["reset_from_run_id"], start["reset_reason"]) == (
            "basket-ui",
            handle.run_id,
            "ui",
        )
        status, body = await page.fetch(f"/api/runs/{handle.run_id}?run_id={handle.run_id}")
        assert body["events"][-1]["attributes"]["reset_to_run_id"] == new.run_id
        status, described = await page.fetch(f"/api/runs/{handle.run_id}/describe?run_id={handle.run_id}")
        assert described["reset_to"] == new.run_id
        status, script = await page.fetch("/webui.js")
        assert "reset from <a" in script and "reset to <a" in script and "first.attributes.workflow_id" in script
        status, html = await page.fetch("/")
        assert "<th>workflow id</th>" in html


async def test_reset_to_a_signal_and_to_a_fired_timer(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    basket = await client.start_workflow(f.collect, 2)
    await basket.signal("add", "a")
    await _wait_for(basket, lambda h: h[-1].type == EventType.ACTIVITY_FINISHED_IN_SUCCESS)
    await basket.signal("add", "b")
    assert await basket.result(timeout=10) == ["add-a 1", "add-b 1"]
    second = [e.seq for e in await basket.history() if e.type == EventType.WORKFLOW_SIGNALED][1]
    again = await basket.reset(to_step=second)
    assert await again.result(timeout=10) == ["add-a 1", "add-b 1"]
    assert f.RAN == {"add-a": 1, "add-b": 2}  # the step after the signal ran again, not the one before

    sleeper = await client.start_workflow(f.sleeper, 0.05)
    await sleeper.result(timeout=10)
    fired = _seq_of(await sleeper.history(), "TIMER_FIRED")
    woke = await sleeper.reset(to_step=fired)
    assert await woke.result(timeout=10) == "before-sleep 1 / after-sleep 1"
    assert (f.RAN["before-sleep"], f.RAN["after-sleep"]) == (1, 2)
    assert not [e for e in (await woke.history())[fired:] if e.type == EventType.TIMER_STARTED]
