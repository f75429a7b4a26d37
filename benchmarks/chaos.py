"""``python -m benchmarks chaos``: many runs through worker and server kill -9 (issue 10, "Tests").

``--runs`` runs (default 1,000) of a ``--steps``-step workflow (default 10) in the embedded mode,
with ``--workers`` worker processes; every ``--kill-every`` seconds (up to ``--worker-kills``
times, if given) one worker is killed with SIGKILL and a fresh one started, and
``--server-kills`` times (default 3, spread over the run's progress) the server is killed with
SIGKILL and restarted on the same database and port.

At the end it prints, and writes to ``--out`` as JSON:

- runs completed, with the correct result, and lost (not finished in ``--timeout``);
- duplicate events: an event recorded twice where the history allows one (one
  ``ACTIVITY_SCHEDULED`` and one ``ACTIVITY_FINISHED_IN_SUCCESS`` per step, one
  ``ACTIVITY_STARTED`` and one finish per attempt, one of each ``WORKFLOW_*`` per run);
- finished activities re-run: an execution of a step that started after the execution whose
  result ``ACTIVITY_FINISHED_IN_SUCCESS`` recorded had ended, seen in the activity's own
  side-effect log (a line as each execution starts and one as it ends; the result names its
  execution), or an ``ACTIVITY_STARTED`` recorded after the finish;
- wall time, and how many kills landed.

The exit code is 1 when a run is lost or wrong or a finished activity ran again (or an event
is duplicated): the promise of the engine is that none of these happens.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import goblins
from benchmarks import procs, workloads
from benchmarks.procs import Cluster, Proc, goblins_command
from goblins.api import v1 as pb
from goblins.history import (
    ACTIVITY_FAILED,
    ACTIVITY_SCHEDULED,
    ACTIVITY_STARTED,
    ACTIVITY_SUCCEEDED,
    WORKFLOW_FAILED,
    WORKFLOW_SCHEDULED,
    WORKFLOW_STARTED,
    WORKFLOW_SUCCEEDED,
)
from goblins.wire import attributes_of, step_id_of, type_name

PREFIX = "chaos-"
# Events a history holds at most once per key: the key is (run, step, type), plus the attempt
# for the events each attempt records.
ONCE_PER_STEP = {ACTIVITY_SCHEDULED, ACTIVITY_SUCCEEDED}
ONCE_PER_ATTEMPT = {ACTIVITY_STARTED, ACTIVITY_FAILED}
ONCE_PER_RUN = {WORKFLOW_SCHEDULED, WORKFLOW_STARTED, WORKFLOW_SUCCEEDED, WORKFLOW_FAILED}


@dataclasses.dataclass
class Settings:
    runs: int = 1000
    steps: int = 10
    workers: int = 4
    kill_every: float = 1.0  # seconds between worker kills
    worker_kills: int = 0  # at most this many (0: no limit, a kill every kill_every until the end)
    server_kills: int = 3
    timeout: float = 900.0  # for the whole run, after which unfinished runs count as lost
    seed: int = 1


class ChaosCluster(Cluster):
    """A cluster whose server can be killed and restarted: each server has its own log."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.generation = 0

    def start_server(self) -> Proc:
        self.generation += 1
        args = [*goblins_command(), "server", *self.server_args(), "--port", str(self.port)]
        proc = Proc(f"server-{self.generation}", args, self.dir / f"server-{self.generation}.log", self._env())
        self._procs.append(proc)
        self.server = proc
        procs._wait(lambda: "listening on" in proc.text(), 60, "the server to listen", proc)
        return proc

    def connected(self, worker: Proc) -> bool:
        # A restarted server's log does not name the workers of the last one: they reconnect.
        return self.generation > 1 or super().connected(worker)


@dataclasses.dataclass
class Tally:
    """What the killers did."""

    worker_kills: int = 0
    server_kills: int = 0
    server_restart_s: list[float] = dataclasses.field(default_factory=list)


def expected(index: int, steps: int) -> list[int]:
    return [index * 1000 + step for step in range(steps)]


@dataclasses.dataclass(frozen=True)
class Execution:
    """One execution of an activity attempt, from the side-effect log."""

    run: str
    step: str
    attempt: int
    execution: str  # PID:START_TIME, as the activity's result names it
    started: float
    ended: float | None  # None: it never got to the end (killed)


