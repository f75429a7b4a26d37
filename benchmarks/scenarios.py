"""The scenarios of issue 4. Each function is one run on a fresh cluster and returns flat
figures (numbers); the runner takes the median, min and max over runs. Scenarios 1-6 and memory
run in the embedded mode; scenario 7 runs 1 and 2 in the distributed mode (Kafka + Cassandra)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import glob
import math
import os
import signal
import statistics
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import goblins
from benchmarks import storage, workloads
from benchmarks.procs import Cluster, DistributedCluster, Proc, cpu_seconds
from goblins.api import v1 as pb
from goblins.history import ACTIVITY_SUCCEEDED

Figures = dict[str, Any]


@dataclasses.dataclass
class Settings:
    workflows: int = 10_000  # scenario 1
    inflight: int = 1_000  # scenario 1 and memory: runs started and awaited concurrently
    clients: int = 1  # gRPC channels the benchmark process spreads its in-flight runs over
    latency_runs: int = 1_000  # scenario 2
    steps: int = 1_000  # scenario 3 (and 6)
    short_steps: int = 10  # scenario 3, the short chain
    short_repeats: int = 10  # scenario 3: the short chain runs this many times per run (median)
    fan_out: int = 1_000  # scenario 4
    raw_batch: int = 1_000  # scenario 5: rows per transaction of the raw append
    kill_at: int = 500  # scenario 6: the step the worker is killed at
    rest_runs: int = 10_000  # memory at rest
    workers: int = 1
    warmup: int = 50  # one-step workflows run before measuring (imports, connections, caches)
    synchronous: str = "full"
    timeout: float = 600.0  # for any one wait
    # scenario 7, the distributed mode: scenario 1 with fewer workflows (the embedded 10,000 would
    # take well over 2 minutes per run there), scenario 2 with fewer runs
    dist_workflows: int = 3_000
    dist_latency_runs: int = 300
    dist_partitions: int = 4  # of the events topic and every task topic (goblins setup kafka)
    big_runs: int = 5  # scenario B: runs with a big payload
    big_bytes: int = 1_000_000  # scenario B: the size of each
    chain_sweep: tuple[int, ...] = (10, 100, 1_000, 10_000)  # scenario C: chain lengths, in order
    mixed_seconds: float = 60.0  # scenario X: how long the mixed workload runs
    mixed_inflight: int = 200  # scenario X: runs in flight
    local_runs: int = 200  # scenario A: runs of each kind one at a time
    local_throughput_runs: int = 2_000  # scenario A: runs of each kind, inflight at a time


@dataclasses.dataclass
class Profiling:
    """py-spy attached to the server and the first worker during the measured phase."""

    out_dir: Path
    rate: int = 250
    native: bool = False  # py-spy --native: C frames too (grpc, upb, sqlite), slower sampling
    procs: list[tuple[str, subprocess.Popen[bytes]]] = dataclasses.field(default_factory=list)

    def start(self, targets: list[Proc], tag: str) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for proc in targets:
            name = f"{tag}-{proc.name}"
            out = self.out_dir / f"{name}.txt"
            args = [
                "py-spy",
                "record",
                "--pid",
                str(proc.pid),
                "--rate",
                str(self.rate),
                "--format",
                "raw",
                "--threads",
                "-o",
                str(out),
            ]
            # --gil: only the thread holding the GIL is sampled, so idle waits (epoll, queues, fsync
            # in the writer thread) are left out and the samples are where Python CPU goes.
            args += ["--gil", "--native"] if self.native else ["--gil", "--nonblocking"]
            log = open(self.out_dir / f"{name}.py-spy.log", "wb")
            self.procs.append((name, subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)))
        time.sleep(0.5)  # let py-spy attach before the measured phase

    def stop(self) -> None:
        for _, p in self.procs:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGINT)
        for _, p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs.clear()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class Meter:
    """CPU seconds of server, workers and this process over a measured phase (and, in the
    distributed mode, of the Kafka and Cassandra JVMs)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.procs = [p for p in [cluster.server, *cluster.workers] if p is not None and p.alive]
        self.services = cluster.service_pids()
        self.start = {p.pid: p.cpu() for p in self.procs}
        self.services_start = {}
        for name, pid in self.services.items():
            with contextlib.suppress(OSError):
                self.services_start[name] = cpu_seconds(pid)
        self.client_start = cpu_seconds(os.getpid())
        self.t0 = time.perf_counter()

    def stop(self, workflows: int, activities: int) -> Figures:
        wall = time.perf_counter() - self.t0
        server = self.cluster.server
        out: Figures = {"wall_s": wall}
        cpu = {"server": 0.0, "worker": 0.0}
        for p in self.procs:
            if not p.alive:
                continue
            used = p.cpu() - self.start[p.pid]
            cpu["server" if p is server else "worker"] += used
        cpu["client"] = cpu_seconds(os.getpid()) - self.client_start
        for name, pid in self.services.items():
            try:  # a JVM restarted meanwhile (another engineer's test) has no meaningful figure
                cpu[name] = cpu_seconds(pid) - self.services_start[name]
            except (OSError, KeyError):
                cpu[name] = float("nan")
        for who, used in cpu.items():
            out[f"cpu_{who}_s"] = used
            if workflows:
                out[f"cpu_{who}_s_per_1k_workflows"] = used / workflows * 1000
            if activities:
                out[f"cpu_{who}_s_per_1k_activities"] = used / activities * 1000
        out.update(peak_rss(self.cluster))
        return out


