"""End-to-end payload encryption (issue 11): with codecs on the client and the worker, the
server stores and forwards ciphertext only; a process without the key fails clearly (a worker's
task, not the run) or shows "encrypted" (the CLI)."""

from __future__ import annotations

import asyncio
import base64
import os
import pathlib
import subprocess
import sys
from collections.abc import AsyncIterator

import grpc
import pytest

import goblins
from goblins import codec
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.errors import CodecError
from tests.conftest import StartWorker
from tests.integration import codec_flows as f

KEY1, KEY0 = os.urandom(32), os.urandom(32)
CODECS = [goblins.AesGcmCodec({"k1": KEY1, "k0": KEY0})]
ENV_VALUE = f"k1:{base64.b64encode(KEY1).decode()},k0:{base64.b64encode(KEY0).decode()}"
WORKFLOWS = [f.pay, f.child, f.refuse, f.echo]
ACTIVITIES = [f.charge, f.decline]


@pytest.fixture
async def sealed(address: str) -> AsyncIterator[goblins.Client]:
    c = await goblins.Client.connect(address, timeout=5, codecs=CODECS)
    try:
        yield c
    finally:
        await c.close()


def db_bytes(db_url: str) -> bytes:
    """Every byte SQLite holds for the store: the file, its WAL and shared memory."""
    path = pathlib.Path(db_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


async def run_every_payload_kind(client: goblins.Client) -> tuple[str, str]:
    """The pay story and a failing run; (pay's run id, refuse's run id)."""
    handle = await client.start_workflow(f.pay, "card-4111-1111")
    while not any(e.type.name == "ACTIVITY_FINISHED_IN_ERROR" for e in await handle.history()):
        await asyncio.sleep(0.02)
    state = await handle.query("state")
    assert state["card"] == "card-4111-1111"
    await handle.signal("approve", "signal-5555")
    result = await handle.result(timeout=30)
    assert result == {
        "receipt": "receipt-7777 for card-4111-1111",
        "details": [{"why": "details-9999"}],
        "signal": "signal-5555",
        "child": "child-result-2222 (again-8888 child-3333)",
    }
    failing = await client.start_workflow(f.refuse, "card-4111-1111")
    with pytest.raises(goblins.WorkflowFailed, match="refused"):
        await failing.result(timeout=30)
    return handle.run_id, failing.run_id


async def test_with_codecs_no_payload_is_stored_in_plaintext(
    sealed: goblins.Client, start_worker: StartWorker, db_url: str
) -> None:
    await start_worker(workflows=WORKFLOWS, activities=ACTIVITIES, codecs=CODECS)
    run_id, failed_id = await run_every_payload_kind(sealed)
    stored = db_bytes(db_url)
    assert run_id.encode() in stored  # the check reads the right file
    found = [s for s in f.SECRETS if s.encode() in stored]
    assert not found, f"plaintext in the SQLite file: {found}"
    # The client with the key reads the history in clear, failure details included.
    events = await sealed.get_workflow_handle(failed_id).history()
    assert events[0].input == ["card-4111-1111"]
    assert events[-1].failure is not None and events[-1].failure.details == ["wf-details-1212"]


async def test_without_codecs_the_same_story_is_in_plaintext_so_the_check_has_teeth(
    client: goblins.Client, start_worker: StartWorker, db_url: str
) -> None:
    await start_worker(workflows=WORKFLOWS, activities=ACTIVITIES, codecs=[])
    await run_every_payload_kind(client)
    stored = db_bytes(db_url)
    missing = [s for s in f.SECRETS if s.encode() not in stored]
    assert not missing, f"never stored, so not proven encrypted: {missing}"


async def test_a_worker_without_the_key_fails_the_task_and_one_with_it_finishes_the_run(
    sealed: goblins.Client, start_worker: StartWorker
) -> None:
    keyless = await start_worker(workflows=WORKFLOWS, codecs=[])
    handle = await sealed.start_workflow(f.echo, "card-4111-1111")

    async def task_failure() -> goblins.events.Event:
        while True:
            for e in await handle.history():
                if e.type.name == "WORKFLOW_TASK_FAILED":
                    return e
            await asyncio.sleep(0.02)

    failed = await asyncio.wait_for(task_failure(), 10)
    assert failed.failure is not None
    assert failed.failure.type == "CodecError" and "codec 'aes-gcm'" in failed.failure.message
    await keyless.shutdown()
    # A worker that holds another key set names the key id it lacks.
    other = await start_worker(workflows=WORKFLOWS, codecs=[goblins.AesGcmCodec({"k7": os.urandom(32)})])
    handle2 = await sealed.start_workflow(f.echo, "x")

    async def kid_named() -> None:
        while not any(e.failure is not None and "key id 'k1'" in e.failure.message for e in await handle2.history()):
            await asyncio.sleep(0.02)

    await asyncio.wait_for(kid_named(), 10)
    await other.shutdown()
    await start_worker(workflows=WORKFLOWS, codecs=CODECS)
    assert await handle.result(timeout=30) == ["card-4111-1111"]
    assert await handle2.result(timeout=30) == ["x"]


async def test_an_activity_worker_without_the_key_fails_the_attempt_clearly(
    sealed: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=WORKFLOWS, codecs=CODECS)
    await start_worker(activities=ACTIVITIES, codecs=[])
    handle = await sealed.start_workflow(f.pay, "card-4111-1111")
    with pytest.raises(goblins.WorkflowFailed) as info:
        await handle.result(timeout=30)
    assert "CodecError" in str(info.value) and "codec 'aes-gcm'" in str(info.value)


async def test_an_encrypted_input_that_is_not_an_argument_list_fails_the_run_not_wedges_it(
    address: str, sealed: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=WORKFLOWS, codecs=CODECS)
    payload = CODECS[0].encode(b'{"a": 1}')
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        resp = await stub.StartWorkflow(pb.StartWorkflowRequest(workflow_name="echo", input=payload))
    with pytest.raises(goblins.WorkflowFailed, match="JSON array"):
        await sealed.get_workflow_handle(resp.run_id).result(timeout=30)


async def test_a_client_without_the_key_reads_encrypted_bytes_and_says_so(
    sealed: goblins.Client, client: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=WORKFLOWS, codecs=CODECS)
    handle = await sealed.start_workflow(f.echo, "card-4111-1111")
    assert await handle.result(timeout=30) == ["card-4111-1111"]
    keyless = client.get_workflow_handle(handle.run_id)
    with pytest.raises(CodecError, match="GOBLINS_CODEC_KEYS"):
        await keyless.result(timeout=5)
    first = (await keyless.history())[0]
    assert isinstance(first.input, bytes) and codec.display(first.input, []) == "encrypted"


def cli(address: str, *args: str, keys: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != codec.ENV}
    env["PYTHONPATH"] = os.getcwd()
    if keys is not None:
        env[codec.ENV] = keys
    return subprocess.run(
        [sys.executable, "-m", "goblins", "workflow", *args, "--server", address],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


async def test_the_cli_decodes_with_the_key_and_shows_encrypted_without(
    address: str, sealed: goblins.Client, start_worker: StartWorker
) -> None:
    await start_worker(workflows=WORKFLOWS, codecs=CODECS)
    handle = await sealed.start_workflow(f.echo, "card-4111-1111")
    await handle.result(timeout=30)
    shows = await asyncio.gather(
        asyncio.to_thread(cli, address, "show", handle.run_id, keys=None),
        asyncio.to_thread(cli, address, "show", handle.run_id, keys=ENV_VALUE),
        asyncio.to_thread(cli, address, "result", handle.run_id, keys=None),
        asyncio.to_thread(cli, address, "result", handle.run_id, keys=ENV_VALUE),
        asyncio.to_thread(cli, address, "result", handle.run_id, keys="k1:nonsense"),
    )
    keyless, keyed, keyless_result, keyed_result, bad_env = shows
    assert keyless.returncode == 0, keyless.stderr
    assert "encrypted" in keyless.stdout and "card-4111" not in keyless.stdout
    assert keyed.returncode == 0 and "card-4111-1111" in keyed.stdout and "encrypted" not in keyed.stdout
    assert keyless_result.stdout.strip() == "encrypted"
    assert keyed_result.stdout.strip() == '["card-4111-1111"]'
    assert bad_env.returncode == 2 and bad_env.stderr.strip().startswith(f"goblins: {codec.ENV}: entry 1")
    assert len(bad_env.stderr.strip().splitlines()) == 1


async def test_the_environment_variable_gives_client_and_worker_their_key(
    address: str, start_worker: StartWorker, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(codec.ENV, ENV_VALUE)
    await start_worker(workflows=WORKFLOWS)
    async with await goblins.Client.connect(address, timeout=5) as c:
        assert await c.execute_workflow(f.echo, "card-4111-1111") == ["card-4111-1111"]
    assert b"card-4111" not in db_bytes(db_url)


async def test_local_server_passes_its_codecs_to_its_client(tmp_path: pathlib.Path) -> None:
    async with goblins.LocalServer(tmp_path / "app.db", workflows=WORKFLOWS, codecs=CODECS) as local:
        assert await local.client.execute_workflow(f.echo, "card-4111-1111") == ["card-4111-1111"]
    assert b"card-4111" not in db_bytes(f"sqlite:///{tmp_path / 'app.db'}")


async def test_activities_in_processes_get_plaintext_and_their_results_are_encrypted(
    sealed: goblins.Client, start_worker: StartWorker, db_url: str
) -> None:
    await start_worker(workflows=[f.shouts], activities=[f.shout], codecs=CODECS, activity_executor="process")
    assert await sealed.execute_workflow(f.shouts, "card-4111-1111") == "CARD-4111-1111"
    stored = db_bytes(db_url)
    assert b"card-4111" not in stored and b"CARD-4111" not in stored
