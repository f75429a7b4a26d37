"""Scenario Q: visibility query latency on 100,000 runs (embedded mode, SQLite).

    python -m benchmarks.search [--runs 100000] [--repeats 50]
    python -m benchmarks --scenarios Q          # as one of the benchmark's scenarios

The runs (a random mix of search attributes, 2% still running, the rest completed or failed)
are written straight into a fresh SQLite file through the store (starting 100,000 workflows
would measure the engine, not the index); then a server opens the file and each query below is
asked ``repeats`` times through ``Client.list_workflows(query=...)`` (a page of 100) and
``count_workflows``: the figures are the p50/p95 over all of them, over real gRPC.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import goblins
from goblins._search import encode
from goblins.api import v1 as pb
from goblins.server import Server
from goblins.server.embedded.sqlite import SqliteStore
from goblins.server.ports import Batch

QUERIES = [
    "WorkflowType = 'order' AND customer = 'c-17' AND StartTime > '2026-11-15' ORDER BY StartTime DESC",
    "customer = 'c-3' AND amount > 500",
    "ExecutionStatus = 'Running' ORDER BY StartTime DESC",
    "priority IN (4, 5) AND vip = true",
    "amount BETWEEN 100 AND 110 ORDER BY amount DESC",
    "customer STARTS_WITH 'c-19' AND ExecutionStatus = 'Failed'",
]
DECLARED = {"customer": "keyword", "amount": "float", "priority": "int", "vip": "bool"}
T0 = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC).timestamp()


def fill(path: str, runs: int, seed: int = 3) -> float:
    """Write ``runs`` runs into a new store at ``path``; returns the seconds it took."""
    began = time.perf_counter()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seed)
    store = SqliteStore(f"{path}?synchronous=normal")
    try:
        declared = [("search_attribute", f"{name}:{type_}") for name, type_ in DECLARED.items()]
        store.commit_sync(Batch(registry=declared))
        events: list[pb.HistoryEvent] = []
        for i in range(runs):
            run_id = f"bench-{i:07d}"
            created = T0 + rng.uniform(0, 30 * 86_400)
            name = rng.choice(["order", "refund", "ship", "invoice"])
            attrs: dict[str, Any] = {"customer": f"c-{rng.randrange(200)}", "priority": rng.randint(1, 5)}
            if rng.random() < 0.7:
                attrs["amount"] = round(rng.uniform(0, 1000), 2)
            if rng.random() < 0.5:
                attrs["vip"] = rng.random() < 0.2
            e = pb.HistoryEvent(run_id=run_id, seq=1, time=created, type=pb.WORKFLOW_SCHEDULED, workflow_name=name)
            for k, v in encode(attrs).items():
                e.workflow_scheduled.search_attributes[k].CopyFrom(v)
            events.append(e)
            if rng.random() >= 0.02:  # the rest end: a server resumes only the running ones
                ok = rng.random() < 0.8
                kind = pb.WORKFLOW_FINISHED_IN_SUCCESS if ok else pb.WORKFLOW_FINISHED_IN_ERROR
                end = pb.HistoryEvent(run_id=run_id, seq=2, time=created + 60, type=kind, workflow_name=name)
                if ok:
                    end.workflow_finished_in_success.SetInParent()
                else:
                    end.workflow_finished_in_error.failure.type = "ValueError"
                events.append(end)
            if len(events) >= 5_000:
                store.commit_sync(Batch(events=events))
                events = []
        if events:
            store.commit_sync(Batch(events=events))
    finally:
        asyncio.run(store.close())  # in a thread of its own (scenario): no loop runs there
    return time.perf_counter() - began


async def measure(path: str, repeats: int) -> dict[str, float]:
    """p50/p95 (ms) of the queries through a server on the file, over gRPC."""
    server = Server(f"sqlite:///{path}", "127.0.0.1", 0)
    await server.start()
    try:
        async with await goblins.Client.connect(f"127.0.0.1:{server.port}", timeout=10) as client:
            for q in QUERIES:  # warm up: connections, the page cache
                await client.list_workflows(query=q)
            lists: list[float] = []
            counts: list[float] = []
            matched = 0
            for _ in range(repeats):
                for q in QUERIES:
                    t = time.perf_counter()
                    runs = await client.list_workflows(query=q, limit=100)
                    lists.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    matched += await client.count_workflows(q)
                    counts.append((time.perf_counter() - t) * 1000)
                    assert len(runs) <= 100
    finally:
        await server.stop(grace=0)
    q95 = statistics.quantiles
    return {
        "list_p50_ms": statistics.median(lists),
        "list_p95_ms": q95(lists, n=20)[18],
        "count_p50_ms": statistics.median(counts),
        "count_p95_ms": q95(counts, n=20)[18],
        "matched_per_query": matched / (repeats * len(QUERIES)),
    }


async def scenario(workdir: Path, runs: int = 100_000, repeats: int = 20) -> dict[str, Any]:
    """The benchmark's scenario Q (benchmarks/runner.py)."""
    path = str(workdir / "search.db")
    fill_s = await asyncio.get_running_loop().run_in_executor(None, fill, path, runs)
    figures: dict[str, Any] = {"runs": runs, "fill_s": fill_s}
    figures.update(await measure(path, repeats))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        figures = asyncio.run(scenario(Path(d), args.runs, args.repeats))
    for key, value in figures.items():
        print(f"{key:20} {value:,.2f}" if isinstance(value, float) else f"{key:20} {value:,}")


if __name__ == "__main__":
    main()
