"""Updates and signal-with-start against a real server (gRPC, SQLite) and a worker, in process."""

from __future__ import annotations

from pathlib import Path

import pytest

import goblins
from tests.conftest import StartWorker
from tests.integration import updates as u
from tests.integration.test_cli import goblins_cli, one_line_error

ALL = dict(workflows=[u.cart, u.tally], activities=[u.record])


async def _types(handle: goblins.WorkflowHandle) -> list[str]:
    return [e.type.value for e in await handle.history()]


async def test_execute_update_returns_the_handler_result(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(u.cart, "ann")
    assert await handle.execute_update("add", "apple", 2, timeout=10) == 2
    assert await handle.execute_update("add", "apple", 3, timeout=10) == 5
    assert await handle.query("items") == {"apple": 5}
    types = await _types(handle)
    assert types.count("UPDATE_ACCEPTED") == 2 and types.count("UPDATE_COMPLETED") == 2
    accepted = [e for e in await handle.history() if e.type.value == "UPDATE_ACCEPTED"]
    assert accepted[0].name == "add" and accepted[0].input == ["apple", 2]
    await handle.signal("checkout")
    assert await handle.result(timeout=10) == {"owner": "ann", "items": {"apple": 5}, "adds": 2}


async def test_a_rejected_update_writes_nothing(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(u.cart, "bob")
    await handle.execute_update("add", "pear", 1, timeout=10)
    before = len(await handle.history())
    with pytest.raises(goblins.UpdateRejected, match="quantity must be positive") as caught:
        await handle.execute_update("add", "pear", -1, timeout=10)
    assert caught.value.error_type == "ValueError"
    with pytest.raises(goblins.UpdateRejected, match="no update handler 'nope'"):
        await handle.execute_update("nope", timeout=10)
    assert len(await handle.history()) == before


async def test_a_handler_that_raises_gives_update_failed(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(u.cart, "cy")
    with pytest.raises(goblins.UpdateFailed, match="no kiwi in the cart") as caught:
        await handle.execute_update("remove", "kiwi", timeout=10)
    assert not isinstance(caught.value, goblins.UpdateRejected)
    assert caught.value.error_type == "NotInCart" and caught.value.details == ("kiwi",)
    completed = [e for e in await handle.history() if e.type.value == "UPDATE_COMPLETED"]
    assert completed[0].failure is not None and completed[0].failure.type == "NotInCart"


async def test_start_update_and_resending_an_update_id(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(u.cart, "di")
    update = await handle.start_update("add", "fig", 4, update_id="u-1")
    assert update.id == "u-1" and await update.result(timeout=10) == 4
    # The same id again: answered from the history, the handler not run again.
    assert await handle.execute_update("add", "fig", 4, update_id="u-1", timeout=10) == 4
    assert await handle.query("items") == {"fig": 4}
    assert (await _types(handle)).count("UPDATE_ACCEPTED") == 1


async def test_an_update_to_a_finished_run_is_refused(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(u.cart, "ed")
    await handle.signal("checkout")
    await handle.result(timeout=10)
    with pytest.raises(goblins.GoblinsError, match="already finished"):
        await handle.execute_update("add", "plum", 1, timeout=10)
    with pytest.raises(goblins.WorkflowNotFound):
        await client.get_workflow_handle("no-such-run").execute_update("add", "plum", 1, timeout=10)


async def test_signal_with_start_new_and_existing(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    first = await client.start_workflow(u.tally, 10, run_id="tally-1", start_signal="add", start_signal_args=[5])
    history = await first.history()
    assert [e.type.value for e in history[:2]] == ["WORKFLOW_SCHEDULED", "WORKFLOW_SIGNALED"]
    again = await client.start_workflow(u.tally, 99, run_id="tally-1", start_signal="add", start_signal_args=[7])
    assert again.run_id == "tally-1"
    await first.signal("add", 0)
    assert await first.result(timeout=10) == 22  # the first start's input, both signals
    with pytest.raises(goblins.GoblinsError, match="already finished"):
        await client.start_workflow(u.tally, 1, run_id="tally-1", start_signal="add", start_signal_args=[1])


async def test_the_cli_updates_shows_and_describes(
    address: str, client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(u.cart, "fay", run_id="cart-cli")
    server = ("--server", address)
    code, out, err = await goblins_cli(
        "workflow", "update", "cart-cli", "add", "--input", '"pear"', "--input", "2", *server
    )
    assert (code, out) == (0, "2\n"), err
    code, out, err = await goblins_cli(
        "workflow", "update", "cart-cli", "add", "--input", '"pear"', "--input", "0", *server
    )
    assert one_line_error(code, err) == (
        "goblins: update 'add' of run cart-cli was rejected: ValueError: quantity must be positive, got 0"
    )
    code, out, err = await goblins_cli("workflow", "update", "cart-cli", "remove", "--input", '"fig"', *server)
    assert "update 'remove' of run cart-cli failed: NotInCart: no fig in the cart" in one_line_error(code, err)
    code, out, err = await goblins_cli("workflow", "show", "cart-cli", "--wide", *server)
    assert code == 0, err
    rows = {line.split()[2]: line for line in out.splitlines() if "UPDATE_" in line}
    assert rows["UPDATE_ACCEPTED"].endswith(")") and 'add ["pear",2] (update ' in out
    assert "add → 2 (update " in out and "remove → NotInCart: no fig in the cart" in out
    await handle.signal("checkout")
    assert (await handle.result(timeout=10))["items"] == {"pear": 2}


async def test_describe_lists_the_updates_still_running(client: goblins.Client, start_worker: StartWorker) -> None:
    worker = await start_worker(**ALL)
    handle = await client.start_workflow(u.cart, "gus")
    assert await handle.execute_update("add", "apple", 1, timeout=10) == 1
    await worker.shutdown()
    await start_worker(workflows=[u.cart])  # no host for the activity `record`: the update waits
    update = await handle.start_update("add", "slow", 1, update_id="slow-1")
    d = await handle.describe()
    assert d.pending_updates == ("add (slow-1)",)
    await start_worker(activities=[u.record])
    assert await update.result(timeout=10) == 1
    assert (await handle.describe()).pending_updates == ()


async def test_update_with_start_new_and_existing(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**ALL)
    handle = await client.start_workflow(
        u.cart, "hal", run_id="cart-uws", start_update="add", start_update_args=["a", 1]
    )
    assert handle.started_update is not None and await handle.started_update.result(timeout=10) == 1
    again = await client.start_workflow(u.cart, "x", run_id="cart-uws", start_update="add", start_update_args=["a", 2])
    assert again.started_update is not None and await again.started_update.result(timeout=10) == 3
    with pytest.raises(goblins.UpdateRejected, match="quantity must be positive"):
        await client.start_workflow(u.cart, "x", run_id="cart-uws", start_update="add", start_update_args=["a", 0])
    await handle.signal("checkout")
    assert await handle.result(timeout=10) == {"owner": "hal", "items": {"a": 3}, "adds": 2}


async def test_updates_in_process(tmp_path: Path) -> None:
    async with goblins.LocalServer(tmp_path / "app.db", **ALL) as app:  # type: ignore[arg-type]
        handle = await app.client.start_workflow(u.cart, "ivy")
        assert await handle.execute_update("add", "kiwi", 3, timeout=10) == 3
        with pytest.raises(goblins.UpdateRejected):
            await handle.execute_update("add", "kiwi", 0, timeout=10)
        await handle.signal("checkout")
        assert (await handle.result(timeout=10))["adds"] == 1
