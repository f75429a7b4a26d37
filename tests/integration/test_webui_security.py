"""The web UI's defences (issue 11): cross-site requests refused in a real headless Chromium, the
same-origin page still working there, and the HTTP-level guards (Host allow-list, CSRF token,
content type, body size and time, security headers, slow-loris, token login).

Chromium and its driver come from Debian's packages, installed by scripts/browser (scripts/test
runs it); the browser tests skip only when neither can be found."""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import http.server
import logging
import pathlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import goblins
from goblins import webui
from goblins._webui_guard import BoundedH11Protocol, HostAllowList, default_hosts
from goblins.server.app import Server
from goblins.server.auth import StaticTokens
from goblins.webui import WebUI
from tests.conftest import StartWorker
from tests.integration import primitives as p
from tests.integration.webui_support import Page, open_chromium, running_ui

WAIT = 15.0


@pytest.fixture
async def web(address: str) -> AsyncIterator[WebUI]:
    async with running_ui(address) as ui:
        yield ui


def base_of(ui: WebUI) -> str:
    return f"http://127.0.0.1:{ui.port}"


# ---- a real browser ----


@pytest.fixture
def browser() -> Iterator[Any]:
    driver = open_chromium()
    try:
        yield driver
    finally:
        driver.quit()


async def in_browser(fn: Callable[..., Any], *args: Any) -> Any:
    """A blocking selenium call off the event loop (the goblins server under test runs on it)."""
    return await asyncio.to_thread(fn, *args)


