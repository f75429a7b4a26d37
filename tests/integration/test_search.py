"""Search attributes and memo through the client: start, upsert, query, count, children."""

from __future__ import annotations

import asyncio
import datetime

import pytest

import goblins
from tests.conftest import StartWorker
from tests.integration import search_flows as f

FLOWS = dict(workflows=[f.order, f.parent, f.leaf, f.bad_upsert])


async def _until(predicate, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_start_upsert_query_and_count(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    a = await client.start_workflow(
        f.order,
        "c-17",
        id="order-a",
        search_attributes={"customer": "c-17", "amount": 42.5, "priority": 2},
        memo={"note": "rush", "lines": [1, 2]},
    )
    b = await client.start_workflow(f.order, "c-18", search_attributes={"customer": "c-18", "amount": 7, "priority": 1})
    await _until(lambda: _count(client, "stage = 'paid'", 2), "both upserts")
    q = "WorkflowType = 'order' AND customer = 'c-17' AND StartTime > '2026-01-01' AND ExecutionStatus = 'Running'"
    runs = await client.list_workflows(query=q + " ORDER BY StartTime DESC")
    assert [r.run_id for r in runs] == [a.run_id]
    assert runs[0].workflow_id == "order-a"
    assert runs[0].search_attributes == {"customer": "c-17", "amount": 50.0, "priority": 2, "stage": "paid"}
    assert await client.count_workflows("amount BETWEEN 7 AND 50 AND NOT amount > 50") == 2  # both upserted 50
    assert [r.run_id for r in await client.list_workflows(query="priority IN (1, 2) ORDER BY priority")] == [
        b.run_id,
        a.run_id,
    ]
    assert [r.run_id for r in await client.list_workflows(query="WorkflowId = 'order-a'")] == [a.run_id]
    assert [
        r.run_id for r in await client.list_workflows(query="customer STARTS_WITH 'c-1' ORDER BY customer DESC")
    ] == [
        b.run_id,
        a.run_id,
    ]
    await a.signal("ship")
    out = await a.result(timeout=10)
    assert out["before"] == {"customer": "c-17", "amount": 42.5, "priority": 2}
    assert out["after"] == {
        "customer": "c-17",
        "amount": 50.0,
        "stage": "shipped",
        "shipped_at": "2026-12-24T10:00:00+00:00",
    }
    assert out["memo"] == {"note": "rush", "lines": [1, 2]}
    done = await client.list_workflows(
        query="ExecutionStatus = 'Completed' AND shipped_at BETWEEN '2026-12-01' AND '2026-12-31'"
    )
    assert [r.run_id for r in done] == [a.run_id]
    assert await client.count_workflows("CloseTime > 0") == 1
    assert await client.count_workflows("NOT priority = 2") == 2  # a's priority was removed
    page = await client.list_workflows_page(query="WorkflowType = 'order'", limit=1)
    second = await client.list_workflows(
        query="WorkflowType = 'order'", page_size=1, next_page_token=page.next_page_token
    )
    assert {page.runs[0].run_id, second[0].run_id} == {a.run_id, b.run_id}


async def _count(client: goblins.Client, query: str, n: int) -> bool:
    return await client.count_workflows(query) == n


async def test_types_are_declared_by_first_use_or_ahead(client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(**FLOWS)
    assert await client.add_search_attribute("note", "text") == {"note": "text"}
    await client.start_workflow(f.leaf, "x", search_attributes={"customer": "c-1", "note": "Rush order, fragile"})
    assert await client.list_search_attributes() == {"note": "text", "customer": "keyword"}
    with pytest.raises(
        goblins.GoblinsError, match="search attribute 'customer' is declared keyword, got a int value 5"
    ):
        await client.start_workflow(f.leaf, "y", search_attributes={"customer": 5})
    with pytest.raises(goblins.GoblinsError, match="'note' is declared text already"):
        await client.add_search_attribute("note", "int")
    await _until(lambda: _count(client, "note = 'FRAGILE rush'", 1), "the text match")
    assert await client.count_workflows("note = 'fragile glass'") == 0
    with pytest.raises(goblins.GoblinsError, match=r"query error at column 12: customer is a keyword"):
        await client.count_workflows("customer = 5")
    with pytest.raises(goblins.GoblinsError, match=r"column 1: unknown search attribute 'nope'"):
        await client.list_workflows(query="nope = 1")


async def test_a_child_gets_its_attributes_and_a_bad_upsert_fails_the_task(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(**FLOWS)
    assert await client.execute_workflow(f.parent, "c-9") == "leaf of c-9"
    children = await client.list_workflows(query="WorkflowType = 'leaf' AND customer = 'c-9'")
    assert len(children) == 1 and children[0].status == "COMPLETED"
    handle = await client.start_workflow(f.bad_upsert)

    async def failed_task() -> bool:
        return any(e.type == "WORKFLOW_TASK_FAILED" for e in await handle.history())

    await _until(failed_task, "the workflow task to fail")
    failure = next(e for e in await handle.history() if e.type == "WORKFLOW_TASK_FAILED").failure
    assert (
        failure is not None and "search attribute 'customer' is declared keyword, got a int value 17" in failure.message
    )
    await handle.terminate("test over")


def test_datetime_needs_a_zone() -> None:
    with pytest.raises(ValueError, match="search attribute 'at': a datetime search attribute needs a time zone"):
        goblins._search.encode({"at": datetime.datetime(2026, 1, 1)})  # type: ignore[attr-defined]


async def test_the_cli_declares_lists_counts_and_describes(
    address: str, client: goblins.Client, start_worker: StartWorker
) -> None:
    from tests.integration.test_cli import goblins_cli, one_line_error

    await start_worker(**FLOWS)
    code, out, err = await goblins_cli("search-attribute", "add", "note", "text", "--server", address)
    assert (code, out) == (0, "note  text\n"), err
    handle = await client.start_workflow(
        f.order, "c-5", id="cli-order", search_attributes={"customer": "c-5", "note": "big gift"}, memo={"by": "cli"}
    )
    await _until(lambda: _count(client, "stage = 'paid'", 1), "the upsert")
    code, out, err = await goblins_cli("search-attribute", "list", "--server", address)
    assert code == 0 and "customer  keyword" in out and "note  text" in out and "stage  keyword" in out, err
    code, out, err = await goblins_cli("workflow", "count", "--query", "note = 'gift'", "--server", address)
    assert (code, out) == (0, "1\n"), err
    query = "WorkflowType = 'order' AND customer = 'c-5' ORDER BY StartTime DESC"
    code, out, err = await goblins_cli("workflow", "list", "--query", query, "--server", address)
    assert code == 0 and handle.run_id in out and 'customer="c-5"' in out and "amount=50.0" in out, out + err
    code, out, err = await goblins_cli("workflow", "describe", "cli-order", "--server", address)
    assert code == 0, err
    assert 'search attributes:\n  amount = 50.0\n  customer = "c-5"\n  note = "big gift"\n  stage = "paid"' in out
    assert 'memo:      {"by": "cli"}' in out
    code, out, err = await goblins_cli("workflow", "show", "cli-order", "--server", address)
    assert code == 0 and 'stage = "paid"' in out and "SEARCH_ATTRIBUTES_UPSERTED" in out, out + err
    code, out, err = await goblins_cli("workflow", "count", "--query", "customer = 'c-5' AND", "--server", address)
    assert code != 0
    assert one_line_error(code, err).endswith(
        "query error at column 21: expected an attribute name, NOT or '(', got the end of the query"
    ), err
    await handle.terminate("test over")
