"""Async activity completion across real processes: a server kill -9 between the token's hand-off
and the completion, in both modes; the docs' example; the CLI."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path

import pytest
from e2e_support import REPO, Cluster, async_wait_until, wait_history

pytestmark = pytest.mark.e2e

FLOWS = "tests.integration.async_flows"


@pytest.mark.both_modes
async def test_a_completion_after_a_server_kill9_finishes_the_run_once(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    monkeypatch.setenv("GOBLINS_TEST_TOKENS", str(tokens))  # the worker writes each token there
    cluster.start_server()
    worker = cluster.start_worker(FLOWS, cwd=REPO)
    async with await cluster.client() as client:
        handle = await client.start_workflow("waits_for", "kill", 300, 0, 3)
        first = tokens / "kill.1.token"
        await async_wait_until(first.exists, cluster.patience, "the token to be handed out")
        await wait_history(handle, lambda t: t.count("ACTIVITY_STARTED") == 2, "the attempt to go async")
        token = first.read_bytes()

        cluster.kill_server()
        cluster.start_server()
        if cluster.mode == "embedded":
            cluster.wait_worker_connected(worker)
        await asyncio.sleep(3)  # past the restart's grace: an async attempt is not handed out again

        await client.complete_activity(token, "after the kill")
        assert await handle.result(timeout=cluster.recovery) == "after the kill"
        await client.complete_activity(token, "after the kill")  # a resend: accepted, nothing new
        types = [e.type.value for e in await handle.history()]
    assert types.count("ACTIVITY_FINISHED_IN_SUCCESS") == 1 and types.count("WORKFLOW_FINISHED_IN_SUCCESS") == 1
    assert sorted(p.name for p in tokens.iterdir()) == ["kill.1.token"]  # the activity ran once


@pytest.mark.both_modes
async def test_the_payment_example(cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOBLINS_GATEWAY_DIR", str(tmp_path))
    cluster.start_server()
    cluster.start_worker("examples.payment", cwd=REPO)
    done = cluster.python("-m", "examples.payment")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"order (o-[0-9a-f]{8}): paid 42, receipt rcpt-\1", done.stdout.strip()), done.stdout


async def test_the_cli_completes_and_fails(cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    monkeypatch.setenv("GOBLINS_TEST_TOKENS", str(tokens))
    cluster.start_server()
    cluster.start_worker(FLOWS, cwd=REPO)
    async with await cluster.client() as client:
        handle = await client.start_workflow("waits_for", "cli", 300, 0, 2)
        await async_wait_until((tokens / "cli.1.token").exists, cluster.patience, "the first token")
        text = base64.urlsafe_b64encode((tokens / "cli.1.token").read_bytes()).decode()
        failed = cluster.cli("activity", "fail", text, "--error", "gateway down")
        assert failed.returncode == 0, failed.stderr
        await async_wait_until((tokens / "cli.2.token").exists, cluster.patience, "the second attempt's token")
        late = cluster.cli("activity", "complete", text, "--result", '"late"')
        assert late.returncode != 0 and "is no longer current: it failed" in late.stderr, late.stderr
        second = base64.urlsafe_b64encode((tokens / "cli.2.token").read_bytes()).decode()
        beat = cluster.cli("activity", "heartbeat", second, "--details", '{"at": 1}')
        assert beat.returncode == 0, beat.stderr
        ok = cluster.cli("activity", "complete", second, "--result", '"via the CLI"')
        assert ok.returncode == 0, ok.stderr
        assert await handle.result(timeout=cluster.patience) == "via the CLI"
