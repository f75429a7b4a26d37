"""End-to-end helpers: a real `goblins server`, real `goblins worker` processes, real clients.

Every process is started with Popen, logs to a file in tmp_path, and is SIGKILLed (its whole
process group) in teardown, whether the test passed or not.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import goblins

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.procs import Proc, free_port, goblins_command  # noqa: E402  (one process helper for both)


def http_call(url: str, body: Any = None) -> tuple[int, Any]:
    """(status, decoded JSON or text) of a GET, or of a POST of ``body`` as JSON."""
    data = None if body is None else json.dumps(body).encode()
    headers = {}
    if data is not None:  # as the UI's page posts: JSON, with the CSRF cookie and its header
        origin = "/".join(url.split("/")[:3])
        with urllib.request.urlopen(origin + "/api/session", timeout=60) as resp:
            cookie = resp.headers["Set-Cookie"].partition(";")[0]
        token = cookie.partition("=")[2]
        headers = {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": token}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=60) as resp:
            raw, kind, status = resp.read(), resp.headers["Content-Type"], resp.status
    except urllib.error.HTTPError as exc:
        raw, kind, status = exc.read(), exc.headers["Content-Type"], exc.code
    return status, json.loads(raw) if kind == "application/json" else raw.decode()


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


async def async_wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


class Cluster:
    """One goblins server (restartable on the same db and port), any number of workers."""

    mode = "embedded"
    patience = 20.0
    """Seconds a story waits for the next thing it expects (a step, a log line)."""
    recovery = 30.0
    """Seconds a run may take to finish after a kill -9 and a restart."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.db = tmp_path / "goblins.db"
        self.procs: list[Proc] = []
        self.server: Proc | None = None
        self._servers = 0
        self._workers = 0

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        paths = [str(HERE), str(REPO)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["GOBLINS_SERVER"] = self.address
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("GOBLINS_LOG_LEVEL", None)
        return env

    def spawn(self, name: str, args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Proc:
        proc = Proc(name, args, self.tmp / f"{name}.log", {**self.env(), **(env or {})}, cwd or self.tmp)
        self.procs.append(proc)
        return proc

    # ---- server ----

    def start_server(self, timeout: float = 20.0) -> Proc:
        self._servers += 1
        proc = self.spawn(
            f"server-{self._servers}",
            [*goblins_command(), "server", "--db", str(self.db), "--port", str(self.port)],
        )
        self.server = proc
        self.wait_listening(proc, timeout)
        return proc

    def wait_listening(self, proc: Proc, timeout: float) -> None:
        def listening() -> bool:
            if not proc.alive:
                raise AssertionError(f"goblins server exited with {proc.popen.returncode}:\n{proc.tail()}")
            return "listening on" in proc.text()

        wait_until(listening, timeout, "the server to listen", 0.05)

    def kill_server(self) -> None:
        assert self.server is not None
        self.server.kill9()

    # ---- workers ----

    def start_worker(self, module: str, *extra: str, cwd: Path | None = None, wait: bool = True) -> Proc:
        """`goblins worker MODULE`; with ``wait``, until the server logs its session."""
        self._workers += 1
        proc = self.spawn(
            f"worker-{self._workers}",
            [*goblins_command(), "worker", module, "--server", self.address, *extra],
            cwd=cwd or HERE,
        )
        if wait:
            self.wait_worker_connected(proc)
        return proc

    def worker_log_pattern(self, proc: Proc, what: str) -> re.Pattern[str]:
        return re.compile(rf"worker \S+-{proc.pid}-[0-9a-f]+ {what}\b")

    def wait_worker_connected(self, proc: Proc, timeout: float = 20.0) -> None:
        assert self.server is not None
        server = self.server
        pattern = self.worker_log_pattern(proc, "connected")

        def connected() -> bool:
            if not proc.alive:
                raise AssertionError(f"worker exited with {proc.popen.returncode}:\n{proc.tail()}")
            return bool(pattern.search(server.text()))

        wait_until(connected, timeout, f"worker {proc.pid} to connect", 0.05)

    def server_saw_disconnect(self, proc: Proc) -> bool:
        assert self.server is not None
        return bool(self.worker_log_pattern(proc, "disconnected").search(self.server.text()))

    # ---- clients ----

    async def client(self) -> goblins.Client:
        return await goblins.Client.connect(self.address, timeout=10)

    def cli(self, *args: str, timeout: float = 60.0, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run the `goblins` command (a separate process) and capture its output."""
        return subprocess.run(
            [*goblins_command(), *args],
            cwd=cwd or self.tmp,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def python(self, *args: str, timeout: float = 60.0, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=cwd or REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    # ---- the database, read directly (e.g. while the server is dead) ----

    def stored_events(self, run_id: str) -> list[tuple[int, str, str]]:
        """(seq, type, step_id) of the run, straight from the SQLite file."""
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            rows = conn.execute(
                "SELECT seq, type, step_id FROM events WHERE run_id = ? ORDER BY seq", (run_id,)
            ).fetchall()
        finally:
            conn.close()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def teardown(self, dump: bool) -> None:
        for proc in reversed(self.procs):
            try:
                proc.kill9()
            except Exception as exc:  # keep killing the others
                print(f"could not kill {proc.name} ({proc.pid}): {exc}")
        if dump:
            for proc in self.procs:
                print(f"----- {proc.name} (pid {proc.pid}, exit {proc.popen.returncode}) -----")
                print(proc.tail(60))


def lines(path: Path) -> list[tuple[str, int]]:
    """The activity log: (text, pid) per line."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        text, _, pid = line.rpartition(":")
        out.append((text, int(pid)))
    return out


def texts(path: Path) -> list[str]:
    return [text for text, _ in lines(path)]


def read_lines(path: Path) -> list[list[str]]:
    """The activity log: one list of ':'-separated fields per line."""
    if not path.exists():
        return []
    return [line.split(":") for line in path.read_text().splitlines() if line]


def pids_of(path: Path) -> dict[str, list[int]]:
    """The activity log: text -> the pids of the workers that wrote it."""
    found: dict[str, list[int]] = {}
    for text, pid in lines(path):
        found.setdefault(text, []).append(pid)
    return found


async def wait_history(
    handle: goblins.WorkflowHandle, done: Callable[[list[str]], bool], what: str, timeout: float = 20
) -> list[str]:
    """Poll the run's history (event types) until ``done`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        types = [e.type.value for e in await handle.history()]
        if done(types):
            return types
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; history: {types}")
        await asyncio.sleep(0.05)


# ---- checks shared by the kill tests ----

SUCCESS = "ACTIVITY_FINISHED_IN_SUCCESS"
SCHEDULED = "ACTIVITY_SCHEDULED"


def step_of(step_id: str) -> int:
    """The step index of a `steps` activity: ids are RUN_ID/POSITION, positions from 1."""
    return int(step_id.rsplit("/", 1)[1]) - 1


def counts(events: list[tuple[int, str, str]]) -> dict[str, int]:
    """Stored events (``Cluster.stored_events``) per type."""
    found: dict[str, int] = {}
    for _, kind, _ in events:
        found[kind] = found.get(kind, 0) + 1
    return found


def check_clean(events: list[tuple[int, str, str]]) -> None:
    """Stored events: gapless seqs, one WORKFLOW_SCHEDULED, no activity scheduled or finished twice."""
    assert [seq for seq, _, _ in events] == list(range(1, len(events) + 1)), f"seqs not gapless: {events}"
    assert counts(events).get("WORKFLOW_SCHEDULED") == 1
    for kind in (SCHEDULED, SUCCESS):
        ids = [a for _, k, a in events if k == kind]
        assert len(ids) == len(set(ids)), f"an activity has two {kind} events: {events}"


def expected_totals(count: int) -> list[int]:
    totals, total = [], 0
    for index in range(count):
        total += index * index
        totals.append(total)
    return totals


def check_steps_history(events: list[Any], run_id: str, count: int) -> None:
    """A clean history: one WORKFLOW_SCHEDULED, one SCHEDULED and one SUCCESS per step, no
    activity errors, gapless seqs, and WORKFLOW_FINISHED_IN_SUCCESS last."""
    types = [str(e.type) for e in events]
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "history seqs are not gapless"
    assert all(e.run_id == run_id for e in events)
    assert types.count("WORKFLOW_SCHEDULED") == 1
    assert types.count("WORKFLOW_FINISHED_IN_SUCCESS") == 1 and types[-1] == "WORKFLOW_FINISHED_IN_SUCCESS"
    assert "ACTIVITY_FINISHED_IN_ERROR" not in types and "WORKFLOW_FINISHED_IN_ERROR" not in types
    for kind in (SCHEDULED, SUCCESS):
        ids = [e.step_id for e in events if str(e.type) == kind]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        assert not dupes, f"duplicate {kind} events for {dupes}"
        assert sorted(step_of(i) for i in ids) == list(range(count)), f"{kind}: not one per step"
    for e in events:
        if str(e.type) == SCHEDULED:  # the deterministic id matches the step the code asked for
            assert e.input[2] == step_of(e.step_id)


def check_reruns(lines: list[list[str]], tag: str, count: int, finished: set[int]) -> dict[int, int]:
    """Every step ran; no step in ``finished`` ran twice; at most one step (the one in flight
    at the crash) ran twice. Returns {step: times run} for the steps that ran more than once."""
    runs: dict[int, int] = {}
    for fields in lines:
        assert fields[0] == tag, f"unexpected line {fields}"
        runs[int(fields[1])] = runs.get(int(fields[1]), 0) + 1
    assert sorted(runs) == list(range(count)), f"steps that never ran: {set(range(count)) - set(runs)}"
    repeated = {s: n for s, n in runs.items() if n > 1}
    again = sorted(set(repeated) & finished)
    assert not again, f"steps {again} ran again although their ACTIVITY_FINISHED_IN_SUCCESS was recorded"
    assert all(n == 2 for n in repeated.values()), f"a step ran more than twice: {repeated}"
    assert len(repeated) <= 1, f"more than the one in-flight step ran again: {repeated}"
    return repeated


def start_ui(cluster: Cluster) -> str:
    """`goblins ui` for the cluster's server, as a process of its own; its base URL."""
    port = free_port()
    ui = cluster.spawn("ui", [*goblins_command(), "ui", "--server", cluster.address, "--port", str(port)])
    wait_until(lambda: "goblins ui on" in ui.text() or not ui.alive, 20, "the ui to listen")
    assert ui.alive, ui.tail()
    return f"http://127.0.0.1:{port}"
