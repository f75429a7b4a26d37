"""The web UI's JSON API and page against an in-process server over real gRPC and real HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

import goblins
from goblins.server import Server
from goblins.server.ports import Batch
from goblins.testing_contract._common import event, started
from tests.conftest import StartWorker
from tests.integration import primitives as p
from tests.integration import workflows as w
from tests.integration.webui_support import Page, running_ui


@pytest.fixture
async def ui(address: str) -> AsyncIterator[str]:
    async with running_ui(address) as web:
        yield f"http://127.0.0.1:{web.port}"


_pages: dict[str, Page] = {}


async def fetch(url: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    """An HTTP call as the UI's own page makes it (cookies, CSRF token), off the event loop."""
    base = "/".join(url.split("/")[:3])
    page = _pages.setdefault(base, Page(base))
    return await page.fetch(url[len(base) :], body, raw)


async def test_page_list_and_history(ui: str, client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.raises, p.shopping_cart], activities=[p.note])
    failed = await client.start_workflow(w.raises, "ui")
    with pytest.raises(goblins.WorkflowFailed):
        await failed.result(timeout=10)
    cart = await client.start_workflow(p.shopping_cart)

    status, page = await fetch(f"{ui}/")
    assert status == 200 and "<title>goblins</title>" in page and '<script src="/webui.js"' in page
    status, script = await fetch(f"{ui}/webui.js")
    assert status == 200 and "/api/runs" in script

    status, body = await fetch(f"{ui}/api/runs")
    assert status == 200
    assert {(r["run_id"], r["status"]) for r in body["runs"]} >= {(failed.run_id, "FAILED"), (cart.run_id, "RUNNING")}
    status, body = await fetch(f"{ui}/api/runs?status=FAILED&name=raises&limit=5")
    assert [r["run_id"] for r in body["runs"]] == [failed.run_id]

    status, body = await fetch(f"{ui}/api/runs/{failed.run_id}")
    assert status == 200 and body["run_id"] == failed.run_id
    events = body["events"]
    assert events[0]["type"] == "WORKFLOW_SCHEDULED" and events[0]["input"] == ["ui"]
    assert events[-1]["type"] == "WORKFLOW_FINISHED_IN_ERROR" and "workflow says ui" in events[-1]["failure"]["message"]
    assert "in raises" in events[-1]["failure"]["stack_trace"]  # the page folds it under the event
    assert "stack trace" in script and "WORKFLOW_TASK_FAILED" in script


async def test_signal_query_cancel_and_terminate(ui: str, client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[p.shopping_cart], activities=[p.note])
    cart = await client.start_workflow(p.shopping_cart)
    assert await fetch(f"{ui}/api/runs/{cart.run_id}/signal", {"name": "add", "args": ["apple"]}) == (200, {"ok": True})
    for _ in range(100):
        status, body = await fetch(f"{ui}/api/runs/{cart.run_id}/query", {"name": "items"})
        if body == {"result": ["apple"]}:
            break
        await asyncio.sleep(0.05)
    assert (status, body) == (200, {"result": ["apple"]})
    assert await fetch(f"{ui}/api/runs/{cart.run_id}/query", {"name": "has", "args": ["pear"]}) == (
        200,
        {"result": False},
    )
    assert await fetch(f"{ui}/api/runs/{cart.run_id}/cancel", {"reason": "from the ui"}) == (200, {"ok": True})
    with pytest.raises(goblins.WorkflowCancelled):
        await cart.result(timeout=10)
    # The run has finished: a signal is refused with the server's one-line reason.
    status, body = await fetch(f"{ui}/api/runs/{cart.run_id}/signal", {"name": "add", "args": ["x"]})
    assert status == 409 and "already finished" in body["error"]

    other = await client.start_workflow(p.shopping_cart)
    assert await fetch(f"{ui}/api/runs/{other.run_id}/terminate", {"reason": "stop"}) == (200, {"ok": True})
    with pytest.raises(goblins.WorkflowTerminated):
        await other.result(timeout=10)
    _, body = await fetch(f"{ui}/api/runs/{other.run_id}")
    assert body["events"][-1]["failure"]["type"] == "WorkflowTerminated"


async def test_bad_requests_get_one_clear_error(ui: str) -> None:
    assert (await fetch(f"{ui}/api/runs/nope"))[0] == 404
    status, body = await fetch(f"{ui}/api/runs?status=DONE")
    assert status == 400 and "status must be one of RUNNING, COMPLETED, FAILED" in body["error"]
    status, body = await fetch(f"{ui}/api/runs?limit=lots")
    assert status == 400 and "limit" in body["error"]
    status, body = await fetch(f"{ui}/api/runs/r1/signal", raw=b"{not json")
    assert status == 400 and "not JSON" in body["error"]
    status, body = await fetch(f"{ui}/api/runs/r1/signal", {"args": []})
    assert status == 400 and "'name' must be a non-empty string" in body["error"]
    status, body = await fetch(f"{ui}/api/runs/r1/signal", {"name": "x", "args": "ada"})
    assert status == 400 and "JSON array" in body["error"]
    status, body = await fetch(f"{ui}/api/runs/r1/explode", {})
    assert status == 404 and "signal, query, cancel, terminate" in body["error"]
    assert (await fetch(f"{ui}/api/runs/nope/cancel", {}))[0] == 404
    assert (await fetch(f"{ui}/nowhere"))[0] == 404


async def test_a_long_history_shows_its_first_page_at_once_and_more_on_demand(ui: str, server: Server) -> None:
    assert server.mode is not None
    run_id = "ui-long"
    events = started(run_id) + [
        event(run_id, seq, "WORKFLOW_SIGNALED", signal_name="tick", signal_id=f"s{seq}", input=b"[1]")
        for seq in range(3, 20_001)
    ]
    await server.mode.store.commit(Batch(events=events))
    status, page = await fetch(f"{ui}/")
    assert status == 200 and 'id="more"' in page
    began = time.monotonic()
    status, body = await fetch(f"{ui}/api/runs/{run_id}")
    assert status == 200 and time.monotonic() - began < 2.0, "the first page of 20,000 events comes at once"
    assert [e["seq"] for e in body["events"]] == list(range(1, 501)) and body["next_page_token"]
    status, more = await fetch(f"{ui}/api/runs/{run_id}?page_token={body['next_page_token']}&page_size=1000")
    assert status == 200 and [e["seq"] for e in more["events"]] == list(range(501, 1501))
    status, new = await fetch(f"{ui}/api/runs/{run_id}?after_seq=19990")
    assert [e["seq"] for e in new["events"]] == list(range(19991, 20001)) and new["next_page_token"] == ""
    for query in ("page_size=0", "page_size=x", "page_token=%25%25", "page_size=20000"):
        assert (await fetch(f"{ui}/api/runs/{run_id}?{query}"))[0] == 400, query
    status, body = await fetch(f"{ui}/api/runs/{run_id}?page_token=bm90LWEtdG9rZW4=")
    assert status in (400, 409) and "page_token" in body["error"]