def executions(log: Path) -> list[Execution]:
    """The log's ``S`` (start) and ``E`` (end) lines, one Execution each."""
    try:
        text = log.read_text()
    except FileNotFoundError:
        return []
    starts: dict[str, tuple[str, str, int, float]] = {}
    ends: dict[str, float] = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 6 and f[0] == "S":
            starts[f[5]] = (f[1], f[2], int(f[4]), float(f[5].split(":")[1]))
        elif len(f) >= 7 and f[0] == "E":
            ends[f[5]] = float(f[6])
    return [Execution(r, s, a, x, t, ends.get(x)) for x, (r, s, a, t) in starts.items()]


def _count_starts(log: Path) -> int:
    try:
        with open(log, "rb") as f:
            data = f.read()
        return data.count(b"\nS ") + data.startswith(b"S ")
    except FileNotFoundError:
        return 0


async def _start_all(client: goblins.Client, s: Settings, log: Path, deadline: float) -> None:
    """Start every run (idempotent by run id: a start the server lost, or answered while it
    died, is simply sent again)."""
    gate = asyncio.Semaphore(100)

    async def start(i: int) -> None:
        async with gate:
            while True:
                try:
                    await client.start_workflow(workloads.chaos, str(log), s.steps, i, run_id=f"{PREFIX}{i}")
                    return
                except Exception:  # the server is down or restarting: try again
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)

    await asyncio.gather(*(start(i) for i in range(s.runs)))


async def _kill_workers(cluster: ChaosCluster, s: Settings, tally: Tally, stop: asyncio.Event) -> None:
    rng = random.Random(s.seed)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), s.kill_every)
            return
        except TimeoutError:
            pass
        if s.worker_kills and tally.worker_kills >= s.worker_kills:
            return
        alive = [w for w in cluster.workers if w.alive]
        if alive:
            victim = rng.choice(alive)
            await asyncio.to_thread(victim.kill9)
            tally.worker_kills += 1
        await asyncio.to_thread(cluster.start_worker, wait=False)


