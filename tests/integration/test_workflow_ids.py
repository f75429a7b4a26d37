"""Workflow ids: business keys over runs, their reuse and conflict policies, handles by id."""

from __future__ import annotations

import asyncio

import pytest

import goblins
from goblins import IdConflictPolicy as Conflict
from goblins import IdReusePolicy as Reuse
from tests.conftest import StartWorker
from tests.integration import workflow_ids_flows as f

FLOWS = dict(workflows=[f.gate, f.relay])


async def _closed(client: goblins.Client, wid: str, outcome: str) -> str:
    """Start a gate under ``wid`` and close it: COMPLETED, FAILED or TERMINATED; its run id."""
    handle = await client.start_workflow(f.gate, "old", id=wid)
    if outcome == "TERMINATED":
        await handle.terminate("test")
    else:
        await handle.signal("open", "fail" if outcome == "FAILED" else "ok")
    with pytest.raises(goblins.WorkflowFailed) if outcome != "COMPLETED" else _nothing():
        await handle.result(timeout=10)
    assert handle.run_id is not None
    return handle.run_id


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


async def test_an_id_gets_server_made_run_ids_and_a_handle_by_id(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**FLOWS)
    handle = await client.start_workflow(f.gate, "a", id="order-42")
    assert handle.id == "order-42" and handle.run_id and handle.run_id != "order-42"
    by_id = client.get_workflow_handle("order-42")
    assert by_id.id == "order-42" and by_id.run_id is None
    await by_id.signal("open", "ok")
    assert await by_id.result(timeout=10) == "a"
    history = await by_id.history()
    assert history[0].type == goblins.events.EventType.WORKFLOW_SCHEDULED
    described = await by_id.describe()
    assert described.run_id == handle.run_id and described.status == "COMPLETED"
    runs = {r.run_id: r for r in await client.list_workflows()}
    assert runs[handle.run_id].workflow_id == "order-42"


