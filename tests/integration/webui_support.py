"""An HTTP client for the web UI's tests, as a same-origin page would call it: a cookie jar, the
CSRF token from /api/session in ``X-CSRF-Token``, JSON bodies with their content type."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from goblins.webui import WebUI


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
