"""The chaos benchmark keeps working: `python -m benchmarks chaos` at a small size (30 runs, 2
worker kills, 1 server kill) finishes every run correctly, with no duplicate event and no
finished activity run again, and exits 0."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_small_chaos_run_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    args = ["--runs", "30", "--workers", "2", "--worker-kills", "2", "--server-kills", "1", "--timeout", "90"]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "chaos", *args, "--out", str(out), "--workdir", str(tmp_path / "work")],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("GOBLINS_TEST_")},
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["correct_results"] == result["runs"] == 30
    assert result["lost_runs"] == 0
    assert result["duplicate_events"] == 0
    assert result["finished_activities_rerun"] == 0
    assert result["worker_kills"] == 2
    assert result["server_kills"] == 1
    assert result["activity_attempts_started"] >= 30 * 10


def test_the_analysis_finds_duplicates_and_reruns(tmp_path: Path) -> None:
    """The counters are not vacuous: a history with a step scheduled twice and an attempt
    started after its step finished, and a log line after that finish, are all counted."""
    from benchmarks.chaos import analyse
    from goblins.api import v1 as pb

    db, log = tmp_path / "g.db", tmp_path / "activities.log"
    events = [
        pb.Event(run_id="chaos-0", seq=1, type="WORKFLOW_SCHEDULED"),
        pb.Event(run_id="chaos-0", seq=2, type="ACTIVITY_SCHEDULED", step_id="s1"),
        pb.Event(run_id="chaos-0", seq=3, type="ACTIVITY_SCHEDULED", step_id="s1"),
        pb.Event(run_id="chaos-0", seq=4, type="ACTIVITY_STARTED", step_id="s1", attempt=1),
        pb.Event(run_id="chaos-0", seq=5, type="ACTIVITY_FINISHED_IN_SUCCESS", step_id="s1", timestamp=100.0),
        pb.Event(run_id="chaos-0", seq=6, type="ACTIVITY_STARTED", step_id="s1", attempt=2),
        pb.Event(run_id="chaos-0", seq=7, type="ACTIVITY_SCHEDULED", step_id="s2"),
        pb.Event(run_id="chaos-0", seq=8, type="ACTIVITY_FINISHED_IN_SUCCESS", step_id="s2", timestamp=200.0),
    ]
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE events (run_id TEXT, seq INTEGER, type TEXT, step_id TEXT, data BLOB)")
    conn.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
        [(e.run_id, e.seq, e.type, e.step_id, e.SerializeToString()) for e in events],
    )
    conn.commit()
    conn.close()
    log.write_text("chaos-0 s1 0 1 11 99.5\nchaos-0 s2 1 1 11 150.0\nchaos-0 s2 1 2 12 200.5\n")
    figures = analyse(db, log)
    assert figures["duplicate_events"] == 1
    assert figures["finished_activities_rerun"] == 2  # s1 by its history, s2 by its log
    assert figures["steps_run_more_than_once"] == 1
