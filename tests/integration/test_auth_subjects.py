"""Mutual TLS identities: an auth file entry for a client certificate's subject admits a caller
that sends no token, with that entry's role (certificates made by `goblins dev-certs`' code)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import pathlib
from collections.abc import AsyncIterator

import pytest

import goblins
from goblins import cli
from goblins._cli_tls import write_dev_certs
from goblins.server import Server
from goblins.server.auth import StaticTokens
from goblins.server.tls import ServerTLS
from tests.integration import workflows as w


def add_subject(path: pathlib.Path, subject: str, role: str) -> None:
    with contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["auth", "add-subject", str(path), "--subject", subject, "--role", role]) == 0


def add_worker_token(path: pathlib.Path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["auth", "add-token", str(path), "--role", "worker"]) == 0
    return out.getvalue().strip()


@contextlib.asynccontextmanager
async def mtls_server(tmp_path: pathlib.Path, certs: dict[str, str], role: str) -> AsyncIterator[tuple[str, str]]:
    """(address, a worker's token) of a mutual-TLS server whose auth file gives the dev client
    certificate's CN ``role``."""
    auth = tmp_path / f"auth-{role}.toml"
    add_subject(auth, "goblins-client", role)
    token = add_worker_token(auth)
    tls = ServerTLS(certs["server"], certs["server-key"], certs["ca"])
    srv = Server(f"sqlite:///{tmp_path / f'{role}.db'}", "127.0.0.1", 0, tls=tls, authorizer=StaticTokens.load(auth))
    await srv.start()
    try:
        yield f"localhost:{srv.port}", token
    finally:
        await srv.stop(grace=0)


@pytest.fixture
def certs(tmp_path: pathlib.Path) -> dict[str, str]:
    return {name: str(path) for name, path in write_dev_certs(tmp_path / "certs").items()}


def tls_of(certs: dict[str, str]) -> goblins.TLSConfig:
    return goblins.TLSConfig(ca=certs["ca"], cert=certs["client"], key=certs["client-key"])


async def test_a_certificate_subject_gets_its_entry_s_role(tmp_path: pathlib.Path, certs: dict[str, str]) -> None:
    async with mtls_server(tmp_path, certs, "client") as (address, worker_token):
        worker = goblins.Worker(
            address, workflows=[w.greeting], activities=[w.greet], tls=tls_of(certs), token=worker_token
        )
        running = asyncio.create_task(worker.run())
        try:
            await worker.wait_connected(timeout=10)
            async with await goblins.Client.connect(address, timeout=10, tls=tls_of(certs), token="") as client:
                handle = await client.start_workflow(w.greeting, "by-subject")
                assert await handle.result(timeout=30)
                assert [r.run_id for r in await client.list_workflows()] == [handle.run_id]
        finally:
            await worker.shutdown()
            await asyncio.wait_for(running, 10)
    async with mtls_server(tmp_path, certs, "reader") as (address, _):
        async with await goblins.Client.connect(address, timeout=10, tls=tls_of(certs), token="") as client:
            assert await client.list_workflows() == []
            with pytest.raises(goblins.PermissionDenied, match="reader"):
                await client.start_workflow(w.greeting, "refused")


async def test_a_subject_entry_does_not_admit_a_worker(tmp_path: pathlib.Path, certs: dict[str, str]) -> None:
    async with mtls_server(tmp_path, certs, "client") as (address, _):
        worker = goblins.Worker(address, workflows=[w.greeting], activities=[w.greet], tls=tls_of(certs), token="")
        with pytest.raises(goblins.PermissionDenied):
            await worker.run()
