"""The web UI for operators (issue 12), in a real headless Chromium: the run list's pages and
search, a run's timeline (a retried step grouped with its last failure), the pending panel and
the stuck banner of a run no worker hosts, collapsible stack traces and JSON, the workers page,
and the history download. One server, one worker and one browser for the whole module; the
test writes the screenshots of docs/ui.md (into docs/img/ with GOBLINS_UI_SCREENSHOTS=docs/img)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import pathlib
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

import goblins
from goblins.server.app import Server
from tests.integration import primitives as p
from tests.integration import workflows as w
from tests.integration.webui_support import Page, open_chromium, running_ui

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The docs' screenshots are rewritten with GOBLINS_UI_SCREENSHOTS=docs/img; other runs write them
# to a temporary directory (taken all the same, so a broken page still fails here).
SHOTS = pathlib.Path(os.environ.get("GOBLINS_UI_SCREENSHOTS") or tempfile.mkdtemp(prefix="goblins-ui-shots-"))
WAIT = 15.0
ATTEMPTS: dict[str, int] = {}
FAST = goblins.RetryPolicy(maximum_attempts=5, initial_interval=0.05, maximum_interval=0.1)


@goblins.activity
async def charge(order: str) -> str:
    ATTEMPTS[order] = ATTEMPTS.get(order, 0) + 1
    if ATTEMPTS[order] < 3:
        raise ConnectionError(f"card network down (try {ATTEMPTS[order]})")
    return f"charged {order}"


@goblins.workflow
async def order_flow(order: str) -> dict[str, Any]:
    reserved = await goblins.workflow.execute_activity(p.note, f"reserved {order}")
    charged = await goblins.workflow.execute_activity(charge, order, retry_policy=FAST)
    await goblins.workflow.sleep(0.2)
    doubled = await goblins.workflow.execute_child(p.child_double, 21)
    approved = await goblins.workflow.wait_for_signal("approve")
    return {"order": order, "reserved": reserved, "charged": charged, "child": doubled, "approved": approved}


@goblins.workflow
async def lonely(x: str) -> str:
    return x


@goblins.activity
async def refund(order: str) -> str:
    raise ConnectionError(f"bank offline for {order}")


@goblins.workflow
async def patient(order: str) -> str:
    policy = goblins.RetryPolicy(maximum_attempts=3, initial_interval=600)  # waits for its retry
    return await goblins.workflow.execute_activity(refund, order, retry_policy=policy)


@dataclasses.dataclass
class Env:
    client: goblins.Client
    base: str
    browser: Any
    worker: goblins.Worker
    order: goblins.WorkflowHandle[Any]
    failed: goblins.WorkflowHandle[Any]
    stuck: goblins.WorkflowHandle[Any]
    naps: list[str]
    retrying: goblins.WorkflowHandle[Any]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    db = tmp_path_factory.mktemp("ui-ops") / "goblins.db"
    server = Server(f"sqlite:///{db}", "127.0.0.1", 0)
    await server.start()
    address = f"127.0.0.1:{server.port}"
    client = await goblins.Client.connect(address, timeout=5)
    worker = goblins.Worker(
        address,
        workflows=[order_flow, p.child_double, w.raises, p.nap, patient],
        activities=[p.note, charge, p.double_it, refund],
        identity="ui-ops-worker",
    )
    running = asyncio.create_task(worker.run())
    browser = None
    try:
        await worker.wait_connected(timeout=10)
        naps = []
        for _ in range(5):
            naps.append((await client.start_workflow(p.nap, 0.0)).run_id)
            await asyncio.sleep(0.01)  # distinct start times: the pages' order is certain
        for run_id in naps:
            await client.get_workflow_handle(run_id).result(timeout=10)
        failed = await client.start_workflow(w.raises, "the ui")
        with pytest.raises(goblins.WorkflowFailed):
            await failed.result(timeout=10)
        order = await client.start_workflow(order_flow, "o-17")
        # A workflow once hosted (the server knows its name) whose worker has gone.
        gone = goblins.Worker(address, workflows=[lonely], identity="gone-worker")
        went = asyncio.create_task(gone.run())
        await gone.wait_connected(timeout=10)
        await gone.shutdown()
        await asyncio.wait_for(went, 10)
        for _ in range(100):
            if len((await client.list_workers()).workers) == 1:
                break
            await asyncio.sleep(0.05)
        stuck = await client.start_workflow(lonely, "x")
        retrying = await client.start_workflow(patient, "o-9")
        async with running_ui(address) as ui:
            browser = await asyncio.to_thread(open_chromium, 1400, 1000)
            yield Env(client, f"http://127.0.0.1:{ui.port}", browser, worker, order, failed, stuck, naps, retrying)
    finally:
        if browser is not None:
            await asyncio.to_thread(browser.quit)
        await worker.shutdown()
        await asyncio.wait_for(running, 10)
        await client.close()
        await server.stop(grace=0)


def wait_for(driver: Any, predicate: Callable[[Any], Any], what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(predicate, message=f"waiting for {what}")


async def browse(env: Env, fn: Callable[..., Any], *args: Any) -> Any:
    """A blocking selenium call off the event loop (the goblins server under test runs on it)."""
    return await asyncio.to_thread(fn, env.browser, *args)


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)  # type: ignore[no-any-return]


def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def listed(driver: Any) -> list[str]:
    """The run ids listed, read in one go (the list refreshes itself every 2 s)."""
    return driver.execute_script(  # type: ignore[no-any-return]
        "return [...document.querySelectorAll('#runs tr.run')].map((r) => r.dataset.id)"
    )


def row_of(driver: Any, run_id: str) -> dict[str, str]:
    """A listed run's text and parent, read in one go."""
    return driver.execute_script(  # type: ignore[no-any-return]
        "const r = document.querySelector(`#runs tr.run[data-id='${arguments[0]}']`);"
        "return r ? {text: r.innerText, parent: r.dataset.parent, child: r.classList.contains('child')} : null",
        run_id,
    )


