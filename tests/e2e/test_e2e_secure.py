"""The production set-up end to end: mutual TLS, token roles and encrypted payloads, across a
kill -9 of the worker and then of the server. Certificates, tokens and the key are made the
way a user makes them (`goblins dev-certs`, `goblins auth add-token`, `goblins codec new-key`)."""

from __future__ import annotations

import http.cookiejar
import json
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import (
    HERE,
    SUCCESS,
    Cluster,
    async_wait_until,
    check_reruns,
    check_steps_history,
    expected_totals,
    free_port,
    read_lines,
    step_of,
    wait_until,
)

import goblins
from benchmarks.procs import Proc, goblins_command
from goblins.codec import parse_keys

pytestmark = pytest.mark.e2e

STEPS = 20
SECRET = "card-4111-1111-1111-1111"  # the workflow's input: must never be stored in clear


class SecureCluster(Cluster):
    """A cluster whose server requires mutual TLS and a token, and whose workers and clients
    encrypt every payload (the server never holds the key)."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.certs = tmp_path / "certs"
        self.auth = tmp_path / "auth.toml"
        self.address = f"localhost:{self.port}"  # the name in the dev server certificate
        assert self.cli("dev-certs", str(self.certs)).returncode == 0
        self.tokens = {role: self._token(role) for role in ("worker", "client")}
        key = self.cli("codec", "new-key", "--kid", "k1")
        assert key.returncode == 0, key.stderr
        self.codec_keys = key.stdout.strip()

    def _token(self, role: str) -> str:
        made = self.cli("auth", "add-token", str(self.auth), "--role", role, "--name", f"e2e-{role}")
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    def env(self) -> dict[str, str]:
        env = super().env()
        for name in ("GOBLINS_TLS_CA", "GOBLINS_TLS_CERT", "GOBLINS_TLS_KEY", "GOBLINS_TOKEN", "GOBLINS_CODEC_KEYS"):
            env.pop(name, None)
        env["GOBLINS_SERVER"] = self.address
        return env

    def tls_env(self, token: str) -> dict[str, str]:
        return {
            "GOBLINS_TLS_CA": str(self.certs / "ca.pem"),
            "GOBLINS_TLS_CERT": str(self.certs / "client.pem"),
            "GOBLINS_TLS_KEY": str(self.certs / "client-key.pem"),
            "GOBLINS_TOKEN": token,
            "GOBLINS_CODEC_KEYS": self.codec_keys,
        }

    def start_server(self, timeout: float = 20.0) -> Proc:
        self._servers += 1
        proc = self.spawn(
            f"server-{self._servers}",
            [
                *goblins_command(),
                "server",
                "--db",
                str(self.db),
                "--port",
                str(self.port),
                "--tls-cert",
                str(self.certs / "server.pem"),
                "--tls-key",
                str(self.certs / "server-key.pem"),
                "--tls-client-ca",
                str(self.certs / "ca.pem"),
                "--auth",
                str(self.auth),
            ],
        )
        self.server = proc
        self.wait_listening(proc, timeout)
        return proc

    def start_worker(self, module: str, *extra: str, cwd: Path | None = None, wait: bool = True) -> Proc:
        self._workers += 1
        proc = self.spawn(
            f"worker-{self._workers}",
            [*goblins_command(), "worker", module, "--server", self.address, *extra],
            cwd=cwd or HERE,
            env=self.tls_env(self.tokens["worker"]),
        )
        if wait:
            self.wait_worker_connected(proc)
        return proc

    async def client(self, **options: object) -> goblins.Client:
        tls = goblins.TLSConfig(
            ca=str(self.certs / "ca.pem"), cert=str(self.certs / "client.pem"), key=str(self.certs / "client-key.pem")
        )
        settings: dict[str, object] = {
            "timeout": 10,
            "tls": tls,
            "token": self.tokens["client"],
            "codecs": [goblins.AesGcmCodec(parse_keys(self.codec_keys))],
        }
        settings.update(options)
        return await goblins.Client.connect(self.address, **settings)  # type: ignore[arg-type]

    def cli_with(self, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*goblins_command(), *args],
            cwd=self.tmp,
            env={**self.env(), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def database_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.tmp.glob("goblins.db*"))


@pytest.fixture
def secure(tmp_path: Path) -> Iterator[SecureCluster]:
    c = SecureCluster(tmp_path)
    try:
        yield c
    finally:
        c.teardown(dump=False)


async def test_tls_auth_codec_story_across_worker_and_server_kills(secure: SecureCluster, tmp_path: Path) -> None:
    log = tmp_path / "steps.log"
    run_id = "secure-story"
    secure.start_server()
    first = secure.start_worker("wf_steps")
    async with await secure.client() as client:
        # A caller with a certificate but no token is refused.
        async with await secure.client(token="") as anonymous:
            with pytest.raises(goblins.Unauthenticated):
                await anonymous.list_workflows()
        handle = await client.start_workflow("steps", str(log), SECRET, STEPS, run_id=run_id)
        await async_wait_until(lambda: len(read_lines(log)) >= 5, secure.patience, "some steps to run")
        first.kill9()
        await async_wait_until(lambda: secure.server_saw_disconnect(first), 10, "the server to drop the worker")
        second = secure.start_worker("wf_steps")
        await async_wait_until(lambda: len(read_lines(log)) >= 12, secure.patience, "more steps on the second worker")
        secure.kill_server()
        stored = secure.stored_events(run_id)
        finished = {step_of(aid) for _, kind, aid in stored if kind == SUCCESS}
        assert 0 < len(finished) < STEPS, f"the server kill did not land mid-run: {len(finished)} steps finished"
        secure.start_server()
        result = await handle.result(timeout=secure.recovery)
        events = await handle.history()

    assert result == expected_totals(STEPS)
    check_steps_history(events, run_id, STEPS)
    lines = read_lines(log)
    check_reruns(lines, SECRET, STEPS, set())
    assert {int(f[2]) for f in lines} <= {first.pid, second.pid}
    assert events[0].input[1] == SECRET, "the client holds the key: it reads the input back"
    # The server never held the key: what it stored is ciphertext.
    data = secure.database_bytes()
    assert SECRET.encode() not in data and str(log).encode() not in data
    conn = sqlite3.connect(secure.db)
    try:
        assert conn.execute("SELECT count(*) FROM events WHERE run_id = ?", (run_id,)).fetchone()[0] == len(events)
    finally:
        conn.close()
    # The CLI with a certificate and a token but no key shows that the payloads are there, not
    # what they are; with the key, it shows them.
    no_key = {**secure.tls_env(secure.tokens["client"]), "GOBLINS_CODEC_KEYS": ""}
    shown = secure.cli_with(no_key, "workflow", "show", run_id, "--wide")
    assert shown.returncode == 0, shown.stderr
    assert "encrypted" in shown.stdout and SECRET not in shown.stdout
    shown = secure.cli_with(secure.tls_env(secure.tokens["client"]), "workflow", "show", run_id, "--wide")
    assert shown.returncode == 0 and SECRET in shown.stdout, shown.stderr


async def test_a_client_without_a_certificate_is_refused(secure: SecureCluster) -> None:
    secure.start_server()
    with pytest.raises(goblins.GoblinsError):
        await goblins.Client.connect(
            secure.address,
            timeout=5,
            tls=goblins.TLSConfig(ca=str(secure.certs / "ca.pem")),
            token=secure.tokens["client"],
        )


async def test_the_ui_of_a_secured_server_asks_for_a_token_and_hides_what_it_cannot_decrypt(
    secure: SecureCluster, tmp_path: Path
) -> None:
    """`goblins ui` with the client certificate but no token and no key: a browser must log in,
    and payloads show as "encrypted"."""
    secure.start_server()
    secure.start_worker("wf_steps")
    async with await secure.client() as client:
        handle = await client.start_workflow("steps", str(tmp_path / "ui.log"), SECRET, 2, run_id="ui-run")
        await handle.result(timeout=secure.patience)
    port = free_port()
    env = {**secure.tls_env(""), "GOBLINS_TOKEN": "", "GOBLINS_CODEC_KEYS": ""}
    ui = secure.spawn("ui", [*goblins_command(), "ui", "--server", secure.address, "--port", str(port)], env=env)
    wait_until(lambda: "goblins ui on" in ui.text() or not ui.alive, 20, "the ui to listen")
    assert ui.alive, ui.tail()
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def call(path: str, body: object = None) -> tuple[int, object]:
        headers = {}
        if body is not None:
            csrf = next(c.value for c in jar if c.name.startswith("goblins_csrf"))
            headers = {"Content-Type": "application/json", "X-CSRF-Token": csrf}
        data = None if body is None else json.dumps(body).encode()
        try:
            with browser.open(urllib.request.Request(base + path, data=data, headers=headers), timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    assert call("/api/session")[0] == 200
    status, body = call("/api/runs")
    assert status == 401 and body["code"] == "login"  # type: ignore[index]
    assert call("/api/login", {"token": "not-a-token"})[0] == 401
    assert call("/api/login", {"token": secure.tokens["client"]}) == (200, {"ok": True})
    status, body = call("/api/runs/ui-run")
    assert status == 200, body
    text = json.dumps(body)
    assert "encrypted" in text and SECRET not in text
