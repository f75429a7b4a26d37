"""The web UI: `goblins ui` serves a page and a small JSON API over a goblins server.

It is a client like the CLI: it talks to the server (either mode) through
:class:`goblins.Client` only, so it can run anywhere the server is reachable. The HTTP side is
Starlette on uvicorn, on the same asyncio loop as its clients: one per goblins token in use (the
process's own, from ``GOBLINS_TOKEN``, and those that browsers logged in with), a few at most.

API (JSON in and out; errors are ``{"error": "...", "code": "..."}`` with a 4xx/5xx status):

- ``GET  /api/session``: ``{"csrf_token", "logged_in", "server"}``; sets the CSRF cookie
- ``GET  /api/runs?status=S&name=WORKFLOW&run_id=ID&from=T&to=T&limit=N&page_token=P``: a page
  of runs; ``GET /api/runs/ID/describe``, ``GET /api/runs/ID/history.json`` (a download),
  ``GET /api/workers``: see goblins/_webui_ops.py
- ``ID`` below: a workflow id (its current run: the newest of a continue-as-new chain) or a
  run id; ``?run_id=R`` on any of these routes picks one execution of the workflow id
- ``GET  /api/runs/ID?page_size=N&page_token=T&after_seq=S``: one page of the history,
  ``{"run_id", "events": [...], "next_page_token"}``, oldest first; ``next_page_token`` (empty
  on the last page) is the next request's ``page_token``; ``after_seq`` starts a first page
  after that event (to fetch what is new)
- ``POST /api/runs/ID/signal``     ``{"name": "approve", "args": [...]}``
- ``POST /api/runs/ID/query``      ``{"name": "items", "args": [...]}`` -> ``{"result"}``
- ``POST /api/runs/ID/cancel``     ``{"reason": "..."}``
- ``POST /api/runs/ID/terminate``  ``{"reason": "..."}``
- ``POST /api/login``  ``{"token": "..."}`` (checked against the server, then kept in an HttpOnly
  cookie); ``POST /api/logout``

Every POST needs ``Content-Type: application/json`` and the header ``X-CSRF-Token`` equal to the
CSRF cookie (both from ``GET /api/session``); a browser's Origin must be this UI's. A call the
server refuses for want of a token answers 401 with ``"code": "login"``: the page then asks for
one. Security model: docs/security.md, "The web UI".
"""

from __future__ import annotations

import asyncio
import base64
import collections
import dataclasses
import json
import os
import socket
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from goblins import _webui_ops as ops
from goblins._tls import TLSConfig
from goblins._webui_guard import BoundedH11Protocol, CsrfTokens, Guard, HostAllowList, default_hosts, set_cookie
from goblins.client import Client
from goblins.codec import display
from goblins.errors import GoblinsError, PermissionDenied, Unauthenticated, WorkflowNotFound

CALL_TIMEOUT = 60.0
PAGE_SIZE = 500  # events in a page of the history view: a long run shows its start at once
MAX_PAGE_SIZE = 10_000
MAX_BODY = 1 << 20
BODY_TIMEOUT = 10.0  # a POST's body must arrive within this long once its head has
MAX_CONNECTIONS = 200  # uvicorn answers 503 past this many open connections or running requests
MAX_CLIENTS = 8  # goblins clients kept for distinct browser tokens (the least recently used goes)
ACTIONS = ("signal", "query", "cancel", "terminate")
STATIC = {
    "/": ("webui.html", "text/html"),
    "/webui.js": ("webui.js", "text/javascript"),
    "/webui.css": ("webui.css", "text/css"),
}


