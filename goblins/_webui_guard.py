"""The web UI's guard: what every request passes before a route sees it.

An ASGI middleware in front of the UI's Starlette app. It answers a request itself when it is
not for this UI (a Host outside the allow-list: DNS rebinding), when a state-changing request
lacks its same-origin proof (a JSON content type, an Origin or Referer of this very host when a
browser sent one, and the double-submit CSRF token), and it adds the security headers to every
answer, its own refusals included. The uvicorn protocol below bounds the time a client may take
to send a request's head, which uvicorn itself does not.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
import urllib.parse
from collections.abc import Iterable
from typing import Any

import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("goblins.webui")

CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD")

# Every answer: no script but the UI's own file, no inline script or style, no framing (click-
# jacking), no plugin, forms post only here, no MIME sniffing, no referrer leaks out of the page.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def default_hosts(bind: str, port: int) -> list[str]:
    """The Host values a browser sends for this UI on this machine: the bind address and the
    loopback names, each with the port."""
    names = ["localhost", "127.0.0.1", "[::1]"]
    bound = f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind
    if bound not in names and bind not in ("0.0.0.0", "::", ""):
        names.append(bound)
    return [f"{name}:{port}" for name in names]


class HostAllowList:
    """Host header values this UI answers. An entry with a port matches exactly; one without
    matches that name on any port (a reverse proxy's public name, usually on 443 without one)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.names: set[str] = set()
        for entry in entries:
            entry = entry.strip().lower()
            (self.exact if _split_host(entry)[1] else self.names).add(entry)

    def allows(self, host: str) -> bool:
        host = host.strip().lower()
        return host in self.exact or _split_host(host)[0] in self.names

    def __repr__(self) -> str:
        return ", ".join(sorted(self.exact | self.names))


def _split_host(host: str) -> tuple[str, str]:
    if host.startswith("["):  # [::1]:9080
        name, _, rest = host.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    return name, port


class CsrfTokens:
    """Double-submit tokens: a random nonce with its HMAC under this process's secret. The page
    reads the token from ``/api/session`` (or the cookie) and sends it back in ``X-CSRF-Token``;
    a request is same-origin when header and cookie agree and the cookie is one this process
    made. The MAC stops a cookie planted by a sibling origin (cookies ignore ports) from
    passing as ours."""

    def __init__(self, cookie_name: str) -> None:
        self.cookie_name = cookie_name
        self._secret = secrets.token_bytes(32)

    def new(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._mac(nonce)}"

    def valid(self, token: str | None) -> bool:
        if not token or "." not in token:
            return False
        nonce, _, mac = token.partition(".")
        return hmac.compare_digest(mac, self._mac(nonce))

    def _mac(self, nonce: str) -> str:
        digest = hmac.new(self._secret, nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()


def cookies_of(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The request's cookies (the last value wins, as in a browser's jar order)."""
    found: dict[str, str] = {}
    for name, value in headers:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, eq, val = part.strip().partition("=")
                if eq:
                    found[key] = val
    return found


def set_cookie(name: str, value: str, *, http_only: bool, secure: bool, max_age: int | None = None) -> bytes:
    parts = [f"{name}={value}", "Path=/", "SameSite=Strict"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts).encode("latin-1")


class Guard:
    """The middleware: Host allow-list, same-origin proof on state changes, security headers."""

    def __init__(self, app: ASGIApp, hosts: HostAllowList, csrf: CsrfTokens) -> None:
        self.app, self.hosts, self.csrf = app, hosts, csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no websockets, and lifespan is off
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        cookie = cookies_of(headers).get(self.csrf.cookie_name)
        fresh = None if self.csrf.valid(cookie) else self.csrf.new()
        scope.setdefault("state", {})["csrf_token"] = cookie if fresh is None else fresh
        api = scope["path"].startswith("/api/")

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = list(message.get("headers", []))
                out.extend(SECURITY_HEADERS)
                out.append((b"cache-control", b"no-store" if api else b"no-cache"))
                if fresh is not None:  # a first visit, or a cookie from before a restart
                    secure = scope.get("scheme") == "https"
                    out.append(
                        (b"set-cookie", set_cookie(self.csrf.cookie_name, fresh, http_only=False, secure=secure))
                    )
                message = {**message, "headers": out}
            await send(message)

        refusal = self.refusal(scope, headers, cookie)
        if refusal is None:
            await self.app(scope, receive, send_guarded)
            return
        status, code, text = refusal
        log.warning("web ui refused %s %s: %s", scope["method"], scope["path"], text)
        body = json.dumps({"error": text, "code": code}).encode()
        await send_guarded(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send_guarded({"type": "http.response.body", "body": body})

    def refusal(
        self, scope: Scope, headers: list[tuple[bytes, bytes]], cookie: str | None
    ) -> tuple[int, str, str] | None:
        """(status, code, message) when the request must not reach the app, else None."""
        head = {name: value.decode("latin-1") for name, value in headers}
        host = head.get(b"host", "")
        if not self.hosts.allows(host):
            return 400, "host", f"Host {host!r} is not one this UI answers (allowed: {self.hosts}; see --allowed-host)"
        method = scope["method"]
        if method in SAFE_METHODS:
            return None
        if method != "POST":
            return 405, "method", f"{method} is not allowed here (GET or POST only)"
        media = head.get(b"content-type", "").partition(";")[0].strip().lower()
        if media != "application/json":
            return 415, "content-type", "a POST must have Content-Type: application/json"
        origin = head.get(b"origin")
        if origin is not None:
            if _netloc(origin) != host.lower():
                return 403, "origin", f"cross-origin request refused (Origin {origin!r})"
        elif b"referer" in head and _netloc(head[b"referer"]) != host.lower():
            return 403, "origin", "cross-origin request refused (Referer of another site)"
        sent = head.get(CSRF_HEADER.encode())
        if not sent or cookie is None or not hmac.compare_digest(sent, cookie) or not self.csrf.valid(cookie):
            return 403, "csrf", "missing or stale CSRF token: reload the page (X-CSRF-Token must match the cookie)"
        return None


def _netloc(url: str) -> str:
    """``host[:port]`` of an Origin or Referer; "" for ``null`` or anything unparseable."""
    try:
        return urllib.parse.urlsplit(url.strip()).netloc.lower()
    except ValueError:
        return ""


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's head.

    uvicorn closes an idle keep-alive connection, but not one that never finishes sending its
    request line and headers (slow-loris): with ``limit_concurrency`` such connections would
    count against every honest client. This closes a connection whose request head has not
    fully arrived ``head_timeout`` seconds after its first byte (or after the connection opened).
    """

    head_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._head_deadline is None:  # the head of a request has begun: it has a deadline
                self._arm_head_deadline()
        elif self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._head_deadline = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
