"""The web UI: `goblins ui` serves a page and a small JSON API over a goblins server.

It is a client like the CLI: it talks to the server (either mode) through
:class:`goblins.Client` only, so it can run anywhere the server is reachable. The HTTP side
is the standard library's threading server; one asyncio loop in a thread of its own holds the
client, and each request waits for its call on that loop.

API (JSON in and out; errors are ``{"error": "..."}`` with a 4xx/5xx status):

- ``GET  /api/runs?status=RUNNING|COMPLETED|FAILED&name=WORKFLOW&limit=N``
- ``GET  /api/runs/RUN_ID?page_size=N&page_token=T&after_seq=S``: one page of the history,
  ``{"run_id", "events": [...], "next_page_token"}``, oldest first; ``next_page_token`` (empty
  on the last page) is the next request's ``page_token``; ``after_seq`` starts a first page
  after that event (to fetch what is new)
- ``POST /api/runs/RUN_ID/signal``     ``{"name": "approve", "args": [...]}``
- ``POST /api/runs/RUN_ID/query``      ``{"name": "items", "args": [...]}`` -> ``{"result"}``
- ``POST /api/runs/RUN_ID/cancel``     ``{"reason": "..."}``
- ``POST /api/runs/RUN_ID/terminate``  ``{"reason": "..."}``
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import http.server
import json
import threading
import urllib.parse
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from goblins._tls import TLSConfig
from goblins.client import Client
from goblins.errors import GoblinsError, WorkflowNotFound
from goblins.history import STATUSES

CALL_TIMEOUT = 60.0
PAGE_SIZE = 500  # events in a page of the history view: a long run shows its start at once
MAX_PAGE_SIZE = 10_000
MAX_BODY = 1 << 20


class BadRequest(Exception):
    """The request is malformed: answered 400 with this message."""


def _whole(query: dict[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {query[name]!r}") from None


class WebUI:
    """The UI's HTTP server. ``start()`` listens (port 0 picks a free one); ``stop()`` ends it."""

    def __init__(self, server: str, host: str = "127.0.0.1", port: int = 9080, *, tls: TLSConfig | None = None) -> None:
        self.server_address = server
        self.tls = tls
        self.host, self.port = host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="goblins-ui-loop", daemon=True)
        self._client: Client | None = None
        self._http: http.server.ThreadingHTTPServer | None = None
        self._page = resources.files("goblins").joinpath("webui.html").read_bytes()

    def start(self) -> None:
        """Connect to the goblins server (raises GoblinsError if it does not answer) and listen."""
        self._thread.start()
        self._client = self.call(
            lambda c: Client.connect(self.server_address, timeout=10.0, tls=self.tls), connected=False
        )
        self._http = http.server.ThreadingHTTPServer((self.host, self.port), _handler(self))
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]

    def serve_forever(self) -> None:
        assert self._http is not None
        self._http.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._client is not None:
            asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def call(self, fn: Callable[[Client], Awaitable[Any]], connected: bool = True) -> Any:
        """Run ``fn(client)`` on the client's loop and wait for its result (from an HTTP thread)."""

        async def run() -> Any:
            return await fn(self._client)  # type: ignore[arg-type]  # None only while connecting

        if connected and self._client is None:
            raise GoblinsError("not connected")
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(CALL_TIMEOUT)

    # ---- the API, one method per route ----

    def list_runs(self, query: dict[str, str]) -> Any:
        status = query.get("status") or None
        if status is not None and status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            raise BadRequest(f"limit must be a whole number, got {query['limit']!r}") from None
        if not 1 <= limit <= 1000:
            raise BadRequest(f"limit must be between 1 and 1000, got {limit}")
        name = query.get("name") or None
        runs = self.call(lambda c: c.list_workflows(status=status, workflow_name=name, limit=limit))
        return {"runs": [dataclasses.asdict(r) for r in runs]}

    def history(self, run_id: str, query: dict[str, str]) -> Any:
        size = _whole(query, "page_size", PAGE_SIZE)
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise BadRequest(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {size}")
        after = _whole(query, "after_seq", 0)
        try:
            token = base64.b64decode(query.get("page_token", ""), altchars=b"-_", validate=True)
        except ValueError:
            raise BadRequest("page_token is not a token from next_page_token") from None
        events, next_token = self.call(
            lambda c: c.get_workflow_handle(run_id).history_page(token, size, after_seq=after)
        )
        return {
            "run_id": run_id,
            "events": [dataclasses.asdict(e) for e in events],
            "next_page_token": base64.urlsafe_b64encode(next_token).decode(),
        }

    def act(self, run_id: str, action: str, body: dict[str, Any]) -> Any:
        def handle_of(client: Client) -> Any:
            return client.get_workflow_handle(run_id)

        if action in ("signal", "query"):
            name, args = body.get("name"), body.get("args", [])
            if not isinstance(name, str) or not name:
                raise BadRequest(f"{action}: 'name' must be a non-empty string")
            if not isinstance(args, list):
                raise BadRequest(f"{action}: 'args' must be a JSON array of the arguments")
            if action == "signal":
                self.call(lambda c: handle_of(c).signal(name, *args))
                return {"ok": True}
            return {"result": self.call(lambda c: handle_of(c).query(name, *args))}
        reason = body.get("reason", "")
        if not isinstance(reason, str):
            raise BadRequest(f"{action}: 'reason' must be a string")
        if action == "cancel":
            self.call(lambda c: handle_of(c).cancel(reason))
        else:
            self.call(lambda c: handle_of(c).terminate(reason))
        return {"ok": True}


ACTIONS = ("signal", "query", "cancel", "terminate")


def _handler(ui: WebUI) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "goblins-ui"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: a page refreshing every two seconds would flood the terminal

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path in ("/", "/index.html"):
                self._send(200, ui._page, "text/html; charset=utf-8")
                return
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
            parts = _parts(url.path)
            if parts == ["api", "runs"]:
                self._answer(lambda: ui.list_runs(query))
            elif len(parts) == 3 and parts[:2] == ["api", "runs"]:
                self._answer(lambda: ui.history(parts[2], query))
            else:
                self._json(404, {"error": f"no such page: {url.path}"})

        def do_POST(self) -> None:
            parts = _parts(urllib.parse.urlsplit(self.path).path)
            if len(parts) != 4 or parts[:2] != ["api", "runs"] or parts[3] not in ACTIONS:
                self._json(404, {"error": f"no such action: {self.path} (one of {', '.join(ACTIONS)})"})
                return
            self._answer(lambda: ui.act(parts[2], parts[3], self._body()))

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise BadRequest(f"the request body is over {MAX_BODY} bytes")
            raw = self.rfile.read(length) if length else b"{}"
            try:
                body = json.loads(raw or b"{}")
            except ValueError as exc:
                raise BadRequest(f"the request body is not JSON: {exc}") from None
            if not isinstance(body, dict):
                raise BadRequest("the request body must be a JSON object")
            return body

        def _answer(self, fn: Callable[[], Any]) -> None:
            try:
                self._json(200, fn())
            except BadRequest as exc:
                self._json(400, {"error": str(exc)})
            except WorkflowNotFound as exc:
                self._json(404, {"error": str(exc)})
            except (GoblinsError, ValueError, TypeError) as exc:
                # A user's mistake the server refused (a finished run, an unknown query) or a
                # server that is not there: one line, no traceback.
                unavailable = "unavailable" in str(exc)
                self._json(503 if unavailable else 409, {"error": str(exc)})
            except TimeoutError:
                self._json(504, {"error": f"the goblins server did not answer within {CALL_TIMEOUT:g}s"})

        def _json(self, status: int, value: Any) -> None:
            self._send(status, json.dumps(value, default=str).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _parts(path: str) -> list[str]:
    return [urllib.parse.unquote(p) for p in path.strip("/").split("/") if p]
