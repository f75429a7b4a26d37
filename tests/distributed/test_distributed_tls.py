"""The distributed mode over mutual TLS: two servers, a worker that reaches both and answers a
query through the other server's reply address, all with certificates made by dev-certs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from distributed_support import DistributedCluster

import goblins
from goblins._cli_tls import write_dev_certs

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


async def test_servers_workers_and_clients_talk_mutual_tls(
    dcluster: DistributedCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certs = {name: str(path) for name, path in write_dev_certs(tmp_path / "certs").items()}
    # The workers (processes) and the clients here take their TLS from the environment.
    monkeypatch.setenv("GOBLINS_TLS_CA", certs["ca"])
    monkeypatch.setenv("GOBLINS_TLS_CERT", certs["client"])
    monkeypatch.setenv("GOBLINS_TLS_KEY", certs["client-key"])
    monkeypatch.setenv("GOBLINS_SERVER_TLS_CERT", certs["server"])
    monkeypatch.setenv("GOBLINS_SERVER_TLS_KEY", certs["server-key"])
    monkeypatch.setenv("GOBLINS_SERVER_TLS_CLIENT_CA", certs["ca"])
    server = dcluster.start_server()
    _, other_address = dcluster.start_other_server()
    assert "(mutual TLS)" in server.text()
    dcluster.start_worker("wf_primitives", "--server", f"{dcluster.address},{other_address}")
    async with await dcluster.client() as client, await goblins.Client.connect(other_address) as other:
        started = await client.start_workflow("cart")
        handle = other.get_workflow_handle(started.run_id)
        await handle.signal("add", "apple")
        for _ in range(200):  # answered by the worker to whichever server asked: over TLS too
            if await handle.query("items") == ["apple"]:
                break
            await asyncio.sleep(0.05)
        assert await handle.query("items") == ["apple"]
        await handle.signal("add", "checkout")
        assert await started.result(timeout=60) == ["apple"]
    with pytest.raises(goblins.GoblinsError, match="may require a client certificate"):
        await goblins.Client.connect(dcluster.address, timeout=10, tls=goblins.TLSConfig(ca=certs["ca"]))