class BadRequest(Exception):
    """The request is malformed: answered with this message (400 unless ``status`` says)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _whole(query: Any, name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {query[name]!r}") from None


def _kind_of_refusal(exc: BaseException) -> str | None:
    """ "login" for a call refused for want of a (valid) token, "denied" for a token whose role
    may not."""
    if isinstance(exc, Unauthenticated):
        return "login"
    if isinstance(exc, PermissionDenied):
        return "denied"
    return None


async def open_client(address: str, token: str | None, tls: TLSConfig | None = None) -> Client:
    """A goblins client for ``token`` (none: anonymous), over ``tls`` (None: GOBLINS_TLS_*)."""
    return await Client.connect(address, timeout=10.0, token=token or "", tls=tls)


class WebUI:
    """The UI's HTTP server.

    In a thread of its own: ``start()`` connects and listens (port 0 picks a free one),
    ``serve_forever()`` waits for the end, ``stop()`` ends it. On a running loop: ``await
    open()``, ``await serve()``, ``await close()``. ``allowed_hosts``: Host header values
    answered besides the defaults (``name`` on any port, or ``name:port``). ``token``: the
    goblins token for browsers that did not log in (default ``GOBLINS_TOKEN``). ``certfile`` and
    ``keyfile`` serve HTTPS (and mark the cookies Secure). ``tls``: how to reach the goblins
    server (default: ``TLSConfig.from_env()``).
    """

    def __init__(
        self,
        server: str,
        host: str = "127.0.0.1",
        port: int = 9080,
        *,
        allowed_hosts: Sequence[str] = (),
        token: str | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        tls: TLSConfig | None = None,
    ) -> None:
        self.server_address = server
        self.tls = tls
        self.host, self.port = host, port
        self.allowed_hosts = list(allowed_hosts)
        self.token = token if token is not None else os.environ.get("GOBLINS_TOKEN") or None
        self.certfile, self.keyfile = certfile, keyfile
        self._clients: collections.OrderedDict[str | None, Client] = collections.OrderedDict()
        self._connecting = asyncio.Lock()
        self._uvicorn: uvicorn.Server | None = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None
        self._csrf: CsrfTokens | None = None
        self._parents = ops.Parents()

    # ---- lifecycle ----

    @property
    def token_cookie(self) -> str:
        # Cookies ignore ports: named by port, two UIs on one machine keep their own.
        return f"goblins_token_{self.port}"

    async def open(self) -> None:
        """Connect to the goblins server (raises GoblinsError if it does not answer), then bind
        the listening socket (raises OSError if the port is taken)."""
        self._clients[self.token] = await open_client(self.server_address, self.token, self.tls)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host.strip("[]"), self.port))
            sock.listen(2048)  # connections wait in the backlog until serve() answers them
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.port = sock.getsockname()[1]
        self._csrf = CsrfTokens(f"goblins_csrf_{self.port}")
        hosts = HostAllowList([*default_hosts(self.host, self.port), *self.allowed_hosts])
        config = uvicorn.Config(
            Guard(self.app(), hosts, self._csrf),
            http=BoundedH11Protocol,
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
            limit_concurrency=MAX_CONNECTIONS,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=2,
            h11_max_incomplete_event_size=32 * 1024,  # the request line and headers
            ssl_certfile=self.certfile,
            ssl_keyfile=self.keyfile,
        )
        self._uvicorn = uvicorn.Server(config)

    async def serve(self) -> None:
        """Answer requests until ``stop()`` (or SIGINT/SIGTERM in the main thread)."""
        assert self._uvicorn is not None and self._socket is not None, "open() first"
        await self._uvicorn.serve(sockets=[self._socket])

    async def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        clients, self._clients = list(self._clients.values()), collections.OrderedDict()
        for client in clients:
            await client.close()

    def start(self) -> None:
        """Connect and listen in a thread of its own (for synchronous callers and tests)."""
        ready = threading.Event()

        async def main() -> None:
            try:
                await self.open()
            except BaseException as exc:
                self._failed = exc
                await self.close()
                return
            finally:
                ready.set()
            try:
                await self.serve()
            finally:
                await self.close()

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), name="goblins-ui", daemon=True)
        self._thread.start()
        ready.wait()
        if self._failed is not None:
            self._thread.join()
            raise self._failed

    def serve_forever(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True  # read by its main loop every tenth of a second
        if self._thread is not None:
            self._thread.join(10)

    # ---- the app: every route in one place ----

    def app(self) -> Starlette:
        routes = [
            *(Route(path, self.static, methods=["GET"]) for path in STATIC),
            Route("/index.html", self.static, methods=["GET"]),
            Route("/api/session", self.session, methods=["GET"]),
            Route("/api/login", self.login, methods=["POST"]),
            Route("/api/logout", self.logout, methods=["POST"]),
            Route("/api/runs", self.api(self.list_runs), methods=["GET"]),
            Route("/api/workers", self.api(ops.workers), methods=["GET"]),
            Route("/api/schedules", self.api(ops.schedules), methods=["GET"]),
            Route("/api/runs/{run_id}", self.api(self.history), methods=["GET"]),
            Route("/api/runs/{run_id}/describe", self.api(ops.describe), methods=["GET"]),
            Route("/api/runs/{run_id}/history.json", self.api(self.download), methods=["GET"]),
            Route("/api/runs/{run_id}/{action}", self.api(self.act), methods=["POST"]),
        ]
        return Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})

    async def static(self, request: Request) -> Response:
        name, kind = STATIC.get(request.url.path, STATIC["/"])
        body = resources.files("goblins").joinpath(name).read_bytes()
        return Response(body, media_type=f"{kind}; charset=utf-8")

    async def session(self, request: Request) -> Response:
        return _Json(
            {
                "csrf_token": request.state.csrf_token,
                "logged_in": self.token_cookie in request.cookies,
                "server": self.server_address,
            }
        )

    async def login(self, request: Request) -> Response:
        token: Any = None
        try:
            body = await _json_body(request)
            token = body.get("token")
            if not isinstance(token, str) or not token.strip() or len(token) > 4096:
                raise BadRequest("login: 'token' must be a non-empty string")
            token = token.strip()
            await self._call(token, lambda c: c.list_workflows(limit=1))  # does the server take it?
        except Exception as exc:
            if isinstance(token, str) and _kind_of_refusal(exc) == "login":
                await self._forget(token.strip())  # a refused token keeps no client
            return _error_response(exc)
        response = _Json({"ok": True})
        cookie = set_cookie(
            self.token_cookie,
            urllib.parse.quote(token, safe=""),
            http_only=True,
            secure=request.url.scheme == "https",
        )
        response.raw_headers.append((b"set-cookie", cookie))
        return response

    async def logout(self, request: Request) -> Response:
        response = _Json({"ok": True})
        cookie = set_cookie(self.token_cookie, "", http_only=True, secure=request.url.scheme == "https", max_age=0)
        response.raw_headers.append((b"set-cookie", cookie))
        return response

    def api(self, handler: Callable[[Request, Client], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        """A route that answers ``handler(request, client)``'s value as JSON, and each error as
        one line with its status. The client is the one for the browser's token."""

        async def endpoint(request: Request) -> Response:
            try:
                token = self._token_of(request)
                client = await self._client(token)
                async with asyncio.timeout(CALL_TIMEOUT):
                    answer = await handler(request, client)
                return answer if isinstance(answer, Response) else _Json(answer)
            except Exception as exc:
                return _error_response(exc)

        return endpoint

    def _token_of(self, request: Request) -> str | None:
        cookie = request.cookies.get(self.token_cookie)
        return urllib.parse.unquote(cookie) if cookie else self.token

    async def _client(self, token: str | None) -> Client:
        """The client for ``token``, connected on first use; a bounded cache (LRU), so that a
        browser trying tokens cannot make the UI hold a connection per try."""
        async with self._connecting:
            client = self._clients.get(token)
            if client is None:
                client = await open_client(self.server_address, token, self.tls)
                self._clients[token] = client
                if len(self._clients) > MAX_CLIENTS:
                    oldest = next(t for t in self._clients if t != self.token)
                    await self._clients.pop(oldest).close()
            self._clients.move_to_end(token)
            return client

    async def _forget(self, token: str) -> None:
        async with self._connecting:
            client = self._clients.pop(token, None) if token != self.token else None
        if client is not None:
            await client.close()

    async def _call(self, token: str | None, fn: Callable[[Client], Awaitable[Any]]) -> Any:
        async with asyncio.timeout(CALL_TIMEOUT):
            return await fn(await self._client(token))

    # ---- the API, one method per route (the operator views: goblins/_webui_ops.py) ----

    async def list_runs(self, request: Request, client: Client) -> Any:
        return await ops.list_page(request, client, self._parents)

    async def download(self, request: Request, client: Client) -> Response:
        return await ops.download(request, client, _plain)

    async def history(self, request: Request, client: Client) -> Any:
        query, run_id = request.query_params, request.path_params["run_id"]
        size = _whole(query, "page_size", PAGE_SIZE)
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise BadRequest(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {size}")
        after = _whole(query, "after_seq", 0)
        try:
            token = base64.b64decode(query.get("page_token", ""), altchars=b"-_", validate=True)
        except ValueError:
            raise BadRequest("page_token is not a token from next_page_token") from None
        handle = client.get_workflow_handle(run_id, run_id=query.get("run_id") or None)
        events, next_token = await handle.history_page(token, size, after_seq=after)
        return {
            "run_id": run_id,
            "events": [dataclasses.asdict(e) for e in events],
            "next_page_token": base64.urlsafe_b64encode(next_token).decode(),
        }

    async def act(self, request: Request, client: Client) -> Any:
        run_id, action = request.path_params["run_id"], request.path_params["action"]
        if action not in ACTIONS:
            raise BadRequest(f"no such action: {action!r} (one of {', '.join(ACTIONS)})", status=404)
        body = await _json_body(request)
        handle = client.get_workflow_handle(run_id, run_id=request.query_params.get("run_id") or None)
        if action in ("signal", "query"):
            name, args = body.get("name"), body.get("args", [])
            if not isinstance(name, str) or not name:
                raise BadRequest(f"{action}: 'name' must be a non-empty string")
            if not isinstance(args, list):
                raise BadRequest(f"{action}: 'args' must be a JSON array of the arguments")
            if action == "signal":
                await handle.signal(name, *args)
                return {"ok": True}
            return {"result": await handle.query(name, *args)}
        reason = body.get("reason", "")
        if not isinstance(reason, str):
            raise BadRequest(f"{action}: 'reason' must be a string")
        await (handle.cancel(reason) if action == "cancel" else handle.terminate(reason))
        return {"ok": True}


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, read within MAX_BODY bytes and BODY_TIMEOUT seconds."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise BadRequest(f"the request body is over {MAX_BODY} bytes", status=413)
    raw = bytearray()
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > MAX_BODY:
                    raise BadRequest(f"the request body is over {MAX_BODY} bytes", status=413)
    except TimeoutError:
        raise BadRequest(f"the request body did not arrive within {BODY_TIMEOUT:g}s", status=408) from None
    except ClientDisconnect:
        raise BadRequest("the client hung up before its request body ended") from None
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise BadRequest(f"the request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _plain(value: Any) -> Any:
    """What JSON has no type for: a payload this UI holds no key for shows as "encrypted" (the
    client decoded every payload it could), anything else (the history's timestamps) as text."""
    return display(value, ()) if isinstance(value, bytes) else str(value)


class _Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_plain, ensure_ascii=False).encode()


def _error_response(exc: Exception) -> Response:
    """One line for each kind of failure, with its HTTP status (no traceback reaches a page)."""
    if isinstance(exc, BadRequest):
        return _error(exc.status, str(exc), "bad-request")
    if isinstance(exc, ops.ListError):
        return _error(400, str(exc), "bad-request")
    if isinstance(exc, WorkflowNotFound):
        return _error(404, str(exc), "not-found")
    refusal = _kind_of_refusal(exc)
    if refusal == "login":
        return _error(401, f"the goblins server wants a token: {exc}", "login")
    if refusal == "denied":
        return _error(403, f"this token may not do that: {exc}", "denied")
    if isinstance(exc, TimeoutError):
        return _error(504, f"the goblins server did not answer within {CALL_TIMEOUT:g}s", "timeout")
    if isinstance(exc, GoblinsError | ValueError | TypeError):
        # A user's mistake the server refused (a finished run, an unknown query) or a server
        # that is not there: one line, no traceback.
        unavailable = "unavailable" in str(exc)
        return _error(503 if unavailable else 409, str(exc), "unavailable" if unavailable else "refused")
    raise exc


def _error(status: int, message: str, code: str) -> Response:
    return _Json({"error": message, "code": code}, status_code=status)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(404, f"no such page: {request.url.path}", "not-found")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return _error(405, f"{request.method} is not allowed on {request.url.path}", "method")
