"""The chaos benchmark keeps working: `python -m benchmarks chaos` at a small size (30 runs, 2
worker kills, 1 server kill) finishes every run correctly, with no duplicate event and no
finished activity run again, and exits 0."""

from __future__ import annotations

import json
import os
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