def shot(driver: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / name))


def no_csp_violation(driver: Any) -> None:
    logs = driver.get_log("browser")
    assert not [e for e in logs if "Content Security Policy" in e["message"]], logs


async def test_list_pages_search_and_children_under_parents(env: Env) -> None:
    await env.order.signal("approve", "ops")  # the order run ends, its child listed under it
    await env.order.result(timeout=10)

    def first_page(d: Any) -> list[str]:
        d.get(env.base + "/#runs")
        wait_for(d, lambda d: env.order.run_id in listed(d), "the list")
        # Children come right under their parent, marked as such.
        rows = listed(d)
        below = row_of(d, rows[rows.index(env.order.run_id) + 1])
        assert below["parent"] == env.order.run_id and below["child"] and "↳" in below["text"]
        # ISO dates and durations.
        assert "Z" in row_of(d, env.order.run_id)["text"]
        shot(d, "ui-list.png")
        # Search by name, 2 a page: three pages of naps, newest first, no repeats.
        by_id(d, "name").send_keys("nap")
        by_id(d, "limit").clear()
        by_id(d, "limit").send_keys("2")
        by_id(d, "find").click()
        seen: list[str] = []
        for page in range(3):
            label = f"page {page + 1}"

            def turned(d: Any, label: str = label, before: tuple[str, ...] = tuple(seen)) -> list[str] | None:
                ids = listed(d)
                fresh = by_id(d, "pageno").text == label and ids and set(ids).isdisjoint(before)
                return ids if fresh and len(ids) <= 2 else None

            seen += wait_for(d, turned, label)
            if page < 2:
                by_id(d, "next").click()
        assert by_id(d, "next").get_property("disabled")
        by_id(d, "prev").click()
        wait_for(d, lambda d: by_id(d, "pageno").text == "page 2", "back to page 2")
        return seen

    seen = await browse(env, first_page)
    assert seen == env.naps[::-1]

    def filters(d: Any) -> None:
        from selenium.webdriver.support.ui import Select

        by_id(d, "name").clear()
        by_id(d, "limit").clear()
        by_id(d, "limit").send_keys("50")
        Select(by_id(d, "status")).select_by_visible_text("FAILED")
        wait_for(d, lambda d: listed(d) == [env.failed.run_id], "the failed run alone")
        Select(by_id(d, "status")).select_by_visible_text("any status")
        by_id(d, "runid").send_keys(env.stuck.run_id)
        by_id(d, "find").click()
        wait_for(d, lambda d: listed(d) == [env.stuck.run_id], "the run by its id")
        by_id(d, "runid").clear()
        by_id(d, "to").send_keys("2000-01-01T00:00Z")  # started before 2000: none
        by_id(d, "find").click()
        wait_for(d, lambda d: "no runs match" in by_id(d, "runs").text, "an empty range")
        by_id(d, "to").clear()
        by_id(d, "from").send_keys(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600)))
        by_id(d, "find").click()
        wait_for(d, lambda d: env.stuck.run_id in listed(d), "the last hour")
        by_id(d, "from").clear()
        no_csp_violation(d)

    await browse(env, filters)


