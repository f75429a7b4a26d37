"""Where a lone run's start->result time goes (embedded mode): one workflow at a time, then the
median gap before each event of its history (the server's clock at each decision) and before
the client saw the result.

    python -m benchmarks.lone [--runs 300] [--workflow one_step|ten_activities|ten_local_activities]

Each gap ends at a server decision, so it holds the commit (fsync) of the event before it plus
the hops to the worker and back. One ``goblins server`` and one ``goblins worker`` process, the
client here, a fresh SQLite file (synchronous=FULL).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import goblins
from benchmarks import workloads
from benchmarks.procs import Cluster


async def gaps(workdir: Path, runs: int, workflow: Any, warmup: int = 30) -> tuple[list[float], dict[str, list[float]]]:
    """Start->result times, and the gaps before each event (by position and kind)."""
    with Cluster(workdir, "full") as cluster:
        cluster.start_server()
        cluster.start_worker()
        client = await goblins.Client.connect(cluster.address, timeout=30)
        try:
            for i in range(warmup):
                await client.execute_workflow(workflow, i, timeout=30)
            totals: list[float] = []
            found: dict[str, list[float]] = {}
            for i in range(runs):
                began = time.time()
                handle = await client.start_workflow(workflow, i)
                started = time.time()
                await handle.result(timeout=30)
                ended = time.time()
                totals.append(ended - began)
                found.setdefault("start_workflow returned", []).append(started - began)
                previous = began
                for e in await handle.history():
                    found.setdefault(f"{e.seq:>3} {e.type.value}", []).append(e.time - previous)
                    previous = e.time
                found.setdefault("zz result seen by the client", []).append(ended - previous)
            return totals, found
        finally:
            await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lone", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument(
        "--workflow", default="one_step", choices=["one_step", "ten_activities", "ten_local_activities"]
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="goblins-bench-lone-") as tmp:
        totals, found = asyncio.run(gaps(Path(tmp), args.runs, getattr(workloads, args.workflow)))
    ordered = sorted(totals)
    print(
        f"{args.runs} runs of {args.workflow}: start->result p50 {1000 * statistics.median(totals):.2f} ms, "
        f"p99 {1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]:.2f} ms"
    )
    print("median gap before each event (ms):")
    for name, values in sorted(found.items(), key=lambda kv: kv[0]):
        print(f"  {name:44} {1000 * statistics.median(values):7.2f}")


if __name__ == "__main__":
    main()
