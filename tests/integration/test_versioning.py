"""Versioning against a real server: a run started on old code finishes on the old branch after
a worker restart with patched code, a new run takes the new branch, and the deploy gate
(`goblins replay`, `goblins workflow export`) tells compatible code from incompatible code."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pathlib
import subprocess
import sys

import goblins
import goblins.testing
from examples.shipping import v1, v2, v3, v4
from examples.shipping.activities import buy_label, notify, print_label
from tests.conftest import StartWorker
from tests.integration.test_cli import goblins_cli

ACTIVITIES = [print_label, buy_label, notify]
EventType = goblins.events.EventType


async def waiting_for_pickup(handle: goblins.WorkflowHandle) -> list[goblins.Event]:
    """The run's history once its label is made (it then waits for the pick-up signal)."""
    for _ in range(500):
        events = await handle.history()
        if any(e.type == EventType.ACTIVITY_FINISHED_IN_SUCCESS for e in events):
            return events
        await asyncio.sleep(0.02)
    raise TimeoutError(f"run {handle.run_id} never made its label")


def kinds(events: list[goblins.Event]) -> list[EventType]:
    return [e.type for e in events]


async def test_an_old_run_finishes_on_the_old_branch_after_a_patched_deploy(
    client: goblins.Client, start_worker: StartWorker, address: str, tmp_path: pathlib.Path
) -> None:
    old_worker = await start_worker(workflows=[v1.shipping], activities=ACTIVITIES)
    old = await client.start_workflow(v1.shipping, "o-1")
    await waiting_for_pickup(old)

    # The gate, before the deploy: v2 is compatible with the open run, a reordering is not.
    code, out, err = await goblins_cli("replay", "examples.shipping.v2", "--server", address, "--since", "1h")
    assert code == 0, err
    assert "1 run(s) of 1 workflow(s) replayed (shipping): all replay on this code" in out
    code, out, err = await goblins_cli("replay", "examples.shipping.reordered", "--server", address)
    assert code == 1, err
    assert out.splitlines() == [
        f"INCOMPATIBLE run {old.run_id} (workflow shipping): workflow 'shipping' run {old.run_id}: step 1 asks "
        "for activity 'notify' but the history recorded activity 'print_label' at that step"
    ]
    assert "1 would break on this code" in err

    # The deploy: the old worker goes, the patched one comes; a new run starts on it.
    await old_worker.shutdown()
    await start_worker(workflows=[v2.shipping], activities=ACTIVITIES)
    new = await client.start_workflow(v2.shipping, "o-2")
    await waiting_for_pickup(new)
    for handle in (old, new):
        await handle.signal("picked_up")
    assert await old.result(timeout=10) == "o-1 shipped with printed-label-o-1"
    assert await new.result(timeout=10) == "o-2 shipped with carrier-label-o-2"
    old_events, new_events = await old.history(), await new.history()
    assert EventType.MARKER_RECORDED not in kinds(old_events)
    (marker,) = [e for e in new_events if e.type == EventType.MARKER_RECORDED]
    assert marker.attributes == {"patch_id": "buy-label", "deprecated": False}

    # Both histories replay on v2; on v3 and v4 only the new run does.
    for events in (old_events, new_events):
        goblins.testing.replay(events, v2.shipping)
    for later in (v3.shipping, v4.shipping):
        goblins.testing.replay(new_events, later)
    code, out, err = await goblins_cli("replay", "examples.shipping.v3", "--server", address)
    assert code == 1 and out.count("INCOMPATIBLE") == 1 and old.run_id in out and "step 1" in out, (out, err)
    # ... and no run of the old code is open any more: deploy 2 may go.
    code, out, err = await goblins_cli("replay", "examples.shipping.v3", "--server", address, "--status", "running")
    assert code == 0 and "0 run(s)" in out, err

    # Exported histories: the same verdicts from files, and goblins.testing reads them too.
    files = []
    for handle in (old, new):
        code, out, err = await goblins_cli("workflow", "export", handle.run_id, "--server", address)
        assert code == 0, err
        path = tmp_path / f"{handle.run_id}.json"
        path.write_text(out)
        files.append(path)
        assert json.loads(out)["runs"][0]["run_id"] == handle.run_id
    goblins.testing.replay(goblins.testing.load_history(files[1]), v4.shipping)
    args = [arg for path in files for arg in ("--file", str(path))]
    code, out, err = await goblins_cli("replay", "examples.shipping.v2", *args)
    assert (code, out.strip()) == (0, "2 run(s) of 1 workflow(s) replayed (shipping): all replay on this code"), err
    code, out, err = await goblins_cli("replay", "examples.shipping.v4", *args)
    assert code == 1 and out.count("INCOMPATIBLE") == 1 and f"run {old.run_id}" in out, (out, err)
    code, out, err = await goblins_cli("replay", "examples.shipping.reordered", "--file", str(files[1]))
    assert code == 1 and "step 1 asks for activity 'notify'" in out, (out, err)