def peak_rss(cluster: Cluster) -> Figures:
    out: Figures = {}
    if cluster.server is not None and cluster.server.alive:
        out["server_peak_rss_mb"] = cluster.server.memory()["VmHWM"] / 1024
    workers = [w.memory()["VmHWM"] / 1024 for w in cluster.workers if w.alive]
    if workers:
        out["worker_peak_rss_mb"] = max(workers)
    return out


async def _clients(cluster: Cluster, n: int) -> list[goblins.Client]:
    return [await goblins.Client.connect(cluster.address, timeout=30, tls=cluster.tls()) for _ in range(max(1, n))]


async def _close(clients: list[goblins.Client]) -> None:
    for c in clients:
        await c.close()


async def _warmup(client: goblins.Client, n: int) -> None:
    if n:
        await asyncio.gather(*(client.execute_workflow(workloads.one_step, i, timeout=60) for i in range(n)))


MakeCluster = Callable[[Path], Cluster]


async def _with_cluster(
    workdir: Path,
    s: Settings,
    body: Callable[[Cluster, list[goblins.Client]], Awaitable[Figures]],
    make: MakeCluster | None = None,
) -> Figures:
    with make(workdir) if make is not None else Cluster(workdir, s.synchronous) as cluster:
        cluster.start_server()
        for _ in range(s.workers):
            cluster.start_worker()
        clients = await _clients(cluster, s.clients)
        try:
            await _warmup(clients[0], s.warmup)
            fig = await body(cluster, clients)
            if isinstance(cluster, DistributedCluster):
                fig.update(setup_s=cluster.setup_s, namespace=cluster.namespace, partitions=cluster.partitions)
            return fig
        except Exception as exc:
            dead = [
                f"{p.name} (pid {p.pid}) exited with {p.popen.returncode}"
                for p in [cluster.server, *cluster.workers]
                if p is not None and not p.alive
            ]
            if dead:
                raise RuntimeError(f"{exc} [{'; '.join(dead)}]") from exc
            raise
        finally:
            await _close(clients)


# ---- 1: throughput ----


async def throughput(
    workdir: Path, s: Settings, profiling: Profiling | None = None, make: MakeCluster | None = None, tag: str = "s1"
) -> Figures:
    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        n = s.workflows
        latencies: list[float] = []
        counter = iter(range(n))
        events_before = cluster.event_count()

        async def lane(client: goblins.Client) -> None:
            for i in counter:
                t = time.perf_counter()
                handle = await client.start_workflow(workloads.one_step, i)
                result = await handle.result(timeout=s.timeout)
                latencies.append(time.perf_counter() - t)
                assert result == i, (result, i)

        if profiling is not None:
            profiling.start([p for p in [cluster.server, *cluster.workers[:1]] if p is not None], tag)
        meter = Meter(cluster)
        try:
            await asyncio.gather(*(lane(clients[k % len(clients)]) for k in range(s.inflight)))
        finally:
            fig = meter.stop(n, n)
            if profiling is not None:
                profiling.stop()
        events = cluster.event_count() - events_before
        wall = fig["wall_s"]
        fig.update(
            workflows=n,
            workflows_per_s=n / wall,
            activities_per_s=n / wall,
            durable_events=events,
            events_per_workflow=events / n,
            durable_events_per_s=events / wall,
            p50_ms=1000 * percentile(latencies, 50),
            p95_ms=1000 * percentile(latencies, 95),
            p99_ms=1000 * percentile(latencies, 99),
        )
        return fig

    return await _with_cluster(workdir, s, body, make)