async def test_a_run_timeline_groups_retries_with_their_last_failure(env: Env) -> None:
    def timeline(d: Any) -> None:
        d.get(f"{env.base}/#run={env.order.run_id}")
        wait_for(d, lambda d: css(d, ".tlstep.activity"), "the timeline")
        wait_for(d, lambda d: "COMPLETED" in by_id(d, "summary").text, "the description")
        steps = css(d, ".tlstep")
        kinds = [s.get_attribute("class").split()[1] for s in steps]
        assert "COMPLETED" in css(d, ".tlrow.run")[0].text
        assert kinds == ["activity", "activity", "timer", "child"], kinds
        charge_step = steps[1]
        assert "charge" in charge_step.text and "3 attempts of 5" in charge_step.text
        attempts = charge_step.find_elements("css selector", ".tlrow.attempt")
        assert [a.text.split()[-1] for a in attempts] == ["failed", "failed", "ok"]
        assert "card network down (try 2)" in charge_step.find_element("css selector", ".tlfail").text
        assert css(d, ".tlrow.mark.signal") and "approve" in css(d, ".tlrow.mark.signal")[0].text
        # Bars are placed (through the CSSOM: the CSP refuses style attributes).
        widths = [b.size["width"] for b in charge_step.find_elements("css selector", ".tlbar")]
        assert all(width > 0 for width in widths), widths
        shot(d, "ui-run-timeline.png")
        # The stack trace of the last failure is folded until opened.
        trace = charge_step.find_element("css selector", "details.trace")
        assert not trace.get_property("open")
        pre = trace.find_element("css selector", "pre")
        assert not pre.is_displayed()
        trace.find_element("css selector", "summary").click()
        wait_for(d, lambda d: pre.is_displayed() and "ConnectionError" in pre.text, "the opened stack trace")
        # The result is collapsible JSON.
        result = css(d, "#outcome details.json")
        assert result and "charged o-17" in result[0].text
        # A payload the UI holds no key for arrives as "encrypted" and shows as such.
        assert 'class="enc"' in d.execute_script("return jsonView('encrypted')")
        no_csp_violation(d)

    await browse(env, timeline)


async def test_a_failed_run_shows_its_stack_trace_folded(env: Env) -> None:
    def failed(d: Any) -> None:
        d.get(f"{env.base}/#run={env.failed.run_id}")
        wait_for(d, lambda d: "FAILED" in by_id(d, "summary").text, "the failed run")
        trace = css(d, "#outcome details.trace")[0]
        assert "workflow says the ui" in by_id(d, "outcome").text
        assert not trace.find_element("css selector", "pre").is_displayed()
        trace.find_element("css selector", "summary").click()
        wait_for(d, lambda d: "in raises" in trace.find_element("css selector", "pre").text, "the stack")

    await browse(env, failed)


async def test_a_run_no_worker_hosts_shows_the_banner_and_the_pending_panel(env: Env) -> None:
    def stuck(d: Any) -> None:
        d.get(f"{env.base}/#run={env.stuck.run_id}")
        wait_for(d, lambda d: by_id(d, "banner").is_displayed(), "the stuck banner")
        assert "no connected worker hosts workflow 'lonely'" in by_id(d, "banner").text
        assert by_id(d, "pending").is_displayed()
        assert "no connected worker hosts workflow 'lonely'" in by_id(d, "pending").text
        # The duration counts to now.
        counter = "const c = document.querySelector('#summary [data-since]'); return c ? c.textContent : null"
        first = wait_for(d, lambda d: d.execute_script(counter), "the duration")
        wait_for(d, lambda d: d.execute_script(counter) not in (None, first), "a tick")
        shot(d, "ui-stuck-run.png")
        # A healthy run has no banner.
        d.get(f"{env.base}/#run={env.order.run_id}")
        wait_for(d, lambda d: "COMPLETED" in by_id(d, "summary").text, "the order")
        assert not by_id(d, "banner").is_displayed()

    await browse(env, stuck)


