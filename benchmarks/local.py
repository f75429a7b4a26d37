"""The in-process mode (goblins.LocalServer) beside the embedded mode, same run: scenario 1's
shape (one-activity workflows, many in flight: wf/s and start->result p50) and scenario 2's
(one workflow at a time: start->result p50/p99).

    python -m benchmarks.local [--workflows 3000] [--inflight 500] [--latency-runs 500] [--runs 1]

The embedded figures come from benchmarks.scenarios (a `goblins server` process and a worker
process, the client here); the in-process ones from one LocalServer in this process (server,
worker and client on one event loop, no gRPC). Both on a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import goblins
from benchmarks import workloads
from benchmarks.procs import cpu_seconds
from benchmarks.scenarios import Settings, latency, percentile, throughput


async def local_figures(workdir: Path, s: Settings) -> dict[str, Any]:
    """Scenarios 1 and 2 against one LocalServer on ``workdir/local.db``."""
    async with goblins.LocalServer(
        workdir / "local.db", workflows=[workloads.one_step], activities=[workloads.noop]
    ) as app:
        client = app.client
        await asyncio.gather(*(client.execute_workflow(workloads.one_step, i, timeout=60) for i in range(s.warmup)))

        latencies: list[float] = []
        counter = iter(range(s.workflows))

        async def lane() -> None:
            for i in counter:
                t = time.perf_counter()
                handle = await client.start_workflow(workloads.one_step, i)
                assert await handle.result(timeout=s.timeout) == i
                latencies.append(time.perf_counter() - t)

        cpu0, t0 = cpu_seconds(os.getpid()), time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(s.inflight)))
        wall, cpu = time.perf_counter() - t0, cpu_seconds(os.getpid()) - cpu0
        out: dict[str, Any] = {
            "s1_workflows_per_s": s.workflows / wall,
            "s1_p50_ms": 1000 * percentile(latencies, 50),
            "s1_p99_ms": 1000 * percentile(latencies, 99),
            "s1_cpu_s_per_1k_workflows": cpu / s.workflows * 1000,
        }
        one: list[float] = []
        cpu0 = cpu_seconds(os.getpid())
        for i in range(s.latency_runs):
            t = time.perf_counter()
            handle = await client.start_workflow(workloads.one_step, i)
            await handle.result(timeout=s.timeout)
            one.append(time.perf_counter() - t)
        out.update(
            s2_p50_ms=1000 * percentile(one, 50),
            s2_p99_ms=1000 * percentile(one, 99),
            s2_mean_ms=1000 * statistics.fmean(one),
            s2_cpu_s_per_1k_workflows=(cpu_seconds(os.getpid()) - cpu0) / s.latency_runs * 1000,
        )
        return out


async def embedded_figures(workdir: Path, s: Settings) -> dict[str, Any]:
    one = await throughput(workdir / "s1", s)
    two = await latency(workdir / "s2", s)
    cpu = _cpu_per_1k(one)
    return {
        "s1_workflows_per_s": one["workflows_per_s"],
        "s1_p50_ms": one["p50_ms"],
        "s1_p99_ms": one["p99_ms"],
        "s1_cpu_s_per_1k_workflows": cpu,
        "s2_p50_ms": two["p50_ms"],
        "s2_p99_ms": two["p99_ms"],
        "s2_mean_ms": two["mean_ms"],
        "s2_cpu_s_per_1k_workflows": _cpu_per_1k(two),
    }


def _cpu_per_1k(fig: dict[str, Any]) -> float:
    """CPU seconds per 1,000 workflows of every process (server, workers, client) together."""
    return float(sum(v for k, v in fig.items() if k.startswith("cpu_") and k.endswith("_s_per_1k_workflows")))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=3000)
    parser.add_argument("--inflight", type=int, default=500)
    parser.add_argument("--latency-runs", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--runs", type=int, default=1, help="alternate the two modes this many times")
    args = parser.parse_args()
    s = dataclasses.replace(
        Settings(), workflows=args.workflows, inflight=args.inflight, latency_runs=args.latency_runs, warmup=args.warmup
    )
    rows: dict[str, list[dict[str, Any]]] = {"embedded (gRPC, 3 processes)": [], "in-process (LocalServer)": []}
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="goblins-bench-local-") as tmp:
            rows["embedded (gRPC, 3 processes)"].append(asyncio.run(embedded_figures(Path(tmp) / f"e{run}", s)))
            Path(tmp, f"l{run}").mkdir()
            rows["in-process (LocalServer)"].append(asyncio.run(local_figures(Path(tmp) / f"l{run}", s)))
    keys = list(next(iter(rows.values()))[0])
    print(f"{s.workflows} workflows, {s.inflight} in flight; {s.latency_runs} one at a time; median of {args.runs}")
    print(f"{'mode':32}" + "".join(f"{k:>28}" for k in keys))
    for mode, figures in rows.items():
        cells = [statistics.median(f[k] for f in figures) for k in keys]
        print(f"{mode:32}" + "".join(f"{c:>28.2f}" for c in cells))


if __name__ == "__main__":
    main()