def wait_for(driver: Any, predicate: Callable[[Any], Any], what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(predicate, message=f"waiting for {what}")


class AttackerSite:
    """Another origin (same machine, another port): serves one page that attacks the UI."""

    def __init__(self, page: str) -> None:
        body = page.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/"
        threading.Thread(target=self.http.serve_forever, args=(0.1,), daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


ATTACK_PAGE = """<!doctype html><html><head><title>attacking</title></head><body>
<iframe name="sink"></iframe>
<form id="form" method="POST" enctype="text/plain" action="{ui}/api/runs/{terminate}/terminate" target="sink">
<input name='{{"reason": "pwned", "x": "' value='"}}'>
</form>
<script>
const done = [];
const report = () => {{ if (done.length === 3) document.title = "done " + done.join(" "); }};
document.getElementById("form").submit();  // 1. a form post, text/plain: no preflight
done.push("form");
fetch("{ui}/api/runs/{signal}/signal", {{  // 2. a no-cors fetch: no preflight, opaque answer
  method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"Content-Type": "application/json"}},  // dropped by the browser in no-cors mode
  body: JSON.stringify({{name: "add", args: ["pwned"]}}),
}}).then(() => {{ done.push("no-cors"); report(); }}, (e) => {{ done.push("no-cors-failed"); report(); }});
// 3. a JSON fetch with the CSRF cookie read from document.cookie (cookies ignore ports): the
// custom header and content type need a CORS preflight, which the UI never grants.
const stolen = (document.cookie.match(/goblins_csrf_{port}=([^;]+)/) || [])[1] || "";
fetch("{ui}/api/runs/{cancel}/cancel", {{
  method: "POST", credentials: "include",
  headers: {{"Content-Type": "application/json", "X-CSRF-Token": stolen}},
  body: JSON.stringify({{reason: "pwned"}}),
}}).then((r) => {{ done.push("json-" + r.status); report(); }}, (e) => {{ done.push("json-blocked"); report(); }});
</script></body></html>"""


async def test_cross_origin_attacks_in_chromium_change_nothing(
    web: WebUI,
    client: goblins.Client,
    start_worker: StartWorker,
    browser: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await start_worker(workflows=[p.shopping_cart], activities=[p.note])
    victims = [await client.start_workflow(p.shopping_cart) for _ in range(3)]
    terminate, signal, cancel = (v.run_id for v in victims)
    ui = base_of(web)
    # The victim has the UI open (its cookies are set: same site, as ports do not count), then
    # visits the attacker's page.
    await in_browser(browser.get, ui + "/")
    await in_browser(wait_for, browser, lambda d: "goblins_csrf" in str(d.get_cookies()), "the UI's cookie")
    page = ATTACK_PAGE.format(ui=ui, terminate=terminate, signal=signal, cancel=cancel, port=web.port)
    attacker = AttackerSite(page)
    caplog.set_level(logging.WARNING, logger="goblins.webui")
    try:
        await in_browser(browser.get, attacker.url)
        title = await in_browser(wait_for, browser, lambda d: d.title.startswith("done") and d.title, "the attacks")
    finally:
        attacker.close()
    assert "json-blocked" in title, title  # the preflight was refused: the POST never left the browser

    def refused(method: str, run_id: str, action: str) -> bool:
        return any(f"refused {method} /api/runs/{run_id}/{action}" in r.getMessage() for r in caplog.records)

    def all_refused() -> bool:
        return (
            refused("POST", terminate, "terminate")
            and refused("POST", signal, "signal")
            and refused("OPTIONS", cancel, "cancel")
        )

    # The attacks reached the UI and were refused there (not lost on the way: the test proves a guard).
    deadline = time.monotonic() + WAIT
    while not all_refused() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert all_refused(), [r.getMessage() for r in caplog.records]
    running = {r.run_id for r in await client.list_workflows(status="RUNNING", limit=1000)}
    assert {terminate, signal, cancel} <= running, "a cross-site terminate or cancel got through"
    for victim in victims:
        types = {str(e.type) for e in await victim.history()}
        assert not {"WORKFLOW_SIGNALED", "WORKFLOW_CANCEL_REQUESTED"} & types, (victim.run_id, types)
        assert await victim.query("items") == []


async def test_the_page_itself_works_in_chromium(
    web: WebUI, client: goblins.Client, start_worker: StartWorker, browser: Any
) -> None:
    """The same-origin path: the list loads, a run opens, the real Signal button signals it, and
    the browser reports no CSP violation."""
    from selenium.webdriver.common.by import By

    await start_worker(workflows=[p.shopping_cart], activities=[p.note])
    cart = await client.start_workflow(p.shopping_cart)
    await in_browser(browser.get, base_of(web) + "/")
    row = f'tr.run[data-id="{cart.run_id}"]'
    await in_browser(wait_for, browser, lambda d: d.find_elements(By.CSS_SELECTOR, row), "the run in the list")
    await in_browser(lambda: browser.find_element(By.CSS_SELECTOR, row).click())
    await in_browser(
        wait_for, browser, lambda d: "WORKFLOW_SCHEDULED" in d.find_element(By.ID, "events").text, "events"
    )

    def signal() -> None:
        browser.find_element(By.ID, "sname").send_keys("add")
        browser.find_element(By.ID, "sargs").send_keys('["apple"]')
        browser.find_element(By.ID, "signal").click()

    await in_browser(signal)
    await in_browser(wait_for, browser, lambda d: d.find_element(By.ID, "msg").text == "signal sent", "signal sent")
    for _ in range(200):
        if await cart.query("items") == ["apple"]:
            break
        await asyncio.sleep(0.05)
    assert await cart.query("items") == ["apple"]
    logs = await in_browser(browser.get_log, "browser")
    assert not [entry for entry in logs if "Content Security Policy" in entry["message"]], logs


# ---- the guards over plain HTTP ----


def raw_call(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Any:
    """An HTTP exchange with exactly these headers (Host included): (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        sent = {"Host": f"127.0.0.1:{port}", **(headers or {})}
        if body is not None:
            sent.setdefault("Content-Length", str(len(body)))
        for name, value in sent.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


async def test_host_header_outside_the_allow_list_is_refused(address: str) -> None:
    async with running_ui(address, allowed_hosts=["goblins.internal", "ops.example:8443"]) as ui:
        port = ui.port
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "goblins.internal", "ops.example:8443"):
            status, _, _ = await asyncio.to_thread(raw_call, port, "GET", "/api/session", None, {"Host": host})
            assert status == 200, host
        for host in (f"evil.example:{port}", "localhost:1", "ops.example:9999", ""):  # "": DNS rebinding stays out
            status, headers, body = await asyncio.to_thread(raw_call, port, "GET", "/", None, {"Host": host})
            assert status == 400 and b"not one this UI answers" in body, host
            assert headers["X-Frame-Options"] == "DENY"


def test_the_host_allow_list() -> None:
    assert default_hosts("127.0.0.1", 9080) == ["localhost:9080", "127.0.0.1:9080", "[::1]:9080"]
    assert default_hosts("10.0.0.5", 80)[-1] == "10.0.0.5:80" and default_hosts("::", 80)[-1] == "[::1]:80"
    assert default_hosts("fd00::5", 80)[-1] == "[fd00::5]:80"
    hosts = HostAllowList([*default_hosts("0.0.0.0", 9080), "UI.example", "[fd00::5]:9080"])
    for host in ("LOCALHOST:9080", "ui.example", "ui.example:443", "[fd00::5]:9080", "[::1]:9080"):
        assert hosts.allows(host), host
    for host in ("localhost", "localhost:9081", "0.0.0.0:9080", "ui.example.evil:443", "[fd00::5]:1", "evil", ""):
        assert not hosts.allows(host), host


async def test_a_post_needs_json_same_origin_and_the_csrf_token(web: WebUI) -> None:
    page = Page(base_of(web))
    _, session, _ = await asyncio.to_thread(page.call, "/api/session")
    token, port = session["csrf_token"], web.port
    cookie = f"goblins_csrf_{port}={token}"
    path = "/api/runs/r1/terminate"
    good = {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": token}
    cases = {
        "no token": ({"Content-Type": "application/json", "Cookie": cookie}, 403, b"CSRF"),
        "no cookie": ({"Content-Type": "application/json", "X-CSRF-Token": token}, 403, b"CSRF"),
        "another token": ({**good, "X-CSRF-Token": token[:-2] + "xx"}, 403, b"CSRF"),
        "a forged pair": ({**good, "Cookie": f"goblins_csrf_{port}=a.b", "X-CSRF-Token": "a.b"}, 403, b"CSRF"),
        "text/plain": ({**good, "Content-Type": "text/plain"}, 415, b"application/json"),
        "a form": ({**good, "Content-Type": "application/x-www-form-urlencoded"}, 415, b"application/json"),
        "another origin": ({**good, "Origin": "http://127.0.0.1:1"}, 403, b"cross-origin"),
        "a null origin": ({**good, "Origin": "null"}, 403, b"cross-origin"),
        "another referer": ({**good, "Referer": "http://evil.example/x"}, 403, b"cross-origin"),
    }
    for name, (headers, status, text) in cases.items():
        got, _, body = await asyncio.to_thread(raw_call, port, "POST", path, b'{"reason": "x"}', headers)
        assert (got, text in body) == (status, True), (name, got, body)
    # The same request with its proofs reaches the API (which says the run does not exist).
    for extra in (
        {},
        {"Origin": f"http://127.0.0.1:{port}"},
        {"Origin": f"http://localhost:{port}", "Host": f"localhost:{port}"},
    ):
        got, _, body = await asyncio.to_thread(raw_call, port, "POST", path, b'{"reason": "x"}', {**good, **extra})
        assert got == 404, (extra, body)
    got, _, _ = await asyncio.to_thread(raw_call, port, "PUT", path, b"{}", good)
    assert got == 405


async def test_security_headers_on_every_answer(web: WebUI) -> None:
    port = web.port
    for path, api in (("/", False), ("/webui.js", False), ("/api/session", True), ("/api/nothing", True)):
        status, headers, _ = await asyncio.to_thread(raw_call, port, "GET", path)
        assert status in (200, 404), path
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == ("no-store" if api else "no-cache"), path
    _, headers, page = await asyncio.to_thread(raw_call, port, "GET", "/")
    assert b"<script>" not in page and b" style=" not in page  # nothing inline for the CSP to allow
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"goblins_csrf_{port}=") and "SameSite=Strict" in cookie


async def test_request_bodies_are_bounded_in_size_and_time(web: WebUI, monkeypatch: pytest.MonkeyPatch) -> None:
    page = Page(base_of(web))
    assert (await page.fetch("/api/runs/r1/signal", {"name": "x", "args": ["a" * 1000]}))[0] == 404  # no such run
    csrf = page.csrf

    def post(length: int, body: bytes) -> bytes:
        """The answer to a signal's POST of ``body`` that says it is ``length`` bytes long."""
        with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
            head = (
                f"POST /api/runs/r1/signal HTTP/1.1\r\nHost: 127.0.0.1:{web.port}\r\n"
                f"Content-Type: application/json\r\nCookie: goblins_csrf_{web.port}={csrf}\r\n"
                f"X-CSRF-Token: {csrf}\r\nContent-Length: {length}\r\n\r\n"
            )
            sock.sendall(head.encode() + body)
            answer = b""
            while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer

    # Refused from its Content-Length, before a byte of it is read.
    answer = await asyncio.to_thread(post, (1 << 20) + 1, b"")
    assert answer.startswith(b"HTTP/1.1 413") and b"over 1048576 bytes" in answer, answer
    monkeypatch.setattr(webui, "BODY_TIMEOUT", 0.5)
    # A body that stops coming: refused when its time is up.
    answer = await asyncio.to_thread(post, 100, b'{"name": ')
    assert answer.startswith(b"HTTP/1.1 408"), answer


async def test_connections_past_the_limit_get_503(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webui, "MAX_CONNECTIONS", 4)
    async with running_ui(address) as ui:
        held = [socket.create_connection(("127.0.0.1", ui.port), timeout=10) for _ in range(4)]
        try:
            await asyncio.sleep(0.2)  # the UI has accepted them
            status, _, _ = await asyncio.to_thread(raw_call, ui.port, "GET", "/api/session")
            assert status == 503
        finally:
            for sock in held:
                sock.close()
        for _ in range(50):  # and answers again once they are gone
            status, _, _ = await asyncio.to_thread(raw_call, ui.port, "GET", "/api/session")
            if status == 200:
                break
            await asyncio.sleep(0.05)
        assert status == 200


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def test_a_half_sent_request_does_not_hold_up_others(web: WebUI, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slow-loris: connections that send half a request head, and an honest request meanwhile."""
    monkeypatch.setattr(BoundedH11Protocol, "head_timeout", 4.0)
    lorises = [socket.create_connection(("127.0.0.1", web.port), timeout=10) for _ in range(20)]
    try:
        for sock in lorises:
            sock.sendall(f"GET /api/session HTTP/1.1\r\nHost: 127.0.0.1:{web.port}\r\nX-Slow: ".encode())
        began = time.monotonic()
        status, _, _ = await asyncio.to_thread(raw_call, web.port, "GET", "/api/session")
        assert status == 200 and time.monotonic() - began < 2.0, "answered while the half-sent heads wait"
        # ... and the UI hangs up on each of them once the head's time is up.
        answers = await asyncio.gather(*(asyncio.to_thread(sock.recv, 1024) for sock in lorises))
        assert answers == [b""] * len(lorises) and time.monotonic() - began < 9.0
    finally:
        for sock in lorises:
            sock.close()


# ---- token login ----


GUARD = "s3cret"  # the token the guarded server takes (admin)
FIXTURE = "fixture-token"  # the test's own client and workers (admin), never the UI's


@pytest.fixture
async def address(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """Every test here talks to a server that requires a token (a real StaticTokens file)."""
    path = tmp_path / "auth.toml"
    path.write_text(
        "".join(
            f'[[principal]]\nname = "{name}"\nrole = "admin"\n'
            f'token_sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n'
            for name, token in (("ui-user", GUARD), ("fixture", FIXTURE))
        )
    )
    monkeypatch.setenv("GOBLINS_TOKEN", FIXTURE)  # for the client and start_worker fixtures
    srv = Server(f"sqlite:///{tmp_path / 'goblins.db'}", "127.0.0.1", 0, authorizer=StaticTokens.load(path))
    await srv.start()
    try:
        yield f"127.0.0.1:{srv.port}"
    finally:
        await srv.stop(grace=0)


@pytest.fixture
async def guarded(address: str) -> AsyncIterator[WebUI]:
    async with running_ui(address, token="") as ui:  # no token of its own: browsers log in
        yield ui


async def test_goblins_token_is_the_ui_s_own(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOBLINS_TOKEN", GUARD)
    async with running_ui(address) as ui:
        assert (await Page(base_of(ui)).fetch("/api/runs"))[0] == 200, "no login needed"


async def test_login_keeps_the_token_in_an_http_only_strict_cookie(guarded: WebUI, client: goblins.Client) -> None:
    page = Page(base_of(guarded))
    status, body = await page.fetch("/api/runs")
    assert status == 401 and body["code"] == "login"
    status, body = await page.fetch("/api/login", {"token": "wrong"})
    assert status == 401 and body["code"] == "login"
    assert "wrong" not in guarded._clients, "a refused token keeps no client"
    status, body, headers = await asyncio.to_thread(page.call, "/api/login", {"token": GUARD})
    assert (status, body) == (200, {"ok": True})
    cookie = next(c for c in headers.get_all("Set-Cookie") if c.startswith(f"goblins_token_{guarded.port}="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain http here
    status, body = await page.fetch("/api/runs")
    assert status == 200 and "runs" in body
    assert (await Page(base_of(guarded)).fetch("/api/runs"))[0] == 401, "another browser is not logged in"
    status, _ = await page.fetch("/api/logout", {})
    assert status == 200 and (await page.fetch("/api/runs"))[0] == 401


async def test_login_form_in_chromium(
    guarded: WebUI, client: goblins.Client, start_worker: StartWorker, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    await start_worker(workflows=[p.shopping_cart], activities=[p.note])
    cart = await client.start_workflow(p.shopping_cart)
    await in_browser(browser.get, base_of(guarded) + "/")
    await in_browser(wait_for, browser, lambda d: d.find_element(By.ID, "login").is_displayed(), "the login form")
    assert not await in_browser(lambda: browser.find_element(By.ID, "app").is_displayed())

    def log_in(token: str) -> None:
        field = browser.find_element(By.ID, "token")
        field.clear()
        field.send_keys(token)
        browser.find_element(By.ID, "dologin").click()

    await in_browser(log_in, "wrong")
    await in_browser(wait_for, browser, lambda d: "token" in d.find_element(By.ID, "loginmsg").text, "a refusal")
    await in_browser(log_in, GUARD)
    row = f'tr.run[data-id="{cart.run_id}"]'
    await in_browser(wait_for, browser, lambda d: d.find_elements(By.CSS_SELECTOR, row), "the runs after login")
    assert "goblins_token" not in await in_browser(browser.execute_script, "return document.cookie")  # HttpOnly
