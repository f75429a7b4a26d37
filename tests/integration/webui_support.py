"""An HTTP client for the web UI's tests, as a same-origin page would call it: a cookie jar, the
CSRF token from /api/session in ``X-CSRF-Token``, JSON bodies with their content type."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from goblins.webui import WebUI

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver") or shutil.which("chromium-driver")


def open_chromium(width: int = 1400, height: int = 900) -> Any:
    """A headless Chromium under selenium (Debian's packages, from scripts/browser); skips the
    test when neither is installed. The caller quits it."""
    if not CHROMIUM or not DRIVER:
        pytest.skip("chromium or chromedriver not found: run scripts/browser (scripts/test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_page_load_timeout(30)
    return driver


class Page:
    """What one browser tab would send: its cookies, its CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def call(
        self,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        csrf: bool = True,
    ) -> tuple[int, Any, Any]:
        """(status, decoded JSON or text, response headers) of a GET, or a POST when a body is given."""
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        sent = dict(headers or {})
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
            if csrf:
                if not self.csrf:
                    self.csrf = self.call("/api/session")[1]["csrf_token"]
                sent.setdefault("X-CSRF-Token", self.csrf)
        request = urllib.request.Request(self.base + path, data=data, headers=sent)
        try:
            with self.opener.open(request, timeout=30) as resp:
                status, payload, got = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as exc:
            status, payload, got = exc.code, exc.read(), exc.headers
        kind = got["Content-Type"] or ""
        return status, json.loads(payload) if kind.startswith("application/json") else payload.decode(), got

    async def fetch(self, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        """(status, body) of ``call``, off the event loop (the goblins server under test runs on it)."""
        status, value, _ = await asyncio.to_thread(self.call, path, body, raw)
        return status, value


@asynccontextmanager
async def running_ui(address: str, **options: Any) -> AsyncIterator[WebUI]:
    """A WebUI on a free port, in a thread of its own, for the test's length."""
    web = WebUI(address, port=0, **options)
    await asyncio.to_thread(web.start)
    try:
        yield web
    finally:
        await asyncio.to_thread(web.stop)
