"""The benchmark suite keeps working: `python -m benchmarks --quick` runs every scenario (tiny sizes).

Scenario 7 (distributed mode) is left out of the quick run (it needs Kafka and Cassandra); a
second test runs it alone, at quick sizes, when GOBLINS_TEST_KAFKA and GOBLINS_TEST_CASSANDRA
name running services (`scripts/test` sets both).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KAFKA = os.environ.get("GOBLINS_TEST_KAFKA", "")
CASSANDRA = os.environ.get("GOBLINS_TEST_CASSANDRA", "")

SCENARIO_KEYS = {
    "s1_throughput",
    "s2_latency",
    "s3_chain",
    "s4_fan_out",
    "s5_storage_limit",
    "s6_recovery",
    "s7_distributed",
    "memory_at_rest",
    "b_big_payloads",
    "l_inprocess",
    "c_chain_sweep",
    "x_mixed",
    "a_local_activities",
}


@pytest.mark.e2e
@pytest.mark.timeout(200)
def test_quick_benchmark_writes_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    argv = ["--quick", "--out", str(out), "--workdir", str(tmp_path / "work")]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", *argv, "--compare", str(REPO / "tests/bench/base.json")],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("GOBLINS_TEST_")},
        capture_output=True,
        text=True,
        timeout=190,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert set(result["scenarios"]) == SCENARIO_KEYS
    for key, entry in result["scenarios"].items():
        if key == "s7_distributed":
            assert entry["status"] == "not run: needs --kafka and --cassandra"
            continue
        assert entry["status"] == "ok", (key, entry)
        for figure in entry["figures"].values():
            if isinstance(figure, dict):
                assert figure["min"] <= figure["median"] <= figure["max"]
    figures = {k: v["figures"] for k, v in result["scenarios"].items() if v["status"] == "ok"}
    assert figures["s1_throughput"]["workflows_per_s"]["median"] > 0
    assert figures["s1_throughput"]["durable_events_per_s"]["median"] > 0
    assert 0 < figures["s5_storage_limit"]["engine_fraction_of_raw"]["median"]
    assert figures["s6_recovery"]["recovery_s"]["median"] > 0
    assert figures["memory_at_rest"]["server_rss_mb"]["median"] > 0
    assert result["durability"]["synchronous"] == "FULL"
    machine = result["machine"]
    assert machine["cores"] and machine["python"] and machine["protobuf_backend"]
    assert "s1_throughput" in proc.stdout  # the table
    # issue 15's scenarios, and CPU per workflow for every scenario that runs workflows
    assert figures["l_inprocess"]["cpu_process_s_per_1k_workflows"]["median"] > 0
    assert figures["c_chain_sweep"]["per_step_ms_40"]["median"] > 0
    assert figures["x_mixed"]["workflows"]["median"] > 0
    assert figures["a_local_activities"]["latency_ratio_activities_vs_local"]["median"] > 0
    for key in ("s1_throughput", "s2_latency", "b_big_payloads", "x_mixed"):
        assert figures[key]["cpu_server_s_per_1k_workflows"]["median"] > 0, key
    assert result["machine"]["goblins_commit"] and result["load_average_at_end"]
    # --compare: each figure beside the saved run's, with the ratio
    assert "new/base" in proc.stdout and "s2_latency" in proc.stdout.split("new/base", 1)[1]


@pytest.mark.e2e
@pytest.mark.timeout(240)
@pytest.mark.skipif(not (KAFKA and CASSANDRA), reason="needs GOBLINS_TEST_KAFKA and GOBLINS_TEST_CASSANDRA")
def test_quick_distributed_scenario(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    args = ["--quick", "--scenarios", "7", "--kafka", KAFKA, "--cassandra", CASSANDRA]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", *args, "--out", str(out), "--workdir", str(tmp_path / "work")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=230,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    entry = result["scenarios"]["s7_distributed"]
    assert entry["status"] == "ok", entry
    figures = entry["figures"]
    assert figures["workflows_per_s"]["median"] > 0
    assert figures["latency_p50_ms"]["median"] > 0
    assert figures["cpu_server_s_per_1k_workflows"]["median"] > 0
    assert result["distributed"]["kafka"] == KAFKA


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_lone_run_breakdown_and_compare_of_two_saved_runs(tmp_path: Path) -> None:
    lone = subprocess.run(
        [sys.executable, "-m", "benchmarks.lone", "--runs", "3"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert lone.returncode == 0, lone.stdout[-3000:] + lone.stderr[-3000:]
    assert "WORKFLOW_FINISHED_IN_SUCCESS" in lone.stdout and "start->result p50" in lone.stdout
    base = REPO / "tests/bench/base.json"
    compared = subprocess.run(
        [sys.executable, "-m", "benchmarks.compare", str(base), str(base)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert compared.returncode == 0, compared.stderr
    assert "1.00x" in compared.stdout
