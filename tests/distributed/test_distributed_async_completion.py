"""Async activity completion in the distributed mode: two servers on Kafka + Cassandra, the
completions sent through the server that does not own the run (they travel to the owner through
the events topic); the attempt's deadlines are Cassandra timers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from distributed_support import DistributedCluster
from e2e_support import REPO, async_wait_until

import goblins
from goblins import _task_token
from goblins.errors import ActivityNotFound

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


async def test_async_completion_through_either_server(
    dcluster: DistributedCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    monkeypatch.setenv("GOBLINS_TEST_TOKENS", str(tokens))
    dcluster.start_server()
    _, other_address = dcluster.start_other_server()
    dcluster.start_worker("tests.integration.async_flows", cwd=REPO)

    async def token(key: str, attempt: int = 1) -> bytes:
        path = tokens / f"{key}.{attempt}.token"
        await async_wait_until(path.exists, 60, f"{key}'s attempt {attempt} to hand out its token")
        return path.read_bytes()

    async with await dcluster.client() as client, await goblins.Client.connect(other_address) as other:
        done = await client.start_workflow("waits_for", "done", 120, 0, 3)
        beating = await client.start_workflow("waits_for", "beating", 120, 1.5, 1)
        silent = await client.start_workflow("waits_for", "silent", 1.5, 0, 1)
        retried = await client.start_workflow("waits_for", "retried", 120, 0, 3)

        await other.complete_activity(await token("done"), "done")  # either server takes it
        assert await done.result(timeout=60) == "done"

        first = await token("retried")
        await other.fail_activity(first, "declined")
        second = await token("retried", 2)
        parts = _task_token.decode(second)
        with pytest.raises(ActivityNotFound, match="does not match"):
            await other.complete_activity(_task_token.encode(parts.run_id, parts.step_id, 2, b"\1" * 16), "forged")
        with pytest.raises(ActivityNotFound, match="no longer current"):
            await other.complete_activity(first, "stale")
        await client.complete_activity(second, "second")
        assert await retried.result(timeout=60) == "second"

        beat = await token("beating")
        began = time.monotonic()
        while time.monotonic() - began < 4.0:  # past its heartbeat timeout, more than twice
            await other.heartbeat_activity(beat, {"t": time.monotonic() - began})
            await asyncio.sleep(0.4)
        await other.complete_activity(beat, "alive")
        assert await beating.result(timeout=60) == "alive"

        late = await token("silent")
        outcome = await silent.result(timeout=60)
        assert outcome.startswith("failed: ") and "did not finish within 1.5s" in outcome
        with pytest.raises(ActivityNotFound, match="no longer current"):
            await other.complete_activity(late, "late")