async def test_the_pending_panel_shows_an_activity_waiting_for_its_retry(env: Env) -> None:
    def pending(d: Any) -> None:
        d.get(f"{env.base}/#run={env.retrying.run_id}")
        wait_for(d, lambda d: "BACKING_OFF" in by_id(d, "pending").text, "the activity backing off")
        text = by_id(d, "pending").text
        assert "refund" in text and "attempt 1 of 3" in text and "next retry 20" in text
        assert "last failure: ConnectionError: bank offline for o-9" in text
        assert "activity 'refund' retrying: attempt 2 of 3" in by_id(d, "banner").text
        # Its stack trace is there, folded (read in one script call: the panel refreshes).
        folded = "return [...document.querySelectorAll('#pending details.trace')].map((t) => [t.open, t.textContent])"
        traces = d.execute_script(folded)
        assert traces and not traces[0][0] and "in refund" in traces[0][1]

    await browse(env, pending)


async def test_the_workers_page_lists_the_connected_worker(env: Env) -> None:
    workers = await env.client.list_workers()
    assert workers.transport == "embedded" and [x.worker_id for x in workers.workers] == ["ui-ops-worker"]
    assert set(workers.workers[0].workflows) == {"order_flow", "child_double", "raises", "nap", "patient"}
    assert workers.workers[0].free_activity_slots > 0 and workers.workers[0].task_queue == "default"
    await env.client.set_task_queue("gpu", max_concurrent=5, rate_per_second=10)  # docs/task-queues.md

    def page(d: Any) -> None:
        d.get(env.base + "/#workers")
        wait_for(d, lambda d: css(d, "#workers tr.worker"), "the workers")
        text = d.execute_script("return document.querySelector('#workers tr.worker').innerText")  # refreshed every 2 s
        assert "ui-ops-worker" in text and "order_flow" in text and "charge" in text and "default" in text
        queues = d.execute_script("return document.querySelector('#queues').innerText")
        assert "gpu" in queues and "max_concurrent 5, rate 10/s" in queues, queues
        assert "embedded" in by_id(d, "workersnote").text
        shot(d, "ui-workers.png")
        no_csp_violation(d)

    await browse(env, page)


async def test_history_download_is_the_whole_history_as_json(env: Env) -> None:
    page = Page(env.base)
    status, body, headers = await asyncio.to_thread(page.call, f"/api/runs/{env.order.run_id}/history.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"{env.order.run_id}.history.json" in disposition
    assert body["run_id"] == env.order.run_id
    history = await env.order.history()
    assert [e["seq"] for e in body["events"]] == [e.seq for e in history]
    assert body["events"][-1]["output"]["charged"] == "charged o-17"
    json.dumps(body)  # plain JSON through and through
    assert (await asyncio.to_thread(page.call, "/api/runs/nope/history.json"))[0] == 404
    # The page links to it.

    def link(d: Any) -> str:
        d.get(f"{env.base}/#run={env.order.run_id}")
        wait_for(d, lambda d: by_id(d, "runbar").is_displayed(), "the download link")
        return str(by_id(d, "download").get_attribute("href"))

    assert (await browse(env, link)).endswith(f"/api/runs/{env.order.run_id}/history.json?run_id={env.order.run_id}")


async def test_list_api_pages_and_bounds(env: Env) -> None:
    page = Page(env.base)
    status, body = await page.fetch("/api/runs?name=nap&limit=3")
    assert status == 200 and [r["run_id"] for r in body["runs"]] == env.naps[:1:-1] and body["next_page_token"]
    status, more = await page.fetch(f"/api/runs?name=nap&limit=3&page_token={body['next_page_token']}")
    assert [r["run_id"] for r in more["runs"]] == env.naps[1::-1] and more["next_page_token"] == ""
    status, body = await page.fetch("/api/runs?from=yesterday")
    assert status == 400 and "ISO 8601" in body["error"]
    status, body = await page.fetch("/api/runs?status=cancelled")
    assert status == 200 and body["runs"] == []
    assert await page.fetch("/api/runs?run_id=nope") == (200, {"runs": [], "next_page_token": ""})
    status, body = await page.fetch(f"/api/runs/{env.stuck.run_id}/describe")
    assert status == 200 and body["status"] == "RUNNING" and body["reasons"]