# ---- 5: storage limit (raw append of the rows scenario 1 stored) ----


def storage_limit(workdir: Path, s: Settings, engine_events_per_s: float) -> Figures:
    rows = storage.rows_from(workdir / "goblins.db")
    raw = storage.append_rate(rows, workdir / "raw.db", s.raw_batch, s.synchronous.upper())
    small = storage.append_rate(rows, workdir / "raw.db", 100, s.synchronous.upper())
    ser = storage.append_rate(rows, workdir / "raw.db", s.raw_batch, s.synchronous.upper(), serialize=True)
    return {
        "raw_rows": raw["rows"],
        "raw_events_per_s": raw["events_per_s"],
        "raw_ms_per_commit": raw["ms_per_commit"],
        "raw_events_per_s_batch100": small["events_per_s"],
        "raw_ms_per_commit_batch100": small["ms_per_commit"],
        "raw_events_per_s_with_serialize": ser["events_per_s"],
        "engine_durable_events_per_s": engine_events_per_s,
        "engine_fraction_of_raw": engine_events_per_s / raw["events_per_s"],
        "journal_mode": raw["journal_mode"],
        "synchronous": raw["synchronous"],
    }


# ---- 2: latency ----


async def latency(workdir: Path, s: Settings, make: MakeCluster | None = None, idle_s: float = 0.0) -> Figures:
    """One workflow at a time. ``idle_s``: first measure the CPU of every process at rest (after
    the warm-up, nothing running) for that long, as % of one core (``idle_cpu_*_pct``)."""

    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        client = clients[0]
        latencies = []
        idle: Figures = {}
        if idle_s > 0:
            await asyncio.sleep(0.5)
            rest = Meter(cluster)
            await asyncio.sleep(idle_s)
            measured = rest.stop(0, 0)
            for key, value in measured.items():
                if key.startswith("cpu_") and key.endswith("_s"):
                    idle[f"idle_{key[:-2]}_pct"] = 100 * value / measured["wall_s"]
        meter = Meter(cluster)
        for i in range(s.latency_runs):
            t = time.perf_counter()
            handle = await client.start_workflow(workloads.one_step, i)
            await handle.result(timeout=s.timeout)
            latencies.append(time.perf_counter() - t)
        fig = meter.stop(s.latency_runs, s.latency_runs)
        fig.update(
            runs=s.latency_runs,
            p50_ms=1000 * percentile(latencies, 50),
            p95_ms=1000 * percentile(latencies, 95),
            p99_ms=1000 * percentile(latencies, 99),
            max_ms=1000 * max(latencies),
            mean_ms=1000 * statistics.fmean(latencies),
        )
        fig.update(idle)
        return fig

    return await _with_cluster(workdir, s, body, make)


# ---- B: big payloads among small runs ----


async def big_payloads(workdir: Path, s: Settings) -> Figures:
    """A few runs with a 1 MB payload, then small runs one at a time while another connection
    keeps reading the big histories: the small runs' latency must not suffer (issue 10 item 9)."""

    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        client = clients[0]
        big = [await client.start_workflow(workloads.big_payload, s.big_bytes) for _ in range(s.big_runs)]
        for handle in big:
            await handle.result(timeout=s.timeout)
        stop = asyncio.Event()
        reads = 0

        async def read_big() -> None:  # raw GetHistory: the client decodes nothing in this process
            nonlocal reads
            from goblins._channel import open_channel
            from goblins.api.v1 import service_pb2_grpc as pb_grpc

            async with open_channel(
                cluster.address, tls=cluster.tls(), token=os.environ.get("GOBLINS_TOKEN")
            ) as channel:
                stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
                while not stop.is_set():
                    await stub.GetHistory(pb.GetHistoryRequest(run_id=big[reads % len(big)].run_id))
                    reads += 1

        async def small_runs() -> tuple[list[float], float]:
            latencies = []
            t0 = time.perf_counter()
            for i in range(s.latency_runs):
                t = time.perf_counter()
                handle = await client.start_workflow(workloads.one_step, i)
                await handle.result(timeout=s.timeout)
                latencies.append(time.perf_counter() - t)
            return latencies, time.perf_counter() - t0

        alone, _ = await small_runs()  # the same runs with no big read going on: the reference
        meter = Meter(cluster)  # CPU of the small runs while the big histories are read
        reader = asyncio.create_task(read_big())
        latencies, wall = await small_runs()
        stop.set()
        await reader
        return meter.stop(s.latency_runs, s.latency_runs) | {
            "runs": s.latency_runs,
            "big_runs": s.big_runs,
            "big_bytes": s.big_bytes,
            "big_reads_per_s": reads / wall,
            "p50_ms": 1000 * percentile(latencies, 50),
            "p99_ms": 1000 * percentile(latencies, 99),
            "max_ms": 1000 * max(latencies),
            "alone_p50_ms": 1000 * percentile(alone, 50),
            "alone_p99_ms": 1000 * percentile(alone, 99),
            "db_mb": _db_mb(workdir),
        }

    return await _with_cluster(workdir, s, body)