async def test_without_an_id_the_workflow_id_is_the_run_id(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    handle = await client.start_workflow(f.gate, "b")
    assert handle.id == handle.run_id
    await client.get_workflow_handle(handle.id).signal("open", "ok")
    assert await handle.result(timeout=10) == "b"
    runs = {r.run_id: r for r in await client.list_workflows()}
    assert runs[handle.run_id].workflow_id == handle.run_id


@pytest.mark.parametrize(
    ("policy", "outcome", "allowed"),
    [
        (Reuse.ALLOW_DUPLICATE, "COMPLETED", True),
        (Reuse.ALLOW_DUPLICATE, "FAILED", True),
        (Reuse.ALLOW_DUPLICATE, "TERMINATED", True),
        (Reuse.ALLOW_DUPLICATE_FAILED_ONLY, "COMPLETED", False),
        (Reuse.ALLOW_DUPLICATE_FAILED_ONLY, "FAILED", True),
        (Reuse.ALLOW_DUPLICATE_FAILED_ONLY, "TERMINATED", True),
        (Reuse.REJECT_DUPLICATE, "COMPLETED", False),
        (Reuse.REJECT_DUPLICATE, "FAILED", False),
        (Reuse.REJECT_DUPLICATE, "TERMINATED", False),
    ],
)
async def test_reuse_policy_decides_a_start_after_a_closed_run(
    client: goblins.Client, start_worker: StartWorker, policy: Reuse, outcome: str, allowed: bool
) -> None:
    await start_worker(**FLOWS)
    old = await _closed(client, "reuse", outcome)
    if allowed:
        new = await client.start_workflow(f.gate, "new", id="reuse", id_reuse_policy=policy)
        assert new.run_id != old
        await client.get_workflow_handle("reuse").signal("open", "ok")
        assert await new.result(timeout=10) == "new"
    else:
        with pytest.raises(goblins.WorkflowAlreadyStarted) as refused:
            await client.start_workflow(f.gate, "new", id="reuse", id_reuse_policy=policy)
        assert refused.value.workflow_id == "reuse" and refused.value.run_id == old
        assert [r.run_id for r in await client.list_workflows() if r.workflow_id == "reuse"] == [old]


@pytest.mark.parametrize("policy", list(Conflict))
@pytest.mark.parametrize("reuse", [Reuse.ALLOW_DUPLICATE, Reuse.REJECT_DUPLICATE])
async def test_conflict_policy_decides_a_start_while_a_run_is_running(
    client: goblins.Client, start_worker: StartWorker, policy: Conflict, reuse: Reuse
) -> None:
    await start_worker(**FLOWS)
    first = await client.start_workflow(f.gate, "first", id="busy")
    if policy == Conflict.FAIL:
        with pytest.raises(goblins.WorkflowAlreadyStarted) as refused:
            await client.start_workflow(f.gate, "second", id="busy", id_conflict_policy=policy, id_reuse_policy=reuse)
        assert refused.value.run_id == first.run_id
        await client.get_workflow_handle("busy").signal("open", "ok")
        assert await first.result(timeout=10) == "first"
    elif policy == Conflict.USE_EXISTING:
        same = await client.start_workflow(
            f.gate, "second", id="busy", id_conflict_policy=policy, id_reuse_policy=reuse
        )
        assert same.run_id == first.run_id
        await same.signal("open", "ok")
        assert await same.result(timeout=10) == "first"
    else:
        second = await client.start_workflow(
            f.gate, "second", id="busy", id_conflict_policy=policy, id_reuse_policy=reuse
        )
        assert second.run_id != first.run_id
        with pytest.raises(goblins.WorkflowTerminated):
            await client.get_workflow_handle("busy", run_id=first.run_id).result(timeout=10)
        await client.get_workflow_handle("busy").signal("open", "ok")  # reaches the new run
        assert await second.result(timeout=10) == "second"
    assert len([r for r in await client.list_workflows() if r.workflow_id == "busy"]) == (
        2 if policy == Conflict.TERMINATE_EXISTING else 1
    )


async def test_policies_by_name(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    first = await client.start_workflow(f.gate, "x", id="named")
    same = await client.start_workflow(f.gate, "y", id="named", id_conflict_policy="use_existing")
    assert same.run_id == first.run_id
    with pytest.raises(ValueError, match="IdConflictPolicy"):
        await client.start_workflow(f.gate, "y", id="named", id_conflict_policy="sometimes")
    await first.terminate()


async def test_a_handle_by_id_follows_continue_as_new(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    started = await client.start_workflow(f.relay, 2, [], id="relay")
    by_id = client.get_workflow_handle("relay")
    for n in range(3):  # each signal reaches the newest run of the chain
        await by_id.signal("hop", f"h{n}")
        if n < 2:
            await _until(lambda n=n: _run_count(client, "relay", n + 2))
    assert await by_id.result(timeout=10) == ["h0", "h1", "h2"]
    assert await started.result(timeout=10) == ["h0", "h1", "h2"]
    # The first run is still there, by its run id; the id's history is the last run's.
    first = client.get_workflow_handle("relay", run_id=started.run_id)
    assert (await first.history())[-1].attributes["continued_as"] == f"{started.run_id}~2"
    assert (await by_id.history())[-1].type == goblins.events.EventType.WORKFLOW_FINISHED_IN_SUCCESS
    with pytest.raises(goblins.GoblinsError, match="already finished"):
        await first.signal("hop", "late")
    chain = [r for r in await client.list_workflows() if r.workflow_id == "relay"]
    assert len(chain) == 3


async def test_run_id_keeps_its_idempotent_start(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    one = await client.start_workflow(f.gate, "p", run_id="pay-1")
    two = await client.start_workflow(f.gate, "q", run_id="pay-1")
    assert one.run_id == two.run_id == "pay-1" and one.id == "pay-1"
    await two.signal("open", "ok")
    assert await one.result(timeout=10) == "p"
    again = await client.start_workflow(f.gate, "r", run_id="pay-1")  # closed: still the same run
    assert again.run_id == "pay-1" and await again.result(timeout=10) == "p"


async def test_an_id_over_an_old_run_id(client: goblins.Client, start_worker: StartWorker) -> None:
    """A run started without id= has its run id as workflow id: the policies see it."""
    await start_worker(**FLOWS)
    await client.start_workflow(f.gate, "old", run_id="legacy")
    with pytest.raises(goblins.WorkflowAlreadyStarted):
        await client.start_workflow(f.gate, "new", id="legacy")


async def test_concurrent_starts_of_one_id_make_one_run(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)

    async def start(n: int) -> str | None:
        try:
            return (await client.start_workflow(f.gate, str(n), id="race")).run_id
        except goblins.WorkflowAlreadyStarted:
            return None

    won = [r for r in await asyncio.gather(*(start(n) for n in range(20))) if r]
    assert len(won) == 1
    assert [r.run_id for r in await client.list_workflows() if r.workflow_id == "race"] == won
    await client.get_workflow_handle("race").terminate()


async def _run_count(client: goblins.Client, wid: str, n: int) -> bool:
    return len([r for r in await client.list_workflows() if r.workflow_id == wid]) >= n


async def _until(check: object, wait: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while loop.time() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never")


async def test_the_cli_by_workflow_id(address: str, client: goblins.Client, start_worker: StartWorker) -> None:
    from tests.integration.test_cli import goblins_cli, one_line_error

    await start_worker(**FLOWS)
    code, out, err = await goblins_cli(
        "workflow", "start", "relay", "--input", "1", "--input", "[]", "--id", "cli-relay", "--server", address
    )
    assert code == 0, err
    first = out.strip()
    assert first and first != "cli-relay"
    code, _, err = await goblins_cli(
        "workflow", "start", "relay", "--input", "1", "--input", "[]", "--id", "cli-relay", "--server", address
    )
    assert "already has a run" in one_line_error(code, err)
    code, out, _ = await goblins_cli(
        *("workflow", "start", "relay", "--input", "1", "--input", "[]", "--id", "cli-relay"),
        *("--id-conflict-policy", "use_existing", "--server", address),
    )
    assert code == 0 and out.strip() == first
    assert (await goblins_cli("workflow", "signal", "cli-relay", "hop", "--input", '"a"', "--server", address))[0] == 0
    await _until(lambda: _run_count(client, "cli-relay", 2))
    assert (await goblins_cli("workflow", "signal", "cli-relay", "hop", "--input", '"b"', "--server", address))[0] == 0
    code, out, err = await goblins_cli("workflow", "result", "cli-relay", "--server", address)
    assert code == 0 and out.strip() == '["a","b"]', err
    code, out, err = await goblins_cli("workflow", "describe", "cli-relay", "--run-id", first, "--server", address)
    assert code == 0 and first in out and "CONTINUED_AS_NEW" in out, out + err
    code, out, err = await goblins_cli("workflow", "show", "cli-relay", "--server", address)
    assert code == 0 and f"{first}~2" in out and "COMPLETED" in out, out + err
    code, out, _ = await goblins_cli("workflow", "list", "--server", address)
    assert out.splitlines()[0].split()[-2:] == ["WORKFLOW", "ID"] and "cli-relay" in out
