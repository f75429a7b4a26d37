"""The web UI's schedules page, in a real headless Chromium: each schedule's calendar, policy,
state, counters, next time and a link to its last action's run; and its JSON route."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import goblins
from tests.conftest import StartWorker
from tests.integration import schedule_flows as f
from tests.integration.webui_support import Page, open_chromium, running_ui

WAIT = 15.0


async def test_the_schedules_page(address: str, client: goblins.Client, start_worker: StartWorker) -> None:
    await start_worker(workflows=[f.quick])
    handle = await client.create_schedule("nightly", f.quick, "n", cron="30 2 * * *", timezone="Europe/Paris")
    await client.create_schedule("beat", f.quick, "b", every=60, paused=True, note="on hold")
    await handle.trigger()
    deadline = time.monotonic() + WAIT
    while not (await handle.describe()).recent_actions:
        assert time.monotonic() < deadline, "the trigger did not start"
        await asyncio.sleep(0.05)
    action = (await handle.describe()).recent_actions[0]
    async with running_ui(address) as ui:
        base = f"http://127.0.0.1:{ui.port}"
        status, body, _ = await asyncio.to_thread(Page(base).call, "/api/schedules")
        assert status == 200 and [s["id"] for s in body["schedules"]] == ["beat", "nightly"]
        assert body["schedules"][0]["every"] == 60.0 and body["schedules"][0]["paused"] is True

        def page(d: Any) -> None:
            from selenium.webdriver.common.by import By
            from selenium.webdriver.support.ui import WebDriverWait

            d.get(base + "/#schedules")
            rows = WebDriverWait(d, WAIT, poll_frequency=0.05).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, "#schedules tr.schedule"), message="the schedules"
            )
            texts = [r.text for r in rows]
            assert "beat" in texts[0] and "every 60s" in texts[0] and "paused: on hold" in texts[0]
            assert "nightly" in texts[1] and "30 2 * * *" in texts[1] and "Europe/Paris" in texts[1]
            assert "SKIP" in texts[1] and "active" in texts[1] and "1 / 0 / 0" in texts[1]
            link = rows[1].find_element(By.CSS_SELECTOR, "a")
            assert link.text == action.workflow_id
            link.click()  # the action's run opens in the runs view
            WebDriverWait(d, WAIT, poll_frequency=0.05).until(
                lambda d: (
                    action.workflow_id in d.find_element(By.ID, "title").text
                    or (action.run_id in d.find_element(By.ID, "title").text)
                ),
                message="the action's run",
            )
            logs = d.get_log("browser")
            assert not [e for e in logs if "Content Security Policy" in e["message"]], logs

        browser = await asyncio.to_thread(open_chromium)
        try:
            await asyncio.to_thread(page, browser)
        finally:
            await asyncio.to_thread(browser.quit)