# ---- 3: long chain ----


async def long_chain(workdir: Path, s: Settings) -> Figures:
    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        client = clients[0]
        short = []
        for _ in range(s.short_repeats):
            t = time.perf_counter()
            assert await client.execute_workflow(workloads.chain, s.short_steps, timeout=s.timeout) == sum(
                range(s.short_steps)
            )
            short.append(time.perf_counter() - t)
        short_per_step = statistics.median(short) / s.short_steps
        meter = Meter(cluster)
        result = await client.execute_workflow(workloads.chain, s.steps, timeout=s.timeout)
        fig = meter.stop(1, s.steps)
        assert result == sum(range(s.steps)), result
        total = fig["wall_s"]
        fig.update(
            steps=s.steps,
            total_s=total,
            per_step_ms=1000 * total / s.steps,
            short_steps=s.short_steps,
            short_total_ms=1000 * statistics.median(short),
            short_per_step_ms=1000 * short_per_step,
            per_step_ratio_long_vs_short=(total / s.steps) / short_per_step,
        )
        return fig

    return await _with_cluster(workdir, s, body)


# ---- 4: fan-out ----


async def fan_out(workdir: Path, s: Settings) -> Figures:
    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        meter = Meter(cluster)
        result = await clients[0].execute_workflow(workloads.fan_out, s.fan_out, timeout=s.timeout)
        fig = meter.stop(1, s.fan_out)
        assert result == sum(range(s.fan_out)), result
        fig.update(activities=s.fan_out, total_s=fig["wall_s"])
        return fig

    return await _with_cluster(workdir, s, body)


# ---- 6: recovery ----


def _events_after(cluster: Cluster, run_id: str, seq: int) -> list[pb.HistoryEvent]:
    rows = cluster.query("SELECT data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq", (run_id, seq))
    return [pb.HistoryEvent.FromString(r[0]) for r in rows]  # type: ignore[arg-type]


async def recovery(workdir: Path, s: Settings) -> Figures:
    """Kill -9 the worker while step ``kill_at`` of a ``steps`` chain is in flight.

    The fresh worker connects before the kill (it is idle: the chain's only task is the paused
    activity on the old worker), so its start-up is not counted. Measured from the kill: the
    first new ACTIVITY_FINISHED_IN_SUCCESS in the store (the redelivered step) and the one after
    it (the first step the fresh worker had to schedule itself, after replaying the history).
    """

    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        marker = workdir / "paused.marker"
        marker.unlink(missing_ok=True)
        run_id = f"recovery-{uuid.uuid4().hex[:8]}"
        old = cluster.workers[0]
        t_start = time.perf_counter()
        handle = await clients[0].start_workflow(
            workloads.chain_with_pause, s.steps, s.kill_at, str(marker), run_id=run_id
        )
        result_task = asyncio.ensure_future(handle.result(timeout=s.timeout))
        deadline = time.monotonic() + s.timeout
        while not marker.exists():
            if result_task.done():
                result_task.result()
            if time.monotonic() > deadline:
                raise RuntimeError("the chain never reached the paused step")
            await asyncio.sleep(0.002)
        to_pause = time.perf_counter() - t_start
        fresh = cluster.start_worker(wait=True)  # idle until the kill
        await asyncio.sleep(0.2)
        seen = max(e.seq for e in _events_after(cluster, run_id, 0))
        meter = Meter(cluster)
        old.kill9()
        t_kill = time.perf_counter()
        successes: list[float] = []
        while len(successes) < 2:
            now = time.perf_counter()
            events = _events_after(cluster, run_id, seen)
            for e in events:
                if e.type == ACTIVITY_SUCCEEDED and len(successes) < 2:
                    successes.append(now - t_kill)
            if events:
                seen = events[-1].seq
            if now - t_kill > s.timeout:
                raise RuntimeError("the run did not progress after the kill")
            await asyncio.sleep(0.002)
        result = await result_task
        assert result == sum(range(s.steps)), result
        fig = meter.stop(1, s.steps - s.kill_at)
        fig.update(
            steps=s.steps,
            kill_at=s.kill_at,
            time_to_paused_step_s=to_pause,
            recovery_s=successes[0],
            recovery_replayed_step_s=successes[1],
            fresh_worker=fresh.name,
        )
        return fig

    return await _with_cluster(workdir, s, body)


