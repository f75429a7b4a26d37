"""TLS and mutual TLS over real gRPC: certificates made by `goblins dev-certs`' code, a server in
this process, workers and clients with and without the right certificates, and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import stat
import sys
import time
from collections.abc import AsyncIterator

import pytest

import goblins
from goblins._cli_tls import write_dev_certs
from goblins.server import Server
from goblins.server.tls import ServerTLS
from tests.integration import workflows as w
from tests.integration.test_cli import free_port, goblins_cli, one_line_error

Certs = dict[str, str]


@pytest.fixture
def certs(tmp_path: pathlib.Path) -> Certs:
    return {name: str(path) for name, path in write_dev_certs(tmp_path / "certs").items()}


@pytest.fixture
def other_certs(tmp_path: pathlib.Path) -> Certs:
    """A second CA and its certificates: trusted by nobody here."""
    return {name: str(path) for name, path in write_dev_certs(tmp_path / "other").items()}


@contextlib.asynccontextmanager
async def tls_server(tmp_path: pathlib.Path, certs: Certs, mutual: bool) -> AsyncIterator[str]:
    tls = ServerTLS(certs["server"], certs["server-key"], certs["ca"] if mutual else None)
    srv = Server(f"sqlite:///{tmp_path / 'goblins.db'}", "127.0.0.1", 0, tls=tls)
    await srv.start()
    try:
        yield f"127.0.0.1:{srv.port}"
    finally:
        await srv.stop(grace=0)


def client_tls(certs: Certs) -> goblins.TLSConfig:
    return goblins.TLSConfig(ca=certs["ca"], cert=certs["client"], key=certs["client-key"])


async def run_greeting(address: str, tls: goblins.TLSConfig) -> str:
    worker = goblins.Worker(address, workflows=[w.greeting], activities=[w.greet], tls=tls)
    task = asyncio.create_task(worker.run())
    try:
        await worker.wait_connected(timeout=10)
        async with await goblins.Client.connect(address, timeout=5, tls=tls) as client:
            handle = await client.start_workflow(w.greeting, "tls")
            return await handle.result(timeout=30)
    finally:
        await worker.shutdown()
        await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("mutual", [False, True], ids=["tls", "mtls"])
async def test_a_workflow_runs_end_to_end_over_tls(tmp_path: pathlib.Path, certs: Certs, mutual: bool) -> None:
    tls = client_tls(certs) if mutual else goblins.TLSConfig(ca=certs["ca"])
    async with tls_server(tmp_path, certs, mutual) as address:
        assert await run_greeting(address, tls) == "Hello tls"


async def test_the_environment_configures_clients_and_workers(
    tmp_path: pathlib.Path, certs: Certs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOBLINS_TLS_CA", certs["ca"])
    monkeypatch.setenv("GOBLINS_TLS_CERT", certs["client"])
    monkeypatch.setenv("GOBLINS_TLS_KEY", certs["client-key"])
    async with tls_server(tmp_path, certs, mutual=True) as address:
        worker = goblins.Worker(address, workflows=[w.greeting], activities=[w.greet])
        assert worker.tls == client_tls(certs)
        async with await goblins.Client.connect(address, timeout=5) as client:
            assert await client.list_workflows() == []


async def refused(address: str, tls: goblins.TLSConfig | None) -> str:
    """The error of a connection attempt, which must come well before the connect timeout."""
    started = time.monotonic()
    with pytest.raises(goblins.GoblinsError) as caught:
        await goblins.Client.connect(address, timeout=20, tls=tls)
    assert time.monotonic() - started < 10, "a refused handshake must not wait for the timeout"
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"cannot connect to the goblins server at {address}: ")
    return message


async def test_mtls_refuses_a_client_without_a_certificate(tmp_path: pathlib.Path, certs: Certs) -> None:
    async with tls_server(tmp_path, certs, mutual=True) as address:
        assert "may require a client certificate" in await refused(address, goblins.TLSConfig(ca=certs["ca"]))


async def test_mtls_refuses_a_certificate_from_another_ca(
    tmp_path: pathlib.Path, certs: Certs, other_certs: Certs
) -> None:
    forged = goblins.TLSConfig(ca=certs["ca"], cert=other_certs["client"], key=other_certs["client-key"])
    async with tls_server(tmp_path, certs, mutual=True) as address:
        assert "not trust this client's certificate" in await refused(address, forged)


async def test_a_client_trusting_another_ca_refuses_the_server(
    tmp_path: pathlib.Path, certs: Certs, other_certs: Certs
) -> None:
    async with tls_server(tmp_path, certs, mutual=False) as address:
        message = await refused(address, goblins.TLSConfig(ca=other_certs["ca"]))
        assert "not signed by the CA this client trusts" in message


async def test_plaintext_and_tls_mismatches_are_named(tmp_path: pathlib.Path, certs: Certs) -> None:
    async with tls_server(tmp_path, certs, mutual=False) as address:
        assert "may require TLS" in await refused(address, None)
    plain = Server(f"sqlite:///{tmp_path / 'plain.db'}", "127.0.0.1", 0)
    await plain.start()
    try:
        assert "does not speak TLS" in await refused(f"127.0.0.1:{plain.port}", goblins.TLSConfig(ca=certs["ca"]))
    finally:
        await plain.stop(grace=0)


@pytest.mark.parametrize(
    ("mutual", "worker_tls", "expected"),
    [
        (False, "other-ca", "not signed by the CA this client trusts"),
        (True, "no-cert", "may require a client certificate"),
    ],
)
async def test_a_refused_worker_warns_once_and_keeps_trying(
    tmp_path: pathlib.Path,
    certs: Certs,
    other_certs: Certs,
    caplog: pytest.LogCaptureFixture,
    mutual: bool,
    worker_tls: str,
    expected: str,
) -> None:
    tls = goblins.TLSConfig(ca=other_certs["ca"] if worker_tls == "other-ca" else certs["ca"])
    async with tls_server(tmp_path, certs, mutual=mutual) as address:
        worker = goblins.Worker(address, activities=[w.greet], tls=tls)
        task = asyncio.create_task(worker.run())
        try:
            deadline = time.monotonic() + 10
            while expected not in caplog.text and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(2)  # more failed attempts: still one warning
            warnings = [r for r in caplog.records if r.levelname == "WARNING" and expected in r.getMessage()]
            assert len(warnings) == 1, caplog.text
            assert not task.done()
        finally:
            await worker.shutdown()
            await asyncio.wait_for(task, 10)


async def test_the_ui_reaches_a_mtls_server(tmp_path: pathlib.Path, certs: Certs) -> None:
    import json
    import urllib.request

    from goblins.webui import WebUI

    async with tls_server(tmp_path, certs, mutual=True) as address:
        web = WebUI(address, port=0, tls=client_tls(certs))
        await asyncio.to_thread(web.start)
        thread = asyncio.create_task(asyncio.to_thread(web.serve_forever))
        try:

            def runs() -> object:
                with urllib.request.urlopen(f"http://127.0.0.1:{web.port}/api/runs", timeout=30) as resp:
                    return json.loads(resp.read())

            assert await asyncio.to_thread(runs) == {"runs": [], "next_page_token": ""}
        finally:
            await asyncio.to_thread(web.stop)
            await thread


# ---- the command line ----


async def test_the_cli_talks_mtls_with_flags(tmp_path: pathlib.Path, certs: Certs) -> None:
    async with tls_server(tmp_path, certs, mutual=True) as address:
        worker = goblins.Worker(address, workflows=[w.greeting], activities=[w.greet], tls=client_tls(certs))
        task = asyncio.create_task(worker.run())
        try:
            await worker.wait_connected(timeout=10)
            flags = ["--tls-ca", certs["ca"], "--tls-cert", certs["client"], "--tls-key", certs["client-key"]]
            code, out, err = await goblins_cli(
                "workflow", "start", "greet", "--input", '"cli"', "--wait", "--server", address, *flags
            )
            assert code == 0, err
            assert out.splitlines()[-1] == '"Hello cli"'
            code, _, err = await goblins_cli("workflow", "list", "--server", address, "--tls-ca", certs["ca"])
            line = one_line_error(code, err)
            assert "may require a client certificate" in line
        finally:
            await worker.shutdown()
            await asyncio.wait_for(task, 10)


async def test_the_cli_server_serves_tls(tmp_path: pathlib.Path, certs: Certs) -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "goblins.cli",
        "server",
        "--port",
        str(port),
        "--db",
        str(tmp_path / "goblins.db"),
        "--tls-cert",
        certs["server"],
        "--tls-key",
        certs["server-key"],
        "--tls-client-ca",
        certs["ca"],
        stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("GOBLINS_")},
    )
    try:
        assert "(mutual TLS)" in await _line_with(proc, "listening on")
        async with await goblins.Client.connect(f"localhost:{port}", timeout=10, tls=client_tls(certs)) as client:
            assert await client.list_workflows() == []
    finally:
        proc.terminate()
        await proc.wait()


async def _line_with(proc: asyncio.subprocess.Process, text: str, timeout: float = 30) -> str:
    assert proc.stderr is not None
    seen = []
    async with asyncio.timeout(timeout):
        while line := (await proc.stderr.readline()).decode():
            seen.append(line)
            if text in line:
                return line
    raise AssertionError(f"the process ended without {text!r}:\n{''.join(seen)}")


async def test_the_server_refuses_bad_tls_files_in_one_line(tmp_path: pathlib.Path, certs: Certs) -> None:
    db = str(tmp_path / "goblins.db")
    for flags, expected in (
        (["--tls-cert", certs["server"]], "--tls-cert and --tls-key go together"),
        (["--tls-cert", certs["server"], "--tls-key", str(tmp_path / "nope.pem")], "--tls-key: cannot read"),
        (["--tls-cert", certs["server-key"], "--tls-key", certs["server-key"]], "--tls-cert: "),
        (["--tls-client-ca", certs["ca"]], "--tls-client-ca needs --tls-cert and --tls-key"),
        (["--tls-cert", certs["server"], "--tls-key", certs["client-key"]], "--tls-key is not the private key"),
    ):
        code, _, err = await goblins_cli("server", "--port", "0", "--db", db, *flags)
        assert expected in one_line_error(code, err)
        assert code == 2


async def test_the_server_refuses_a_public_host_without_tls_and_auth(tmp_path: pathlib.Path, certs: Certs) -> None:
    db = str(tmp_path / "goblins.db")
    for host in ("0.0.0.0", "::", "example.com"):
        code, _, err = await goblins_cli("server", "--host", host, "--port", "0", "--db", db)
        line = one_line_error(code, err)
        assert code == 2 and f"--host {host}" in line and "--insecure" in line
    tls = ["--tls-cert", certs["server"], "--tls-key", certs["server-key"]]
    code, _, err = await goblins_cli("server", "--host", "0.0.0.0", "--port", "0", "--db", db, *tls)
    assert "without --auth" in one_line_error(code, err)


async def test_insecure_lets_a_public_host_through_with_a_warning(tmp_path: pathlib.Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "goblins.cli",
        "server",
        "--host",
        "0.0.0.0",
        "--port",
        "0",
        "--db",
        str(tmp_path / "goblins.db"),
        "--insecure",
        stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("GOBLINS_")},
    )
    try:
        warning = await _line_with(proc, "--insecure")
        assert "WARNING" in warning and "0.0.0.0" in warning
        await _line_with(proc, "listening on")
    finally:
        proc.terminate()
        await proc.wait()


async def test_dev_certs_writes_private_keys_and_prints_the_flags(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "dev"
    code, stdout, err = await goblins_cli("dev-certs", str(out), "--host", "goblins.internal", "--host", "10.0.0.7")
    assert code == 0, err
    for name in ("ca", "server", "client"):
        assert (out / f"{name}.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        assert stat.S_IMODE((out / f"{name}-key.pem").stat().st_mode) == 0o600
    assert f"--tls-ca {out / 'ca.pem'}" in stdout and f"--tls-client-ca {out / 'ca.pem'}" in stdout

    from cryptography import x509

    server = x509.load_pem_x509_certificate((out / "server.pem").read_bytes())
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(n.value) for n in sans} == {"localhost", "127.0.0.1", "::1", "goblins.internal", "10.0.0.7"}
    code, _, err = await goblins_cli("dev-certs", str(out))
    assert "--force" in one_line_error(code, err)
