"""The scenarios issue 15 adds: the in-process mode, a chain swept from 10 to 10,000 steps, a
mixed workload for a duration, and activities against local activities. Each function is one
run and returns flat figures, like benchmarks.scenarios; CPU is per process (server, worker,
client from /proc; the in-process mode is one process)."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import goblins
from benchmarks import local, workloads
from benchmarks.procs import Cluster, cpu_seconds
from benchmarks.scenarios import Figures, Meter, Settings, _with_cluster, percentile

# ---- L: the in-process mode (goblins.LocalServer: server, worker and client in this process) ----


async def inprocess(workdir: Path, s: Settings) -> Figures:
    """Scenario 1's shape (``inflight`` runs in flight) and scenario 2's (one at a time)."""
    os.makedirs(workdir, exist_ok=True)
    f = await local.local_figures(workdir, s)
    return {
        "workflows": s.workflows,
        "workflows_per_s": f["s1_workflows_per_s"],
        "p50_ms": f["s1_p50_ms"],
        "p99_ms": f["s1_p99_ms"],
        "latency_p50_ms": f["s2_p50_ms"],
        "latency_p99_ms": f["s2_p99_ms"],
        "latency_mean_ms": f["s2_mean_ms"],
        "cpu_process_s_per_1k_workflows": f["s1_cpu_s_per_1k_workflows"],
        "latency_cpu_process_s_per_1k_workflows": f["s2_cpu_s_per_1k_workflows"],
    }


# ---- C: a chain at 10, 100, 1,000 and 10,000 steps: is the time per step flat? ----


async def chain_sweep(workdir: Path, s: Settings) -> Figures:
    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        client = clients[0]
        out: Figures = {}
        per_step: list[float] = []
        fig: Figures = {}
        for steps in s.chain_sweep:
            meter = Meter(cluster)
            result = await client.execute_workflow(workloads.chain, steps, timeout=s.timeout)
            fig = meter.stop(1, steps)
            assert result == sum(range(steps)), (steps, result)
            per_step.append(1000 * fig["wall_s"] / steps)
            out[f"per_step_ms_{steps}"] = per_step[-1]
            out[f"server_cpu_ms_per_step_{steps}"] = 1000 * fig["cpu_server_s"] / steps
            out[f"worker_cpu_ms_per_step_{steps}"] = 1000 * fig["cpu_worker_s"] / steps
        # CPU per step of the longest chain (per 1k activities), as the CPU table reads it
        out.update({k: v for k, v in fig.items() if k.startswith("cpu_") or k.endswith("_rss_mb")})
        out["longest_steps"] = s.chain_sweep[-1]
        out["longest_total_s"] = fig["wall_s"]
        out["per_step_ratio_longest_vs_shortest"] = per_step[-1] / per_step[0]
        return out

    return await _with_cluster(workdir, s, body)


# ---- X: a mixed workload for a duration ----

MIX = (("one_activity", 0.80), ("ten_steps_timer", 0.15), ("signal", 0.05))


async def mixed(workdir: Path, s: Settings) -> Figures:
    """For ``mixed_seconds``, ``mixed_inflight`` lanes each start and await one run after the
    other, drawn 80 % one activity, 15 % ten steps with a timer, 5 % waiting on a signal."""

    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        latencies: dict[str, list[float]] = {name: [] for name, _ in MIX}
        draw = random.Random(15)
        names, weights = [n for n, _ in MIX], [w for _, w in MIX]
        counter = iter(range(10**9))

        async def lane(client: goblins.Client, deadline: float) -> None:
            while time.perf_counter() < deadline:
                kind, i = draw.choices(names, weights)[0], next(counter)
                t = time.perf_counter()
                if kind == "one_activity":
                    handle = await client.start_workflow(workloads.one_step, i)
                    expected = i
                elif kind == "ten_steps_timer":
                    handle = await client.start_workflow(workloads.ten_steps_with_timer, i)
                    expected = i + 45
                else:
                    handle = await client.start_workflow(workloads.with_signal, i)
                    await handle.signal("go", 1)
                    expected = i + 1
                assert await handle.result(timeout=s.timeout) == expected
                latencies[kind].append(time.perf_counter() - t)

        meter = Meter(cluster)
        deadline = time.perf_counter() + s.mixed_seconds
        await asyncio.gather(*(lane(clients[k % len(clients)], deadline) for k in range(s.mixed_inflight)))
        every = [x for values in latencies.values() for x in values]
        activities = len(latencies["one_activity"]) + 10 * len(latencies["ten_steps_timer"]) + len(latencies["signal"])
        fig = meter.stop(len(every), activities)
        fig.update(
            seconds=s.mixed_seconds,
            inflight=s.mixed_inflight,
            workflows=len(every),
            workflows_per_s=len(every) / fig["wall_s"],
            activities_per_s=activities / fig["wall_s"],
            p50_ms=1000 * percentile(every, 50),
            p99_ms=1000 * percentile(every, 99),
        )
        for kind, values in latencies.items():
            fig[f"{kind}_runs"] = len(values)
            fig[f"{kind}_p50_ms"] = 1000 * percentile(values, 50)
            fig[f"{kind}_p99_ms"] = 1000 * percentile(values, 99)
        return fig

    return await _with_cluster(workdir, s, body)


# ---- A: ten activities against ten local activities ----


async def local_activities(workdir: Path, s: Settings) -> Figures:
    """The same ten-step workflow with activities and with local activities, one run at a time
    (alternating, so load changes hit both alike), then ``inflight`` at a time."""

    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        client = clients[0]
        kinds = {"activities": workloads.ten_activities, "local": workloads.ten_local_activities}
        one: dict[str, list[float]] = {k: [] for k in kinds}
        cpu: dict[str, float] = dict.fromkeys(kinds, 0.0)
        for i in range(s.local_runs):
            for kind, wf in kinds.items():
                before = _cpu(cluster)
                t = time.perf_counter()
                assert await client.execute_workflow(wf, i, timeout=s.timeout) == i + 45
                one[kind].append(time.perf_counter() - t)
                cpu[kind] += _cpu(cluster) - before
        fig: Figures = {"runs": s.local_runs}
        for kind in kinds:
            fig[f"{kind}_p50_ms"] = 1000 * percentile(one[kind], 50)
            fig[f"{kind}_p99_ms"] = 1000 * percentile(one[kind], 99)
            fig[f"{kind}_mean_ms"] = 1000 * statistics.fmean(one[kind])
            fig[f"{kind}_cpu_s_per_1k_workflows"] = cpu[kind] / s.local_runs * 1000

        async def lane(wf: Any, counter: Iterator[int]) -> None:
            for i in counter:
                assert await client.execute_workflow(wf, i, timeout=s.timeout) == i + 45

        for kind, wf in kinds.items():
            counter = iter(range(s.local_throughput_runs))
            t = time.perf_counter()
            await asyncio.gather(*(lane(wf, counter) for _ in range(min(s.inflight, s.local_throughput_runs))))
            fig[f"{kind}_workflows_per_s"] = s.local_throughput_runs / (time.perf_counter() - t)
        fig["latency_ratio_activities_vs_local"] = fig["activities_p50_ms"] / fig["local_p50_ms"]
        fig["throughput_ratio_local_vs_activities"] = fig["local_workflows_per_s"] / fig["activities_workflows_per_s"]
        fig["cpu_ratio_activities_vs_local"] = (
            fig["activities_cpu_s_per_1k_workflows"] / fig["local_cpu_s_per_1k_workflows"]
        )
        return fig

    return await _with_cluster(workdir, s, body)


def _cpu(cluster: Cluster) -> float:
    """CPU seconds of the server, the workers and this process so far."""
    procs = [p for p in [cluster.server, *cluster.workers] if p is not None and p.alive]
    return sum(p.cpu() for p in procs) + cpu_seconds(os.getpid())