async def _kill_server(cluster: ChaosCluster, s: Settings, log: Path, tally: Tally, stop: asyncio.Event) -> None:
    """Kill the server as the activities started pass each (k / (server_kills + 1)) of all."""
    total = s.runs * s.steps
    marks = [total * (k + 1) // (s.server_kills + 1) for k in range(s.server_kills)]
    for mark in marks:
        while _count_starts(log) < mark:
            if stop.is_set():
                return
            await asyncio.sleep(0.1)
        assert cluster.server is not None
        t = time.monotonic()
        await asyncio.to_thread(cluster.server.kill9)
        tally.server_kills += 1
        await asyncio.to_thread(cluster.start_server)
        tally.server_restart_s.append(time.monotonic() - t)


def _finished_runs(cluster: ChaosCluster) -> int:
    try:
        rows = cluster.query("SELECT count(*) FROM runs WHERE run_id LIKE ? AND status != 'RUNNING'", (f"{PREFIX}%",))
    except sqlite3.Error:  # the server is creating its schema, or the file is locked a moment
        return -1
    return int(str(rows[0][0]))


async def _results(client: goblins.Client, s: Settings) -> dict[int, Any]:
    """Each run's result (an exception for a run that failed or did not finish)."""
    gate = asyncio.Semaphore(100)

    async def one(i: int) -> tuple[int, Any]:
        async with gate:
            try:
                return i, await client.get_workflow_handle(f"{PREFIX}{i}").result(timeout=30)
            except Exception as exc:
                return i, exc

    return dict(await asyncio.gather(*(one(i) for i in range(s.runs))))


def analyse(db: Path, log: Path) -> dict[str, Any]:
    """Duplicate events and finished activities that ran again, from the database and the log."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute(
            "SELECT data FROM events WHERE run_id LIKE ? ORDER BY run_id, seq", (f"{PREFIX}%",)
        ).fetchall()
    finally:
        conn.close()
    keys: collections.Counter[tuple[str, str, str, int]] = collections.Counter()
    finished: dict[tuple[str, str], tuple[int, str]] = {}  # (run, step) -> (seq, execution recorded)
    started: list[tuple[str, str, int]] = []  # (run, step, seq) of every ACTIVITY_STARTED
    for (data,) in rows:
        e = pb.HistoryEvent.FromString(data)
        kind, step = type_name(e), step_id_of(e)
        if e.type in ONCE_PER_STEP:
            keys[(e.run_id, step, kind, 0)] += 1
        elif e.type in ONCE_PER_ATTEMPT:
            keys[(e.run_id, step, kind, attributes_of(e).attempt)] += 1
        elif e.type in ONCE_PER_RUN:
            keys[(e.run_id, "", kind, 0)] += 1
        if e.type == ACTIVITY_SUCCEEDED and (e.run_id, step) not in finished:
            output = e.activity_finished_in_success.output
            finished[(e.run_id, step)] = (e.seq, json.loads(output).get("execution", ""))
        elif e.type == ACTIVITY_STARTED:
            started.append((e.run_id, step, e.seq))
    duplicates = {k: n for k, n in keys.items() if n > 1}
    # From the history: an attempt recorded as started after its step finished.
    reruns = {(run, step) for run, step, seq in started if seq > finished.get((run, step), (seq, ""))[0]}
    # From the side effects: an execution that began after the one whose result was recorded
    # had ended (whether or not that result was recorded yet: the activity had finished).
    runs = executions(log)
    ended = {x.execution: x.ended for x in runs}
    per_step: collections.Counter[tuple[str, str]] = collections.Counter()
    examples = []
    for x in runs:
        per_step[(x.run, x.step)] += 1
        recorded = finished.get((x.run, x.step), (0, ""))[1]
        end = ended.get(recorded)
        if end is not None and x.started > end:
            reruns.add((x.run, x.step))
            examples.append([x.run, x.step, x.attempt, x.execution, f"ran again {x.started - end:.3f}s after"])
    return {
        "events": len(rows),
        "duplicate_events": sum(n - 1 for n in duplicates.values()),
        "duplicate_examples": [[*k, n] for k, n in list(duplicates.items())[:10]],
        "activity_executions": len(runs),
        "steps_run_more_than_once": sum(1 for n in per_step.values() if n > 1),
        "finished_activities_rerun": len(reruns),
        "rerun_examples": examples[:10] + [list(x) for x in sorted(reruns)[:10]],
    }


async def chaos(workdir: Path, s: Settings) -> dict[str, Any]:
    log = workdir / "activities.log"
    tally = Tally()
    cluster = ChaosCluster(workdir)
    with cluster:
        cluster.start_server()
        for _ in range(s.workers):
            cluster.start_worker()
        client = await goblins.Client.connect(cluster.address, timeout=30)
        stop = asyncio.Event()
        t0 = time.monotonic()
        deadline = t0 + s.timeout
        worker_killer = asyncio.ensure_future(_kill_workers(cluster, s, tally, stop))
        server_killer = asyncio.ensure_future(_kill_server(cluster, s, log, tally, stop))
        killers = [worker_killer, server_killer]
        try:
            await _start_all(client, s, log, deadline)
            finished = 0
            while time.monotonic() < deadline:
                finished = _finished_runs(cluster)
                # A counted number of kills all land, even where the runs finish first (a fast
                # machine): the results are read after them.
                bounded_done = worker_killer.done() or not s.worker_kills
                if finished >= s.runs and server_killer.done() and bounded_done:
                    break
                await asyncio.sleep(0.25)
            wall = time.monotonic() - t0
        finally:
            stop.set()
            outcomes = await asyncio.gather(*killers, return_exceptions=True)
        killer_errors = [repr(x) for x in outcomes if isinstance(x, BaseException)]
        # Every worker dead now and then is the test; at the end one is enough to answer.
        if not any(w.alive for w in cluster.workers):
            cluster.start_worker(wait=False)
        results = await _results(client, s)
        await client.close()
        figures = analyse(cluster.db, log)
    correct = sum(1 for i, r in results.items() if r == expected(i, s.steps))
    failed = sum(1 for r in results.values() if isinstance(r, goblins.WorkflowFailed))
    lost = sum(1 for r in results.values() if isinstance(r, BaseException)) - failed
    errors = collections.Counter(type(r).__name__ for r in results.values() if isinstance(r, BaseException))
    return {
        "settings": dataclasses.asdict(s),
        "runs": s.runs,
        "completed_runs": s.runs - lost,
        "correct_results": correct,
        "failed_runs": failed,
        "lost_runs": lost,
        "errors": dict(errors),
        "killer_errors": killer_errors,
        "finished_in_db": finished,
        "worker_kills": tally.worker_kills,
        "server_kills": tally.server_kills,
        "server_restart_s": [round(x, 2) for x in tally.server_restart_s],
        **figures,
        "wall_s": round(wall, 2),
    }


def ok(result: dict[str, Any]) -> bool:
    return (
        not result["killer_errors"]
        and result["correct_results"] == result["runs"]
        and result["lost_runs"] == 0
        and result["duplicate_events"] == 0
        and result["finished_activities_rerun"] == 0
    )


def report(result: dict[str, Any]) -> str:
    s = result["settings"]
    lines = [
        f"chaos: {s['runs']} runs of {s['steps']} steps, {s['workers']} workers, "
        f"a worker kill -9 every {s['kill_every']:g}s, {s['server_kills']} server kill -9",
        f"  completed runs               {result['completed_runs']:>8,} / {result['runs']:,}",
        f"  correct results              {result['correct_results']:>8,}",
        f"  lost runs                    {result['lost_runs']:>8,}",
        f"  duplicate events             {result['duplicate_events']:>8,}",
        f"  finished activities re-run   {result['finished_activities_rerun']:>8,}",
        f"  activity executions          {result['activity_executions']:>8,}"
        f"  (steps run more than once: {result['steps_run_more_than_once']:,})",
        f"  kills: workers               {result['worker_kills']:>8,}",
        f"  kills: server                {result['server_kills']:>8,}  (restarts {result['server_restart_s']} s)",
        f"  wall time                    {result['wall_s']:>8.1f} s",
    ]
    if result["errors"]:
        lines.append(f"  errors: {result['errors']}")
    if result["killer_errors"]:
        lines.append(f"  the kills failed: {result['killer_errors']}")
    for key in ("duplicate_examples", "rerun_examples"):
        if result[key]:
            lines.append(f"  {key}: {result[key]}")
    lines.append("  OK" if ok(result) else "  FAILED: lost or wrong runs, duplicate events or re-run activities")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> tuple[Settings, argparse.Namespace]:
    d = Settings()
    p = argparse.ArgumentParser(
        prog="python -m benchmarks chaos", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--runs", type=int, default=d.runs, help=f"workflow runs (default {d.runs})")
    p.add_argument("--steps", type=int, default=d.steps, help=f"activities per run (default {d.steps})")
    p.add_argument("--workers", type=int, default=d.workers, help=f"worker processes (default {d.workers})")
    p.add_argument("--kill-every", type=float, default=d.kill_every, help="seconds between worker kills")
    p.add_argument("--worker-kills", type=int, default=0, help="at most this many worker kills (default 0: no limit)")
    p.add_argument("--server-kills", type=int, default=d.server_kills, help=f"(default {d.server_kills})")
    p.add_argument("--timeout", type=float, default=d.timeout, help="seconds before unfinished runs count as lost")
    p.add_argument("--seed", type=int, default=d.seed, help="which worker each kill picks")
    p.add_argument("--out", type=Path, default=None, help="JSON output")
    p.add_argument("--workdir", type=Path, default=None, help="database and logs (default a tmp dir)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args(argv)
    for name in ("runs", "steps", "workers"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if a.kill_every <= 0 or a.server_kills < 0 or a.worker_kills < 0:
        p.error("--kill-every must be > 0, --worker-kills and --server-kills >= 0")
    s = Settings(a.runs, a.steps, a.workers, a.kill_every, a.worker_kills, a.server_kills, a.timeout, a.seed)
    return s, a


def main(argv: list[str] | None = None) -> int:
    s, a = parse_args(argv)
    workdir = a.workdir or Path(tempfile.mkdtemp(prefix="goblins-chaos-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = asyncio.run(chaos(workdir, s))
    finally:
        if not a.keep and a.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    result["machine"] = procs.machine()
    print(report(result))
    if a.out is not None:
        a.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"wrote {a.out}")
    return 0 if ok(result) else 1


if __name__ == "__main__":
    sys.exit(main())
