"""The web UI's search box: ``/api/runs?query=...`` answers a visibility query (with each run's
search attributes), a bad query gets one clear error, and describe shows attributes and memo."""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator

import pytest

import goblins
from tests.conftest import StartWorker
from tests.integration import search_flows as f
from tests.integration.test_webui import fetch
from tests.integration.webui_support import running_ui


@pytest.fixture
async def ui(address: str) -> AsyncIterator[str]:
    async with running_ui(address) as web:
        yield f"http://127.0.0.1:{web.port}"


async def test_the_search_box_takes_a_query(ui: str, client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[f.leaf])
    a = await client.start_workflow(f.leaf, "a", search_attributes={"customer": "c-1"}, memo={"m": 1})
    await client.start_workflow(f.leaf, "b", search_attributes={"customer": "c-2"})
    q = urllib.parse.quote("WorkflowType = 'leaf' AND customer = 'c-1'")
    status, body = await fetch(f"{ui}/api/runs?query={q}")
    assert status == 200, body
    assert [(r["run_id"], r["search_attributes"]) for r in body["runs"]] == [(a.run_id, {"customer": "c-1"})]
    status, body = await fetch(f"{ui}/api/runs?query={urllib.parse.quote('customer ==')}")
    assert status == 400 and "query error at column 11" in body["error"], body
    status, body = await fetch(f"{ui}/api/runs/{a.run_id}/describe?run_id={a.run_id}")
    assert status == 200 and body["search_attributes"] == {"customer": "c-1"} and body["memo"] == {"m": 1}, body
