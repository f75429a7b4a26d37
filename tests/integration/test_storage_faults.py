"""The embedded store under faults: a full disk, a read-only file (issue 10 item 7), and the
memory of big results (item 10). Each runs a real `goblins server` and checks the file after."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import goblins
from tests.integration import storage_faults as sf


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (skips the test where mounting is not allowed)."""
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


async def worker_for(address: str) -> AsyncIterator[goblins.Worker]:
    worker = goblins.Worker(address, workflows=[sf.two_steps, sf.big_output], activities=[sf.add_one])
    task = asyncio.create_task(worker.run())
    await worker.wait_connected(timeout=20)
    try:
        yield worker
    finally:
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 10)


async def until_started(client: goblins.Client, run_id: str, patience: float) -> goblins.WorkflowHandle:
    """Start (idempotently) until the server takes it: it recovers by itself."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return await client.start_workflow("two_steps", 1, run_id=run_id, timeout=5)
        except goblins.GoblinsError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def refused_at_once(client: goblins.Client, run_id: str, cause: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(goblins.GoblinsError, match=cause):
        await client.start_workflow("two_steps", 1, run_id=run_id, timeout=20)
    assert time.monotonic() - t0 < 10, "refused, not after the call's deadline"


async def test_a_full_disk_refuses_writers_with_the_cause_then_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "goblins")
    with small_disk(tmp_path / "disk", "3m") as disk:
        db = disk / "goblins.db"
        server = sf.ServerProc(db, tmp_path / "server.log")
        try:
            async with await goblins.Client.connect(server.address, call_timeout=20) as client:
                async for _ in worker_for(server.address):
                    done = await client.start_workflow("two_steps", 1, run_id="before")
                    assert await done.result(timeout=20) == 3
                    committed = len(await done.history())
                    filler = fill(disk)
                    await refused_at_once(client, "while-full", "database or disk is full")
                    await refused_at_once(client, "while-full-2", "unavailable")
                    running = client.get_workflow_handle("before")
                    with pytest.raises(goblins.GoblinsError):  # finished: no write needed to say so
                        await running.signal("x", timeout=10)
                    # The worker's session ended with the cause: it holds its reports meanwhile.
                    assert "UNAVAILABLE: event store unavailable: sqlite: database or disk is full" in caplog.text
                    filler.unlink()  # space returns: no restart, no operator action
                    handle = await until_started(client, "after", 30)
                    assert await handle.result(timeout=30) == 3
                    kept = client.get_workflow_handle("while-full")  # refused at the call, kept or not
                    with contextlib.suppress(goblins.WorkflowNotFound):
                        assert await kept.result(timeout=30) == 3
        finally:
            server.stop()
        assert "database or disk is full" in server.text()
        assert "store commits again" in server.text()
        assert sf.check_db(db, ["before", "after"])["before"] == committed  # nothing committed was lost


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
async def test_a_server_started_on_a_read_only_file_recovers_when_it_is_writable(tmp_path: Path) -> None:
    db = tmp_path / "goblins.db"
    server = sf.ServerProc(db, tmp_path / "server-1.log")
    try:
        async with await goblins.Client.connect(server.address) as client:
            async for _ in worker_for(server.address):
                done = await client.start_workflow("two_steps", 1, run_id="before")
                assert await done.result(timeout=20) == 3
                committed = len(await done.history())
    finally:
        server.stop()
    sf.chmod_db(db, 0o444)  # the db and its WAL files
    server = sf.ServerProc(db, tmp_path / "server-2.log", prefix=sf.NO_OVERRIDE)
    try:
        async with await goblins.Client.connect(server.address, call_timeout=20) as client:
            async for _ in worker_for(server.address):
                await refused_at_once(client, "while-read-only", "readonly database")
                history = await client.get_workflow_handle("before").history(timeout=10)  # reads still work
                assert history
                # The operator gives write access back (SQLite made the WAL files read-only too).
                sf.chmod_db(db, 0o644)
                handle = await until_started(client, "after", 30)
                assert await handle.result(timeout=30) == 3
    finally:
        server.stop()
    assert "store commits again" in server.text()
    assert sf.check_db(db, ["before", "after"])["before"] == committed  # nothing committed was lost


async def test_big_results_do_not_grow_the_server_past_its_cache_budget(tmp_path: Path) -> None:
    size = 10 * 1024 * 1024
    server = sf.ServerProc(
        tmp_path / "goblins.db",
        tmp_path / "server.log",
        "--max-payload-bytes",
        str(size + 1024),
        "--results-cache-bytes",
        str(32 * 1024 * 1024),
    )
    try:
        async with await goblins.Client.connect(server.address) as client:
            async for _ in worker_for(server.address):
                first = await client.execute_workflow("big_output", size, timeout=60)
                assert len(first) == size
                base = server.rss_mb()
                for i in range(30):
                    await client.execute_workflow("big_output", size, run_id=f"big-{i}", timeout=60)
                grown = server.rss_mb() - base
                # 30 results of 10 MB: 300 MB if every one were kept; the budget is 32 MiB.
                assert grown < 150, f"the server grew by {grown:.0f} MB"
                # The oldest results are still there (from the store).
                assert len(await client.get_workflow_handle("big-0").result(timeout=20)) == size
    finally:
        server.stop()
