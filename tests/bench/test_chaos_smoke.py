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
from typing import Any

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
    assert result["activity_executions"] >= 30 * 10


def test_the_analysis_finds_duplicates_and_reruns(tmp_path: Path) -> None:
    """The counters are not vacuous. Step s1 is scheduled twice and started again after its
    finish (the history shows both); step s2's recorded execution (pid 11) had ended when
    another one (pid 12) started, though its finish was recorded later (the log shows it);
    step s3 ran twice, the first execution killed before its end: a re-run that is allowed."""
    from benchmarks.chaos import analyse
    from goblins.api import v1 as pb
    from goblins.wire import columns, history_event

    db, log = tmp_path / "g.db", tmp_path / "activities.log"

    def event(seq: int, kind: str, **attributes: Any) -> pb.HistoryEvent:
        return history_event(kind, run_id="chaos-0", seq=seq, **attributes)

    def done(seq: int, step: str, execution: str) -> pb.HistoryEvent:
        output = json.dumps({"value": 1, "execution": execution}).encode()
        return event(seq, "ACTIVITY_FINISHED_IN_SUCCESS", step_id=step, output=output)

    events = [
        event(1, "WORKFLOW_SCHEDULED"),
        event(2, "ACTIVITY_SCHEDULED", step_id="s1"),
        event(3, "ACTIVITY_SCHEDULED", step_id="s1"),
        event(4, "ACTIVITY_STARTED", step_id="s1", attempt=1),
        done(5, "s1", "10:1.0"),
        event(6, "ACTIVITY_STARTED", step_id="s1", attempt=2),
        event(7, "ACTIVITY_SCHEDULED", step_id="s2"),
        done(8, "s2", "11:2.0"),
        event(9, "ACTIVITY_SCHEDULED", step_id="s3"),
        done(10, "s3", "14:5.0"),
    ]
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE events (run_id TEXT, seq INTEGER, type TEXT, step_id TEXT, data BLOB)")
    rows = [(e.run_id, e.seq, *columns(e), e.SerializeToString()) for e in events]
    conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    log.write_text(
        "S chaos-0 s1 0 1 10:1.0\nE chaos-0 s1 0 1 10:1.0 1.1\n"
        "S chaos-0 s2 1 1 11:2.0\nE chaos-0 s2 1 1 11:2.0 2.1\nS chaos-0 s2 1 1 12:2.5\nE chaos-0 s2 1 1 12:2.5 2.6\n"
        "S chaos-0 s3 2 1 13:4.0\nS chaos-0 s3 2 1 14:5.0\nE chaos-0 s3 2 1 14:5.0 5.1\n"
    )
    figures = analyse(db, log)
    assert figures["duplicate_events"] == 1
    assert figures["finished_activities_rerun"] == 2  # s1 by its history, s2 by its log; not s3
    assert figures["steps_run_more_than_once"] == 2
    assert figures["activity_executions"] == 5
