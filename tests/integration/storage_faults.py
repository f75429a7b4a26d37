"""A `goblins server` subprocess for the store fault tests (issue 10 items 7, 10), and their workflows."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import goblins
from benchmarks.procs import free_port, memory_kb

REPO = Path(__file__).resolve().parents[2]
# Tests run as root, which writes read-only files anyway: the server runs without the
# capabilities that let it (a root process then obeys the file's mode bits like any user).
NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@goblins.activity
async def add_one(x: int) -> int:
    return x + 1


@goblins.workflow
async def two_steps(x: int) -> int:
    x = await goblins.workflow.execute_activity(add_one, x, start_to_close_timeout=10)
    return await goblins.workflow.execute_activity(add_one, x, start_to_close_timeout=10)  # type: ignore[no-any-return]


@goblins.workflow
async def big_output(n: int) -> str:
    return "x" * n


class ServerProc:
    """`goblins server --db DB` in a subprocess; ``stop`` ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, db: Path, log: Path, *extra: str, prefix: list[str] | None = None) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        args = [sys.executable, "-m", "goblins.cli", "server", "--db", str(db), "--port", str(self.port), *extra]
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                [*(prefix or []), *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 30
        while "listening on" not in self.text():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"server did not start:\n{self.text()}")
            time.sleep(0.05)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def rss_mb(self) -> float:
        return memory_kb(self.popen.pid)["VmRSS"] / 1024

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)


def check_db(db: Path, run_ids: list[str]) -> dict[str, int]:
    """Integrity check, and each run's event count (every run must have events)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        counts = {r: conn.execute("SELECT COUNT(*) FROM events WHERE run_id = ?", (r,)).fetchone()[0] for r in run_ids}
    finally:
        conn.close()
    assert all(counts.values()), counts
    return counts


def chmod_db(db: Path, mode: int) -> None:
    """The db file and its WAL files (not the server's lock file)."""
    for f in db.parent.glob(db.name + "*"):
        if f.suffix != ".lock":
            f.chmod(mode)