async def test_a_code_change_that_no_longer_reaches_a_recorded_step_is_caught(
    client: goblins.Client, start_worker: StartWorker
) -> None:
    """An open run whose code now waits before the step it recorded: the replayer names it."""
    await start_worker(workflows=[v1.shipping], activities=ACTIVITIES)
    handle = await client.start_workflow(v1.shipping, "o-3")
    events = await waiting_for_pickup(handle)

    @goblins.workflow(name="shipping")
    async def waits_first(order: str) -> str:
        await goblins.workflow.wait_for_signal("picked_up")
        return await goblins.workflow.execute_activity(print_label, order)

    try:
        goblins.testing.replay(events, waits_first)
    except goblins.NondeterminismError as exc:
        assert "step 1 (activity 'print_label')" in str(exc) and "does not ask for" in str(exc)
    else:
        raise AssertionError("the replayer accepted code that skips a recorded step")


async def test_replay_usage_errors_are_one_line(tmp_path: pathlib.Path) -> None:
    code, _, err = await goblins_cli("replay", "examples.shipping.v2")
    assert code == 2 and "needs --server ADDR" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = await goblins_cli("replay", "examples.shipping.v2", "--file", str(bad))
    assert code == 2 and f"{bad} is not JSON" in err and "Traceback" not in err
    code, _, err = await goblins_cli("replay", "no_such_module_here", "--file", str(bad))
    assert code == 2 and "cannot import module 'no_such_module_here'" in err
    code, _, err = await goblins_cli("replay", "examples.shipping.v2", "--file", str(bad), "--since", "soon")
    assert code == 2 and "expected a duration" in err


async def test_the_gate_decodes_encrypted_histories_with_the_workers_keys(
    address: str, start_worker: StartWorker, tmp_path: pathlib.Path
) -> None:
    key = os.urandom(32)
    codecs = [goblins.AesGcmCodec({"k1": key})]
    await start_worker(workflows=[v2.shipping], activities=ACTIVITIES, codecs=codecs)
    async with await goblins.Client.connect(address, timeout=5, codecs=codecs) as sealed:
        handle = await sealed.start_workflow(v2.shipping, "card-4111")
        await handle.signal("picked_up")
        assert await handle.result(timeout=10) == "card-4111 shipped with carrier-label-card-4111"

    async def gate(*args: str, keys: str | None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOBLINS_")}
        if keys is not None:
            env["GOBLINS_CODEC_KEYS"] = keys
        command = [sys.executable, "-m", "goblins", *args]
        # In a thread: the server under test runs on this event loop.
        return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, env=env, timeout=60)

    exported = await gate("workflow", "export", handle.run_id, "--server", address, keys=None)
    assert exported.returncode == 0 and "card-4111" not in exported.stdout  # exported as stored: sealed
    path = tmp_path / "sealed.json"
    path.write_text(exported.stdout)
    keys = f"k1:{base64.b64encode(key).decode()}"
    for source in (["--server", address], ["--file", str(path)]):
        keyed = await gate("replay", "examples.shipping.v4", *source, keys=keys)
        assert keyed.returncode == 0, keyed.stdout + keyed.stderr
        keyless = await gate("replay", "examples.shipping.v4", *source, keys=None)
        assert keyless.returncode == 1, keyless.stderr
        assert keyless.stdout.startswith(f"UNREADABLE run {handle.run_id} (workflow shipping): CodecError: ")
        assert "GOBLINS_CODEC_KEYS" in keyless.stdout