# ---- memory at rest ----


def _db_mb(workdir: Path) -> float:
    return sum(os.path.getsize(p) for p in glob.glob(f"{workdir}/goblins.db*")) / 2**20


async def memory_at_rest(workdir: Path, s: Settings) -> Figures:
    async def body(cluster: Cluster, clients: list[goblins.Client]) -> Figures:
        n = s.rest_runs
        base = {
            "server_rss_before_mb": cluster.server.memory()["VmRSS"] / 1024,  # type: ignore[union-attr]
            "worker_rss_before_mb": cluster.workers[0].memory()["VmRSS"] / 1024,
        }
        counter = iter(range(n))

        async def lane(client: goblins.Client) -> None:
            for i in counter:
                await client.start_workflow(workloads.wait_slow, i)

        q = "SELECT count(*) FROM events WHERE type = 'ACTIVITY_SCHEDULED'"
        q_started = "SELECT count(*) FROM events WHERE type = 'ACTIVITY_STARTED'"
        scheduled_before = int(cluster.query(q)[0][0])  # type: ignore[call-overload]  # the warm-up's
        started_before = int(cluster.query(q_started)[0][0])  # type: ignore[call-overload]
        meter = Meter(cluster)
        await asyncio.gather(*(lane(clients[k % len(clients)]) for k in range(min(s.inflight, n))))
        t_started = time.perf_counter() - meter.t0
        deadline = time.monotonic() + s.timeout
        while int(cluster.query(q)[0][0]) - scheduled_before < n:  # type: ignore[call-overload]
            if time.monotonic() > deadline:
                raise RuntimeError("the runs never all reached their slow activity")
            await asyncio.sleep(0.1)
        t_open = time.perf_counter() - meter.t0
        await asyncio.sleep(2.0)  # at rest
        fig = meter.stop(n, 0)
        started = int(cluster.query(q_started)[0][0]) - started_before  # type: ignore[call-overload]
        fig.update(base)
        fig.update(
            open_runs=n,
            activities_running=started,
            seconds_to_start_all=t_started,
            seconds_to_open_all=t_open,
            server_rss_mb=cluster.server.memory()["VmRSS"] / 1024,  # type: ignore[union-attr]
            worker_rss_mb=max(w.memory()["VmRSS"] for w in cluster.workers if w.alive) / 1024,
            db_mb=_db_mb(workdir),
        )
        return fig

    return await _with_cluster(workdir, s, body)


# ---- 7: scenarios 1 and 2 in the distributed mode ----


async def distributed(
    workdir: Path, s: Settings, kafka: str, cassandra: str, profiling: Profiling | None = None, keep: bool = False
) -> Figures:
    """Scenario 1 (``dist_workflows``) then scenario 2 (``dist_latency_runs``), each on its own
    fresh keyspace + namespace, server and worker(s), so CPU and peak RSS belong to one part.

    Throughput figures keep scenario 1's names; latency ones are prefixed ``latency_``. With
    ``profiling``, only the throughput part runs (an extra, not counted, run).
    """
    ds = dataclasses.replace(s, workflows=s.dist_workflows, latency_runs=s.dist_latency_runs)

    def make(d: Path) -> Cluster:
        return DistributedCluster(d, kafka, cassandra, s.dist_partitions, keep=keep)

    fig = _services_steady(await throughput(workdir / "throughput", ds, profiling, make, tag="s7"))
    if profiling is not None:
        return fig
    lat = _services_steady(await latency(workdir / "latency", ds, make, idle_s=3.0))
    fig.update({f"latency_{k}": v for k, v in lat.items()})
    return fig


class ServicesRestarted(RuntimeError):
    """Kafka or Cassandra restarted during a measured phase (the services are shared)."""


def _services_steady(fig: Figures) -> Figures:
    """``fig``, unless a JVM found at the start of the measured phase was gone at its end."""
    gone = [who for who in ("kafka", "cassandra") if math.isnan(fig.get(f"cpu_{who}_s", 0.0))]
    if gone:
        raise ServicesRestarted(
            f"{' and '.join(gone)} restarted during the measured phase (another engineer's test?): "
            "the run does not count"
        )
    return fig
