"""Wall time for N one-activity workflows (default 1,000) through one worker process.

    python benchmarks/thousand.py                  # starts its own server and worker
    python benchmarks/thousand.py --server HOST:PORT   # against a running server and
                                                   # `goblins worker benchmarks.thousand`

All runs are started with asyncio.gather in batches, then all results are awaited; the wall
time covers both. The server uses its default durability (SQLite, synchronous=FULL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import goblins

REPO = Path(__file__).resolve().parents[1]


@goblins.activity(name="bench_echo")
async def echo(i: int) -> int:
    return i


@goblins.workflow(name="bench_one")
async def one(i: int) -> int:
    return await goblins.workflow.execute_activity(echo, i)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_registered(client: goblins.Client, timeout: float = 30.0) -> None:
    """Until a worker has registered bench_one (a warm-up run completes)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await client.execute_workflow("bench_one", -1, timeout=10)
            return
        except goblins.GoblinsError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def measure(server: str, runs: int, batch: int) -> float:
    async with await goblins.Client.connect(server, timeout=30) as client:
        await _wait_registered(client)
        t0 = time.perf_counter()
        handles: list[goblins.WorkflowHandle] = []
        for start in range(0, runs, batch):
            handles += await asyncio.gather(
                *(client.start_workflow("bench_one", i) for i in range(start, min(start + batch, runs)))
            )
        started = time.perf_counter() - t0
        results = await asyncio.gather(*(h.result(timeout=300) for h in handles))
        wall = time.perf_counter() - t0
    if results != list(range(runs)):
        raise SystemExit("wrong results")
    print(f"{runs} one-activity workflows, one worker: {wall:.2f}s wall ({started:.2f}s to start), {runs / wall:.0f}/s")
    return wall


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200, help="starts per asyncio.gather")
    parser.add_argument("--server", default=None, help="use a running server (and worker) instead")
    args = parser.parse_args()
    if args.server:
        asyncio.run(measure(args.server, args.runs, args.batch))
        return
    goblins_cmd = [sys.executable, "-m", "goblins.cli"]
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="goblins-bench-") as tmp:
        try:
            db = Path(tmp) / "bench.db"
            server = [*goblins_cmd, "server", "--db", str(db), "--port", str(port)]
            procs.append(_spawn(server, Path(tmp) / "s.log", env))
            worker = [*goblins_cmd, "worker", "benchmarks.thousand", "--server", f"127.0.0.1:{port}"]
            procs.append(_spawn(worker, Path(tmp) / "w.log", env))
            asyncio.run(measure(f"127.0.0.1:{port}", args.runs, args.batch))
        except BaseException:
            for name in ("s.log", "w.log"):
                with contextlib.suppress(OSError):
                    print(f"--- {name}\n{(Path(tmp) / name).read_text()[-3000:]}", file=sys.stderr)
            raise
        finally:
            for p in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()


if __name__ == "__main__":
    main()
